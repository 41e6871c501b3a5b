#ifndef PTUNE_SERVER_LOG_H_
#define PTUNE_SERVER_LOG_H_

#include <string>
#include <utility>
#include <vector>

namespace ptune::server {

// Writes one structured log line to stderr as logfmt:
//   time=2026-11-22T14:00:00.123Z level=info msg="listening" port=50051
// Values are quoted when needed. Never pass secrets (tokens, keys) as fields.
void Log(const std::string& level, const std::string& message,
         const std::vector<std::pair<std::string, std::string>>& fields);

}  // namespace ptune::server

#endif  // PTUNE_SERVER_LOG_H_
