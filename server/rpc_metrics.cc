#include "server/rpc_metrics.h"

#include <chrono>
#include <string>

#include "absl/strings/ascii.h"

namespace ptune::server {
namespace {

using grpc::experimental::InterceptionHookPoints;

// "/ptune.v1.JobService/SubmitJob" → "ptune.v1.JobService/SubmitJob".
std::string MethodLabel(const char* method) {
  std::string name = method == nullptr ? "unknown" : method;
  if (!name.empty() && name.front() == '/') name.erase(0, 1);
  return name;
}

std::string CodeLabel(grpc::StatusCode code) {
  static constexpr const char* kNames[] = {"OK",
                                           "CANCELLED",
                                           "UNKNOWN",
                                           "INVALID_ARGUMENT",
                                           "DEADLINE_EXCEEDED",
                                           "NOT_FOUND",
                                           "ALREADY_EXISTS",
                                           "PERMISSION_DENIED",
                                           "RESOURCE_EXHAUSTED",
                                           "FAILED_PRECONDITION",
                                           "ABORTED",
                                           "OUT_OF_RANGE",
                                           "UNIMPLEMENTED",
                                           "INTERNAL",
                                           "UNAVAILABLE",
                                           "DATA_LOSS",
                                           "UNAUTHENTICATED"};
  const int index = static_cast<int>(code);
  return index >= 0 && index < 17 ? kNames[index] : "UNKNOWN";
}

class RpcMetricsInterceptor final : public grpc::experimental::Interceptor {
 public:
  RpcMetricsInterceptor(SchedulerMetrics* metrics, std::string method)
      : metrics_(metrics), method_(std::move(method)) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      const double seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
      metrics_->Rpc(method_, CodeLabel(methods->GetSendStatus().error_code()), seconds);
    }
    methods->Proceed();
  }

 private:
  SchedulerMetrics* const metrics_;
  const std::string method_;
  const std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

}  // namespace

grpc::experimental::Interceptor* RpcMetricsInterceptorFactory::CreateServerInterceptor(
    grpc::experimental::ServerRpcInfo* info) {
  return new RpcMetricsInterceptor(metrics_, MethodLabel(info->method()));
}

}  // namespace ptune::server
