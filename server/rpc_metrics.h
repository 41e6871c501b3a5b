#ifndef PTUNE_SERVER_RPC_METRICS_H_
#define PTUNE_SERVER_RPC_METRICS_H_

#include <grpcpp/support/server_interceptor.h>

#include "server/metrics.h"

namespace ptune::server {

// Counts every gRPC call by method and status code and records its duration (a stream's
// lasts until its status is sent), for ptune_grpc_requests_total and
// ptune_grpc_request_duration_seconds.
class RpcMetricsInterceptorFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit RpcMetricsInterceptorFactory(SchedulerMetrics* metrics) : metrics_(metrics) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override;

 private:
  SchedulerMetrics* const metrics_;  // not owned
};

}  // namespace ptune::server

#endif  // PTUNE_SERVER_RPC_METRICS_H_
