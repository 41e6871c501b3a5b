// ptunectl: submit, watch, cancel and download soft-prompt-tuning jobs.
#include <iostream>

#include "CLI/CLI.hpp"
#include "common/version.h"

int main(int argc, char** argv) {
  CLI::App app{"ptunectl: command-line client of the ptune scheduler."};
  app.set_version_flag("--version", ptune::Version());
  std::string address = "localhost:50051";
  app.add_option("--server", address, "Scheduler address host:port")->capture_default_str();
  app.require_subcommand(1);
  std::string spec, job_id;
  app.add_subcommand("submit", "Submit a job spec (YAML or JSON)")
      ->add_option("spec", spec, "Job spec file")->required();
  app.add_subcommand("list", "List jobs");
  app.add_subcommand("get", "Show one job")->add_option("id", job_id)->required();
  app.add_subcommand("cancel", "Cancel a job")->add_option("id", job_id)->required();
  app.add_subcommand("watch", "Follow a job's events live")->add_option("id", job_id)->required();
  app.add_subcommand("workers", "List connected workers");
  CLI11_PARSE(app, argc, argv);
  std::cerr << "ptunectl: this command is not built yet in this version\n";
  return 1;
}
