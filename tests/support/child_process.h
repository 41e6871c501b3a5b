#ifndef PTUNE_TESTS_SUPPORT_CHILD_PROCESS_H_
#define PTUNE_TESTS_SUPPORT_CHILD_PROCESS_H_

// A child process for tests that run real binaries (ptune-scheduler, ptune-worker,
// ptunectl, ptune-ph, ripser): started from argv (no shell), with environment changes,
// stdin from a file, stdout and stderr captured to files; waited for with a timeout and
// signalled by its own PID only. The destructor SIGKILLs and reaps a live child, so a
// failing test never leaves processes behind.

#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ptune::support {

struct ChildOptions {
  // argv[0] is the program's path (no PATH search).
  std::vector<std::string> argv;
  // Set in the child on top of this process's environment; an empty value unsets.
  std::map<std::string, std::string> env;
  // Files the child's stdout and stderr are appended to. Empty: a temporary file that
  // the ChildProcess removes when destroyed. The same path for both merges them in the
  // order they were written.
  std::string stdout_path;
  std::string stderr_path;
  // The child's stdin; empty: /dev/null.
  std::string stdin_path;
};

class ChildProcess {
 public:
  // Starts the child. A program that cannot be executed exits with status 127 and says
  // why on its stderr; a failed fork leaves pid() <= 0 and running() false.
  explicit ChildProcess(ChildOptions options);
  // Shorthand: `argv` with stdout and stderr merged into `log_path`.
  ChildProcess(std::vector<std::string> argv, std::string log_path);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  // False once the child has exited (it is then reaped, so its PID is never signalled).
  bool running();
  // Sends `sig` to the child if it is still running.
  void Signal(int sig);
  // Waits for the exit: the raw wait status (WIFEXITED, WEXITSTATUS, ...), or nullopt
  // when `timeout` passes first (the child keeps running).
  std::optional<int> Wait(std::chrono::milliseconds timeout);
  // What the child wrote so far.
  std::string Stdout() const;
  std::string Stderr() const;

 private:
  ChildOptions options_;
  std::vector<std::string> temporary_files_;
  pid_t pid_ = -1;
  std::optional<int> status_;
};

// A wait status as a shell reports it: the exit code, or 128 + the signal number.
int ExitCode(int wait_status);

struct CommandResult {
  // ExitCode() of the child; -1 when it ran past the timeout (it is then killed).
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs a command to completion, bounded by `timeout`.
CommandResult RunCommand(ChildOptions options, std::chrono::milliseconds timeout);
CommandResult RunCommand(std::vector<std::string> argv, std::chrono::milliseconds timeout);

}  // namespace ptune::support

#endif  // PTUNE_TESTS_SUPPORT_CHILD_PROCESS_H_
