// Store faults: the scheduler refuses to start on a corrupted, truncated or unwritable
// SQLite store (and leaves the file as it was), and on a full disk (RLIMIT_FSIZE in the
// scheduler's process) submits fail with a clear status while nothing acknowledged is
// lost.
#include <gtest/gtest.h>
#include <signal.h>

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

support::CommandResult RunScheduler(const std::string& store) {
  return support::RunCommand(
      std::vector<std::string>{PTUNE_SCHEDULER_BIN_FOR_STORE, "--listen",
                               absl::StrCat("127.0.0.1:", support::FreePort()), "--store", store},
      seconds(20));
}

void ExpectRefusedAndUnchanged(const std::string& store, const std::string& reason) {
  const auto before = ReadFile(store);
  const auto result = RunScheduler(store);
  EXPECT_NE(result.exit_code, 0) << "the scheduler started on a bad store\n" << result.err;
  EXPECT_NE(result.err.find("startup failed"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find(reason), std::string::npos) << result.err;
  if (before.ok()) {
    const auto after = ReadFile(store);
    ASSERT_TRUE(after.ok());
    EXPECT_EQ(*after, *before) << "the refused start modified the store";
  }
}

TEST(StoreAtStart, CorruptedFileIsRefusedAndLeftAsItWas) {
  support::TempDir dir("ptune-store-corrupt");
  std::mt19937 random(14);
  std::string garbage(8192, '\0');
  for (char& c : garbage) c = static_cast<char>(random());
  std::ofstream(dir.File("ptune.db"), std::ios::binary) << garbage;
  ExpectRefusedAndUnchanged(dir.File("ptune.db"), "file is not a database");
}

TEST(StoreAtStart, TruncatedFileIsRefusedAndLeftAsItWas) {
  support::TempDir dir("ptune-store-truncated");
  const std::string store = dir.File("ptune.db");
  {
    Fleet fleet({});
    ASSERT_TRUE(fleet.StartScheduler()) << fleet.Logs();
    fleet.scheduler().Signal(SIGTERM);
    ASSERT_TRUE(fleet.scheduler().Wait(seconds(10)).has_value());
    std::filesystem::copy_file(fleet.store_path(), store);
  }
  std::filesystem::resize_file(store, std::filesystem::file_size(store) / 2);
  ExpectRefusedAndUnchanged(store, "malformed");
}

TEST(StoreAtStart, UnwritableLocationIsRefusedNamingThePath) {
  // /proc refuses new files even to root, unlike a chmod'ed directory.
  ExpectRefusedAndUnchanged("/proc/ptune-reliability.db", "/proc/ptune-reliability.db");
}

// The scheduler runs with RLIMIT_FSIZE (SIGXFSZ ignored, so writes fail with EFBIG as on
// a full disk). Submits are made until one fails; then the limit is lifted by restarting
// without it, and every acknowledged job must be there.
TEST(StoreFull, SubmitsFailWithAClearStatusAndNothingAcknowledgedIsLost) {
  Fleet fleet({});
  ASSERT_TRUE(fleet.StartScheduler()) << fleet.Logs();  // creates and migrates the store
  fleet.scheduler().Signal(SIGTERM);
  ASSERT_TRUE(fleet.scheduler().Wait(seconds(10)).has_value());
  const uintmax_t limit = std::filesystem::file_size(fleet.store_path()) + 256 * 1024;
  support::ChildProcess limited(
      std::vector<std::string>{"/bin/sh", "-c",
                               absl::StrCat("trap '' XFSZ; exec prlimit --fsize=", limit, " ",
                                            PTUNE_SCHEDULER_BIN_FOR_STORE, " --listen ",
                                            fleet.address(), " --store ", fleet.store_path())},
      fleet.dir().File("limited.log"));
  // Wait until it answers.
  for (int i = 0; i < 300 && fleet.ConnectedWorkers() < 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  auto spec = ParseJobSpec(ShortJobYaml("full", 5), "full.yaml");
  ASSERT_TRUE(spec.ok());
  std::vector<std::string> acknowledged;
  grpc::Status failure;
  for (int i = 0; i < 20000 && failure.ok(); ++i) {
    v1::SubmitJobRequest request;
    request.set_request_id(absl::StrCat("full-", i));
    *request.mutable_spec() = *spec;
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + seconds(10));
    v1::SubmitJobResponse response;
    failure = fleet.stub().SubmitJob(&context, request, &response);
    if (failure.ok()) acknowledged.push_back(response.job().id());
  }
  ASSERT_FALSE(failure.ok()) << "the size limit was never hit";
  EXPECT_TRUE(failure.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED ||
              failure.error_code() == grpc::StatusCode::UNAVAILABLE ||
              failure.error_code() == grpc::StatusCode::INTERNAL)
      << failure.error_code() << " " << failure.error_message();
  EXPECT_FALSE(failure.error_message().empty());
  limited.Signal(SIGKILL);
  limited.Wait(seconds(10));

  ASSERT_TRUE(fleet.StartScheduler()) << fleet.Logs();
  for (const auto& id : acknowledged) {
    EXPECT_EQ(fleet.GetJob(id).id(), id) << "acknowledged before the disk filled, then lost";
  }
  std::printf("acknowledged before full: %zu; then %d: %s\n", acknowledged.size(),
              static_cast<int>(failure.error_code()), failure.error_message().c_str());
}

}  // namespace
}  // namespace ptune::reliability
