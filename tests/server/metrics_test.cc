// /metrics over real HTTP: names, labels and that the counters move.
#include "server/metrics.h"

#include <gtest/gtest.h>

#include "tests/server/http_get.h"
#include "tests/server/test_harness.h"

namespace ptune::server::testing {
namespace {

TEST(SchedulerMetrics, ServedOverHttpWithPtuneNames) {
  TempDir dir;
  SchedulerOptions options = TestOptions(dir.path());
  options.metrics_address = "127.0.0.1:0";
  auto server = SchedulerServer::Create(options);
  ASSERT_TRUE(server.ok()) << server.status();
  ASSERT_GT((*server)->metrics_port(), 0);
  Client client((*server)->port());
  ptune::v1::Job job = client.MustSubmit("metrics-1");
  FakeWorker worker((*server)->port(), "w1");
  ASSERT_TRUE(worker.Connect());
  ASSERT_TRUE(worker.Expect(ptune::v1::SchedulerMessage::kAssignment));
  worker.Telemetry(job.id(), 1, 1, {StepEvent(1), StepEvent(2)});
  ASSERT_TRUE(worker.ExpectAck(job.id(), 2));
  worker.Finish(job.id(), 1, ptune::v1::JobFinished::RESULT_SUCCEEDED, 2);
  client.WaitFor(job.id(), [](const ptune::v1::Job& j) {
    return j.state() == ptune::v1::JOB_STATE_SUCCEEDED;
  });
  ptune::v1::Job missing;
  EXPECT_FALSE(client.Get("job-999", &missing).ok());

  const HttpResponse scraped = HttpGet((*server)->metrics_port(), "/metrics");
  ASSERT_EQ(scraped.status, 200);
  const std::string& text = scraped.body;
  ASSERT_FALSE(text.empty());
  for (const char* expected : {
           "ptune_jobs_submitted_total 1",
           "ptune_jobs_finished_total{result=\"succeeded\"} 1",
           "ptune_job_duration_seconds_count{result=\"succeeded\"} 1",
           "ptune_queue_wait_seconds_count 1",
           "ptune_queue_depth{priority=\"0\"} 0",
           "ptune_workers{state=\"idle\"} 1",
           "ptune_events_ingested_total 5",  // QUEUED, RUNNING, 2 steps, SUCCEEDED
           "ptune_watch_streams 0",
           "ptune_store_write_seconds_bucket",
           "ptune_grpc_requests_total{code=\"OK\",method=\"ptune.v1.JobService/SubmitJob\"} 1",
           "ptune_grpc_requests_total{code=\"NOT_FOUND\",method=\"ptune.v1.JobService/GetJob\"} 1",
           "ptune_grpc_request_duration_seconds_bucket{method=\"ptune.v1.JobService/SubmitJob\"",
       }) {
    EXPECT_NE(text.find(expected), std::string::npos) << expected << "\n" << text;
  }
  // No job ids as labels (unbounded cardinality).
  EXPECT_EQ(text.find(job.id()), std::string::npos);
}

}  // namespace
}  // namespace ptune::server::testing
