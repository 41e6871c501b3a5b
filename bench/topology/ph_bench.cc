// ptune_topology_bench: measures, in one run,
//   1. ptune-ph against /usr/bin/ripser as whole processes on the same lower-distance
//      files (Gaussian clouds, d = 768), with peak RSS of each process;
//   2. the in-process engine against GUDHI on the same matrices;
//   3. a typical prompt (n = 100, d = 768) through the LibTorch layer, distances
//      included.
// Prints one table with the ratios. Each side and its peer run alternately (ptune-ph,
// ripser, ptune-ph, ripser, ...; engine, GUDHI, ...) after one untimed warm-up each, so
// a change in the machine's load hits both. Times are medians; the machine may be
// shared, so both wall-clock and CPU (user + sys) time are reported. --json FILE also
// writes every sample (scripts/bench.sh reads it).
#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

// GUDHI's headers use std::cout without including <iostream>.
// clang-format off
#include <iostream>
#include <gudhi/Persistent_cohomology.h>
#include <gudhi/Rips_complex.h>
#include <gudhi/Simplex_tree.h>
// clang-format on

#include "worker/topology/rips_engine.h"
#include "worker/topology/torch_persistence.h"

extern char** environ;

namespace ptune::topology {
namespace {

// One run of a whole process or of an in-process call.
struct Sample {
  double wall_ms = 0, cpu_ms = 0;
};

// Every timed sample of one measurement, in run order.
struct Series {
  std::vector<double> wall_ms, cpu_ms;
  void Add(const Sample& s) {
    wall_ms.push_back(s.wall_ms);
    cpu_ms.push_back(s.cpu_ms);
  }
  nlohmann::json Json() const { return {{"wall_ms", wall_ms}, {"cpu_ms", cpu_ms}}; }
};

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

double CpuMs() {
  timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return t.tv_sec * 1e3 + t.tv_nsec * 1e-6;
}

Sample RunInProcess(const std::function<void()>& fn) {
  const double c0 = CpuMs();
  const auto t0 = std::chrono::steady_clock::now();
  fn();
  return {std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count(),
          CpuMs() - c0};
}

// `repeats` timed calls of `fn` after one warm-up call.
Series TimeInProcess(int repeats, const std::function<void()>& fn) {
  fn();
  Series series;
  for (int r = 0; r < repeats; ++r) series.Add(RunInProcess(fn));
  return series;
}

// Runs argv once with stdout to /dev/null: wall and child CPU time.
Sample RunProcess(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  const auto t0 = std::chrono::steady_clock::now();
  pid_t pid;
  if (posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ) != 0) {
    std::fprintf(stderr, "cannot run %s\n", argv[0]);
    std::exit(1);
  }
  int status;
  rusage usage;
  wait4(pid, &status, 0, &usage);
  const double wall =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  posix_spawn_file_actions_destroy(&actions);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::fprintf(stderr, "%s failed (status %d)\n", argv[0], status);
    std::exit(1);
  }
  return {wall, (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1e3 +
                    (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) * 1e-3};
}

// Peak RSS in KiB of one more run under /usr/bin/time: a child spawned from this process
// inherits its (libtorch-sized) high-water mark, a grandchild of /usr/bin/time does not.
long PeakRssKb(const std::vector<std::string>& args, const std::string& rss_file) {
  std::string command = "/usr/bin/time -f %M -o " + rss_file;
  for (const std::string& a : args) command += " " + a;
  long peak = 0;
  if (std::system((command + " > /dev/null").c_str()) == 0) {
    if (FILE* f = std::fopen(rss_file.c_str(), "r")) {
      if (std::fscanf(f, "%ld", &peak) != 1) peak = 0;
      std::fclose(f);
    }
  }
  std::remove(rss_file.c_str());
  return peak;
}

// Gaussian cloud in R^d, distances in double, stored as float (ripser's value type).
std::vector<float> GaussianMatrix(int n, int d, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal;
  std::vector<double> x(static_cast<size_t>(n) * d);
  for (double& v : x) v = normal(rng);
  std::vector<float> m(static_cast<size_t>(n) * n, 0);
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < i; ++j) {
      double s = 0;
      for (int k = 0; k < d; ++k)
        s += (x[i * d + k] - x[j * d + k]) * (x[i * d + k] - x[j * d + k]);
      m[static_cast<size_t>(i) * n + j] = m[static_cast<size_t>(j) * n + i] = std::sqrt(s);
    }
  }
  return m;
}

void WriteLower(const std::vector<float>& m, int n, const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "w");
  for (int i = 1; i < n; ++i) {
    for (int j = 0; j < i; ++j)
      std::fprintf(f, "%.9g%c", m[static_cast<size_t>(i) * n + j], j + 1 < i ? ' ' : '\n');
  }
  std::fclose(f);
}

// GUDHI's Rips persistence (H0 + H1 over Z/2) of the same matrix, up to `threshold`.
class GudhiRips {
 public:
  GudhiRips(const std::vector<float>& m, int n, double threshold)
      : lower_(n), threshold_(threshold) {
    for (int i = 0; i < n; ++i) {
      for (int j = 0; j < i; ++j) lower_[i].push_back(m[static_cast<size_t>(i) * n + j]);
    }
  }
  void Run() const {
    using Tree = Gudhi::Simplex_tree<>;
    Gudhi::rips_complex::Rips_complex<double> rips(lower_, threshold_);
    Tree tree;
    rips.create_complex(tree, 2);
    Gudhi::persistent_cohomology::Persistent_cohomology<Tree,
                                                        Gudhi::persistent_cohomology::Field_Zp>
        pcoh(tree);
    pcoh.init_coefficients(2);
    pcoh.compute_persistent_cohomology(0);
  }

 private:
  std::vector<std::vector<double>> lower_;
  double threshold_;
};

std::string Ms(double ms) {
  char b[32];
  if (ms >= 1000) {
    std::snprintf(b, sizeof b, "%.2f s", ms / 1000);
  } else if (ms >= 10) {
    std::snprintf(b, sizeof b, "%.0f ms", ms);
  } else {
    std::snprintf(b, sizeof b, "%.2f ms", ms);
  }
  return b;
}

struct Flags {
  std::vector<int> sizes = {64, 128, 256, 512, 1024};
  int repeats = 5;
  int gudhi_max_n = 256;
  int prompt_repeats = 200;
  std::string ph = PTUNE_PH_PATH;
  std::string ripser = "/usr/bin/ripser";
  std::string dir = "/tmp";
  std::string json;
  bool prompt_only = false;
};

// One row: ptune-ph / ripser alternating, then the engine / GUDHI alternating.
nlohmann::json Row(const Flags& flags, int n) {
  const std::vector<float> m = GaussianMatrix(n, 768, 1000 + n);
  const std::string path = flags.dir + "/ptune_bench_" + std::to_string(n) + ".ldm";
  WriteLower(m, n, path);
  const std::vector<std::string> ph_args = {flags.ph, "--format", "lower-distance",
                                            "--dim",  "1",        path};
  const std::vector<std::string> ripser_args = {flags.ripser, "--format", "lower-distance",
                                                "--dim",      "1",        path};
  RunProcess(ph_args);  // warm-up: the file in the page cache, both binaries loaded
  RunProcess(ripser_args);
  Series ph, ripser;
  for (int r = 0; r < flags.repeats; ++r) {
    ph.Add(RunProcess(ph_args));
    ripser.Add(RunProcess(ripser_args));
  }
  const long ph_kb = PeakRssKb(ph_args, path + ".rss");
  const long ripser_kb = PeakRssKb(ripser_args, path + ".rss");

  auto engine = RipsEngine::Create({}).value();
  Diagram diagram;
  const auto engine_call = [&] { (void)engine->ComputeSquare(m.data(), n, &diagram); };
  engine_call();
  const bool with_gudhi = n <= flags.gudhi_max_n;
  const GudhiRips gudhi_rips(m, n, diagram.threshold);
  Series core, gudhi;
  for (int r = 0; r < flags.repeats; ++r) {
    core.Add(RunInProcess(engine_call));
    if (with_gudhi) gudhi.Add(RunInProcess([&] { gudhi_rips.Run(); }));
  }
  const double ph_ms = Median(ph.wall_ms), ripser_ms = Median(ripser.wall_ms);
  const double core_ms = Median(core.wall_ms);
  std::string gudhi_text = "skipped", gudhi_ratio = "-";
  if (with_gudhi) {
    gudhi_text = Ms(Median(gudhi.wall_ms));
    gudhi_ratio = std::to_string(static_cast<int>(Median(gudhi.wall_ms) / core_ms + 0.5)) + "x";
  }
  std::printf("| %4d | %9s | %9s | %5.1fx | %5.1fx | %6.1f | %6.1f | %9s | %9s | %7s |\n", n,
              Ms(ripser_ms).c_str(), Ms(ph_ms).c_str(), ripser_ms / ph_ms,
              Median(ripser.cpu_ms) / Median(ph.cpu_ms), ripser_kb / 1024.0, ph_kb / 1024.0,
              Ms(core_ms).c_str(), gudhi_text.c_str(), gudhi_ratio.c_str());
  std::fflush(stdout);
  std::remove(path.c_str());
  nlohmann::json row = {{"n", n},
                        {"ptune_ph", ph.Json()},
                        {"ripser", ripser.Json()},
                        {"ptune_ph_peak_kb", ph_kb},
                        {"ripser_peak_kb", ripser_kb},
                        {"engine", core.Json()}};
  if (with_gudhi) row["gudhi"] = gudhi.Json();
  return row;
}

nlohmann::json TypicalPrompt(int repeats) {
  torch::manual_seed(0);
  const torch::Tensor prompt = torch::randn({100, 768});
  PersistenceLayerOptions options;
  options.distance.normalize = true;
  auto layer = PersistenceLayer::Create(options).value();
  const Series total = TimeInProcess(repeats, [&] { (void)layer->Compute(prompt).value(); });
  // A TSLoss step: forward with a prompt that requires grad, then backward.
  const torch::Tensor leaf = prompt.clone().requires_grad_(true);
  const Series step = TimeInProcess(repeats, [&] {
    leaf.mutable_grad() = torch::Tensor();
    const DifferentiableDiagram d = layer->Compute(leaf).value();
    (0.1 * d.h0_deaths.sum() + 0.1 * TotalPersistence(d.h1_births, d.h1_deaths)).backward();
  });
  const torch::Tensor distances = PairwiseDistances(prompt, options.distance).contiguous();
  auto engine = RipsEngine::Create({}).value();
  Diagram diagram;
  const Series core = TimeInProcess(
      repeats, [&] { (void)engine->ComputeSquare(distances.data_ptr<float>(), 100, &diagram); });
  std::printf(
      "\nTypical prompt (n = 100, d = 768, float32, Euclidean, normalised), median of %d:\n",
      repeats);
  std::printf(
      "  PersistenceLayer::Compute (distances + H0/H1 + gather):        %.3f ms wall, %.3f ms "
      "CPU\n",
      Median(total.wall_ms), Median(total.cpu_ms));
  std::printf(
      "  Compute + backward (requires_grad, H0 + H1 total persistence): %.3f ms wall, %.3f ms "
      "CPU\n",
      Median(step.wall_ms), Median(step.cpu_ms));
  std::printf(
      "  RipsEngine::ComputeSquare alone (H0 + H1):                    %.3f ms wall, %.3f ms CPU\n",
      Median(core.wall_ms), Median(core.cpu_ms));
  return {{"n", 100},
          {"d", 768},
          {"compute", total.Json()},
          {"compute_backward", step.Json()},
          {"engine", core.Json()}};
}

}  // namespace
}  // namespace ptune::topology

int main(int argc, char** argv) {
  ptune::topology::Flags flags;
  CLI::App app{"Benchmark of ptune-ph / the Rips engine against ripser and GUDHI"};
  app.add_option("--sizes", flags.sizes, "Point counts (Gaussian clouds, d = 768)");
  app.add_option("--repeats", flags.repeats, "Runs per measurement (median reported)");
  app.add_option("--gudhi-max-n", flags.gudhi_max_n, "Largest n to run GUDHI on (it is slow)");
  app.add_option("--prompt-repeats", flags.prompt_repeats, "Calls per typical-prompt figure");
  app.add_option("--ph", flags.ph, "ptune-ph binary");
  app.add_option("--ripser", flags.ripser, "ripser binary");
  app.add_option("--dir", flags.dir, "Directory for the input files");
  app.add_option("--json", flags.json, "Also write every sample to this JSON file");
  app.add_flag("--prompt-only", flags.prompt_only, "Only the typical-prompt measurement");
  CLI11_PARSE(app, argc, argv);
  at::set_num_threads(1);
  nlohmann::json out = {{"repeats", flags.repeats},
                        {"gudhi_max_n", flags.gudhi_max_n},
                        {"rows", nlohmann::json::array()}};
  if (!flags.prompt_only) {
    std::printf(
        "Whole processes on the same lower-distance file (--format lower-distance --dim 1),\n"
        "alternating, median of %d runs; in-process engine vs GUDHI on the same float "
        "matrix.\n\n",
        flags.repeats);
    std::printf(
        "|    n | ripser CLI | ptune-ph | ratio (wall) | ratio (CPU) | ripser MiB | ptune-ph MiB | "
        "engine | GUDHI | GUDHI/engine |\n");
    std::printf("|---|---|---|---|---|---|---|---|---|---|\n");
    for (int n : flags.sizes) out["rows"].push_back(ptune::topology::Row(flags, n));
  }
  out["prompt"] = ptune::topology::TypicalPrompt(flags.prompt_repeats);
  if (!flags.json.empty()) {
    std::ofstream file(flags.json);
    file << out.dump(1) << "\n";
    if (!file) {
      std::fprintf(stderr, "cannot write %s\n", flags.json.c_str());
      return 1;
    }
  }
  return 0;
}
