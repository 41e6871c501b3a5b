#include "worker/engine/methods/topology_report.h"

#include <chrono>

#include "worker/engine/methods/tsloss.h"
#include "worker/topology/diagram_summary.h"

namespace ptune::engine {
namespace {

void FillPairs(const topology::Diagram& diagram, ptune::v1::TopologySnapshot* out) {
  for (const topology::PersistencePair& pair : diagram.pairs) {
    ptune::v1::PersistencePair* p = out->add_pairs();
    p->set_dim(pair.dim);
    p->set_birth(pair.birth);
    p->set_death(pair.death);
    for (int32_t v : pair.birth_simplex) {
      if (v != topology::kNoVertex) p->add_birth_simplex(v);
    }
    for (int32_t v : pair.death_edge) {
      if (v != topology::kNoVertex) p->add_death_simplex(v);
    }
  }
}

}  // namespace

TopologyReporter::TopologyReporter(const ptune::v1::TopologySpec& spec) : spec_(spec) {
  topology::PersistenceLayerOptions options;
  options.rips.max_dim = 1;
  auto layer = topology::PersistenceLayer::Create(options);
  TORCH_CHECK(layer.ok(), "TopologyReporter: ", layer.status().ToString());
  layer_ = *std::move(layer);
}

bool TopologyReporter::Due(uint64_t step) const {
  return spec_.every() > 0 && step % spec_.every() == 0;
}

bool TopologyReporter::DiagramDue(uint64_t step) const {
  return spec_.diagram_every() > 0 && step % spec_.diagram_every() == 0;
}

ptune::v1::TopologySnapshot TopologyReporter::Snapshot(const torch::Tensor& prompt, uint64_t step) {
  torch::NoGradGuard no_grad;
  const auto start = std::chrono::steady_clock::now();
  // Checked here: the distance layer's sqrt guard would map NaN distances to 0.
  TORCH_CHECK(torch::isfinite(prompt.detach()).all().item<bool>(), "topology telemetry at step ",
              step, ": the prompt has non-finite values");
  topology::DistanceOptions distance;
  distance.kind = DistanceKindOf(spec_.distance());
  const torch::Tensor raw = topology::PairwiseDistances(prompt.detach(), distance);
  const int64_t n = raw.size(0);
  const double mean = n >= 2 ? raw.sum().item<double>() / static_cast<double>(n * (n - 1)) : 0;
  const double diameter = raw.max().item<double>();
  auto diagram = layer_->ComputeFromDistances(mean > 0 ? raw / mean : raw);
  TORCH_CHECK(diagram.ok(), "topology telemetry at step ", step, ": ", diagram.status().ToString());

  ptune::v1::TopologySnapshot snapshot;
  snapshot.set_step(step);
  const topology::DiagramSummary s = topology::Summarize(diagram->diagram);
  ptune::v1::TopologySummary* out = snapshot.mutable_summary();
  out->set_h0_bars(s.dim[0].finite_bars);
  out->set_h1_bars(s.dim[1].finite_bars);
  out->set_h0_total_persistence(s.dim[0].total_persistence);
  out->set_h1_total_persistence(s.dim[1].total_persistence);
  out->set_h0_max_lifetime(s.dim[0].max_lifetime);
  out->set_h1_max_lifetime(s.dim[1].max_lifetime);
  out->set_h0_entropy(s.dim[0].entropy);
  out->set_h1_entropy(s.dim[1].entropy);
  out->set_mean_distance(mean);
  out->set_diameter(diameter);
  out->set_reference_scale(spec_.reference_scale());
  out->set_betti0_at_scale(topology::BettiAtScale(diagram->diagram, 0, spec_.reference_scale()));
  out->set_betti1_at_scale(topology::BettiAtScale(diagram->diagram, 1, spec_.reference_scale()));
  out->set_points(static_cast<uint32_t>(n));
  if (DiagramDue(step)) FillPairs(diagram->diagram, &snapshot);
  snapshot.set_persistence_seconds(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  return snapshot;
}

}  // namespace ptune::engine
