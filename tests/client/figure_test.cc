// The SVG figure of `ptunectl plot`: well-formed XML (parsed by Boost.PropertyTree's
// XML reader) with the expected series and point counts.
#include <cmath>
#include <limits>
#include <map>
#include <sstream>
#include <string>

#include "boost/property_tree/ptree.hpp"
#include "boost/property_tree/xml_parser.hpp"
#include "client/plot/svg_writer.h"
#include "client/plot/training_figure.h"
#include "gtest/gtest.h"

namespace ptune::client {
namespace {

namespace v1 = ::ptune::v1;
using boost::property_tree::ptree;

// Every <g class="series"> anywhere in the document: id -> data-points.
void CollectSeries(const ptree& node, std::map<std::string, int>* out) {
  for (const auto& [name, child] : node) {
    if (name == "g" && child.get("<xmlattr>.class", "") == "series") {
      (*out)[child.get<std::string>("<xmlattr>.id")] = child.get<int>("<xmlattr>.data-points");
    }
    CollectSeries(child, out);
  }
}

std::map<std::string, int> ParseSeries(const std::string& svg) {
  std::istringstream in(svg);
  ptree tree;
  boost::property_tree::read_xml(in, tree);  // throws on malformed XML
  EXPECT_EQ(tree.get<std::string>("svg.<xmlattr>.xmlns"), "http://www.w3.org/2000/svg");
  std::map<std::string, int> series;
  CollectSeries(tree, &series);
  return series;
}

JobProgress TrainedJob() {
  JobProgress p;
  uint64_t seq = 0;
  for (uint64_t s = 1; s <= 30; ++s) {
    v1::JobEvent e;
    e.set_seq(++seq);
    e.mutable_step()->set_step(s);
    e.mutable_step()->set_total_steps(30);
    e.mutable_step()->set_loss(1.0 / s + 0.05);
    e.mutable_step()->set_task_loss(1.0 / s);
    e.mutable_step()->set_tsloss(0.05);
    p.Add(e);
    if (s % 10 == 0) {
      v1::JobEvent eval;
      eval.set_seq(++seq);
      eval.mutable_eval()->set_step(s);
      eval.mutable_eval()->set_split("validation");
      (*eval.mutable_eval()->mutable_metrics())["accuracy"] = 0.5 + s / 100.0;
      p.Add(eval);
      v1::JobEvent topo;
      topo.set_seq(++seq);
      topo.mutable_topology()->set_step(s);
      topo.mutable_topology()->mutable_summary()->set_h0_total_persistence(10.0 - s / 10.0);
      topo.mutable_topology()->mutable_summary()->set_h1_total_persistence(0.3 - s / 100.0);
      for (int i = 0; i < 4; ++i) {
        v1::PersistencePair* pair = topo.mutable_topology()->add_pairs();
        pair->set_dim(i < 3 ? 0 : 1);
        pair->set_birth(i < 3 ? 0 : 0.4);
        pair->set_death(i == 0 ? std::numeric_limits<double>::infinity() : 0.5 + i * 0.1);
      }
      p.Add(topo);
    }
  }
  return p;
}

TEST(TrainingFigure, WellFormedWithEverySeries) {
  std::string svg = RenderTrainingFigure(TrainedJob(), "job j1 (demo): ept + TSLoss <&>");
  std::map<std::string, int> series = ParseSeries(svg);
  EXPECT_EQ(series["series-loss"], 30);
  EXPECT_EQ(series["series-task_loss"], 30);
  EXPECT_EQ(series["series-tsloss"], 30);
  EXPECT_EQ(series["series-eval-validation-accuracy"], 3);
  EXPECT_EQ(series["series-h0-total"], 3);
  EXPECT_EQ(series["series-h1-total"], 3);
  EXPECT_EQ(series["diagram-h0"], 3);  // the infinite bar is drawn on the top edge
  EXPECT_EQ(series["diagram-h1"], 1);
  EXPECT_EQ(series.size(), 8u);
  EXPECT_NE(svg.find("job j1 (demo): ept + TSLoss &lt;&amp;&gt;"), std::string::npos);
  EXPECT_NE(svg.find("Persistence diagram at step 30"), std::string::npos);
  EXPECT_EQ(svg.find("nan"), std::string::npos);
  EXPECT_EQ(svg.find("inf"), std::string::npos);
}

TEST(TrainingFigure, EmptyJobSaysSoInEveryPanel) {
  std::string svg = RenderTrainingFigure(JobProgress(), "empty");
  EXPECT_TRUE(ParseSeries(svg).empty());
  for (const char* why :
       {"no steps reported", "no evaluations yet", "no topology snapshots", "no diagram yet"}) {
    EXPECT_NE(svg.find(why), std::string::npos) << why;
  }
}

TEST(SvgWriter, EscapesAndClosesGroups) {
  SvgWriter svg(10, 10);
  svg.BeginGroup("a\"b", "series", {{"label", "x<y"}});
  svg.Text(1, 1, "\x01tab\tok & 'q'");
  std::string doc = svg.Finish();
  EXPECT_NE(doc.find("id=\"a&quot;b\""), std::string::npos);
  EXPECT_NE(doc.find("data-label=\"x&lt;y\""), std::string::npos);
  EXPECT_NE(doc.find(">tab\tok &amp; &apos;q&apos;</text>"), std::string::npos);
  EXPECT_NE(doc.find("</g>\n</svg>"), std::string::npos);
  EXPECT_EQ(XmlEscape("<>&\"'"), "&lt;&gt;&amp;&quot;&apos;");
}

}  // namespace
}  // namespace ptune::client
