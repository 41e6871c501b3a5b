#ifndef PTUNE_SERVER_GRPC_STATUS_H_
#define PTUNE_SERVER_GRPC_STATUS_H_

#include <grpcpp/support/status.h>

#include <string>

#include "absl/status/status.h"

namespace ptune::server {

// The one mapping from the core's absl::Status to the wire (the codes are the same
// numbers by design of both libraries).
inline grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

}  // namespace ptune::server

#endif  // PTUNE_SERVER_GRPC_STATUS_H_
