#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/child_process.h"
#include "tests/support/temp_dir.h"
#include "tests/topology/diagram_oracles.h"

namespace ptune::topology {
namespace {

using support::CommandResult;

std::string WriteFile(const support::TempDir& dir, const std::string& name,
                      const std::string& text) {
  const std::string path = dir.File(name);
  std::ofstream(path) << text;
  return path;
}

// Runs `program` with `args` (no shell), stdin from `stdin_path` (empty: /dev/null).
CommandResult RunTool(const std::string& program, std::vector<std::string> args,
                      const std::string& stdin_path = "") {
  support::ChildOptions options;
  options.argv = {program};
  options.argv.insert(options.argv.end(), args.begin(), args.end());
  options.stdin_path = stdin_path;
  return support::RunCommand(std::move(options), std::chrono::seconds(60));
}

const std::string kPh = PTUNE_PH_PATH;
const std::string kRipser = "/usr/bin/ripser";

// An exit with an error status, not a crash (128 + signal) or a timeout (-1).
bool IsErrorExit(int exit_code) { return exit_code > 0 && exit_code < 128; }

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
    files_ = {{"point-cloud", WriteFile(dir_, "cloud", cloud.str())},
              {"lower-distance", WriteFile(dir_, "lower", lower.str())},
              {"upper-distance", WriteFile(dir_, "upper", upper.str())},
              {"distance", WriteFile(dir_, "full", full.str())},
              {"sparse", WriteFile(dir_, "sparse", sparse.str())}};
  }
  static std::string Format(float v) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.9g", v);
    return buffer;
  }

  support::TempDir dir_{"ptune-ph-test"};
  testing::Points points_;
  testing::Matrix matrix_;
  std::vector<std::pair<std::string, std::string>> files_;
};

TEST_F(PhFormats, EveryFormatMatchesRipser) {
  for (const auto& [format, path] : files_) {
    const std::vector<std::string> args = {"--format", format, "--dim", "1", path};
    const CommandResult ours = RunTool(kPh, args);
    const CommandResult ripser = RunTool(kRipser, args);
    ASSERT_EQ(ours.exit_code, 0) << format << ": " << ours.err;
    ASSERT_EQ(ripser.exit_code, 0) << format << ": " << ripser.err;
    std::string why;
    EXPECT_TRUE(testing::MatchWithin(testing::ParseRipserIntervals(ours.out),
                                     testing::ParseRipserIntervals(ripser.out), 1e-4, &why))
        << format << ": " << why;
    EXPECT_FALSE(testing::ParseRipserIntervals(ours.out).empty()) << format;
  }
}

TEST_F(PhFormats, LowerDistanceOutputIsByteIdenticalToRipser) {
  const std::vector<std::string> args = {"--format", "lower-distance", "--dim", "1",
                                         files_[1].second};
  EXPECT_EQ(RunTool(kPh, args).out, RunTool(kRipser, args).out);
}

TEST_F(PhFormats, ThresholdAndRatioMatchRipser) {
  const std::vector<std::vector<std::string>> extras = {
      {"--threshold", "0.6"}, {"--ratio", "1.3"}, {"--threshold", "0.8", "--ratio", "1.1"}};
  for (const std::vector<std::string>& extra : extras) {
    std::vector<std::string> args = {"--format", "distance", "--dim", "1"};
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back(files_[3].second);
    std::string why;
    EXPECT_TRUE(testing::MatchWithin(testing::ParseRipserIntervals(RunTool(kPh, args).out),
                                     testing::ParseRipserIntervals(RunTool(kRipser, args).out),
                                     1e-4, &why))
        << extra.front() << " " << extra.at(1) << ": " << why;
  }
}

TEST_F(PhFormats, StdinSimplicesAndJson) {
  const CommandResult from_stdin = RunTool(kPh, {"--format", "lower-distance"}, files_[1].second);
  const CommandResult from_file = RunTool(kPh, {"--format", "lower-distance", files_[1].second});
  EXPECT_EQ(from_stdin.out, from_file.out);

  const CommandResult simplices =
      RunTool(kPh, {"--format", "lower-distance", "--simplices", files_[1].second});
  EXPECT_EQ(testing::ParseRipserIntervals(simplices.out).size(),
            testing::ParseRipserIntervals(from_file.out).size());
  EXPECT_NE(simplices.out.find(" birth=[1"), std::string::npos);
  EXPECT_NE(simplices.out.find(" death=[]"), std::string::npos);

  const CommandResult json =
      RunTool(kPh, {"--format", "lower-distance", "--json", files_[1].second});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  const nlohmann::json parsed = nlohmann::json::parse(json.out);
  EXPECT_EQ(parsed["points"], 40);
  ASSERT_EQ(parsed["pairs"].size(), testing::ParseRipserIntervals(from_file.out).size());
  for (const auto& pair : parsed["pairs"]) {
    if (pair["death"].is_null()) continue;
    const int a = pair["death_simplex"][0], b = pair["death_simplex"][1];
    EXPECT_EQ(static_cast<float>(pair["death"].get<double>()),
              matrix_.at(a, b));  // 9 digits: exact float
  }
}

TEST(PhCli, HelpDocumentsEveryOption) {
  const CommandResult help = RunTool(kPh, {"--help"});
  EXPECT_EQ(help.exit_code, 0);
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
  support::TempDir dir("ptune-ph-test");
  const std::string path = WriteFile(dir, c.name, c.text);
  const CommandResult r = RunTool(kPh, {"--format", c.format, path});
  EXPECT_EQ(r.exit_code, 1) << r.err;  // an error exit, not a crash
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
                      BadInput{"sparse_index", "sparse", "0 1.5 1\n", ":1: vertex index"},
                      // fuzz/fuzz_ph_input: 13 bytes used to allocate an 8.5 GB triangle.
                      BadInput{"sparse_huge_vertex", "sparse", "65453 1 1\n",
                               ":1: vertex index must be an integer in [0, 16384)"}),
    [](const ::testing::TestParamInfo<BadInput>& info) { return info.param.name; });

TEST(PhCli, UsageErrorsExitNonZero) {
  EXPECT_TRUE(IsErrorExit(RunTool(kPh, {"--dim", "2", "/dev/null"}).exit_code));
  EXPECT_TRUE(IsErrorExit(RunTool(kPh, {"--format", "binary", "/dev/null"}).exit_code));
  for (const char* ratio : {"0.5", "abc"}) {
    const CommandResult r = RunTool(kPh, {"--ratio", ratio, "/dev/null"});
    EXPECT_TRUE(IsErrorExit(r.exit_code)) << ratio << ": exit " << r.exit_code;
    EXPECT_NE(r.err.find("ratio must be a number >= 1"), std::string::npos) << r.err;
  }
  EXPECT_EQ(RunTool(kPh, {"--format", "lower-distance", "/nonexistent/file"}).exit_code, 1);
}

}  // namespace
}  // namespace ptune::topology
