// The shared test helpers against the real system: /bin/sh children, loopback sockets,
// the filesystem.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "tests/support/child_process.h"
#include "tests/support/free_port.h"
#include "tests/support/temp_dir.h"

namespace ptune::support {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(ChildProcess, CapturesStdoutAndStderrSeparatelyWithItsExitCode) {
  const CommandResult r =
      RunCommand({"/bin/sh", "-c", "echo out; echo err >&2; exit 3"}, seconds(30));
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.out, "out\n");
  EXPECT_EQ(r.err, "err\n");
}

TEST(ChildProcess, SetsAndUnsetsEnvironmentAndReadsStdinFromAFile) {
  TempDir dir;
  std::ofstream(dir.File("in")) << "from stdin\n";
  setenv("PTUNE_SUPPORT_TEST_UNSET", "visible", 1);
  ChildOptions options;
  options.argv = {"/bin/sh", "-c", "echo \"$A:${PTUNE_SUPPORT_TEST_UNSET:-gone}\"; cat"};
  options.env = {{"A", "set"}, {"PTUNE_SUPPORT_TEST_UNSET", ""}};
  options.stdin_path = dir.File("in");
  const CommandResult r = RunCommand(options, seconds(30));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "set:gone\nfrom stdin\n");
  unsetenv("PTUNE_SUPPORT_TEST_UNSET");
}

TEST(ChildProcess, MergedLogKeepsOrderAndAMissingProgramExits127) {
  TempDir dir;
  ChildProcess child({"/bin/sh", "-c", "echo one; echo two >&2; echo three"}, dir.File("log"));
  const std::optional<int> status = child.Wait(seconds(30));
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(ExitCode(*status), 0);
  EXPECT_EQ(child.Stdout(), "one\ntwo\nthree\n");

  const CommandResult missing = RunCommand({"/nonexistent/program"}, seconds(30));
  EXPECT_EQ(missing.exit_code, 127);
  EXPECT_NE(missing.err.find("/nonexistent/program"), std::string::npos) << missing.err;
}

TEST(ChildProcess, WaitTimesOutThenSignalEndsTheChild) {
  ChildOptions options;
  options.argv = {"/bin/sleep", "600"};
  ChildProcess child(options);
  ASSERT_GT(child.pid(), 0);
  EXPECT_FALSE(child.Wait(milliseconds(50)).has_value());
  EXPECT_TRUE(child.running());
  child.Signal(SIGTERM);
  const std::optional<int> status = child.Wait(seconds(30));
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(ExitCode(*status), 128 + SIGTERM);
  EXPECT_FALSE(child.running());
}

TEST(ChildProcess, RunCommandKillsAChildPastItsTimeout) {
  const CommandResult r =
      RunCommand({"/bin/sh", "-c", "echo started; exec sleep 600"}, milliseconds(300));
  EXPECT_EQ(r.exit_code, -1);
}

TEST(ChildProcess, DestructorKillsAndReapsALiveChild) {
  pid_t pid;
  {
    ChildProcess child(ChildOptions{{"/bin/sleep", "600"}, {}, "", "", ""});
    pid = child.pid();
    ASSERT_GT(pid, 0);
  }
  // Reaped: the PID is no longer our child.
  EXPECT_EQ(waitpid(pid, nullptr, WNOHANG), -1);
  EXPECT_EQ(errno, ECHILD);
}

TEST(FreePort, IsBindableOnLoopback) {
  const int port = FreePort();
  ASSERT_GT(port, 0);
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  close(fd);
}

TEST(TempDir, IsFreshAndRemovedWithItsContentsUnlessKept) {
  std::string removed, kept;
  {
    TempDir a("ptune-support-test"), b("ptune-support-test");
    EXPECT_NE(a.path(), b.path());
    EXPECT_TRUE(std::filesystem::is_empty(a.path()));
    std::filesystem::create_directories(a.File("sub/dir"));
    std::ofstream(a.File("sub/dir/f")) << "x";
    removed = a.path();
    kept = b.path();
    b.Keep();
  }
  EXPECT_FALSE(std::filesystem::exists(removed));
  EXPECT_TRUE(std::filesystem::exists(kept));
  std::filesystem::remove_all(kept);
}

}  // namespace
}  // namespace ptune::support
