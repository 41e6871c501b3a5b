#ifndef PTUNE_SERVER_AUTH_ADAPTER_H_
#define PTUNE_SERVER_AUTH_ADAPTER_H_

#include <grpcpp/grpcpp.h>

#include "absl/status/statusor.h"
#include "server/auth.h"

namespace ptune::server {

// Resolves a gRPC call's "authorization" metadata to a principal with `auth`
// (UNAUTHENTICATED when missing or invalid). The one place the services read tokens.
absl::StatusOr<Principal> Authenticate(const Authenticator& auth,
                                       const grpc::CallbackServerContext& context);

}  // namespace ptune::server

#endif  // PTUNE_SERVER_AUTH_ADAPTER_H_
