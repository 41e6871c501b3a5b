#include "server/scheduler_server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/file_io.h"
#include "server/auth.h"
#include "server/event_hub.h"
#include "server/job_service.h"
#include "server/metrics.h"
#include "server/rpc_metrics.h"
#include "server/store/sqlite_job_store.h"
#include "server/worker_service.h"

namespace ptune::server {
namespace {

absl::StatusOr<std::string> ReadPem(const std::string& path, absl::string_view flag) {
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) {
    return absl::Status(text.status().code(), absl::StrCat(flag, ": ", text.status().message()));
  }
  if (text->find("-----BEGIN") == std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat(flag, ": ", path, " is not PEM"));
  }
  return text;
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> Credentials(const TlsOptions& tls) {
  if (tls.cert_file.empty() && tls.key_file.empty()) {
    if (!tls.client_ca_file.empty()) {
      return absl::InvalidArgumentError("tls-client-ca: needs --tls-cert and --tls-key");
    }
    return grpc::InsecureServerCredentials();
  }
  if (tls.cert_file.empty() || tls.key_file.empty()) {
    return absl::InvalidArgumentError("tls-cert/tls-key: give both or neither");
  }
  absl::StatusOr<std::string> cert = ReadPem(tls.cert_file, "tls-cert");
  if (!cert.ok()) return cert.status();
  absl::StatusOr<std::string> key = ReadPem(tls.key_file, "tls-key");
  if (!key.ok()) return key.status();
  grpc::SslServerCredentialsOptions ssl;
  ssl.pem_key_cert_pairs.push_back({*key, *cert});
  if (!tls.client_ca_file.empty()) {
    absl::StatusOr<std::string> ca = ReadPem(tls.client_ca_file, "tls-client-ca");
    if (!ca.ok()) return ca.status();
    ssl.pem_root_certs = *ca;
    // Verified when presented; the worker service insists on it, the job API does not.
    ssl.client_certificate_request = GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY;
  }
  return grpc::SslServerCredentials(ssl);
}

}  // namespace

SchedulerServer::SchedulerServer() = default;

absl::StatusOr<std::unique_ptr<SchedulerServer>> SchedulerServer::Create(
    const SchedulerOptions& options) {
  std::unique_ptr<SchedulerServer> s(new SchedulerServer());
  s->shutdown_grace_ = options.shutdown_grace;
  s->metrics_ = std::make_unique<SchedulerMetrics>();
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> credentials = Credentials(options.tls);
  if (!credentials.ok()) return credentials.status();
  if (options.tokens_file.empty()) {
    s->auth_ = std::make_unique<Authenticator>();
  } else {
    absl::StatusOr<std::unique_ptr<Authenticator>> auth =
        Authenticator::FromFile(options.tokens_file);
    if (!auth.ok()) return auth.status();
    s->auth_ = *std::move(auth);
  }
  absl::StatusOr<std::unique_ptr<SqliteJobStore>> store =
      SqliteJobStore::Create({options.store_path, options.durable_store});
  if (!store.ok()) return store.status();
  s->store_ = *std::move(store);
  s->hub_ = std::make_unique<EventHub>(options.watcher_buffer);
  absl::StatusOr<std::unique_ptr<JobManager>> manager =
      JobManager::Create(options.manager, s->store_.get(), s->hub_.get(), s->metrics_.get());
  if (!manager.ok()) return manager.status();
  s->manager_ = *std::move(manager);
  s->job_service_ = std::make_unique<JobServiceImpl>(
      s->manager_.get(), s->store_.get(), s->hub_.get(), s->auth_.get(), s->metrics_.get());
  s->worker_service_ = std::make_unique<WorkerServiceImpl>(s->manager_.get(), s->auth_.get(),
                                                           !options.tls.client_ca_file.empty());
  if (!options.metrics_address.empty()) {
    if (absl::Status status = s->metrics_->Serve(options.metrics_address); !status.ok()) {
      return status;
    }
  }

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  // Without this, gRPC sets SO_REUSEPORT and a second scheduler on the same port would
  // silently share it instead of failing.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  // Workers and watchers hold long streams; let their keepalive pings through.
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 10000);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES, 0);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder.SetMaxReceiveMessageSize(64 << 20);
  builder.SetMaxSendMessageSize(512 << 20);
  builder.AddListeningPort(options.listen_address, *credentials, &s->port_);
  builder.RegisterService(s->job_service_.get());
  builder.RegisterService(s->worker_service_.get());
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> factories;
  factories.push_back(std::make_unique<RpcMetricsInterceptorFactory>(s->metrics_.get()));
  builder.experimental().SetInterceptorCreators(std::move(factories));
  s->server_ = builder.BuildAndStart();
  if (s->server_ == nullptr || s->port_ == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", options.listen_address, " (address in use?)"));
  }
  s->server_->GetHealthCheckService()->SetServingStatus(true);
  return s;
}

SchedulerServer::~SchedulerServer() {
  Shutdown();
  // The services and the manager go before the store (members in reverse order).
}

int SchedulerServer::metrics_port() const { return metrics_->port(); }

bool SchedulerServer::insecure() const { return auth_->insecure(); }

void SchedulerServer::Wait() {
  if (server_ != nullptr) server_->Wait();
}

void SchedulerServer::Shutdown() {
  std::lock_guard<std::mutex> lock(shutdown_mu_);
  if (shut_down_ || server_ == nullptr) return;
  shut_down_ = true;
  server_->GetHealthCheckService()->SetServingStatus(false);
  manager_->Drain("scheduler shutting down");
  server_->Shutdown(std::chrono::system_clock::now() + shutdown_grace_);
  store_->Flush();
}

}  // namespace ptune::server
