// The spec and event messages survive binary and JSON round trips, so the scheduler can
// store them and ptune-train can read the JSON mapping users write.
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "ptune/v1/events.pb.h"
#include "ptune/v1/spec.pb.h"

namespace {

using google::protobuf::util::MessageDifferencer;

ptune::v1::JobSpec SampleSpec() {
  ptune::v1::JobSpec spec;
  spec.set_name("ept-sentiment");
  spec.mutable_model()->set_source("use-lite");
  spec.mutable_data()->set_dataset("uci-sentiment");
  (*spec.mutable_data()->mutable_verbalizers())["1"] = "positive";
  spec.set_method(ptune::v1::METHOD_EPT);
  spec.mutable_ept()->set_subspaces(4);
  spec.mutable_ept()->set_fusion(false);
  spec.mutable_tsloss()->set_enabled(true);
  spec.mutable_tsloss()->set_lambda1(0.25f);
  spec.set_seed(7);
  return spec;
}

TEST(ProtoRoundTrip, JobSpecBinary) {
  const ptune::v1::JobSpec spec = SampleSpec();
  ptune::v1::JobSpec parsed;
  ASSERT_TRUE(parsed.ParseFromString(spec.SerializeAsString()));
  EXPECT_TRUE(MessageDifferencer::Equals(spec, parsed));
  // proto3 `optional` keeps presence: an explicit false differs from unset.
  EXPECT_TRUE(parsed.ept().has_fusion());
  EXPECT_FALSE(parsed.ept().fusion());
  EXPECT_FALSE(parsed.ept().has_subspace_rank());
}

TEST(ProtoRoundTrip, JobSpecJson) {
  const ptune::v1::JobSpec spec = SampleSpec();
  std::string json;
  ASSERT_TRUE(google::protobuf::util::MessageToJsonString(spec, &json).ok());
  EXPECT_NE(json.find("\"METHOD_EPT\""), std::string::npos) << json;
  ptune::v1::JobSpec parsed;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(json, &parsed).ok());
  EXPECT_TRUE(MessageDifferencer::Equals(spec, parsed));
}

TEST(ProtoRoundTrip, EventWithInfiniteBar) {
  ptune::v1::JobEvent event;
  event.set_job_id("j1");
  event.set_seq(42);
  auto* pair = event.mutable_topology()->add_pairs();
  pair->set_dim(0);
  pair->set_death(std::numeric_limits<double>::infinity());
  pair->add_birth_simplex(3);
  ptune::v1::JobEvent parsed;
  ASSERT_TRUE(parsed.ParseFromString(event.SerializeAsString()));
  EXPECT_EQ(parsed.seq(), 42u);
  ASSERT_EQ(parsed.kind_case(), ptune::v1::JobEvent::kTopology);
  EXPECT_TRUE(std::isinf(parsed.topology().pairs(0).death()));
}

}  // namespace
