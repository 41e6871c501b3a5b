// Hostile input over real gRPC on 127.0.0.1, against a scheduler with bearer tokens:
// unauthenticated calls to every RPC, a tenant probing another tenant's job ids on every
// RPC that takes one, oversized messages, path traversal in dataset/model/file/artifact
// names and invalid UTF-8 in texts and labels. After each, the server still serves.
#include <gtest/gtest.h>

#include <fstream>

#include "tests/server/test_harness.h"

namespace ptune::server::testing {
namespace {

using grpc::StatusCode;
using ptune::v1::Job;
using ptune::v1::JobEvent;

class HostileInputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SchedulerOptions options = TestOptions(dir_.path());
    options.tokens_file = dir_.path() + "/tokens";
    std::ofstream(options.tokens_file) << "tok-a alpha\ntok-b beta\ntok-w pool worker\n";
    auto server = SchedulerServer::Create(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    alpha_ = std::make_unique<Client>(server_->port(), "tok-a");
    beta_ = std::make_unique<Client>(server_->port(), "tok-b");
  }

  // The server answers a well-formed call afterwards.
  void ExpectStillServing() {
    ptune::v1::ListJobsResponse response;
    EXPECT_TRUE(alpha_->List(ptune::v1::ListJobsRequest(), &response).ok())
        << "the scheduler stopped serving";
  }

  grpc::Status SubmitSpec(const ptune::v1::JobSpec& spec) {
    ptune::v1::SubmitJobRequest request;
    request.set_request_id("hostile-" + std::to_string(++submits_));
    *request.mutable_spec() = spec;
    ptune::v1::SubmitJobResponse response;
    return alpha_->Submit(request, &response);
  }

  TempDir dir_;
  std::unique_ptr<SchedulerServer> server_;
  std::unique_ptr<Client> alpha_, beta_;
  int submits_ = 0;
};

// Every RPC of both services, called with `client` on `job_id`; the codes by RPC name.
std::map<std::string, StatusCode> CallEveryJobRpc(Client& client, const std::string& job_id) {
  std::map<std::string, StatusCode> codes;
  ptune::v1::SubmitJobRequest submit;
  submit.set_request_id("probe");
  *submit.mutable_spec() = TestSpec();
  ptune::v1::SubmitJobResponse submitted;
  codes["SubmitJob"] = client.Submit(submit, &submitted).error_code();
  Job job;
  codes["GetJob"] = client.Get(job_id, &job).error_code();
  ptune::v1::ListJobsResponse listed;
  codes["ListJobs"] = client.List(ptune::v1::ListJobsRequest(), &listed).error_code();
  codes["CancelJob"] = client.Cancel(job_id, &job).error_code();
  std::vector<JobEvent> events;
  codes["WatchJob"] = client.Watch(job_id, 0, &events).error_code();
  codes["WatchJobBatched"] = client.WatchBatched(job_id, 0, &events).error_code();
  std::string data;
  codes["GetArtifact"] = client.Download(job_id, "checkpoint", &data).error_code();
  grpc::ClientContext context;
  client.Prepare(&context);
  ptune::v1::ListWorkersResponse workers;
  codes["ListWorkers"] =
      client.stub()->ListWorkers(&context, ptune::v1::ListWorkersRequest(), &workers).error_code();
  return codes;
}

TEST_F(HostileInputTest, EveryRpcWithoutOrWithAWrongTokenIsUnauthenticated) {
  const Job job = alpha_->MustSubmit("real");
  for (const std::string token : {"", "wrong", "tok-"}) {
    SCOPED_TRACE("token \"" + token + "\"");
    Client client(server_->port(), token);
    for (const auto& [rpc, code] : CallEveryJobRpc(client, job.id())) {
      EXPECT_EQ(code, StatusCode::UNAUTHENTICATED) << rpc;
    }
    FakeWorker worker(server_->port(), "intruder", token);
    EXPECT_FALSE(worker.Connect());
    EXPECT_EQ(worker.status().error_code(), StatusCode::UNAUTHENTICATED) << "WorkerService.Connect";
  }
  // A tenant token is not a worker token.
  FakeWorker tenant_as_worker(server_->port(), "intruder", "tok-a");
  EXPECT_FALSE(tenant_as_worker.Connect());
  EXPECT_EQ(tenant_as_worker.status().error_code(), StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(alpha_->MustGet(job.id()).state(), ptune::v1::JOB_STATE_QUEUED) << "nothing changed";
}

// Another tenant's job must be indistinguishable from one that does not exist: the same
// code (NOT_FOUND, never PERMISSION_DENIED) and the same message but for the id.
TEST_F(HostileInputTest, AnotherTenantsJobIdsAreNotFoundOnEveryRpcLikeUnknownOnes) {
  const Job job = alpha_->MustSubmit("secret");
  const std::string unknown = std::string(job.id().size(), 'z');
  const auto probed = CallEveryJobRpc(*beta_, job.id());
  const auto missing = CallEveryJobRpc(*beta_, unknown);
  for (const char* rpc : {"GetJob", "CancelJob", "WatchJob", "WatchJobBatched", "GetArtifact"}) {
    EXPECT_EQ(probed.at(rpc), StatusCode::NOT_FOUND) << rpc;
    EXPECT_EQ(missing.at(rpc), StatusCode::NOT_FOUND) << rpc;
  }
  auto message = [&](const std::string& id) {
    Job seen;
    std::string text = beta_->Get(id, &seen).error_message();
    const size_t at = text.find(id);
    if (at != std::string::npos) text.replace(at, id.size(), "<id>");
    return text;
  };
  EXPECT_EQ(message(job.id()), message(unknown));
  ptune::v1::ListJobsResponse listed;
  ASSERT_TRUE(beta_->List(ptune::v1::ListJobsRequest(), &listed).ok());
  for (const Job& j : listed.jobs()) EXPECT_NE(j.id(), job.id()) << "listed to another tenant";
  // The probes changed nothing (CancelJob above did not cancel it).
  EXPECT_EQ(alpha_->MustGet(job.id()).state(), ptune::v1::JOB_STATE_QUEUED);
}

TEST_F(HostileInputTest, OversizedMessagesAreRefusedAndTheServerSurvives) {
  // Over the 64 MiB receive limit: refused by the transport.
  ptune::v1::SubmitJobRequest huge;
  huge.set_request_id("huge");
  *huge.mutable_spec() = TestSpec();
  huge.mutable_spec()->set_name(std::string(65 << 20, 'x'));
  ptune::v1::SubmitJobResponse response;
  EXPECT_EQ(alpha_->Submit(huge, &response).error_code(), StatusCode::RESOURCE_EXHAUSTED);
  ExpectStillServing();
  // Under it but over the spec's bound: refused naming the limit.
  ptune::v1::JobSpec big = TestSpec();
  for (int i = 0; i < 2000; ++i) big.mutable_data()->add_labels(std::string(1000, 'a' + i % 26));
  const grpc::Status status = SubmitSpec(big);
  EXPECT_EQ(status.error_code(), StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("spec"), std::string::npos) << status.error_message();
  // A huge job id on a read RPC.
  Job job;
  const grpc::Status get = alpha_->Get(std::string(1 << 20, 'j'), &job);
  EXPECT_TRUE(get.error_code() == StatusCode::INVALID_ARGUMENT ||
              get.error_code() == StatusCode::NOT_FOUND)
      << get.error_code();
  EXPECT_LT(get.error_message().size(), 1000u) << "the error echoes a megabyte back";
  ExpectStillServing();
}

TEST_F(HostileInputTest, PathTraversalInNamesIsInvalidArgumentNamingTheField) {
  const std::string nul = std::string("uci") + '\0' + "sentiment";
  struct Case {
    std::string field;
    std::function<void(ptune::v1::JobSpec*)> set;
  };
  const std::vector<Case> cases = {
      {"data.dataset", [](auto* s) { s->mutable_data()->set_dataset("../../etc/passwd"); }},
      {"data.dataset", [](auto* s) { s->mutable_data()->set_dataset("/etc/passwd"); }},
      {"data.dataset", [&](auto* s) { s->mutable_data()->set_dataset(nul); }},
      {"model.source", [](auto* s) { s->mutable_model()->set_source("../../../root/.ssh"); }},
      {"model.source", [&](auto* s) { s->mutable_model()->set_source(nul); }},
      {"data.train_file",
       [](auto* s) {
         s->mutable_data()->clear_dataset();
         s->mutable_data()->set_train_file("data/../../../etc/shadow");
       }},
      {"data.train_file",
       [&](auto* s) {
         s->mutable_data()->clear_dataset();
         s->mutable_data()->set_train_file("train.jsonl" + std::string(1, '\0') + ".csv");
       }},
  };
  for (const Case& c : cases) {
    ptune::v1::JobSpec spec = TestSpec();
    c.set(&spec);
    const grpc::Status status = SubmitSpec(spec);
    EXPECT_EQ(status.error_code(), StatusCode::INVALID_ARGUMENT) << c.field;
    EXPECT_NE(status.error_message().find(c.field), std::string::npos)
        << c.field << ": " << status.error_message();
  }
  const Job job = alpha_->MustSubmit("real");
  const std::vector<std::string> names = {"../../etc/passwd", "/etc/passwd", "adapter/../../x",
                                          std::string("checkpoint\0x", 12)};
  for (const std::string& name : names) {
    std::string data;
    const grpc::Status status = alpha_->Download(job.id(), name, &data);
    EXPECT_EQ(status.error_code(), StatusCode::INVALID_ARGUMENT) << name;
    EXPECT_NE(status.error_message().find("name"), std::string::npos) << status.error_message();
  }
  ExpectStillServing();
}

// Protobuf refuses invalid UTF-8 in proto3 strings while parsing the request, before
// the service sees it: the call fails (gRPC's code for an unparsable request, without the
// field's name: see docs/reliability.md), nothing is stored and the server goes on. The
// validator's own field-named UTF-8 errors are tested in tests/common.
TEST_F(HostileInputTest, InvalidUtf8InTextsAndLabelsIsRefusedAndNothingIsStored) {
  const std::string bad = "ok\xff";
  const std::vector<std::function<void(ptune::v1::SubmitJobRequest*)>> cases = {
      [&](auto* r) { r->mutable_spec()->set_name(bad); },
      [&](auto* r) { r->mutable_spec()->mutable_data()->add_labels(bad); },
      [&](auto* r) { (*r->mutable_spec()->mutable_data()->mutable_verbalizers())["pos"] = bad; },
      [&](auto* r) { r->mutable_spec()->mutable_prompt()->set_init_text(bad); },
      [&](auto* r) { (*r->mutable_labels())["team"] = bad; },
  };
  int i = 0;
  for (const auto& set : cases) {
    ptune::v1::SubmitJobRequest request;
    request.set_request_id("utf8-" + std::to_string(++i));
    *request.mutable_spec() = TestSpec();
    set(&request);
    ptune::v1::SubmitJobResponse response;
    const grpc::Status status = alpha_->Submit(request, &response);
    EXPECT_FALSE(status.ok()) << "case " << i << " accepted";
    EXPECT_NE(status.error_code(), StatusCode::UNAVAILABLE) << "case " << i;
  }
  ptune::v1::ListJobsResponse listed;
  ASSERT_TRUE(alpha_->List(ptune::v1::ListJobsRequest(), &listed).ok());
  EXPECT_EQ(listed.jobs_size(), 0) << "a job with invalid UTF-8 was stored";
}

}  // namespace
}  // namespace ptune::server::testing
