#ifndef PTUNE_SERVER_AUTH_H_
#define PTUNE_SERVER_AUTH_H_

#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "server/caller.h"

namespace ptune::server {

// What a bearer token grants.
struct Principal {
  Caller caller;
  // May connect as a worker.
  bool worker = false;
};

// Bearer-token authentication from a tokens file, one grant per line:
//
//   # comment
//   <token> <tenant> [admin] [worker]
//
// `admin` sees and manages every tenant's jobs; `worker` may open the worker stream.
// Without a tokens file (insecure local mode) every caller is the admin of tenant
// "default" and may connect workers. Tokens are never logged.
class Authenticator {
 public:
  // The insecure local mode.
  Authenticator() = default;
  // Parses a tokens file; INVALID_ARGUMENT naming file:line for a malformed line,
  // NOT_FOUND when the file cannot be read.
  static absl::StatusOr<std::unique_ptr<Authenticator>> FromFile(const std::string& path);
  static absl::StatusOr<std::unique_ptr<Authenticator>> FromText(absl::string_view text,
                                                                 absl::string_view source);

  bool insecure() const { return tokens_.empty(); }
  // `authorization` is the request's "authorization" metadata ("Bearer <token>").
  // UNAUTHENTICATED when it is missing, malformed or unknown.
  absl::StatusOr<Principal> Authenticate(absl::string_view authorization) const;

 private:
  std::map<std::string, Principal, std::less<>> tokens_;
};

}  // namespace ptune::server

#endif  // PTUNE_SERVER_AUTH_H_
