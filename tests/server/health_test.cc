// The scheduler serves grpc.health.v1 on a real loopback port, and turns NOT_SERVING
// as soon as it starts draining (a load balancer's watch sees it before the drain ends).
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "grpc/health/v1/health.grpc.pb.h"
#include "server/scheduler_server.h"
#include "tests/server/test_harness.h"

namespace ptune::server::testing {
namespace {

using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;

std::shared_ptr<grpc::Channel> Loopback(int port) {
  return grpc::CreateChannel("127.0.0.1:" + std::to_string(port),
                             grpc::InsecureChannelCredentials());
}

HealthCheckResponse::ServingStatus Check(int port) {
  auto stub = grpc::health::v1::Health::NewStub(Loopback(port));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  HealthCheckResponse response;
  grpc::Status status = stub->Check(&context, HealthCheckRequest(), &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return response.status();
}

TEST(SchedulerHealth, ServingOnLoopback) {
  TempDir dir;
  auto server = SchedulerServer::Create(TestOptions(dir.path()));
  ASSERT_TRUE(server.ok()) << server.status();
  ASSERT_GT((*server)->port(), 0);
  EXPECT_EQ(Check((*server)->port()), HealthCheckResponse::SERVING);
}

TEST(SchedulerHealth, BindFailureIsAnError) {
  TempDir dir;
  SchedulerOptions options = TestOptions(dir.path());
  auto first = SchedulerServer::Create(options);
  ASSERT_TRUE(first.ok());
  options.listen_address = "127.0.0.1:" + std::to_string((*first)->port());
  options.store_path = dir.path() + "/second.db";
  auto second = SchedulerServer::Create(options);
  EXPECT_FALSE(second.ok());
}

// A health Watch open before shutdown receives NOT_SERVING while the scheduler is
// still draining: a worker stream holds the drain open (the grace is long), and only
// after the watcher saw NOT_SERVING does the worker go away and let Shutdown return.
TEST(SchedulerHealth, NotServingWhileDraining) {
  TempDir dir;
  SchedulerOptions options = TestOptions(dir.path());
  options.shutdown_grace = std::chrono::seconds(30);
  auto server = SchedulerServer::Create(options);
  ASSERT_TRUE(server.ok()) << server.status();
  FakeWorker worker((*server)->port(), "w-drain");
  ASSERT_TRUE(worker.Connect());

  auto health = grpc::health::v1::Health::NewStub(Loopback((*server)->port()));
  grpc::ClientContext watch_context;
  watch_context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  auto watch = health->Watch(&watch_context, HealthCheckRequest());
  HealthCheckResponse response;
  ASSERT_TRUE(watch->Read(&response));
  ASSERT_EQ(response.status(), HealthCheckResponse::SERVING);

  std::atomic<bool> shut_down{false};
  std::thread stopper([&] {
    (*server)->Shutdown();
    shut_down = true;
  });
  ASSERT_TRUE(watch->Read(&response)) << "the health watch ended without NOT_SERVING";
  EXPECT_EQ(response.status(), HealthCheckResponse::NOT_SERVING);
  // Still draining: the worker was told to drain and its stream keeps Shutdown waiting.
  EXPECT_TRUE(worker.Expect(ptune::v1::SchedulerMessage::kDrain).has_value());
  EXPECT_FALSE(shut_down.load()) << "Shutdown returned before the drain ended";

  watch_context.TryCancel();
  worker.Crash();
  stopper.join();
  EXPECT_TRUE(shut_down.load());
}

}  // namespace
}  // namespace ptune::server::testing
