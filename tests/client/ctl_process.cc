#include "tests/client/ctl_process.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "gtest/gtest.h"

namespace ptune::client::testing {

namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string TempPath(const char* what) {
  static std::atomic<int> counter{0};  // unique names within this test process
  return (std::filesystem::temp_directory_path() /
          ("ptunectl_" + std::to_string(getpid()) + "_" + std::to_string(counter++) + what))
      .string();
}

}  // namespace

std::string CtlPath() { return PTUNECTL_PATH; }

CtlProcess::CtlProcess(const std::vector<std::string>& args,
                       const std::map<std::string, std::string>& env)
    : out_path_(TempPath(".out")), err_path_(TempPath(".err")) {
  std::vector<std::string> argv_storage = {CtlPath()};
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  pid_ = fork();
  if (pid_ == 0) {
    int out = open(out_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err = open(err_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(out, STDOUT_FILENO);
    dup2(err, STDERR_FILENO);
    int null = open("/dev/null", O_RDONLY);
    dup2(null, STDIN_FILENO);
    unsetenv("CI");
    unsetenv("PTUNE_TOKEN");
    unsetenv("PTUNE_SERVER");
    for (const auto& [key, value] : env) {
      value.empty() ? unsetenv(key.c_str()) : setenv(key.c_str(), value.c_str(), 1);
    }
    std::vector<char*> argv;
    for (std::string& a : argv_storage) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  EXPECT_GT(pid_, 0) << "fork failed";
}

CtlProcess::~CtlProcess() {
  if (!waited_ && pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  std::filesystem::remove(out_path_);
  std::filesystem::remove(err_path_);
}

CtlResult CtlProcess::Wait() {
  CtlResult result;
  int status = 0;
  if (!waited_ && pid_ > 0 && waitpid(pid_, &status, 0) == pid_) {
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  waited_ = true;
  result.out = ReadFile(out_path_);
  result.err = ReadFile(err_path_);
  return result;
}

std::string CtlProcess::OutSoFar() const { return ReadFile(out_path_); }

CtlResult RunCtl(const std::vector<std::string>& args,
                 const std::map<std::string, std::string>& env) {
  CtlProcess process(args, env);
  return process.Wait();
}

}  // namespace ptune::client::testing
