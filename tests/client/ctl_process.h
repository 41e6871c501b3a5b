// Runs the real ptunectl binary as a child process and collects its output and exit code.
#ifndef PTUNE_TESTS_CLIENT_CTL_PROCESS_H_
#define PTUNE_TESTS_CLIENT_CTL_PROCESS_H_

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

namespace ptune::client::testing {

struct CtlResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// A started ptunectl process (stdout/stderr to files, no terminal, $CI unset).
class CtlProcess {
 public:
  // `env` entries are set in the child (an empty value unsets the variable).
  CtlProcess(const std::vector<std::string>& args, const std::map<std::string, std::string>& env);
  ~CtlProcess();
  CtlProcess(const CtlProcess&) = delete;
  CtlProcess& operator=(const CtlProcess&) = delete;

  // Waits for the exit and returns what it printed.
  CtlResult Wait();
  // What it printed to stdout so far.
  std::string OutSoFar() const;

 private:
  pid_t pid_ = -1;
  std::string out_path_;
  std::string err_path_;
  bool waited_ = false;
};

// Runs ptunectl to completion.
CtlResult RunCtl(const std::vector<std::string>& args,
                 const std::map<std::string, std::string>& env = {});

// The path of the ptunectl binary under test.
std::string CtlPath();

}  // namespace ptune::client::testing

#endif  // PTUNE_TESTS_CLIENT_CTL_PROCESS_H_
