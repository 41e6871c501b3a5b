// The event-folding model and the terminal rendering of `ptunectl watch`.
#include <string>
#include <vector>

#include "client/view/event_lines.h"
#include "client/view/job_progress.h"
#include "client/view/terminal_view.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ptune::client {
namespace {

namespace v1 = ::ptune::v1;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

v1::JobEvent Step(uint64_t seq, uint64_t step, double loss, double seconds, uint32_t attempt = 1) {
  v1::JobEvent e;
  e.set_seq(seq);
  e.set_attempt(attempt);
  e.mutable_time()->set_seconds(1000 + static_cast<int64_t>(seconds));
  e.mutable_step()->set_step(step);
  e.mutable_step()->set_total_steps(100);
  e.mutable_step()->set_loss(loss);
  e.mutable_step()->set_task_loss(loss - 0.1);
  e.mutable_step()->set_tsloss(0.1);
  e.mutable_step()->set_batch_accuracy(0.75);
  e.mutable_step()->set_tokens_per_second(2500);
  return e;
}

v1::JobEvent State(uint64_t seq, v1::JobState to, const std::string& reason = "") {
  v1::JobEvent e;
  e.set_seq(seq);
  e.mutable_state()->set_to(to);
  e.mutable_state()->set_reason(reason);
  e.mutable_state()->set_worker_id("w1");
  return e;
}

v1::JobEvent Eval(uint64_t seq, uint64_t step, double accuracy) {
  v1::JobEvent e;
  e.set_seq(seq);
  e.mutable_eval()->set_step(step);
  e.mutable_eval()->set_split("validation");
  (*e.mutable_eval()->mutable_metrics())["accuracy"] = accuracy;
  (*e.mutable_eval()->mutable_metrics())["loss"] = 1 - accuracy;
  return e;
}

v1::JobEvent Topology(uint64_t seq, uint64_t step, bool with_pairs) {
  v1::JobEvent e;
  e.set_seq(seq);
  v1::TopologySnapshot* t = e.mutable_topology();
  t->set_step(step);
  t->mutable_summary()->set_h0_bars(19);
  t->mutable_summary()->set_h1_bars(3);
  t->mutable_summary()->set_h0_total_persistence(12.5);
  t->mutable_summary()->set_h1_total_persistence(0.25);
  if (with_pairs) {
    v1::PersistencePair* p = t->add_pairs();
    p->set_dim(1);
    p->set_birth(0.5);
    p->set_death(0.75);
  }
  return e;
}

TEST(JobProgress, FoldsStepsEvalsTopologyAndState) {
  JobProgress p;
  p.Add(State(1, v1::JOB_STATE_RUNNING));
  for (uint64_t s = 1; s <= 10; ++s) p.Add(Step(1 + s, s, 1.0 / s, s));
  p.Add(Eval(12, 10, 0.8));
  p.Add(Topology(13, 10, true));
  p.Add(Topology(14, 20, false));
  EXPECT_EQ(p.state(), v1::JOB_STATE_RUNNING);
  EXPECT_EQ(p.worker_id(), "w1");
  EXPECT_EQ(p.step(), 10u);
  EXPECT_EQ(p.total_steps(), 100u);
  EXPECT_EQ(p.last_seq(), 14u);
  EXPECT_TRUE(p.has_tsloss());
  EXPECT_EQ(p.PrimaryEvalSeries(), "validation/accuracy");
  ASSERT_EQ(p.evals().at("validation/accuracy").size(), 1u);
  EXPECT_EQ(p.topology().size(), 2u);
  ASSERT_TRUE(p.latest_diagram().has_value());
  EXPECT_EQ(p.latest_diagram()->step(), 10u);  // the step-20 snapshot had no pairs
  // 9 steps in 9 s of event time: 1 step/s, 90 left.
  EXPECT_DOUBLE_EQ(p.StepsPerSecond(), 1.0);
  ASSERT_TRUE(p.EtaSeconds().has_value());
  EXPECT_DOUBLE_EQ(*p.EtaSeconds(), 90.0);
}

TEST(JobProgress, RetriedAttemptSupersedesStepsAfterItsCheckpoint) {
  JobProgress p;
  for (uint64_t s = 1; s <= 15; ++s) p.Add(Step(s, s, 1.0, s));
  // Attempt 2 resumes from the checkpoint at step 10.
  p.Add(Step(16, 11, 0.5, 100, 2));
  p.Add(Step(17, 12, 0.4, 101, 2));
  std::vector<uint64_t> steps;
  for (const StepPoint& s : p.steps()) steps.push_back(s.step);
  ASSERT_EQ(steps.size(), 12u);
  EXPECT_EQ(steps[9], 10u);
  EXPECT_EQ(steps[10], 11u);
  EXPECT_DOUBLE_EQ(p.steps()[10].loss, 0.5);
  EXPECT_EQ(p.attempt(), 2u);
}

TEST(JobProgress, NoEtaWhenFinalOrUnknown) {
  JobProgress p;
  EXPECT_FALSE(p.EtaSeconds().has_value());
  p.Add(State(1, v1::JOB_STATE_RUNNING));
  p.Add(Step(2, 1, 1, 0));
  EXPECT_FALSE(p.EtaSeconds().has_value());  // one point: no rate yet
  p.Add(Step(3, 2, 1, 2));
  EXPECT_TRUE(p.EtaSeconds().has_value());
  p.Add(State(4, v1::JOB_STATE_SUCCEEDED));
  EXPECT_FALSE(p.EtaSeconds().has_value());
}

TEST(TerminalView, ProgressBarAndSparkline) {
  EXPECT_EQ(ProgressBar(0.5, 10, false), "#####-----");
  EXPECT_EQ(ProgressBar(2.0, 4, false), "####");
  EXPECT_EQ(ProgressBar(0.25, 4, true), "█░░░");
  EXPECT_EQ(Sparkline({0, 1, 2, 3, 4, 5, 6, 7}, 8, true), "▁▂▃▄▅▆▇█");
  EXPECT_EQ(Sparkline({3, 3, 3}, 10, false), ":::");  // flat: mid level
  // 100 values squeezed into 4 cells: rising means rising cells.
  std::vector<double> rising;
  for (int i = 0; i < 100; ++i) rising.push_back(i);
  EXPECT_EQ(Sparkline(rising, 4, false), "_-+#");
  EXPECT_EQ(Sparkline({}, 4, true), "");
}

TEST(TerminalView, WidthHandlingKeepsEscapesAndUtf8) {
  EXPECT_EQ(DisplayWidth("\x1b[1;32mOK\x1b[0m █"), 4);
  EXPECT_EQ(FitToWidth("▁▂▃▄▅", 3), "▁▂▃");
  EXPECT_EQ(FitToWidth("\x1b[1mabc\x1b[0m", 2), "\x1b[1mab\x1b[0m");
  EXPECT_EQ(FormatDuration(42), "42s");
  EXPECT_EQ(FormatDuration(185), "3m05s");
  EXPECT_EQ(FormatDuration(7320), "2h02m");
  EXPECT_EQ(FormatCompact(0.693147), "0.6931");
  EXPECT_EQ(FormatCompact(12345), "12.3k");
  EXPECT_EQ(FormatCompact(1.5e-5), "1.5e-05");
}

TEST(TerminalView, LiveBlockShowsBarEtaMetricsChartsAndTopology) {
  JobProgress p;
  p.Add(State(1, v1::JOB_STATE_RUNNING));
  for (uint64_t s = 1; s <= 50; ++s) p.Add(Step(1 + s, s, 2.0 / s, s));
  p.Add(Eval(52, 50, 0.8));
  p.Add(Topology(53, 50, false));
  TerminalStyle style{70, true, false};
  std::vector<std::string> lines = RenderLiveBlock("job-1", p, style);
  ASSERT_EQ(lines.size(), 6u);
  EXPECT_EQ(lines[0], "job job-1  RUNNING  on w1");
  EXPECT_THAT(lines[1], HasSubstr("█░"));
  EXPECT_THAT(lines[1], HasSubstr(" 50/100  50%  ETA 50s"));
  EXPECT_THAT(lines[2], HasSubstr("loss 0.04  task -0.06  tsloss 0.1  acc 0.75  2500 tok/s"));
  EXPECT_THAT(lines[3], HasSubstr("loss "));
  EXPECT_THAT(lines[3], HasSubstr("█"));
  EXPECT_THAT(lines[3], HasSubstr("2 -> 0.04"));
  EXPECT_THAT(lines[4], HasSubstr("validation/accuracy"));
  EXPECT_THAT(lines[4], HasSubstr("0.8 (max 0.8 @50)"));
  EXPECT_THAT(lines[5], HasSubstr("H0 19 bars sum 12.5"));
  EXPECT_THAT(lines[5], HasSubstr("H1 3 bars sum 0.25"));
  for (const std::string& line : lines) EXPECT_LE(DisplayWidth(line), 70) << line;
}

TEST(TerminalView, LiveRendererRedrawsInPlace) {
  std::ostringstream out;
  LiveRenderer renderer(&out);
  renderer.Update({}, {"a", "b"});
  renderer.Update({"log line"}, {"c", "d"});
  EXPECT_EQ(out.str(), "a\nb\n\x1b[2F\x1b[Jlog line\nc\nd\n");
}

TEST(EventLines, OneStableLinePerEvent) {
  EXPECT_EQ(FormatEventLine(State(3, v1::JOB_STATE_FAILED, "NaN loss at step 7")),
            "#3 state UNSPECIFIED -> FAILED on w1 (NaN loss at step 7)");
  EXPECT_EQ(FormatEventLine(Step(4, 7, 0.5, 0)),
            "#4 step 7/100 loss=0.5 task_loss=0.4 tsloss=0.1 acc=0.75 tok/s=2500");
  EXPECT_EQ(FormatEventLine(Eval(5, 50, 0.75)),
            "#5 eval step=50 validation accuracy=0.75 loss=0.25");
  EXPECT_EQ(FormatEventLine(Topology(6, 50, true)),
            "#6 topology step=50 h0_bars=19 h0_total=12.5 h1_bars=3 h1_total=0.25 h1_max=0 "
            "betti0=0 betti1=0 pairs=1");
  std::string json = FormatEventJson(Step(4, 7, 0.5, 0));
  EXPECT_THAT(json, HasSubstr("\"seq\":\"4\""));
  EXPECT_THAT(json, HasSubstr("\"total_steps\":\"100\""));
  EXPECT_EQ(json.find('\n'), std::string::npos);
}

}  // namespace
}  // namespace ptune::client
