// `ptunectl watch` in a real terminal: run under tmux, read the screen with capture-pane,
// and check the live block (progress bar, ETA, losses, sparklines, H0/H1) as a user sees
// it, then the final state once the job ends.
#include <unistd.h>

#include <array>
#include <cstdio>
#include <thread>

#include "gmock/gmock.h"
#include "tests/client/ctl_process.h"
#include "tests/client/scheduler_fixture.h"

namespace ptune::client::testing {
namespace {

namespace v1 = ::ptune::v1;
using ::testing::HasSubstr;

std::string Capture(const std::string& command) {
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return out;
  std::array<char, 4096> buffer;
  size_t n;
  while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0) out.append(buffer.data(), n);
  pclose(pipe);
  return out;
}

class PtunectlTerminal : public SchedulerFixture {
 protected:
  void SetUp() override {
    ASSERT_EQ(std::system("command -v tmux >/dev/null"), 0)
        << "tmux is required for this test (Debian package tmux; scripts/setup.sh installs it)";
    SchedulerFixture::SetUp();
    socket_ = "ptunectl-test-" + std::to_string(getpid());
  }
  void TearDown() override {
    std::system(("tmux -L " + socket_ + " kill-server 2>/dev/null").c_str());
    SchedulerFixture::TearDown();
  }
  void StartWatch(const std::string& id) {
    std::string inner = "env -u CI TERM=xterm-256color LC_ALL=C.UTF-8 " + CtlPath() + " --server " +
                        address() + " watch " + id + "; echo EXIT=$?; sleep 60";
    std::string command = "LC_ALL=C.UTF-8 tmux -u -L " + socket_ +
                          " new-session -d -s watch -x 100 -y 24 '" + inner + "'";
    ASSERT_EQ(std::system(command.c_str()), 0) << command;
  }
  std::string Screen() {
    return Capture("tmux -L " + socket_ + " capture-pane -p -t watch 2>/dev/null");
  }
  // Polls the screen until it contains `text` (about 10 s at most).
  std::string WaitForScreen(const std::string& text) {
    std::string screen;
    for (int i = 0; i < 200; ++i) {
      screen = Screen();
      if (screen.find(text) != std::string::npos) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return screen;
  }
  std::string socket_;
};

TEST_F(PtunectlTerminal, LiveViewShowsProgressChartsAndTopologyThenTheEnd) {
  CtlResult submitted =
      RunCtl({"--server", address(), "submit",
              WriteFile("spec.yaml", "data: {dataset: uci-sentiment}\n"), "-o", "id"});
  ASSERT_EQ(submitted.exit_code, 0) << submitted.err;
  std::string id = submitted.out.substr(0, submitted.out.find('\n'));
  ASSERT_EQ(TakeAssignment(), id);
  uint64_t last = SendTraining(id, 1, 1, 10, 20);
  StartWatch(id);
  std::string screen = WaitForScreen("10/20");
  EXPECT_THAT(screen, HasSubstr("job " + id + "  RUNNING"));
  EXPECT_THAT(screen, HasSubstr("[██████"));  // the bar, half filled
  EXPECT_THAT(screen, HasSubstr("░░░░]"));
  EXPECT_THAT(screen, HasSubstr("10/20  50%"));
  EXPECT_THAT(screen, HasSubstr("loss 0.11  task 0.1  tsloss 0.01  acc 0.7  1000 tok/s"));
  EXPECT_THAT(screen, HasSubstr("█▄"));  // the loss sparkline falls from its maximum
  EXPECT_THAT(screen, HasSubstr("validation/accuracy"));
  EXPECT_THAT(screen, HasSubstr("H0 19 bars"));
  // Scrolled above the block: the state changes and evaluations as lines.
  EXPECT_THAT(screen, HasSubstr("state QUEUED -> RUNNING"));
  EXPECT_THAT(screen, HasSubstr("eval step=10 validation accuracy=0.75"));
  last = SendTraining(id, last + 1, 11, 20, 20);
  Finish(id, v1::JobFinished::RESULT_SUCCEEDED, last);
  screen = WaitForScreen("EXIT=");
  EXPECT_THAT(screen, HasSubstr("job " + id + "  SUCCEEDED"));
  EXPECT_THAT(screen, HasSubstr("20/20 100%"));
  EXPECT_THAT(screen, HasSubstr("EXIT=0"));
  // The block was redrawn in place: the header appears once.
  size_t first = screen.find("job " + id + "  ");
  EXPECT_EQ(screen.find("job " + id + "  ", first + 1), std::string::npos) << screen;
}

}  // namespace
}  // namespace ptune::client::testing
