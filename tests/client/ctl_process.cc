#include "tests/client/ctl_process.h"

#include <chrono>
#include <optional>

namespace ptune::client::testing {
namespace {

constexpr std::chrono::minutes kCtlTimeout{2};

support::ChildOptions CtlOptions(const std::vector<std::string>& args,
                                 const std::map<std::string, std::string>& env) {
  support::ChildOptions options;
  options.argv = {CtlPath()};
  options.argv.insert(options.argv.end(), args.begin(), args.end());
  options.env = {{"CI", ""}, {"PTUNE_TOKEN", ""}, {"PTUNE_SERVER", ""}};
  for (const auto& [key, value] : env) options.env[key] = value;
  return options;
}

}  // namespace

std::string CtlPath() { return PTUNECTL_PATH; }

CtlProcess::CtlProcess(const std::vector<std::string>& args,
                       const std::map<std::string, std::string>& env)
    : child_(CtlOptions(args, env)) {}

CtlResult CtlProcess::Wait() {
  CtlResult result;
  const std::optional<int> status = child_.Wait(kCtlTimeout);
  if (status) result.exit_code = support::ExitCode(*status);
  result.out = child_.Stdout();
  result.err = child_.Stderr();
  return result;
}

CtlResult RunCtl(const std::vector<std::string>& args,
                 const std::map<std::string, std::string>& env) {
  return support::RunCommand(CtlOptions(args, env), kCtlTimeout);
}

}  // namespace ptune::client::testing
