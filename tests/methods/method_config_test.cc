// method_config.json: shapes, resolved options and the parameter count of a method.
#include "worker/engine/methods/method_config.h"

#include <gtest/gtest.h>

#include <cmath>

#include "common/spec_defaults.h"
#include "nlohmann/json.hpp"

namespace ptune::engine {
namespace {

TEST(MethodConfigTest, DescribesEptShapesOptionsAndBudget) {
  ptune::v1::JobSpec spec;
  spec.set_method(ptune::v1::METHOD_EPT);
  ApplySpecDefaults(&spec);
  const TensorShapes tensors = {
      {"prompt", {60, 16}}, {"lowrank.A", {64, 8}}, {"lowrank.B", {8, 16}}, {"fusion_gate", {1}}};
  const nlohmann::json config = nlohmann::json::parse(MethodConfigJson(spec, tensors, {60, 16}));
  EXPECT_EQ(config["method"], "ept");
  EXPECT_EQ(config["hidden_size"], 16);
  EXPECT_EQ(config["tensors"]["lowrank.A"], nlohmann::json({64, 8}));
  EXPECT_EQ(config["trainable_parameters"], 60 * 16 + 64 * 8 + 8 * 16 + 1);
  EXPECT_EQ(config["pt_budget"], 100 * 16);
  EXPECT_EQ(config["dept"]["short_length"], 60);
  EXPECT_EQ(config["dept"]["rank"], 8);
  EXPECT_EQ(config["dept"]["derived_from_budget"], true);
  EXPECT_NEAR(config["dept"]["scale"].get<double>(), 8.0 / std::sqrt(8.0), 1e-6);
  EXPECT_EQ(config["ept"]["subspaces"], 4);
  EXPECT_EQ(config["ept"]["gate_input"], "task");
}

TEST(MethodConfigTest, PtHasNoDecompositionOptions) {
  ptune::v1::JobSpec spec;
  ApplySpecDefaults(&spec);
  const nlohmann::json config =
      nlohmann::json::parse(MethodConfigJson(spec, {{"prompt", {100, 16}}}, {100, 16}));
  EXPECT_EQ(config["method"], "pt");
  EXPECT_FALSE(config.contains("dept"));
  EXPECT_FALSE(config.contains("ept"));
  EXPECT_EQ(config["trainable_parameters"], 1600);
}

}  // namespace
}  // namespace ptune::engine
