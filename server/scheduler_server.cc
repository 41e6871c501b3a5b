#include "server/scheduler_server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace ptune::server {

absl::StatusOr<std::unique_ptr<SchedulerServer>> SchedulerServer::Create(
    const SchedulerOptions& options) {
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  // Without this, gRPC sets SO_REUSEPORT and a second scheduler on the same port would
  // silently share it instead of failing.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  int port = 0;
  builder.AddListeningPort(options.listen_address, grpc::InsecureServerCredentials(), &port);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", options.listen_address, " (address in use?)"));
  }
  server->GetHealthCheckService()->SetServingStatus(true);
  return std::unique_ptr<SchedulerServer>(new SchedulerServer(std::move(server), port));
}

SchedulerServer::SchedulerServer(std::unique_ptr<grpc::Server> server, int port)
    : server_(std::move(server)), port_(port) {}

SchedulerServer::~SchedulerServer() { Shutdown(); }

void SchedulerServer::Wait() { server_->Wait(); }

void SchedulerServer::Shutdown() {
  server_->GetHealthCheckService()->SetServingStatus(false);
  server_->Shutdown();
}

}  // namespace ptune::server
