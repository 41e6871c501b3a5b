// The client library against a real scheduler on loopback with the worker double.
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <filesystem>
#include <mutex>
#include <regex>
#include <set>
#include <thread>

#include "client/ptune_client.h"
#include "common/file_io.h"
#include "gmock/gmock.h"
#include "tests/client/scheduler_fixture.h"
#include "tests/server/test_harness.h"

namespace ptune::client::testing {
namespace {

namespace v1 = ::ptune::v1;
using ::testing::HasSubstr;

class ClientLibrary : public SchedulerFixture {
 protected:
  void SetUp() override {
    SchedulerFixture::SetUp();
    ConnectOptions options;
    options.address = address();
    auto client = Client::Create(options);
    ASSERT_TRUE(client.ok()) << client.status();
    client_ = *std::move(client);
  }
  v1::Job Submit(const std::string& request_id, std::map<std::string, std::string> labels = {}) {
    SubmitOptions options;
    options.spec = ptune::server::testing::TestSpec();
    options.request_id = request_id;
    options.labels = std::move(labels);
    auto response = client_->Submit(options);
    EXPECT_TRUE(response.ok()) << response.status();
    return response.ok() ? response->job() : v1::Job();
  }
  std::unique_ptr<Client> client_;
};

TEST_F(ClientLibrary, SubmitIsIdempotentOnRequestId) {
  v1::Job first = Submit("req-1");
  SubmitOptions again;
  again.spec = ptune::server::testing::TestSpec();
  again.request_id = "req-1";
  auto repeat = client_->Submit(again);
  ASSERT_TRUE(repeat.ok()) << repeat.status();
  EXPECT_TRUE(repeat->existing());
  EXPECT_EQ(repeat->job().id(), first.id());
  v1::Job other = Submit("");  // a generated request id: a new job
  EXPECT_NE(other.id(), first.id());
  EXPECT_FALSE(other.request_id().empty());
}

TEST_F(ClientLibrary, RequestIdsAreRandomUuids) {
  std::set<std::string> ids;
  std::regex uuid("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  for (int i = 0; i < 100; ++i) {
    std::string id = NewRequestId();
    EXPECT_TRUE(std::regex_match(id, uuid)) << id;
    ids.insert(id);
  }
  EXPECT_EQ(ids.size(), 100u);
}

TEST_F(ClientLibrary, ListIteratesEveryPageNewestFirst) {
  std::vector<std::string> submitted;
  for (int i = 0; i < 7; ++i) {
    submitted.push_back(Submit("list-" + std::to_string(i), {{"batch", i < 3 ? "a" : "b"}}).id());
  }
  ListFilter filter;
  filter.page_size = 2;
  std::vector<std::string> listed;
  ASSERT_TRUE(client_
                  ->List(filter,
                         [&](const v1::Job& job) {
                           listed.push_back(job.id());
                           return true;
                         })
                  .ok());
  std::vector<std::string> newest_first(submitted.rbegin(), submitted.rend());
  EXPECT_EQ(listed, newest_first);
  filter.labels = {{"batch", "a"}};
  listed.clear();
  ASSERT_TRUE(client_
                  ->List(filter,
                         [&](const v1::Job& job) {
                           listed.push_back(job.id());
                           return listed.size() < 2;  // stop early
                         })
                  .ok());
  EXPECT_EQ(listed, (std::vector<std::string>{submitted[2], submitted[1]}));
}

TEST_F(ClientLibrary, GetAndCancelMapErrors) {
  EXPECT_EQ(client_->Get("no-such-job").status().code(), absl::StatusCode::kNotFound);
  worker_.reset();  // no worker: the job stays queued and cancels at once
  v1::Job job = Submit("to-cancel");
  auto cancelled = client_->Cancel(job.id(), "test");
  ASSERT_TRUE(cancelled.ok()) << cancelled.status();
  EXPECT_EQ(cancelled->state(), v1::JOB_STATE_CANCELLED);
  EXPECT_EQ(client_->Cancel(job.id(), "again").status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(ClientLibrary, WatchDeliversEveryEventOnceAndReturnsTheFinalJob) {
  std::string id = Submit("watched").id();
  ASSERT_EQ(TakeAssignment(), id);
  uint64_t last = SendTraining(id, 1, 1, 10, 10);
  std::vector<uint64_t> seqs;
  std::thread finisher([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    Finish(id, v1::JobFinished::RESULT_SUCCEEDED, last);
  });
  auto job = client_->Watch(id, {}, [&](const v1::JobEvent& e) {
    seqs.push_back(e.seq());
    return true;
  });
  finisher.join();
  ASSERT_TRUE(job.ok()) << job.status();
  EXPECT_EQ(job->state(), v1::JOB_STATE_SUCCEEDED);
  ASSERT_FALSE(seqs.empty());
  for (size_t i = 0; i < seqs.size(); ++i) ASSERT_EQ(seqs[i], i + 1);
  EXPECT_EQ(seqs.back(), job->last_seq());
  // Resuming after seq 5 delivers exactly the rest.
  WatchOptions from;
  from.after_seq = 5;
  size_t rest = 0;
  ASSERT_TRUE(client_
                  ->Watch(id, from,
                          [&](const v1::JobEvent& e) {
                            EXPECT_EQ(e.seq(), 6 + rest++);
                            return true;
                          })
                  .ok());
  EXPECT_EQ(rest, seqs.size() - 5);
}

TEST_F(ClientLibrary, WatchResumesAcrossASchedulerRestart) {
  std::string id = Submit("restart").id();
  ASSERT_EQ(TakeAssignment(), id);
  uint64_t last = SendTraining(id, 1, 1, 10, 20);
  std::mutex mu;
  std::vector<uint64_t> seqs;
  std::atomic<int> reconnects{0};
  WatchOptions options;
  options.on_reconnect = [&](const absl::Status&) { ++reconnects; };
  absl::StatusOr<v1::Job> result;
  std::thread watcher([&] {
    result = client_->Watch(id, options, [&](const v1::JobEvent& e) {
      std::lock_guard<std::mutex> lock(mu);
      seqs.push_back(e.seq());
      return true;
    });
  });
  auto seen = [&] {
    std::lock_guard<std::mutex> lock(mu);
    return seqs.size();
  };
  for (int i = 0; i < 200 && seen() < last + 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_GE(seen(), last + 2);  // QUEUED, RUNNING and every telemetry event
  RestartScheduler(id, 10);
  last = SendTraining(id, last + 1, 11, 20, 20);
  Finish(id, v1::JobFinished::RESULT_SUCCEEDED, last);
  watcher.join();
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->state(), v1::JOB_STATE_SUCCEEDED);
  EXPECT_GE(reconnects.load(), 1);
  for (size_t i = 0; i < seqs.size(); ++i) ASSERT_EQ(seqs[i], i + 1) << "gap or duplicate";
  EXPECT_EQ(seqs.back(), result->last_seq());
}

TEST_F(ClientLibrary, DownloadWritesVerifiedFilesAndLeavesNothingOnError) {
  std::string id = Submit("artifacts").id();
  ASSERT_EQ(TakeAssignment(), id);
  std::string data(300000, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 7);
  worker_->Artifact(id, 1, "prompt.safetensors", data);
  Finish(id, v1::JobFinished::RESULT_SUCCEEDED, 0);
  client_->Watch(id, {}, [](const v1::JobEvent&) { return true; }).IgnoreError();
  std::string path = temp_dir() + "/out/prompt.safetensors";
  auto bytes = client_->Download(id, "prompt.safetensors", path);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  EXPECT_EQ(*bytes, data.size());
  EXPECT_TRUE(ReadFile(path).value() == data);
  std::string missing = temp_dir() + "/out/missing.bin";
  auto failed = client_->Download(id, "missing.bin", missing);
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(failed.status().message()), HasSubstr("missing.bin"));
  EXPECT_FALSE(std::filesystem::exists(missing));
  EXPECT_FALSE(std::filesystem::exists(missing + ".part"));
}

// A scheduler from before WatchJobBatched: only WatchJob and GetJob, serving a
// finished job with events 1..3 (the generated base answers UNIMPLEMENTED otherwise).
class OldScheduler final : public v1::JobService::Service {
 public:
  grpc::Status GetJob(grpc::ServerContext*, const v1::GetJobRequest*, v1::Job* job) override {
    job->set_id("job-old");
    job->set_state(v1::JOB_STATE_SUCCEEDED);
    job->set_last_seq(3);
    return grpc::Status::OK;
  }
  grpc::Status WatchJob(grpc::ServerContext*, const v1::WatchJobRequest* request,
                        grpc::ServerWriter<v1::JobEvent>* writer) override {
    ++watch_calls;
    for (uint64_t seq = request->after_seq() + 1; seq <= 3; ++seq) {
      v1::JobEvent event;
      event.set_job_id("job-old");
      event.set_seq(seq);
      writer->Write(event);
    }
    return grpc::Status::OK;
  }
  std::atomic<int> watch_calls{0};
};

TEST(ClientFallback, WatchUsesWatchJobWhenTheSchedulerLacksTheBatchedMethod) {
  OldScheduler service;
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_NE(port, 0);
  ConnectOptions options;
  options.address = "127.0.0.1:" + std::to_string(port);
  auto client = Client::Create(options);
  ASSERT_TRUE(client.ok()) << client.status();
  for (uint64_t after : {0, 1}) {
    WatchOptions from;
    from.after_seq = after;
    std::vector<uint64_t> seqs;
    auto job = (*client)->Watch("job-old", from, [&](const v1::JobEvent& e) {
      seqs.push_back(e.seq());
      return true;
    });
    ASSERT_TRUE(job.ok()) << job.status();
    EXPECT_EQ(job->state(), v1::JOB_STATE_SUCCEEDED);
    std::vector<uint64_t> expected;
    for (uint64_t seq = after + 1; seq <= 3; ++seq) expected.push_back(seq);
    EXPECT_EQ(seqs, expected);
  }
  EXPECT_EQ(service.watch_calls.load(), 2);
  server->Shutdown();
}

TEST(ClientUnreachable, FailsWithUnavailableNamingTheAddress) {
  ConnectOptions options;
  options.address = "127.0.0.1:1";  // nothing listens on port 1
  options.initial_backoff = std::chrono::milliseconds(10);
  auto client = Client::Create(options);
  ASSERT_TRUE(client.ok());
  auto job = (*client)->Get("x");
  EXPECT_EQ(job.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(job.status().message()), HasSubstr("127.0.0.1:1 is unreachable"));
  EXPECT_EQ(Client::Create(ConnectOptions{""}).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace ptune::client::testing
