// Runs the real ptunectl binary as a child process (tests/support/child_process.h) and
// collects its output and exit code.
#ifndef PTUNE_TESTS_CLIENT_CTL_PROCESS_H_
#define PTUNE_TESTS_CLIENT_CTL_PROCESS_H_

#include <map>
#include <string>
#include <vector>

#include "tests/support/child_process.h"

namespace ptune::client::testing {

// exit_code is -1 when ptunectl ran past the timeout (it is then killed).
using CtlResult = support::CommandResult;

// A started ptunectl process: stdout and stderr to files, stdin from /dev/null, no
// terminal, and $CI, $PTUNE_TOKEN and $PTUNE_SERVER unset so the caller's shell never
// changes what a test sees.
class CtlProcess {
 public:
  // `env` entries are set in the child on top of that (an empty value unsets).
  CtlProcess(const std::vector<std::string>& args, const std::map<std::string, std::string>& env);

  // Waits (at most two minutes) for the exit and returns what it printed.
  CtlResult Wait();
  // What it printed to stdout so far.
  std::string OutSoFar() const { return child_.Stdout(); }

 private:
  support::ChildProcess child_;
};

// Runs ptunectl to completion.
CtlResult RunCtl(const std::vector<std::string>& args,
                 const std::map<std::string, std::string>& env = {});

// The path of the ptunectl binary under test.
std::string CtlPath();

}  // namespace ptune::client::testing

#endif  // PTUNE_TESTS_CLIENT_CTL_PROCESS_H_
