#ifndef PTUNE_COMMON_LOG_H_
#define PTUNE_COMMON_LOG_H_

// The daemons' log (ptune-scheduler, ptune-worker): one logfmt line per event on stderr,
// so both read the same way and a log collector parses them with one rule.

#include <string>
#include <utility>
#include <vector>

namespace ptune {

// Writes one structured log line to stderr as logfmt:
//   time=2026-11-22T14:00:00.123Z level=info msg="listening" port=50051
// Values are quoted when needed. Never pass secrets (tokens, keys) as fields.
void Log(const std::string& level, const std::string& message,
         const std::vector<std::pair<std::string, std::string>>& fields);

}  // namespace ptune

#endif  // PTUNE_COMMON_LOG_H_
