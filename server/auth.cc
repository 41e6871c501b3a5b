#include "server/auth.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "common/file_io.h"

namespace ptune::server {

absl::StatusOr<std::unique_ptr<Authenticator>> Authenticator::FromFile(const std::string& path) {
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) {
    return absl::Status(text.status().code(),
                        absl::StrCat("tokens file ", text.status().message()));
  }
  return FromText(*text, path);
}

absl::StatusOr<std::unique_ptr<Authenticator>> Authenticator::FromText(absl::string_view text,
                                                                       absl::string_view source) {
  auto auth = std::make_unique<Authenticator>();
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line.front() == '#') continue;
    std::vector<absl::string_view> words = absl::StrSplit(line, ' ', absl::SkipWhitespace());
    const std::string where = absl::StrCat(source, ":", line_number);
    if (words.size() < 2) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": expected \"<token> <tenant> [admin] [worker]\""));
    }
    Principal principal;
    principal.caller.tenant = std::string(words[1]);
    for (size_t i = 2; i < words.size(); ++i) {
      if (words[i] == "admin") {
        principal.caller.admin = true;
      } else if (words[i] == "worker") {
        principal.worker = true;
      } else {
        return absl::InvalidArgumentError(
            absl::StrCat(where, ": unknown role \"", words[i], "\" (expected admin or worker)"));
      }
    }
    // The token itself is never echoed, not even in errors.
    if (!auth->tokens_.emplace(std::string(words[0]), principal).second) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": duplicate token"));
    }
  }
  if (auth->tokens_.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": no tokens"));
  }
  return auth;
}

absl::StatusOr<Principal> Authenticator::Authenticate(absl::string_view authorization) const {
  if (insecure()) {
    Principal principal;
    principal.caller.admin = true;
    principal.worker = true;
    return principal;
  }
  constexpr absl::string_view kBearer = "Bearer ";
  if (authorization.empty()) {
    return absl::UnauthenticatedError("missing \"authorization: Bearer <token>\" metadata");
  }
  if (!absl::StartsWithIgnoreCase(authorization, kBearer)) {
    return absl::UnauthenticatedError("authorization metadata must be \"Bearer <token>\"");
  }
  auto it = tokens_.find(absl::StripAsciiWhitespace(authorization.substr(kBearer.size())));
  if (it == tokens_.end()) return absl::UnauthenticatedError("unknown bearer token");
  return it->second;
}

}  // namespace ptune::server
