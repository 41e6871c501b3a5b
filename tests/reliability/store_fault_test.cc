// Store faults: the scheduler refuses to start (exit != 0, an error naming the file and
// what to do) on a corrupted, truncated, read-only or unwritable SQLite store and leaves
// the file as it was; on a full disk (RLIMIT_FSIZE in the scheduler's process) submits
// fail RESOURCE_EXHAUSTED saying the store is full, reads keep working, nothing
// acknowledged is lost, and submits work again once the limit is lifted.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/file_io.h"
#include "common/spec_loader.h"
#include "tests/reliability/fleet.h"
#include "tests/support/child_process.h"
#include "tests/support/free_port.h"
#include "tests/support/temp_dir.h"

namespace ptune::reliability {
namespace {

using std::chrono::seconds;

// Root ignores file permissions, so read-only cases run the scheduler as `nobody` then.
std::vector<std::string> AsUnprivileged(std::vector<std::string> argv) {
  if (geteuid() != 0) return argv;
  argv.insert(argv.begin(),
              {"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"});
  return argv;
}

support::CommandResult RunScheduler(const std::string& store, bool unprivileged) {
  std::vector<std::string> argv = {PTUNE_SCHEDULER_BIN_FOR_STORE, "--listen",
                                   absl::StrCat("127.0.0.1:", support::FreePort()), "--store",
                                   store};
  return support::RunCommand(unprivileged ? AsUnprivileged(argv) : argv, seconds(20));
}

// Every `reasons` substring must be in the error (the file's path among them).
void ExpectRefusedAndUnchanged(const std::string& store, const std::vector<std::string>& reasons,
                               bool unprivileged = false) {
  const auto before = ReadFile(store);
  const auto result = RunScheduler(store, unprivileged);
  EXPECT_NE(result.exit_code, 0) << "the scheduler started on a bad store\n" << result.err;
  EXPECT_NE(result.err.find("startup failed"), std::string::npos) << result.err;
  for (const std::string& reason : reasons) {
    EXPECT_NE(result.err.find(reason), std::string::npos) << reason << " not in\n" << result.err;
  }
  if (before.ok()) {
    const auto after = ReadFile(store);
    ASSERT_TRUE(after.ok());
    EXPECT_EQ(*after, *before) << "the refused start modified the store";
  }
}

// A valid store of an empty scheduler, copied to `store`.
void MakeValidStore(const std::string& store) {
  Fleet fleet({});
  ASSERT_TRUE(fleet.StartScheduler()) << fleet.Logs();
  fleet.scheduler().Signal(SIGTERM);
  ASSERT_TRUE(fleet.scheduler().Wait(seconds(10)).has_value());
  std::filesystem::copy_file(fleet.store_path(), store);
}

TEST(StoreAtStart, CorruptedFileIsRefusedAndLeftAsItWas) {
  support::TempDir dir("ptune-store-corrupt");
  std::mt19937 random(14);
  std::string garbage(8192, '\0');
  for (char& c : garbage) c = static_cast<char>(random());
  std::ofstream(dir.File("ptune.db"), std::ios::binary) << garbage;
  ExpectRefusedAndUnchanged(dir.File("ptune.db"),
                            {"DATA_LOSS", "store " + dir.File("ptune.db"), "file is not a database",
                             "restore it from a backup"});
}

TEST(StoreAtStart, TruncatedFileIsRefusedAndLeftAsItWas) {
  support::TempDir dir("ptune-store-truncated");
  const std::string store = dir.File("ptune.db");
  MakeValidStore(store);
  std::filesystem::resize_file(store, std::filesystem::file_size(store) / 2);
  ExpectRefusedAndUnchanged(
      store, {"DATA_LOSS", "store " + store, "malformed", "restore it from a backup"});
}

TEST(StoreAtStart, UnwritableLocationIsRefusedNamingThePath) {
  // /proc refuses new files even to root, unlike a chmod'ed directory.
  ExpectRefusedAndUnchanged("/proc/ptune-reliability.db",
                            {"FAILED_PRECONDITION", "/proc/ptune-reliability.db", "writ"});
}

TEST(StoreAtStart, ReadOnlyFileIsRefusedNamingThePath) {
  support::TempDir dir("ptune-store-readonly");
  const std::string store = dir.File("ptune.db");
  MakeValidStore(store);
  // The directory is writable (for -wal and -shm), the file is not.
  chmod(dir.path().c_str(), 0777);
  chmod(store.c_str(), 0444);
  ExpectRefusedAndUnchanged(store, {"FAILED_PRECONDITION", store, "read-only", "writable"},
                            /*unprivileged=*/true);
}

TEST(StoreAtStart, ReadOnlyDirectoryIsRefusedNamingThePath) {
  support::TempDir dir("ptune-store-readonly-dir");
  // A new store cannot be created there, and an existing writable one cannot get its
  // -wal and -shm files.
  const std::string fresh = dir.File("fresh.db");
  const std::string existing = dir.File("ptune.db");
  MakeValidStore(existing);
  chmod(existing.c_str(), 0666);
  chmod(dir.path().c_str(), 0555);
  ExpectRefusedAndUnchanged(fresh, {"FAILED_PRECONDITION", fresh, "writable"}, true);
  ExpectRefusedAndUnchanged(existing, {"FAILED_PRECONDITION", existing, "writable"}, true);
  EXPECT_FALSE(std::filesystem::exists(fresh));
  chmod(dir.path().c_str(), 0700);  // so the TempDir can remove it
}

grpc::Status SubmitOne(Fleet& fleet, const v1::JobSpec& spec, const std::string& request_id,
                       std::string* job_id) {
  v1::SubmitJobRequest request;
  request.set_request_id(request_id);
  *request.mutable_spec() = spec;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + seconds(10));
  v1::SubmitJobResponse response;
  grpc::Status status = fleet.stub().SubmitJob(&context, request, &response);
  if (status.ok()) *job_id = response.job().id();
  return status;
}

// The scheduler runs with RLIMIT_FSIZE (SIGXFSZ ignored, so writes fail with EFBIG as on
// a full disk). Submits are made until one fails; reads must keep working; then the
// limit is lifted on the running process ("space freed") and submits must work again;
// after a restart every acknowledged job must be there.
TEST(StoreFull, SubmitsFailResourceExhaustedReadsWorkAndSubmitsResumeOnceFreed) {
  Fleet fleet({});
  ASSERT_TRUE(fleet.StartScheduler()) << fleet.Logs();  // creates and migrates the store
  fleet.scheduler().Signal(SIGTERM);
  ASSERT_TRUE(fleet.scheduler().Wait(seconds(10)).has_value());
  const uintmax_t limit = std::filesystem::file_size(fleet.store_path()) + 256 * 1024;
  support::ChildProcess limited(
      std::vector<std::string>{
          "/bin/sh", "-c",
          absl::StrCat("trap '' XFSZ; exec prlimit --fsize=", limit, ":unlimited ",
                       PTUNE_SCHEDULER_BIN_FOR_STORE, " --listen ", fleet.address(), " --store ",
                       fleet.store_path())},
      fleet.dir().File("limited.log"));
  for (int i = 0; i < 300 && fleet.ConnectedWorkers() < 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  auto spec = ParseJobSpec(ShortJobYaml("full", 5), "full.yaml");
  ASSERT_TRUE(spec.ok());
  std::vector<std::string> acknowledged;
  grpc::Status failure;
  for (int i = 0; i < 20000 && failure.ok(); ++i) {
    std::string id;
    failure = SubmitOne(fleet, *spec, absl::StrCat("full-", i), &id);
    if (failure.ok()) acknowledged.push_back(id);
  }
  ASSERT_FALSE(failure.ok()) << "the size limit was never hit";
  ASSERT_FALSE(acknowledged.empty());
  // RESOURCE_EXHAUSTED tells a client not to retry blindly (UNAVAILABLE would).
  EXPECT_EQ(failure.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << failure.error_message();
  EXPECT_NE(failure.error_message().find("the store is full"), std::string::npos)
      << failure.error_message();
  EXPECT_NE(failure.error_message().find(fleet.store_path()), std::string::npos)
      << failure.error_message();
  // Reads keep working while full.
  EXPECT_TRUE(limited.running()) << limited.Stdout();
  EXPECT_EQ(fleet.GetJob(acknowledged.front()).id(), acknowledged.front());
  {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + seconds(10));
    v1::ListJobsRequest request;
    request.set_page_size(10);
    v1::ListJobsResponse response;
    EXPECT_TRUE(fleet.stub().ListJobs(&context, request, &response).ok());
    EXPECT_EQ(response.jobs_size(), 10);
  }
  // Space freed: the same process accepts submits again.
  const auto lifted = support::RunCommand(
      std::vector<std::string>{"/usr/bin/prlimit", "--pid", std::to_string(limited.pid()),
                               "--fsize=unlimited"},
      seconds(10));
  ASSERT_EQ(lifted.exit_code, 0) << lifted.err;
  std::string after_id;
  const grpc::Status after = SubmitOne(fleet, *spec, "after-freed", &after_id);
  EXPECT_TRUE(after.ok()) << after.error_code() << " " << after.error_message();
  if (after.ok()) acknowledged.push_back(after_id);
  limited.Signal(SIGKILL);
  limited.Wait(seconds(10));

  ASSERT_TRUE(fleet.StartScheduler()) << fleet.Logs();
  for (const auto& id : acknowledged) {
    EXPECT_EQ(fleet.GetJob(id).id(), id) << "acknowledged, then lost";
  }
  std::printf("acknowledged before full: %zu; then %d: %s; after freeing: %s\n",
              acknowledged.size() - after.ok(), static_cast<int>(failure.error_code()),
              failure.error_message().c_str(), after.ok() ? "OK" : after.error_message().c_str());
}

}  // namespace
}  // namespace ptune::reliability
