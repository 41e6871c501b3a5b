#include "worker/engine/methods/method_config.h"

#include <cmath>

#include "nlohmann/json.hpp"
#include "worker/engine/methods/prompt_budget.h"

namespace ptune::engine {
namespace {

nlohmann::json DecompositionJson(const ptune::v1::JobSpec& spec, int64_t d) {
  nlohmann::json out;
  absl::StatusOr<DecomposedShape> shape = ResolveDecomposedShape(spec, d);
  if (!shape.ok()) return out;
  out["short_length"] = shape->short_length;
  out["rank"] = shape->rank;
  out["max_seq_len"] = shape->max_seq_len;
  out["alpha"] = spec.dept().alpha();
  out["scale"] = spec.dept().alpha() / std::sqrt(static_cast<double>(shape->rank));
  out["lowrank_lr"] = spec.dept().lowrank_lr();
  out["derived_from_budget"] = spec.dept().short_length() == 0;
  return out;
}

nlohmann::json EptJson(const ptune::v1::EptSpec& ept) {
  return {{"subspaces", ept.subspaces()},
          {"subspace_rank", ept.subspace_rank()},
          {"fusion", ept.fusion()},
          {"fusion_gate_init", ept.fusion_gate_init()},
          {"fusion_gate_per_dim", ept.fusion_gate_per_dim()},
          {"gate_input", ept.gate_input() == ptune::v1::GATE_INPUT_EXAMPLE ? "example" : "task"}};
}

}  // namespace

std::string MethodConfigJson(const ptune::v1::JobSpec& spec, const TensorShapes& tensors,
                             const std::vector<int64_t>& visible_prompt) {
  const int64_t d = visible_prompt.size() == 2 ? visible_prompt[1] : 0;
  const char* method = spec.method() == ptune::v1::METHOD_EPT    ? "ept"
                       : spec.method() == ptune::v1::METHOD_DEPT ? "dept"
                                                                 : "pt";
  nlohmann::json shapes = nlohmann::json::object();
  int64_t total = 0;
  for (const auto& [name, shape] : tensors) {
    shapes[name] = shape;
    int64_t n = 1;
    for (int64_t s : shape) n *= s;
    total += n;
  }
  nlohmann::json config = {
      {"format", "ptune-method-config"},
      {"version", 1},
      {"method", method},
      {"hidden_size", d},
      {"tensors", shapes},
      {"visible_prompt", visible_prompt},
      {"trainable_parameters", total},
      {"pt_budget", PtParameters(spec.prompt().length(), d)},
      {"prompt",
       {{"length", spec.prompt().length()},
        {"init", ptune::v1::PromptInit_Name(spec.prompt().init())},
        {"lr", spec.prompt().lr()}}},
  };
  if (spec.method() == ptune::v1::METHOD_DEPT || spec.method() == ptune::v1::METHOD_EPT) {
    config["dept"] = DecompositionJson(spec, d);
  }
  if (spec.method() == ptune::v1::METHOD_EPT) config["ept"] = EptJson(spec.ept());
  return config.dump(2) + "\n";
}

}  // namespace ptune::engine
