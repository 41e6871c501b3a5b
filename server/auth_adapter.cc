#include "server/auth_adapter.h"

#include "absl/strings/string_view.h"

namespace ptune::server {

absl::StatusOr<Principal> Authenticate(const Authenticator& auth,
                                       const grpc::CallbackServerContext& context) {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find("authorization");
  absl::string_view value;
  if (it != metadata.end()) value = absl::string_view(it->second.data(), it->second.size());
  return auth.Authenticate(value);
}

}  // namespace ptune::server
