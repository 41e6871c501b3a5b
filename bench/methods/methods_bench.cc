// The methods evidence run (not a test: writes figures for scripts/bench-methods.sh).
//
//   methods_bench --out DIR [--methods pt,dept,ept] [--tsloss off,on] [--seeds 0,1,2]
//                 [--steps N] [--batch B] [--prompt-length L] [--max-seq-len T]
//                 [--eval-every K] [--threads N] [--eval-fraction F]
//
// Runs every (method, tsloss, seed) job on USE-Lite + uci-sentiment in one process (the
// backbone is loaded once and shared) with the same step budget, and writes each run's
// full telemetry, one JSON JobEvent per line, to DIR/<method>-<tsloss>-s<seed>.jsonl,
// plus DIR/grid.json describing the grid. bench/methods/report.py turns them into the
// tables and plots of docs/results/methods.md.
//
// An existing DIR/grid.json with the same settings is extended, not replaced (a run of
// the same name is replaced), so the grid can be run one job per invocation: on a shared
// machine each invocation then holds the CPU lock for one job only.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "common/spec_defaults.h"
#include "google/protobuf/util/json_util.h"
#include "nlohmann/json.hpp"
#include "worker/engine/backbones/backbone_cache.h"
#include "worker/engine/job_runner.h"
#include "worker/engine/runtime.h"

namespace {

// Appends every event as one JSON line.
class JsonLinesSink : public ptune::engine::TelemetrySink {
 public:
  explicit JsonLinesSink(const std::string& path) : out_(path) {}
  bool ok() const { return out_.good(); }
  void Emit(ptune::v1::JobEvent event) override {
    google::protobuf::util::JsonPrintOptions options;
    options.preserve_proto_field_names = true;
    options.always_print_primitive_fields = true;
    std::string line;
    (void)google::protobuf::util::MessageToJsonString(event, &line, options);
    out_ << line << "\n";
  }

 private:
  std::ofstream out_;
};

struct GridOptions {
  std::string out;
  std::vector<std::string> methods{"pt", "dept", "ept"};
  std::vector<std::string> tsloss{"off", "on"};
  std::vector<int> seeds{0, 1, 2};
  int steps = 150, batch = 32, prompt_length = 100, max_seq_len = 32, eval_every = 25;
  // > 0: validation and test splits of this fraction each (the timing runs of
  // scripts/bench.sh, where the evaluations would otherwise dominate the run).
  float eval_fraction = 0;
};

ptune::v1::JobSpec MakeSpec(const GridOptions& g, const std::string& method, bool tsloss,
                            int seed) {
  ptune::v1::JobSpec spec;
  spec.set_name(method + (tsloss ? "-tsloss" : ""));
  spec.mutable_model()->set_source("use-lite");
  ptune::v1::DataSpec* data = spec.mutable_data();
  data->set_dataset("uci-sentiment");
  data->set_max_seq_len(g.max_seq_len);
  if (g.eval_fraction > 0) {
    data->set_validation_fraction(g.eval_fraction);
    data->set_test_fraction(g.eval_fraction);
  }
  (*data->mutable_verbalizers())["negative"] = "bad, terrible";
  (*data->mutable_verbalizers())["positive"] = "good, great";
  spec.set_method(method == "ept"    ? ptune::v1::METHOD_EPT
                  : method == "dept" ? ptune::v1::METHOD_DEPT
                                     : ptune::v1::METHOD_PT);
  spec.mutable_prompt()->set_length(g.prompt_length);
  spec.mutable_prompt()->set_init(ptune::v1::PROMPT_INIT_VOCAB);
  spec.mutable_tsloss()->set_enabled(tsloss);
  spec.mutable_topology()->set_every(10);
  spec.mutable_topology()->set_diagram_every(0);
  ptune::v1::TrainSpec* train = spec.mutable_train();
  train->set_steps(g.steps);
  train->set_batch_size(g.batch);
  train->set_warmup_steps(10);
  train->set_eval_every(g.eval_every);
  train->set_checkpoint_every(g.steps);
  spec.mutable_resources()->set_device(ptune::v1::DEVICE_KIND_CPU);
  spec.set_seed(seed);
  ptune::ApplySpecDefaults(&spec);  // what the scheduler (or ptune-train) does
  return spec;
}

// The grid of an earlier invocation in the same directory, when its settings match
// (else a fresh one: runs with other settings must not be averaged together).
nlohmann::json LoadOrStartGrid(const GridOptions& g) {
  nlohmann::json grid = {{"steps", g.steps},
                         {"batch", g.batch},
                         {"prompt_length", g.prompt_length},
                         {"max_seq_len", g.max_seq_len},
                         {"eval_every", g.eval_every},
                         {"eval_fraction", g.eval_fraction},
                         {"runtime", ptune::engine::RuntimeSummary()},
                         {"runs", nlohmann::json::array()}};
  std::ifstream in(g.out + "/grid.json");
  if (!in) return grid;
  nlohmann::json old = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  for (const char* key :
       {"steps", "batch", "prompt_length", "max_seq_len", "eval_every", "eval_fraction"}) {
    if (old.is_discarded() || !old.contains(key) || old[key] != grid[key]) {
      std::cerr << "note: " << g.out << "/grid.json has other settings; starting afresh\n";
      return grid;
    }
  }
  if (old.contains("runs") && old["runs"].is_array()) grid["runs"] = old["runs"];
  return grid;
}

void AddRun(nlohmann::json* grid, nlohmann::json run) {
  nlohmann::json& runs = (*grid)["runs"];
  for (auto it = runs.begin(); it != runs.end(); ++it) {
    if ((*it)["name"] == run["name"]) {
      *it = std::move(run);
      return;
    }
  }
  runs.push_back(std::move(run));
}

int RunGrid(const GridOptions& g) {
  std::filesystem::create_directories(g.out);
  ptune::engine::BackboneCache cache;
  nlohmann::json grid = LoadOrStartGrid(g);
  // Seeds outermost so a partial run still covers every method.
  for (int seed : g.seeds) {
    for (const std::string& method : g.methods) {
      for (const std::string& ts : g.tsloss) {
        const std::string name = method + "-" + ts + "-s" + std::to_string(seed);
        JsonLinesSink sink(g.out + "/" + name + ".jsonl");
        if (!sink.ok()) {
          std::cerr << "error: cannot write " << g.out << "/" << name << ".jsonl\n";
          return 1;
        }
        ptune::engine::JobRunOptions options;
        options.output_dir = g.out + "/jobs/" + name;
        options.sink = &sink;
        options.backbones = &cache;
        std::cerr << "run " << name << "\n";
        auto result = ptune::engine::RunJob(MakeSpec(g, method, ts == "on", seed), options);
        if (!result.ok()) {
          std::cerr << "error: " << name << ": " << result.status() << "\n";
          return 1;
        }
        AddRun(&grid, {{"name", name},
                       {"method", method},
                       {"tsloss", ts},
                       {"seed", seed},
                       {"final", result->final_metrics}});
        std::ofstream(g.out + "/grid.json") << grid.dump(2) << "\n";
      }
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"methods_bench: PT / DePT / EPT with and without TSLoss on USE-Lite"};
  GridOptions g;
  int threads = 0;
  app.add_option("--out", g.out, "Output directory")->required();
  app.add_option("--methods", g.methods, "pt, dept, ept")->delimiter(',');
  app.add_option("--tsloss", g.tsloss, "off, on")->delimiter(',');
  app.add_option("--seeds", g.seeds, "Seeds")->delimiter(',');
  app.add_option("--steps", g.steps, "Optimizer steps per run")->capture_default_str();
  app.add_option("--batch", g.batch, "Examples per step")->capture_default_str();
  app.add_option("--prompt-length", g.prompt_length, "PT length l (the budget l*d)")
      ->capture_default_str();
  app.add_option("--max-seq-len", g.max_seq_len, "Tokens per example")->capture_default_str();
  app.add_option("--eval-every", g.eval_every, "Validation every N steps")->capture_default_str();
  app.add_option("--threads", threads, "Intra-op threads (0: every core)");
  app.add_option("--eval-fraction", g.eval_fraction,
                 "Validation and test fractions (timing runs; default: the dataset's)")
      ->check(CLI::Range(0.0, 0.5));
  CLI11_PARSE(app, argc, argv);
  ptune::engine::InitRuntime(threads);
  return RunGrid(g);
}
