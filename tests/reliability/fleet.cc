#include "tests/reliability/fleet.h"

#include <signal.h>

#include <thread>

#include "absl/strings/str_cat.h"
#include "tests/support/free_port.h"

namespace ptune::reliability {
namespace {

std::string Tail(const std::string& text, size_t n = 2500) {
  return text.size() <= n ? text : text.substr(text.size() - n);
}

std::chrono::system_clock::time_point In(std::chrono::seconds s) {
  return std::chrono::system_clock::now() + s;
}

}  // namespace

Fleet::Fleet(std::vector<std::string> scheduler_flags)
    : dir_("ptune-reliability"),
      port_(support::FreePort()),
      scheduler_flags_(std::move(scheduler_flags)),
      stub_(v1::JobService::NewStub(
          grpc::CreateChannel(address(), grpc::InsecureChannelCredentials()))) {}

Fleet::~Fleet() {
  // Workers first so they do not spin reconnecting to a dead scheduler.
  for (auto& [id, w] : workers_) w->Signal(SIGKILL);
  workers_.clear();
  scheduler_.reset();
}

std::string Fleet::address() const { return absl::StrCat("127.0.0.1:", port_); }

bool Fleet::StartScheduler() {
  if (scheduler_) {
    scheduler_->Signal(SIGKILL);
    scheduler_->Wait(std::chrono::seconds(10));
  }
  std::vector<std::string> argv = {PTUNE_SCHEDULER_BIN, "--listen",         address(), "--store",
                                   store_path(),        "--shutdown-grace", "1s"};
  argv.insert(argv.end(), scheduler_flags_.begin(), scheduler_flags_.end());
  scheduler_ = std::make_unique<support::ChildProcess>(
      argv, dir_.File(absl::StrCat("scheduler-", ++scheduler_starts_, ".log")));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline && scheduler_->running()) {
    if (ConnectedWorkers() >= 0) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

void Fleet::StartWorker(const std::string& id) {
  workers_[id] = std::make_unique<support::ChildProcess>(
      std::vector<std::string>{PTUNE_WORKER_BIN, "--scheduler", address(), "--id", id, "--work-dir",
                               dir_.File(id), "--threads", "1", "--metrics-listen", ""},
      dir_.File(id + ".log"));
}

void Fleet::KillWorker(const std::string& id) {
  auto& w = *workers_.at(id);
  w.Signal(SIGKILL);
  w.Wait(std::chrono::seconds(10));
}

int Fleet::ConnectedWorkers() {
  grpc::ClientContext context;
  context.set_deadline(In(std::chrono::seconds(2)));
  v1::ListWorkersResponse response;
  if (!stub_->ListWorkers(&context, v1::ListWorkersRequest(), &response).ok()) return -1;
  int connected = 0;
  for (const auto& w : response.workers()) {
    connected += w.state() != v1::WORKER_STATE_LOST && w.state() != v1::WORKER_STATE_UNSPECIFIED;
  }
  return connected;
}

v1::Job Fleet::GetJob(const std::string& job_id) {
  grpc::ClientContext context;
  context.set_deadline(In(std::chrono::seconds(5)));
  v1::GetJobRequest request;
  request.set_job_id(job_id);
  v1::Job job;
  if (!stub_->GetJob(&context, request, &job).ok()) return v1::Job();
  return job;
}

grpc::Status Fleet::WatchAll(const std::string& job_id, std::vector<v1::JobEvent>* events) {
  grpc::ClientContext context;
  context.set_deadline(In(std::chrono::seconds(30)));
  v1::WatchJobRequest request;
  request.set_job_id(job_id);
  auto reader = stub_->WatchJob(&context, request);
  v1::JobEvent event;
  while (reader->Read(&event)) events->push_back(event);
  return reader->Finish();
}

std::string Fleet::Logs() const {
  std::string out;
  if (scheduler_) out += "--- scheduler:\n" + Tail(scheduler_->Stdout()) + "\n";
  for (const auto& [id, w] : workers_) out += "--- " + id + ":\n" + Tail(w->Stdout()) + "\n";
  return out;
}

std::string ShortJobYaml(const std::string& name, int steps) {
  return absl::StrCat("name: ", name,
                      "\nmodel:\n  source: use-lite\n"
                      "data:\n  dataset: uci-sentiment\n"
                      "  max_seq_len: 16\n  max_train_examples: 64\n"
                      "  validation_fraction: 0.02\n  test_fraction: 0.02\n"
                      "method: pt\nprompt:\n  length: 4\n"
                      "train:\n  steps: ",
                      steps,
                      "\n  batch_size: 4\n  eval_every: 10\n  checkpoint_every: 5\n"
                      "topology:\n  every: 5\n");
}

std::string StreamViolation(const std::vector<v1::JobEvent>& events) {
  // Eval records are per split (validation, test), so they are keyed by kind and split.
  // Value: the last step seen.
  std::map<std::pair<int, std::string>, uint64_t> last;
  for (size_t i = 0; i < events.size(); ++i) {
    const v1::JobEvent& e = events[i];
    if (e.seq() != i + 1) {
      return absl::StrCat("position ", i, " has seq ", e.seq(), " (gap or duplicate)");
    }
    uint64_t step = 0;
    switch (e.kind_case()) {
      case v1::JobEvent::kStep:
        step = e.step().step();
        break;
      case v1::JobEvent::kEval:
        step = e.eval().step();
        break;
      case v1::JobEvent::kTopology:
        step = e.topology().step();
        break;
      case v1::JobEvent::kCheckpoint:
        step = e.checkpoint().step();
        break;
      default:
        continue;
    }
    const std::string split = e.has_eval() ? e.eval().split() : "";
    auto [it, first] = last.emplace(std::make_pair(e.kind_case(), split), step);
    if (!first) {
      if (step <= it->second) {
        return absl::StrCat("seq ", e.seq(), " kind ", e.kind_case(), split, " step ", step,
                            " after step ", it->second, " (attempt ", e.attempt(), ")");
      }
      it->second = step;
    }
  }
  return "";
}

}  // namespace ptune::reliability
