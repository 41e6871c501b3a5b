#ifndef PTUNE_SERVER_SCHEDULER_SERVER_H_
#define PTUNE_SERVER_SCHEDULER_SERVER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace grpc {
class Server;
}

namespace ptune::server {

struct SchedulerOptions {
  // gRPC listen address; port 0 picks a free port (see SchedulerServer::port()).
  std::string listen_address = "0.0.0.0:50051";
};

// The running scheduler: a gRPC server with the job and worker services, health and
// reflection. Destruction shuts it down (health turns NOT_SERVING first).
class SchedulerServer {
 public:
  // Binds and starts serving. Fails with UNAVAILABLE when the address cannot be bound.
  static absl::StatusOr<std::unique_ptr<SchedulerServer>> Create(const SchedulerOptions& options);
  ~SchedulerServer();

  SchedulerServer(const SchedulerServer&) = delete;
  SchedulerServer& operator=(const SchedulerServer&) = delete;

  // The bound port (useful with port 0).
  int port() const { return port_; }
  // Blocks until Shutdown() is called from another thread.
  void Wait();
  // Marks NOT_SERVING, stops accepting calls and waits for in-flight ones.
  void Shutdown();

 private:
  SchedulerServer(std::unique_ptr<grpc::Server> server, int port);

  std::unique_ptr<grpc::Server> server_;
  const int port_;
};

}  // namespace ptune::server

#endif  // PTUNE_SERVER_SCHEDULER_SERVER_H_
