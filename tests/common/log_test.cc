#include "common/log.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>

#include "common/file_io.h"
#include "tests/support/temp_dir.h"

namespace ptune {
namespace {

// What Log writes to stderr while `write` runs.
template <typename F>
std::string CaptureStderr(F write) {
  support::TempDir dir;
  const std::string path = dir.File("stderr");
  const int file = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  EXPECT_GE(file, 0);
  std::fflush(stderr);
  const int saved = dup(STDERR_FILENO);
  dup2(file, STDERR_FILENO);
  close(file);
  write();
  std::fflush(stderr);
  dup2(saved, STDERR_FILENO);
  close(saved);
  return ReadFile(path).value_or("");
}

TEST(Log, WritesOneLogfmtLineQuotingWhatNeedsIt) {
  const std::string line = CaptureStderr([] {
    Log("info", "job state", {{"job", "j-1"}, {"reason", "lease \"expired\"\nretrying"}});
  });
  ASSERT_EQ(line.rfind("time=", 0), 0u) << line;
  EXPECT_NE(line.find("Z level=info msg=\"job state\" job=j-1 "
                      "reason=\"lease \\\"expired\\\"\\nretrying\"\n"),
            std::string::npos)
      << line;
  EXPECT_EQ(line.find('\n'), line.size() - 1) << "exactly one line";
}

TEST(Log, EmptyValuesAreQuoted) {
  const std::string line = CaptureStderr([] { Log("warning", "x", {{"worker", ""}}); });
  EXPECT_NE(line.find("level=warning msg=x worker=\"\"\n"), std::string::npos) << line;
}

}  // namespace
}  // namespace ptune
