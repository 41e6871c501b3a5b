#include "tests/support/child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "absl/status/statusor.h"
#include "common/file_io.h"

extern char** environ;

namespace ptune::support {
namespace {

std::string TemporaryFile(const char* what) {
  std::string path =
      (std::filesystem::temp_directory_path() / (std::string("ptune-child-") + what + "-XXXXXX"))
          .string();
  const int fd = mkstemp(path.data());
  if (fd < 0) {
    std::perror("ptune test support: mkstemp");
    std::abort();
  }
  close(fd);
  return path;
}

// This process's environment with `changes` applied, as "KEY=value" strings.
std::vector<std::string> ChildEnvironment(const std::map<std::string, std::string>& changes) {
  std::map<std::string, std::string> env;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    const std::string text = *entry;
    const size_t equals = text.find('=');
    if (equals != std::string::npos) env[text.substr(0, equals)] = text.substr(equals + 1);
  }
  for (const auto& [key, value] : changes) {
    if (value.empty()) {
      env.erase(key);
    } else {
      env[key] = value;
    }
  }
  std::vector<std::string> entries;
  for (const auto& [key, value] : env) entries.push_back(key + "=" + value);
  return entries;
}

std::vector<char*> Pointers(std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  for (std::string& s : strings) pointers.push_back(s.data());
  pointers.push_back(nullptr);
  return pointers;
}

int OpenOrDie(const std::string& path, int flags) {
  const int fd = open(path.c_str(), flags | O_CLOEXEC, 0644);
  if (fd < 0) {
    std::perror(("ptune test support: " + path).c_str());
    std::abort();
  }
  return fd;
}

std::string ReadOrEmpty(const std::string& path) {
  absl::StatusOr<std::string> text = ReadFile(path);
  return text.ok() ? *std::move(text) : std::string();
}

}  // namespace

ChildProcess::ChildProcess(ChildOptions options) : options_(std::move(options)) {
  if (options_.stdout_path.empty()) {
    options_.stdout_path = TemporaryFile("out");
    temporary_files_.push_back(options_.stdout_path);
  }
  if (options_.stderr_path.empty()) {
    options_.stderr_path = TemporaryFile("err");
    temporary_files_.push_back(options_.stderr_path);
  }
  // Everything the child needs is prepared here: between fork and exec a multithreaded
  // parent's child may only make async-signal-safe calls (no malloc, no setenv).
  std::vector<std::string> argv = options_.argv;
  std::vector<std::string> env = ChildEnvironment(options_.env);
  std::vector<char*> argv_pointers = Pointers(argv);
  std::vector<char*> env_pointers = Pointers(env);
  const std::string exec_failed = "exec failed: " + (argv.empty() ? "" : argv[0]) + "\n";
  const int in =
      OpenOrDie(options_.stdin_path.empty() ? "/dev/null" : options_.stdin_path, O_RDONLY);
  const int out = OpenOrDie(options_.stdout_path, O_WRONLY | O_CREAT | O_APPEND);
  const int err = options_.stderr_path == options_.stdout_path
                      ? out
                      : OpenOrDie(options_.stderr_path, O_WRONLY | O_CREAT | O_APPEND);
  pid_ = fork();
  if (pid_ == 0) {
    // A clean signal mask: the test runner or gRPC may block some signals.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    dup2(in, STDIN_FILENO);
    dup2(out, STDOUT_FILENO);
    dup2(err, STDERR_FILENO);
    if (!argv.empty()) execve(argv_pointers[0], argv_pointers.data(), env_pointers.data());
    (void)!write(STDERR_FILENO, exec_failed.data(), exec_failed.size());
    _exit(127);
  }
  close(in);
  close(out);
  if (err != out) close(err);
  if (pid_ < 0) std::perror("ptune test support: fork");
}

ChildProcess::ChildProcess(std::vector<std::string> argv, std::string log_path)
    : ChildProcess([&] {
        ChildOptions options;
        options.argv = std::move(argv);
        options.stdout_path = log_path;
        options.stderr_path = log_path;
        return options;
      }()) {}

ChildProcess::~ChildProcess() {
  if (running()) {
    kill(pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
  }
  for (const std::string& path : temporary_files_) unlink(path.c_str());
}

bool ChildProcess::running() {
  if (status_ || pid_ <= 0) return false;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) == pid_) {
    status_ = status;
    return false;
  }
  return true;
}

void ChildProcess::Signal(int sig) {
  if (running()) kill(pid_, sig);
}

std::optional<int> ChildProcess::Wait(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (running()) {
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return status_;
}

std::string ChildProcess::Stdout() const { return ReadOrEmpty(options_.stdout_path); }

std::string ChildProcess::Stderr() const { return ReadOrEmpty(options_.stderr_path); }

int ExitCode(int wait_status) {
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
  return -1;
}

CommandResult RunCommand(ChildOptions options, std::chrono::milliseconds timeout) {
  ChildProcess child(std::move(options));
  CommandResult result;
  const std::optional<int> status = child.Wait(timeout);
  if (status) result.exit_code = ExitCode(*status);
  // A child past its timeout is killed (and reaped) by the destructor; its output so far
  // still helps the failure message.
  result.out = child.Stdout();
  result.err = child.Stderr();
  return result;
}

CommandResult RunCommand(std::vector<std::string> argv, std::chrono::milliseconds timeout) {
  ChildOptions options;
  options.argv = std::move(argv);
  return RunCommand(std::move(options), timeout);
}

}  // namespace ptune::support
