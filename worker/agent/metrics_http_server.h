#ifndef PTUNE_WORKER_AGENT_METRICS_HTTP_SERVER_H_
#define PTUNE_WORKER_AGENT_METRICS_HTTP_SERVER_H_

// A minimal HTTP/1.0 server for the worker's Prometheus `/metrics` endpoint.
//
// Why not prometheus::Exposer: Debian's CivetWeb creates its threads with a fixed 100 KiB
// stack (USE_STACK_SIZE=102400), and glibc carves the static TLS of every loaded library
// out of each thread stack. A LibTorch-linked process has ~110 KiB of static TLS, so
// pthread_create fails with EINVAL and the Exposer throws "null context when constructing
// CivetServer". This server uses a std::thread (default stack) instead.

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"

namespace ptune::agent {

class MetricsHttpServer {
 public:
  // Listens on `listen` ("host:port"; host is an IPv4 address, "localhost", or empty/"*"
  // for all interfaces; port 0 picks a free port). GET /metrics answers 200 with
  // `body()`; any other path 404. INVALID_ARGUMENT for a malformed address, UNAVAILABLE
  // when it cannot be bound. `body` must stay callable until the server is destroyed.
  static absl::StatusOr<std::unique_ptr<MetricsHttpServer>> Create(
      const std::string& listen, std::function<std::string()> body);
  // Stops accepting and joins the serving thread.
  ~MetricsHttpServer();
  MetricsHttpServer(const MetricsHttpServer&) = delete;
  MetricsHttpServer& operator=(const MetricsHttpServer&) = delete;

  // The bound port.
  int port() const { return port_; }

 private:
  MetricsHttpServer(int fd, int port, std::function<std::string()> body);
  void Serve();
  void Answer(int connection) const;

  const int fd_;
  const int port_;
  const std::function<std::string()> body_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace ptune::agent

#endif  // PTUNE_WORKER_AGENT_METRICS_HTTP_SERVER_H_
