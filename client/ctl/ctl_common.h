#ifndef PTUNE_CLIENT_CTL_CTL_COMMON_H_
#define PTUNE_CLIENT_CTL_CTL_COMMON_H_

#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "client/ptune_client.h"
#include "google/protobuf/message.h"

namespace ptune::ctl {

// What every command gets: the connection flags, where to print, and where to leave
// its exit code (CLI11 callbacks cannot return one).
struct CtlContext {
  client::ConnectOptions connect;
  std::ostream* out = &std::cout;
  std::ostream* err = &std::cerr;
  int exit_code = 0;

  absl::StatusOr<std::unique_ptr<client::Client>> Connect() const;
  // Prints "ptunectl: <message>" to err and returns the matching exit code.
  int Fail(const absl::Status& status) const;
};

// Parses "key=value" items (from --label); INVALID_ARGUMENT naming the bad item.
absl::StatusOr<std::map<std::string, std::string>> ParseLabels(
    const std::vector<std::string>& items);

// Parses job states by short name in any case ("running", "Succeeded").
absl::StatusOr<std::vector<ptune::v1::JobState>> ParseStates(const std::vector<std::string>& names);

// `message` in the protobuf JSON mapping, indented, proto field names, defaults shown.
std::string ToJson(const google::protobuf::Message& message);

// True when stdout is an interactive terminal and not a CI run ($CI unset or "false"),
// and $TERM is not "dumb": the live view is used only then.
bool InteractiveTerminal();
// Columns of the terminal on stdout ($COLUMNS, else 80, when not a terminal).
int TerminalWidth();

}  // namespace ptune::ctl

#endif  // PTUNE_CLIENT_CTL_CTL_COMMON_H_
