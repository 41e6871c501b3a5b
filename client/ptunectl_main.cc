// ptunectl: submit, watch, cancel, list and download soft-prompt-tuning jobs.
#include <cstdlib>
#include <iostream>

#include "CLI/CLI.hpp"
#include "client/ctl/commands.h"
#include "client/ctl/exit_codes.h"
#include "common/version.h"

namespace {

std::string EnvOr(const char* name, const std::string& fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : fallback;
}

void AddConnectionFlags(CLI::App* app, ptune::ctl::CtlContext* ctx) {
  ptune::client::ConnectOptions& c = ctx->connect;
  c.address = EnvOr("PTUNE_SERVER", "localhost:50051");
  app->add_option("--server,-s", c.address, "Scheduler address host:port ($PTUNE_SERVER)")
      ->capture_default_str();
  app->add_option("--token", c.token, "Bearer token (default: $PTUNE_TOKEN)");
  app->add_flag("--tls", c.tls, "Connect with TLS (system roots unless --ca)");
  app->add_option("--ca", c.ca_file, "PEM CA that signed the scheduler certificate (implies --tls)")
      ->check(CLI::ExistingFile);
  auto timeout = std::make_shared<double>(30);
  app->add_option("--timeout", *timeout, "Seconds per request (not for watch/download)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber)
      ->each([ctx](const std::string& text) {
        ctx->connect.call_timeout =
            std::chrono::milliseconds(static_cast<int64_t>(std::stod(text) * 1000));
      });
}

}  // namespace

int main(int argc, char** argv) {
  ptune::ctl::CtlContext ctx;
  CLI::App app{
      "ptunectl: command-line client of the ptune scheduler (soft-prompt-tuning jobs).\n"
      "Exit codes: 0 ok, 1 error, 2 usage/invalid input, 3 job failed, 4 job cancelled,\n"
      "5 scheduler unreachable, 6 not authenticated/allowed, 7 not found."};
  app.set_version_flag("--version", ptune::Version());
  app.require_subcommand(1);
  AddConnectionFlags(&app, &ctx);
  ptune::ctl::AddSubmitCommand(&app, &ctx);
  ptune::ctl::AddListCommand(&app, &ctx);
  ptune::ctl::AddGetCommand(&app, &ctx);
  ptune::ctl::AddCancelCommand(&app, &ctx);
  ptune::ctl::AddWatchCommand(&app, &ctx);
  ptune::ctl::AddLogsCommand(&app, &ctx);
  ptune::ctl::AddDownloadCommand(&app, &ctx);
  ptune::ctl::AddWorkersCommand(&app, &ctx);
  ptune::ctl::AddPlotCommand(&app, &ctx);
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);  // --help, --version
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return ptune::ctl::kExitUsage;
  }
  return ctx.exit_code;
}
