// ptune-scheduler flags and config file.
#include "server/config.h"

#include <gtest/gtest.h>

#include <fstream>

#include "tests/server/test_harness.h"

namespace ptune::server::testing {
namespace {

absl::Status Parse(std::vector<std::string> args, SchedulerOptions* options) {
  CLI::App app;
  SchedulerFlags flags;
  AddSchedulerFlags(app, options, &flags);
  args.insert(args.begin(), "ptune-scheduler");
  std::vector<const char*> argv;
  for (const std::string& arg : args) argv.push_back(arg.c_str());
  try {
    app.parse(static_cast<int>(argv.size()), argv.data());
  } catch (const CLI::ParseError& e) {
    return absl::InvalidArgumentError(e.what());
  }
  return ApplySchedulerFlags(flags, options);
}

TEST(SchedulerConfig, FlagsAndConfigFile) {
  TempDir dir;
  const std::string config = dir.path() + "/scheduler.toml";
  std::ofstream(config) << "lease-timeout = \"750ms\"\nmax-attempts = 5\nstore = \"a.db\"\n"
                        << "max-lost-leases = 4\n";
  SchedulerOptions options;
  ASSERT_TRUE(
      Parse({"--config", config, "--store", "b.db", "--max-running-per-tenant", "2"}, &options)
          .ok());
  EXPECT_EQ(options.manager.lease_timeout, std::chrono::milliseconds(750));
  EXPECT_EQ(options.manager.default_max_attempts, 5u);
  EXPECT_EQ(options.manager.max_lost_leases, 4u);
  EXPECT_EQ(options.store_path, "b.db");  // the flag overrides the file
  EXPECT_EQ(options.manager.queue.max_running_per_tenant, 2u);
}

TEST(SchedulerConfig, LostLeaseLimitDefaultsToTwoAndZeroMeansNone) {
  SchedulerOptions options;
  ASSERT_TRUE(Parse({}, &options).ok());
  EXPECT_EQ(options.manager.max_lost_leases, 2u);
  ASSERT_TRUE(Parse({"--max-lost-leases", "0"}, &options).ok());
  EXPECT_EQ(options.manager.max_lost_leases, 0u);
}

TEST(SchedulerConfig, BadValuesNameTheFlag) {
  SchedulerOptions options;
  absl::Status status = Parse({"--lease-timeout", "soon"}, &options);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("--lease-timeout"), std::string::npos) << status;
  status = Parse({"--max-attempts", "0"}, &options);
  EXPECT_NE(status.message().find("--max-attempts"), std::string::npos) << status;
}

}  // namespace
}  // namespace ptune::server::testing
