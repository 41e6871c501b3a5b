// ptune-ph as a whole process: every input format against /usr/bin/ripser on the same
// file, the exact output layout, the extra outputs, and clear failures on bad input.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "tests/topology/diagram_oracles.h"

namespace ptune::topology {
namespace {

struct Result {
  int status = -1;  // exit code, or -1 if killed by a signal
  std::string out, err;
};

std::string TempPath(const std::string& name) {
  return ::testing::TempDir() + "ptune_ph_" + std::to_string(getpid()) + "_" + name;
}

std::string WriteFile(const std::string& name, const std::string& text) {
  const std::string path = TempPath(name);
  std::ofstream(path) << text;
  return path;
}

Result RunCommand(const std::string& command) {
  const std::string err_path = TempPath("stderr");
  FILE* pipe = popen((command + " 2>" + err_path).c_str(), "r");
  Result r;
  char buffer[4096];
  size_t got;
  while ((got = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) r.out.append(buffer, got);
  const int raw = pclose(pipe);
  r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  std::stringstream err;
  err << std::ifstream(err_path).rdbuf();
  r.err = err.str();
  return r;
}

std::vector<testing::Bar> ParseIntervals(const std::string& text) {
  std::vector<testing::Bar> bars;
  std::istringstream in(text);
  std::string line;
  int dim = -1;
  while (std::getline(in, line)) {
    double b, d;
    if (std::sscanf(line.c_str(), "persistence intervals in dim %d:", &dim) == 1) continue;
    if (std::sscanf(line.c_str(), " [%lf,%lf)", &b, &d) == 2) {
      bars.push_back({dim, b, d});
    } else if (std::sscanf(line.c_str(), " [%lf, )", &b) == 1) {
      bars.push_back({dim, b, std::numeric_limits<double>::infinity()});
    }
  }
  return bars;
}

const std::string kPh = PTUNE_PH_PATH;

// One point cloud written in all five formats.
class PhFormats : public ::testing::Test {
 protected:
  void SetUp() override {
    points_ = testing::GaussianCloud(40, 3, 21);
    matrix_ = testing::Euclidean(points_);
    std::ostringstream cloud, lower, upper, full, sparse;
    cloud.precision(17);
    for (const auto& p : points_) cloud << p[0] << "," << p[1] << "," << p[2] << "\n";
    const int n = matrix_.n;
    for (int i = 0; i < n; ++i) {
      for (int j = 0; j < n; ++j) {
        const std::string v = Format(matrix_.at(i, j));
        full << v << (j + 1 < n ? " " : "\n");
        if (j < i) lower << v << (j + 1 < i ? " " : "\n");
        if (j > i) upper << v << (j + 1 < n ? " " : "\n");
        if (j < i) sparse << i << " " << j << " " << v << "\n";
      }
    }
    files_ = {{"point-cloud", WriteFile("cloud", cloud.str())},
              {"lower-distance", WriteFile("lower", lower.str())},
              {"upper-distance", WriteFile("upper", upper.str())},
              {"distance", WriteFile("full", full.str())},
              {"sparse", WriteFile("sparse", sparse.str())}};
  }
  static std::string Format(float v) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.9g", v);
    return buffer;
  }

  testing::Points points_;
  testing::Matrix matrix_;
  std::vector<std::pair<std::string, std::string>> files_;
};

TEST_F(PhFormats, EveryFormatMatchesRipser) {
  for (const auto& [format, path] : files_) {
    const std::string args = " --format " + format + " --dim 1 " + path;
    const Result ours = RunCommand(kPh + args);
    const Result ripser = RunCommand("/usr/bin/ripser" + args);
    ASSERT_EQ(ours.status, 0) << format << ": " << ours.err;
    ASSERT_EQ(ripser.status, 0) << format;
    std::string why;
    EXPECT_TRUE(
        testing::MatchWithin(ParseIntervals(ours.out), ParseIntervals(ripser.out), 1e-4, &why))
        << format << ": " << why;
    EXPECT_FALSE(ParseIntervals(ours.out).empty()) << format;
  }
}

TEST_F(PhFormats, LowerDistanceOutputIsByteIdenticalToRipser) {
  const std::string args = " --format lower-distance --dim 1 " + files_[1].second;
  EXPECT_EQ(RunCommand(kPh + args).out, RunCommand("/usr/bin/ripser" + args).out);
}

TEST_F(PhFormats, ThresholdAndRatioMatchRipser) {
  for (const std::string& extra :
       {"--threshold 0.6", "--ratio 1.3", "--threshold 0.8 --ratio 1.1"}) {
    const std::string args = " --format distance --dim 1 " + extra + " " + files_[3].second;
    std::string why;
    EXPECT_TRUE(testing::MatchWithin(ParseIntervals(RunCommand(kPh + args).out),
                                     ParseIntervals(RunCommand("/usr/bin/ripser" + args).out), 1e-4,
                                     &why))
        << extra << ": " << why;
  }
}

TEST_F(PhFormats, StdinSimplicesAndJson) {
  const Result from_stdin = RunCommand(kPh + " --format lower-distance < " + files_[1].second);
  const Result from_file = RunCommand(kPh + " --format lower-distance " + files_[1].second);
  EXPECT_EQ(from_stdin.out, from_file.out);

  const Result simplices =
      RunCommand(kPh + " --format lower-distance --simplices " + files_[1].second);
  EXPECT_EQ(ParseIntervals(simplices.out).size(), ParseIntervals(from_file.out).size());
  EXPECT_NE(simplices.out.find(" birth=[1"), std::string::npos);
  EXPECT_NE(simplices.out.find(" death=[]"), std::string::npos);

  const Result json = RunCommand(kPh + " --format lower-distance --json " + files_[1].second);
  ASSERT_EQ(json.status, 0);
  const nlohmann::json parsed = nlohmann::json::parse(json.out);
  EXPECT_EQ(parsed["points"], 40);
  ASSERT_EQ(parsed["pairs"].size(), ParseIntervals(from_file.out).size());
  for (const auto& pair : parsed["pairs"]) {
    if (pair["death"].is_null()) continue;
    const int a = pair["death_simplex"][0], b = pair["death_simplex"][1];
    EXPECT_EQ(static_cast<float>(pair["death"].get<double>()),
              matrix_.at(a, b));  // 9 digits: exact float
  }
}

TEST(PhCli, HelpDocumentsEveryOption) {
  const Result help = RunCommand(kPh + " --help");
  EXPECT_EQ(help.status, 0);
  for (const char* word :
       {"--format", "--dim", "--threshold", "--ratio", "--simplices", "--json", "lower-distance",
        "upper-distance", "point-cloud", "sparse", "distance", "stdin"}) {
    EXPECT_NE(help.out.find(word), std::string::npos) << word;
  }
}

struct BadInput {
  const char* name;
  const char* format;
  const char* text;
  const char* message;  // expected in stderr
};

class PhBadInput : public ::testing::TestWithParam<BadInput> {};

TEST_P(PhBadInput, FailsCleanlyNamingTheLine) {
  const BadInput& c = GetParam();
  const std::string path = WriteFile(c.name, c.text);
  const Result r = RunCommand(kPh + " --format " + c.format + " " + path);
  EXPECT_EQ(r.status, 1) << r.err;  // an error exit, not a crash
  EXPECT_NE(r.err.find(c.message), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, PhBadInput,
    ::testing::Values(BadInput{"ragged_cloud", "point-cloud", "0 0\n1 1\n2\n", ":3: ragged row"},
                      BadInput{"ragged_matrix", "distance", "0 1\n1 0 2\n", ":2: ragged row"},
                      BadInput{"text", "lower-distance", "1\n2 abc\n", ":2: 'abc' is not a number"},
                      BadInput{"nan", "lower-distance", "1\nnan 2\n", ":2: NaN is not allowed"},
                      BadInput{"negative", "upper-distance", "1 -2\n3\n", ":1: negative distance"},
                      BadInput{"asymmetric", "distance", "0 1\n2 0\n", "not symmetric"},
                      BadInput{"empty", "lower-distance", "", "empty input"},
                      BadInput{"blank", "point-cloud", "\n\n", "empty input"},
                      BadInput{"not_triangle", "lower-distance", "1 2\n", "do not form a triangle"},
                      BadInput{"sparse_self", "sparse", "0 1 1\n2 2 1\n", ":2: an entry needs two"},
                      BadInput{"sparse_index", "sparse", "0 1.5 1\n", ":1: vertex index"}),
    [](const ::testing::TestParamInfo<BadInput>& info) { return info.param.name; });

TEST(PhCli, UsageErrorsExitNonZero) {
  EXPECT_NE(RunCommand(kPh + " --dim 2 /dev/null").status, 0);
  EXPECT_NE(RunCommand(kPh + " --format binary /dev/null").status, 0);
  for (const char* ratio : {"0.5", "abc"}) {
    const Result r = RunCommand(kPh + " --ratio " + ratio + " /dev/null");
    EXPECT_GT(r.status, 0) << ratio;  // -1 would be a crash
    EXPECT_NE(r.err.find("ratio must be a number >= 1"), std::string::npos) << r.err;
  }
  EXPECT_EQ(RunCommand(kPh + " --format lower-distance /nonexistent/file").status, 1);
}

}  // namespace
}  // namespace ptune::topology
