// The real ptunectl binary against a real scheduler on loopback (worker double):
// submit/watch/cancel/download/plot flows, exit codes and machine-readable output.
#include <filesystem>
#include <sstream>
#include <thread>

#include "boost/property_tree/ptree.hpp"
#include "boost/property_tree/xml_parser.hpp"
#include "common/file_io.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "ptune/v1/job_service.pb.h"
#include "tests/client/ctl_process.h"
#include "tests/client/scheduler_fixture.h"

namespace ptune::client::testing {
namespace {

namespace v1 = ::ptune::v1;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr char kSpec[] = R"(name: cli-test
data:
  dataset: uci-sentiment
method: ept
train:
  steps: 10
tsloss:
  enabled: true
)";

template <typename Message>
Message ParseJson(const std::string& json) {
  Message message;
  auto status = google::protobuf::util::JsonStringToMessage(json, &message);
  EXPECT_TRUE(status.ok()) << status.ToString() << "\n" << json;
  return message;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

class Ptunectl : public SchedulerFixture {
 protected:
  CtlResult Ctl(std::vector<std::string> args) {
    args.insert(args.begin(), {"--server", address()});
    return RunCtl(args);
  }
  // Submits kSpec with ptunectl and returns the id it printed.
  std::string SubmitId(const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {"submit", WriteFile("spec.yaml", kSpec), "-o", "id"};
    args.insert(args.end(), extra.begin(), extra.end());
    CtlResult r = Ctl(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(Lines(r.out).size(), 1u) << r.out;
    return Lines(r.out).empty() ? "" : Lines(r.out)[0];
  }
  // Runs the assigned job through `steps` steps and finishes it with `result`.
  void Train(const std::string& id, uint64_t steps, v1::JobFinished::Result result,
             const std::string& reason = "") {
    ASSERT_EQ(TakeAssignment(), id);
    uint64_t last = SendTraining(id, 1, 1, steps, steps);
    Finish(id, result, last, reason);
  }
};

TEST_F(Ptunectl, SubmitPrintsOnlyTheIdAndGetJsonParses) {
  std::string id = SubmitId({"--label", "team=nlp", "--priority", "3"});
  ASSERT_FALSE(id.empty());
  CtlResult get = Ctl({"get", id, "-o", "json"});
  ASSERT_EQ(get.exit_code, 0) << get.err;
  v1::Job job = ParseJson<v1::Job>(get.out);
  EXPECT_EQ(job.id(), id);
  EXPECT_EQ(job.spec().name(), "cli-test");
  EXPECT_EQ(job.spec().method(), v1::METHOD_EPT);
  EXPECT_EQ(job.priority(), 3);
  EXPECT_EQ(job.labels().at("team"), "nlp");
  CtlResult human = Ctl({"get", id});
  ASSERT_EQ(human.exit_code, 0);
  EXPECT_THAT(human.out, HasSubstr("Method    ept"));
  EXPECT_THAT(human.out, HasSubstr("Labels    team=nlp"));
}

TEST_F(Ptunectl, SubmitWithTheSameRequestIdReturnsTheSameJob) {
  std::string first = SubmitId({"--request-id", "same"});
  std::string second = SubmitId({"--request-id", "same"});
  EXPECT_EQ(first, second);
  CtlResult human = Ctl({"submit", WriteFile("s.yaml", kSpec), "--request-id", "same"});
  EXPECT_THAT(human.out, StartsWith("already submitted as job " + first));
}

TEST_F(Ptunectl, InvalidSpecFailsLocallyNamingFieldsAndSubmitsNothing) {
  std::string bad = WriteFile("bad.yaml",
                              "data:\n  dataset: x\ntrain:\n  batch_size: 0\n"
                              "prompt:\n  length: 0\n");
  CtlResult r = Ctl({"submit", bad});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr(bad + ": invalid job spec:\n"
                                     "  prompt.length: must be in [1, 4096] (got 0)\n"
                                     "  train.batch_size: must be in [1, 4096] (got 0)"));
  std::string typo = WriteFile("typo.yaml", "data:\n  dataset: x\ntrain:\n  stepz: 3\n");
  r = Ctl({"submit", typo});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr(typo + ":4:3: train.stepz: unknown field; did you mean \"steps\"?"));
  r = Ctl({"submit", temp_dir() + "/missing.yaml"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("job spec file " + temp_dir() + "/missing.yaml: cannot open"));
  CtlResult list = Ctl({"list", "-o", "json"});
  EXPECT_EQ(ParseJson<v1::ListJobsResponse>(list.out).jobs_size(), 0);
}

TEST_F(Ptunectl, UsageErrorsExitTwoWithHelp) {
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"get"},
                                             {"frobnicate"},
                                             {"list", "--state", "bogus"},
                                             {"watch", "x", "-o", "fancy"},
                                             {"plot", "x", "--out", "figure.gif"},
                                             {"submit", "s.yaml", "--label", "novalue"}}) {
    CtlResult r = Ctl(args);
    EXPECT_EQ(r.exit_code, 2) << args[0] << ": " << r.err;
    EXPECT_FALSE(r.err.empty());
  }
  for (const char* command :
       {"submit", "list", "get", "cancel", "watch", "logs", "download", "workers", "plot"}) {
    CtlResult help = Ctl({command, "--help"});
    EXPECT_EQ(help.exit_code, 0) << command;
    EXPECT_THAT(help.out, HasSubstr("Usage:")) << command;
  }
}

TEST_F(Ptunectl, UnreachableAndNotFoundHaveTheirOwnCodes) {
  CtlResult r = RunCtl({"--server", "127.0.0.1:1", "list"});
  EXPECT_EQ(r.exit_code, 5);
  EXPECT_THAT(r.err, HasSubstr("127.0.0.1:1 is unreachable"));
  EXPECT_THAT(r.err, HasSubstr("check that ptune-scheduler runs there"));
  r = Ctl({"get", "no-such-job"});
  EXPECT_EQ(r.exit_code, 7);
}

TEST_F(Ptunectl, WatchPrintsOneLinePerEventAndExitsZeroOnSuccess) {
  std::string id = SubmitId();
  Train(id, 10, v1::JobFinished::RESULT_SUCCEEDED);
  CtlResult r = Ctl({"watch", id});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> lines = Lines(r.out);
  // QUEUED, RUNNING, 10 steps, 2 x (eval + topology), SUCCEEDED.
  ASSERT_EQ(lines.size(), 17u) << r.out;
  for (size_t i = 0; i < lines.size(); ++i) {
    EXPECT_THAT(lines[i], StartsWith("#" + std::to_string(i + 1) + " ")) << lines[i];
  }
  EXPECT_THAT(lines[0], HasSubstr("state UNSPECIFIED -> QUEUED"));
  EXPECT_THAT(lines[2], HasSubstr("step 1/10 loss=1.01"));
  EXPECT_THAT(r.out, HasSubstr("eval step=5 validation accuracy=0.75"));
  EXPECT_THAT(r.out, HasSubstr("topology step=10"));
  EXPECT_THAT(lines.back(), HasSubstr("-> SUCCEEDED"));
  // Resume from a seq: only the rest.
  CtlResult rest = Ctl({"watch", id, "--from", "15"});
  EXPECT_EQ(Lines(rest.out).size(), 2u);
}

TEST_F(Ptunectl, WatchJsonLinesParseAsEvents) {
  std::string id = SubmitId();
  Train(id, 5, v1::JobFinished::RESULT_SUCCEEDED);
  CtlResult r = Ctl({"watch", id, "-o", "jsonl"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> lines = Lines(r.out);
  ASSERT_EQ(lines.size(), 10u);
  for (size_t i = 0; i < lines.size(); ++i) {
    v1::JobEvent event = ParseJson<v1::JobEvent>(lines[i]);
    EXPECT_EQ(event.seq(), i + 1);
    EXPECT_EQ(event.job_id(), id);
  }
}

TEST_F(Ptunectl, FailedJobExitsThreeWithTheReason) {
  std::string id = SubmitId();
  Train(id, 3, v1::JobFinished::RESULT_FAILED, "loss became NaN at step 3");
  CtlResult r = Ctl({"watch", id});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_THAT(r.err, HasSubstr("job " + id + " ended FAILED"));
  EXPECT_THAT(r.err, HasSubstr("loss became NaN at step 3"));
}

TEST_F(Ptunectl, CancelThenWatchExitsFour) {
  worker_.reset();  // no worker: the job stays queued
  std::string id = SubmitId();
  CtlResult cancel = Ctl({"cancel", id, "--reason", "wrong data"});
  ASSERT_EQ(cancel.exit_code, 0) << cancel.err;
  EXPECT_EQ(cancel.out, "job " + id + ": CANCELLED\n");
  CtlResult watch = Ctl({"watch", id});
  EXPECT_EQ(watch.exit_code, 4);
  EXPECT_THAT(watch.err, HasSubstr("ended CANCELLED"));
  CtlResult again = Ctl({"cancel", id});
  EXPECT_EQ(again.exit_code, 1);
  CtlResult listed = Ctl({"list", "--state", "cancelled", "-o", "json"});
  EXPECT_EQ(ParseJson<v1::ListJobsResponse>(listed.out).jobs_size(), 1);
  listed = Ctl({"list", "--state", "running", "-o", "json"});
  EXPECT_EQ(ParseJson<v1::ListJobsResponse>(listed.out).jobs_size(), 0);
}

TEST_F(Ptunectl, SubmitWatchFollowsToTheEnd) {
  std::thread trainer([&] {
    std::string id = TakeAssignment();
    uint64_t last = SendTraining(id, 1, 1, 4, 4);
    Finish(id, v1::JobFinished::RESULT_SUCCEEDED, last);
  });
  CtlResult r = Ctl({"submit", WriteFile("spec.yaml", kSpec), "--watch"});
  trainer.join();
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, StartsWith("submitted job "));
  EXPECT_THAT(r.out, HasSubstr("-> SUCCEEDED"));
}

TEST_F(Ptunectl, DownloadWritesEveryArtifact) {
  std::string id = SubmitId();
  ASSERT_EQ(TakeAssignment(), id);
  worker_->Artifact(id, 1, "prompt.safetensors", std::string(70000, 'p'));
  worker_->Artifact(id, 1, "adapter/adapter_config.json", "{\"peft_type\": \"PROMPT_TUNING\"}");
  Finish(id, v1::JobFinished::RESULT_SUCCEEDED, 0);
  ASSERT_EQ(Ctl({"watch", id}).exit_code, 0);
  std::string out = temp_dir() + "/dl";
  CtlResult r = Ctl({"download", id, "--out", out});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(std::filesystem::file_size(out + "/prompt.safetensors"), 70000u);
  EXPECT_EQ(ReadFile(out + "/adapter/adapter_config.json").value(),
            "{\"peft_type\": \"PROMPT_TUNING\"}");
  EXPECT_THAT(r.out, HasSubstr("wrote " + out + "/prompt.safetensors (70000 bytes)"));
}

TEST_F(Ptunectl, DownloadBeforeAnyArtifactSaysWhatToDo) {
  worker_.reset();
  std::string id = SubmitId();
  CtlResult r = Ctl({"download", id});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("has no artifacts yet (state QUEUED)"));
  EXPECT_THAT(r.err, HasSubstr("ptunectl watch " + id));
}

TEST_F(Ptunectl, PlotWritesAWellFormedSvgWithTheSeries) {
  std::string id = SubmitId();
  Train(id, 20, v1::JobFinished::RESULT_SUCCEEDED);
  std::string path = temp_dir() + "/figure.svg";
  CtlResult r = Ctl({"plot", id, "--out", path});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  boost::property_tree::ptree tree;
  boost::property_tree::read_xml(path, tree);  // throws if malformed
  std::map<std::string, std::string> points;
  std::function<void(const boost::property_tree::ptree&)> walk = [&](const auto& node) {
    for (const auto& [name, child] : node) {
      if (name == "g" && child.get("<xmlattr>.class", "") == "series") {
        points[child.template get<std::string>("<xmlattr>.id")] =
            child.template get<std::string>("<xmlattr>.data-points");
      }
      walk(child);
    }
  };
  walk(tree);
  EXPECT_EQ(points["series-loss"], "20");
  EXPECT_EQ(points["series-tsloss"], "20");
  EXPECT_EQ(points["series-eval-validation-accuracy"], "4");
  EXPECT_EQ(points["series-h0-total"], "4");
  EXPECT_EQ(points["series-h1-total"], "4");
  EXPECT_EQ(points["diagram-h0"], "2");
  EXPECT_EQ(points["diagram-h1"], "1");
  const std::string svg = ReadFile(path).value();
  EXPECT_THAT(svg, HasSubstr("job " + id + " (cli-test): ept + TSLoss"));
}

// PNG goes through rsvg-convert (librsvg2-bin, installed by scripts/setup.sh).
TEST_F(Ptunectl, PlotWritesAPngOfTheSvgsSize) {
  std::string id = SubmitId();
  Train(id, 10, v1::JobFinished::RESULT_SUCCEEDED);
  std::string path = temp_dir() + "/figure.png";
  CtlResult r = Ctl({"plot", id, "--out", path});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string png = ReadFile(path).value();
  ASSERT_GT(png.size(), 24u);
  EXPECT_EQ(png.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  EXPECT_EQ(png.substr(12, 4), "IHDR");
  auto be32 = [&png](size_t at) {
    uint32_t v = 0;
    for (size_t i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(png[at + i]);
    return v;
  };
  boost::property_tree::ptree svg;
  boost::property_tree::read_xml(temp_dir() + "/figure.svg", svg);
  EXPECT_NEAR(be32(16), svg.get<double>("svg.<xmlattr>.width"), 1.0);
  EXPECT_NEAR(be32(20), svg.get<double>("svg.<xmlattr>.height"), 1.0);
}

TEST_F(Ptunectl, WorkersAndLogs) {
  CtlResult workers = Ctl({"workers", "-o", "json"});
  ASSERT_EQ(workers.exit_code, 0) << workers.err;
  v1::ListWorkersResponse listed = ParseJson<v1::ListWorkersResponse>(workers.out);
  ASSERT_EQ(listed.workers_size(), 1);
  EXPECT_EQ(listed.workers(0).worker_id(), "w1");
  EXPECT_THAT(Ctl({"workers"}).out, HasSubstr("w1"));
  std::string id = SubmitId();
  ASSERT_EQ(TakeAssignment(), id);
  v1::JobEvent log;
  log.mutable_log()->set_level(v1::LogLine::LEVEL_WARNING);
  log.mutable_log()->set_message("bf16 autocast unavailable, using fp32");
  worker_->Telemetry(id, 1, 1, {log});
  ASSERT_TRUE(worker_->ExpectAck(id, 1));
  CtlResult logs = Ctl({"logs", id});  // the job is still running: prints what is stored
  ASSERT_EQ(logs.exit_code, 0) << logs.err;
  EXPECT_THAT(logs.out, HasSubstr("log warning: bf16 autocast unavailable, using fp32"));
  EXPECT_THAT(logs.out, HasSubstr("-> RUNNING"));
}

TEST_F(Ptunectl, WatchSurvivesASchedulerRestart) {
  std::string id = SubmitId();
  ASSERT_EQ(TakeAssignment(), id);
  uint64_t last = SendTraining(id, 1, 1, 6, 12);
  CtlProcess watch({"--server", address(), "watch", id}, {});
  for (int i = 0; i < 250 && Lines(watch.OutSoFar()).size() < last + 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_EQ(Lines(watch.OutSoFar()).size(), last + 2) << watch.OutSoFar();
  RestartScheduler(id, 6);
  last = SendTraining(id, last + 1, 7, 12, 12);
  Finish(id, v1::JobFinished::RESULT_SUCCEEDED, last);
  CtlResult r = watch.Wait();
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("reconnecting"));
  std::vector<std::string> lines = Lines(r.out);
  for (size_t i = 0; i < lines.size(); ++i) {
    ASSERT_THAT(lines[i], StartsWith("#" + std::to_string(i + 1) + " ")) << "gap or duplicate";
  }
  EXPECT_THAT(lines.back(), HasSubstr("-> SUCCEEDED"));
}

}  // namespace
}  // namespace ptune::client::testing
