#ifndef PTUNE_TESTS_E2E_CHILD_PROCESS_H_
#define PTUNE_TESTS_E2E_CHILD_PROCESS_H_

// A child process for end-to-end tests: started with argv, stdout+stderr to a log file,
// signalled and reaped by the test. The destructor SIGKILLs and reaps a live child so a
// failing test never leaves processes behind.

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace ptune::e2e {

class ChildProcess {
 public:
  ChildProcess(std::vector<std::string> argv, std::string log_path);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  const std::string& log_path() const { return log_path_; }
  bool running();
  void Signal(int sig);
  // Waits for the exit; the wait status, or nullopt on timeout.
  std::optional<int> Wait(std::chrono::milliseconds timeout);
  // The log file's contents so far.
  std::string Log() const;

 private:
  pid_t pid_ = -1;
  std::string log_path_;
  std::optional<int> status_;
};

// Runs a command to completion (bounded by `timeout`), returning its exit code (-1 on
// timeout or signal) and its stdout in `out` (stderr goes to `out` too when `merge`).
int RunCommand(const std::vector<std::string>& argv, std::string* out,
               std::chrono::milliseconds timeout, bool merge = false);

// A TCP port on 127.0.0.1 that was free a moment ago.
int FreePort();

}  // namespace ptune::e2e

#endif  // PTUNE_TESTS_E2E_CHILD_PROCESS_H_
