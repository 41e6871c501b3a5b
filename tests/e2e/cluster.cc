#include "tests/e2e/cluster.h"

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace ptune::e2e {
namespace {

std::string Tail(const std::string& text, size_t n = 3000) {
  return text.size() <= n ? text : text.substr(text.size() - n);
}

}  // namespace

Cluster::Cluster(const std::string& name, std::string lease_timeout)
    : port_(FreePort()), lease_timeout_(std::move(lease_timeout)) {
  std::random_device random;
  dir_ = absl::StrCat(::testing::TempDir(), "/ptune-e2e-", name, "-", random());
  std::filesystem::create_directories(dir_);
}

Cluster::~Cluster() {
  // Workers first so they do not spin reconnecting to a dead scheduler.
  for (auto& [id, worker] : workers_) worker->Signal(SIGKILL);
  workers_.clear();
  scheduler_.reset();
  if (!::testing::Test::HasFailure()) std::filesystem::remove_all(dir_);
}

std::string Cluster::address() const { return absl::StrCat("127.0.0.1:", port_); }

void Cluster::StartScheduler() {
  if (scheduler_ && scheduler_->running()) scheduler_->Signal(SIGKILL);
  scheduler_ = std::make_unique<ChildProcess>(
      std::vector<std::string>{PTUNE_SCHEDULER_BIN, "--listen", address(), "--store",
                               dir_ + "/ptune.db", "--metrics-listen", "127.0.0.1:0",
                               "--lease-timeout", lease_timeout_, "--shutdown-grace", "1s"},
      absl::StrCat(dir_, "/scheduler-", ++scheduler_starts_, ".log"));
}

ChildProcess& Cluster::StartWorker(const std::string& id) {
  auto& slot = workers_[id];
  slot = std::make_unique<ChildProcess>(
      std::vector<std::string>{PTUNE_WORKER_BIN, "--scheduler", address(), "--id", id, "--work-dir",
                               dir_ + "/" + id, "--threads", "1", "--shutdown-timeout", "30"},
      absl::StrCat(dir_, "/", id, ".log"));
  return *slot;
}

std::unique_ptr<v1::JobService::Stub> Cluster::Stub() const {
  return v1::JobService::NewStub(
      grpc::CreateChannel(address(), grpc::InsecureChannelCredentials()));
}

bool Cluster::WaitForWorkers(int n, std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto stub = Stub();
  while (std::chrono::steady_clock::now() < deadline) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
    v1::ListWorkersResponse response;
    if (stub->ListWorkers(&context, v1::ListWorkersRequest(), &response).ok()) {
      int connected = 0;
      for (const auto& w : response.workers()) {
        connected +=
            w.state() != v1::WORKER_STATE_LOST && w.state() != v1::WORKER_STATE_UNSPECIFIED;
      }
      if (connected >= n) return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return false;
}

std::string Cluster::WriteSpec(const std::string& file_name, const std::string& yaml) {
  const std::string path = dir_ + "/" + file_name;
  std::ofstream(path) << yaml;
  return path;
}

int Cluster::Ctl(const std::vector<std::string>& args, std::string* out,
                 std::chrono::seconds timeout) {
  std::vector<std::string> argv = {PTUNE_CTL_BIN, "--server", address()};
  argv.insert(argv.end(), args.begin(), args.end());
  support::CommandResult result = support::RunCommand(std::move(argv), timeout);
  if (out != nullptr) *out = std::move(result.out);
  return result.exit_code;
}

std::string Cluster::Submit(const std::string& spec_path) {
  std::string out;
  const int code = Ctl({"submit", spec_path, "-o", "id"}, &out);
  EXPECT_EQ(code, 0) << out;
  return code == 0 ? std::string(absl::StripAsciiWhitespace(out)) : "";
}

v1::Job Cluster::GetJob(const std::string& job_id) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  v1::GetJobRequest request;
  request.set_job_id(job_id);
  v1::Job job;
  if (!Stub()->GetJob(&context, request, &job).ok()) return v1::Job();
  return job;
}

v1::Job Cluster::WaitForJob(const std::string& job_id,
                            const std::function<bool(const v1::Job&)>& done,
                            std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  v1::Job job;
  while (std::chrono::steady_clock::now() < deadline) {
    job = GetJob(job_id);
    if (!job.id().empty() && done(job)) return job;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return job;
}

std::vector<v1::JobEvent> Cluster::WatchAll(const std::string& job_id,
                                            std::chrono::seconds timeout) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + timeout);
  v1::WatchJobRequest request;
  request.set_job_id(job_id);
  auto stub = Stub();
  auto reader = stub->WatchJob(&context, request);
  std::vector<v1::JobEvent> events;
  v1::JobEvent event;
  while (reader->Read(&event)) events.push_back(event);
  const grpc::Status status = reader->Finish();
  EXPECT_TRUE(status.ok()) << "WatchJob: " << status.error_message();
  return events;
}

std::string Cluster::Logs() const {
  std::string out;
  if (scheduler_) out += "--- scheduler log:\n" + Tail(scheduler_->Stdout()) + "\n";
  for (const auto& [id, w] : workers_) out += "--- " + id + " log:\n" + Tail(w->Stdout()) + "\n";
  return out;
}

std::string TinySpec(const std::string& name, int steps, int checkpoint_every,
                     const std::string& data_lines) {
  return absl::StrCat("name: ", name,
                      "\nmodel:\n  source: use-lite\n"
                      "data:\n",
                      data_lines,
                      "  max_seq_len: 16\n  max_train_examples: 64\n"
                      "  validation_fraction: 0.02\n  test_fraction: 0.02\n"
                      "method: pt\nprompt:\n  length: 4\n"
                      "train:\n  steps: ",
                      steps, "\n  batch_size: 4\n  eval_every: ", steps,
                      "\n  checkpoint_every: ", checkpoint_every, "\ntopology:\n  every: 0\n");
}

bool IsFinal(const v1::Job& job) {
  return job.state() == v1::JOB_STATE_SUCCEEDED || job.state() == v1::JOB_STATE_FAILED ||
         job.state() == v1::JOB_STATE_CANCELLED;
}

}  // namespace ptune::e2e
