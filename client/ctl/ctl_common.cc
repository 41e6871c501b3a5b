#include "client/ctl/ctl_common.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "client/ctl/exit_codes.h"
#include "google/protobuf/util/json_util.h"

namespace ptune::ctl {

namespace v1 = ::ptune::v1;

absl::StatusOr<std::unique_ptr<client::Client>> CtlContext::Connect() const {
  return client::Client::Create(connect);
}

int CtlContext::Fail(const absl::Status& status) const {
  *err << "ptunectl: " << status.message() << "\n";
  return ExitCodeFor(status);
}

absl::StatusOr<std::map<std::string, std::string>> ParseLabels(
    const std::vector<std::string>& items) {
  std::map<std::string, std::string> labels;
  for (const std::string& item : items) {
    size_t eq = item.find('=');
    if (eq == std::string::npos || eq == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("--label \"", item, "\": expected key=value, e.g. --label team=nlp"));
    }
    labels[item.substr(0, eq)] = item.substr(eq + 1);
  }
  return labels;
}

absl::StatusOr<std::vector<v1::JobState>> ParseStates(const std::vector<std::string>& names) {
  std::vector<v1::JobState> states;
  for (const std::string& name : names) {
    v1::JobState state;
    std::string upper = absl::AsciiStrToUpper(name);
    if (!v1::JobState_Parse("JOB_STATE_" + upper, &state) && !v1::JobState_Parse(upper, &state)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--state \"", name, "\": expected queued, running, succeeded, failed or cancelled"));
    }
    states.push_back(state);
  }
  return states;
}

std::string ToJson(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  std::string json;
  // Printing a valid message cannot fail.
  (void)google::protobuf::util::MessageToJsonString(message, &json, options);
  return json;
}

bool InteractiveTerminal() {
  if (!isatty(STDOUT_FILENO)) return false;
  const char* ci = std::getenv("CI");
  if (ci != nullptr && *ci != '\0' && absl::AsciiStrToLower(ci) != "false") return false;
  const char* term = std::getenv("TERM");
  return term == nullptr || std::string(term) != "dumb";
}

int TerminalWidth() {
  winsize size{};
  if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) {
    return size.ws_col;
  }
  int columns = 0;
  const char* env = std::getenv("COLUMNS");
  if (env != nullptr && absl::SimpleAtoi(env, &columns) && columns > 0) return columns;
  return 80;
}

}  // namespace ptune::ctl
