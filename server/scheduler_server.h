#ifndef PTUNE_SERVER_SCHEDULER_SERVER_H_
#define PTUNE_SERVER_SCHEDULER_SERVER_H_

#include <chrono>
#include <memory>
#include <mutex>
#include <string>

#include "absl/status/statusor.h"
#include "server/job_manager.h"

namespace grpc {
class Server;
}

namespace ptune::server {

class Authenticator;
class EventHub;
class JobServiceImpl;
class RpcMetricsInterceptorFactory;
class SchedulerMetrics;
class SqliteJobStore;
class WorkerServiceImpl;

struct TlsOptions {
  // PEM server certificate chain and key; both empty: plaintext (insecure local mode).
  std::string cert_file;
  std::string key_file;
  // PEM CA that signs worker client certificates; set: mTLS is required of workers
  // (clients may still connect without a certificate and use bearer tokens).
  std::string client_ca_file;
};

struct SchedulerOptions {
  // gRPC listen address; port 0 picks a free port (see SchedulerServer::port()).
  std::string listen_address = "0.0.0.0:50051";
  // Prometheus /metrics address (host:port, port 0 picks one); empty: not served.
  std::string metrics_address;
  // SQLite database file (created when missing).
  std::string store_path = "ptune-scheduler.db";
  // fsync each store commit; off only for throwaway benchmarks.
  bool durable_store = true;
  // Bearer tokens (see auth.h); empty: insecure local mode, every caller is admin.
  std::string tokens_file;
  TlsOptions tls;
  JobManagerOptions manager;
  // Events buffered per watcher before it is caught up from the store instead.
  size_t watcher_buffer = 4096;
  // How long Shutdown lets in-flight calls and streams finish before cancelling them.
  std::chrono::milliseconds shutdown_grace{5000};
};

// The running scheduler: store, job manager, the job and worker services, health,
// reflection and /metrics. Destruction shuts it down (health turns NOT_SERVING first).
class SchedulerServer {
 public:
  // Opens the store (restoring every job), binds and starts serving. UNAVAILABLE when an
  // address cannot be bound; the store's and the tokens/TLS files' errors otherwise.
  static absl::StatusOr<std::unique_ptr<SchedulerServer>> Create(const SchedulerOptions& options);
  ~SchedulerServer();

  SchedulerServer(const SchedulerServer&) = delete;
  SchedulerServer& operator=(const SchedulerServer&) = delete;

  // The bound gRPC port (useful with port 0).
  int port() const { return port_; }
  // The bound metrics port, 0 when not served.
  int metrics_port() const;
  bool insecure() const;
  // Blocks until Shutdown() is called from another thread.
  void Wait();
  // Marks NOT_SERVING, tells workers to drain, stops accepting calls, waits up to the
  // grace period for in-flight ones, then flushes the store. Idempotent.
  void Shutdown();

  JobManager* manager() { return manager_.get(); }
  SchedulerMetrics* metrics() { return metrics_.get(); }

 private:
  SchedulerServer();

  std::chrono::milliseconds shutdown_grace_{0};
  std::unique_ptr<SchedulerMetrics> metrics_;
  std::unique_ptr<SqliteJobStore> store_;
  std::unique_ptr<EventHub> hub_;
  std::unique_ptr<Authenticator> auth_;
  std::unique_ptr<JobManager> manager_;
  std::unique_ptr<JobServiceImpl> job_service_;
  std::unique_ptr<WorkerServiceImpl> worker_service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  std::mutex shutdown_mu_;
  bool shut_down_ = false;
};

}  // namespace ptune::server

#endif  // PTUNE_SERVER_SCHEDULER_SERVER_H_
