// A real Prometheus server (the Debian /usr/bin/prometheus, or $PTUNE_PROMETHEUS)
// scrapes the scheduler's /metrics on loopback every 200 ms; its HTTP API must then
// report the target up and our ptune_ series with the values we caused.
#include <signal.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <thread>

#include "common/file_io.h"
#include "tests/server/http_get.h"
#include "tests/server/test_harness.h"
#include "tests/support/child_process.h"
#include "tests/support/free_port.h"

namespace ptune::server::testing {
namespace {

std::string PrometheusBinary() {
  const char* set = std::getenv("PTUNE_PROMETHEUS");
  return set != nullptr ? set : "/usr/bin/prometheus";
}

// Writes Prometheus's config into `dir` (scrape `target` every 200 ms) and returns the
// command line that serves its API on 127.0.0.1:`port`.
std::vector<std::string> PrometheusArgv(const std::string& binary, const std::string& dir,
                                        const std::string& target, int port) {
  const std::string config = dir + "/prometheus.yml";
  std::ofstream(config) << "global:\n  scrape_interval: 200ms\n  scrape_timeout: 150ms\n"
                        << "scrape_configs:\n  - job_name: ptune\n    static_configs:\n"
                        << "      - targets: [\"" << target << "\"]\n";
  return {binary, "--config.file=" + config, "--storage.tsdb.path=" + dir + "/data",
          "--web.listen-address=127.0.0.1:" + std::to_string(port)};
}

// A Prometheus child process scraping `target` (host:port), its data and log in `dir`.
class Prometheus {
 public:
  Prometheus(const std::string& binary, const std::string& dir, const std::string& target)
      : port_(support::FreePort()),
        log_(dir + "/prometheus.log"),
        child_(PrometheusArgv(binary, dir, target, port_), log_) {}
  // A clean stop first, so Prometheus closes its database; the ChildProcess kills it
  // if it is still running after 5 s.
  ~Prometheus() {
    child_.Signal(SIGTERM);
    child_.Wait(std::chrono::seconds(5));
  }
  // Runs an instant query; the JSON body, or "" while the server is not answering.
  std::string Query(const std::string& encoded_promql) const {
    HttpResponse response = HttpGet(port_, "/api/v1/query?query=" + encoded_promql);
    return response.status == 200 ? response.body : "";
  }
  std::string Log() const { return ReadFile(log_).value_or(""); }

 private:
  const int port_;
  const std::string log_;
  support::ChildProcess child_;
};

// Polls `query` until its JSON answer contains `expected` (≤ 20 s: Prometheus needs
// ~1 s to start here, and the first scrape follows within 200 ms).
bool WaitForAnswer(const Prometheus& prometheus, const std::string& query,
                   const std::string& expected, std::string* last) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    *last = prometheus.Query(query);
    if (last->find(expected) != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

TEST(PrometheusScrape, RealPrometheusScrapesTheScheduler) {
  const std::string binary = PrometheusBinary();
  struct stat info;
  ASSERT_TRUE(stat(binary.c_str(), &info) == 0 && (info.st_mode & S_IXUSR))
      << "the Prometheus server binary " << binary
      << " is missing: install the Debian package `prometheus` (scripts/setup.sh) or set "
         "PTUNE_PROMETHEUS to its path";
  TempDir dir;
  SchedulerOptions options = TestOptions(dir.path());
  options.metrics_address = "127.0.0.1:0";
  auto server = SchedulerServer::Create(options);
  ASSERT_TRUE(server.ok()) << server.status();
  Client client((*server)->port());
  client.MustSubmit("prometheus-1");
  client.MustSubmit("prometheus-2");

  Prometheus prometheus(binary, dir.path(),
                        "127.0.0.1:" + std::to_string((*server)->metrics_port()));
  std::string answer;
  // up{job="ptune"} == 1: the last scrape of our target succeeded.
  EXPECT_TRUE(WaitForAnswer(prometheus, "up%7Bjob%3D%22ptune%22%7D", "\"1\"]", &answer))
      << "Prometheus did not report the scheduler target up; last answer: " << answer
      << "\nprometheus log:\n"
      << prometheus.Log();
  EXPECT_NE(answer.find("\"job\":\"ptune\""), std::string::npos) << answer;
  // A ptune_ series with the value this test caused.
  EXPECT_TRUE(WaitForAnswer(prometheus, "ptune_jobs_submitted_total", "\"2\"]", &answer))
      << "ptune_jobs_submitted_total was not 2 in Prometheus; last answer: " << answer;
  EXPECT_NE(answer.find("\"__name__\":\"ptune_jobs_submitted_total\""), std::string::npos)
      << answer;
}

}  // namespace
}  // namespace ptune::server::testing
