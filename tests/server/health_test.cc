// The scheduler serves grpc.health.v1 on a real loopback port.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "grpc/health/v1/health.grpc.pb.h"
#include "server/scheduler_server.h"

namespace {

using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;

HealthCheckResponse::ServingStatus Check(int port) {
  auto channel =
      grpc::CreateChannel("127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials());
  auto stub = grpc::health::v1::Health::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  HealthCheckResponse response;
  grpc::Status status = stub->Check(&context, HealthCheckRequest(), &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return response.status();
}

// A store file of this test process in the test temp dir.
std::string StorePath(const std::string& name) {
  return ::testing::TempDir() + "/ptune-health-" + std::to_string(getpid()) + "-" + name + ".db";
}

TEST(SchedulerHealth, ServingOnLoopback) {
  ptune::server::SchedulerOptions options;
  options.listen_address = "127.0.0.1:0";
  options.store_path = StorePath("serving");
  auto server = ptune::server::SchedulerServer::Create(options);
  ASSERT_TRUE(server.ok()) << server.status();
  ASSERT_GT((*server)->port(), 0);
  EXPECT_EQ(Check((*server)->port()), HealthCheckResponse::SERVING);
}

TEST(SchedulerHealth, BindFailureIsAnError) {
  ptune::server::SchedulerOptions options;
  options.listen_address = "127.0.0.1:0";
  options.store_path = StorePath("bind");
  auto first = ptune::server::SchedulerServer::Create(options);
  ASSERT_TRUE(first.ok());
  options.listen_address = "127.0.0.1:" + std::to_string((*first)->port());
  auto second = ptune::server::SchedulerServer::Create(options);
  EXPECT_FALSE(second.ok());
}

}  // namespace
