// The worker's /metrics endpoint, scraped over a real loopback socket. This binary links
// LibTorch (through ptune_worker_agent), whose static TLS made CivetWeb's 100 KiB thread
// stacks unusable: prometheus::Exposer failed with "null context when constructing
// CivetServer" here while it worked in the torch-free scheduler.
#include "worker/agent/worker_metrics.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

namespace ptune::agent {
namespace {

// Sends `path` as an HTTP/1.0 GET to the loopback port; the whole response ("" if no
// connection).
std::string HttpGet(int port, const std::string& path) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return "";
  }
  const std::string request = "GET " + path + " HTTP/1.0\r\nHost: localhost\r\n\r\n";
  EXPECT_EQ(write(fd, request.data(), request.size()), static_cast<ssize_t>(request.size()));
  std::string response;
  char buffer[4096];
  for (ssize_t n; (n = read(fd, buffer, sizeof(buffer))) > 0;) response.append(buffer, n);
  close(fd);
  return response;
}

TEST(WorkerMetrics, ServesTheCurrentJobGaugesOnAKernelChosenPort) {
  auto metrics = WorkerMetrics::Create("w9", "127.0.0.1:0");
  ASSERT_TRUE(metrics.ok()) << metrics.status();
  ASSERT_GT((*metrics)->port(), 0);
  v1::JobEvent event;
  event.mutable_step()->set_step(7);
  event.mutable_step()->set_loss(0.25);
  (*metrics)->ObserveEvent(event);
  const std::string response = HttpGet((*metrics)->port(), "/metrics");
  EXPECT_EQ(response.rfind("HTTP/1.0 200 OK\r\n", 0), 0u) << response;
  EXPECT_NE(response.find("ptune_worker_job_loss{worker=\"w9\"} 0.25"), std::string::npos)
      << response;
  EXPECT_NE(response.find("ptune_worker_job_step{worker=\"w9\"} 7"), std::string::npos) << response;
}

TEST(WorkerMetrics, AnswersOtherPathsWith404) {
  auto metrics = WorkerMetrics::Create("w9", "127.0.0.1:0");
  ASSERT_TRUE(metrics.ok()) << metrics.status();
  EXPECT_EQ(HttpGet((*metrics)->port(), "/").rfind("HTTP/1.0 404", 0), 0u);
}

TEST(WorkerMetrics, RejectsAMalformedListenAddress) {
  EXPECT_EQ(WorkerMetrics::Create("w9", "no-port").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(WorkerMetrics::Create("w9", "not-an-ip:9100").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(WorkerMetrics, ReportsAPortThatIsAlreadyTaken) {
  auto first = WorkerMetrics::Create("w9", "127.0.0.1:0");
  ASSERT_TRUE(first.ok()) << first.status();
  const std::string taken = "127.0.0.1:" + std::to_string((*first)->port());
  EXPECT_EQ(WorkerMetrics::Create("w9", taken).status().code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace ptune::agent
