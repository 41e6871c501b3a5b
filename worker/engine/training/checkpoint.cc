#include "worker/engine/training/checkpoint.h"

#include <torch/version.h>

#include <mutex>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/util/json_util.h"
#include "nlohmann/json.hpp"

namespace ptune::engine {
namespace {

constexpr char kFormat[] = "ptune-checkpoint";
constexpr int kVersion = 1;

nlohmann::json DescribeTensors(const NamedTensors& tensors) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [name, t] : tensors) out[name] = t.sizes().vec();
  return out;
}

std::string BuildMeta(const CheckpointState& state) {
  nlohmann::json meta = {
      {"format", kFormat},
      {"version", kVersion},
      {"step", state.step},
      {"method", state.method},
      {"spec_fingerprint", state.spec_fingerprint},
      {"spec", state.spec_json},
      {"params", DescribeTensors(state.params)},
      {"has_best", state.early_stopping.has_best},
      {"best_metric", state.early_stopping.best_score},
      {"evals_since_best", state.early_stopping.evals_since_best},
      {"torch_version", TORCH_VERSION},
  };
  return meta.dump();
}

// Reads the meta JSON; INVALID_ARGUMENT when the bytes are not a ptune checkpoint.
absl::StatusOr<nlohmann::json> ReadMeta(torch::serialize::InputArchive& archive) {
  c10::IValue value;
  if (!archive.try_read("meta", value) || !value.isString()) {
    return absl::InvalidArgumentError("checkpoint: no \"meta\" entry; not a ptune checkpoint");
  }
  nlohmann::json meta = nlohmann::json::parse(value.toStringRef(), nullptr, false);
  if (meta.is_discarded() || meta.value("format", "") != kFormat) {
    return absl::InvalidArgumentError("checkpoint: meta is not a ptune-checkpoint record");
  }
  if (meta.value("version", 0) != kVersion) {
    return absl::InvalidArgumentError(
        absl::StrCat("checkpoint: unsupported version ", meta.value("version", 0)));
  }
  return meta;
}

absl::Status CheckCompatible(const nlohmann::json& meta, const NamedTensors& expected,
                             const std::string& method) {
  if (meta.value("method", "") != method) {
    return absl::FailedPreconditionError(absl::StrCat(
        "checkpoint: written by method ", meta.value("method", ""), ", this job runs ", method));
  }
  const nlohmann::json want = DescribeTensors(expected);
  if (meta.at("params") != want) {
    return absl::FailedPreconditionError(
        absl::StrCat("checkpoint: trainable tensors differ from this job's (checkpoint ",
                     meta.at("params").dump(), ", job ", want.dump(), ")"));
  }
  return absl::OkStatus();
}

NamedTensors ReadTensors(torch::serialize::InputArchive& archive, const std::string& prefix,
                         const NamedTensors& expected) {
  NamedTensors out;
  for (const auto& [name, unused] : expected) {
    torch::Tensor t;
    archive.read(prefix + name, t);
    out.emplace_back(name, t);
  }
  return out;
}

void FillState(const nlohmann::json& meta, CheckpointState* state) {
  state->step = meta.at("step").get<uint64_t>();
  state->method = meta.at("method").get<std::string>();
  state->spec_fingerprint = meta.value("spec_fingerprint", "");
  state->spec_json = meta.value("spec", "");
  state->early_stopping.has_best = meta.value("has_best", false);
  state->early_stopping.best_score = meta.value("best_metric", 0.0);
  state->early_stopping.evals_since_best = meta.value("evals_since_best", 0u);
}

}  // namespace

std::string SpecFingerprint(const ptune::v1::JobSpec& spec) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    spec.SerializeToCodedStream(&coded);
  }
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : bytes) h = (h ^ c) * 1099511628211ULL;
  return absl::StrCat(absl::Hex(h, absl::kZeroPad16));
}

std::string SpecJson(const ptune::v1::JobSpec& spec) {
  std::string json;
  (void)google::protobuf::util::MessageToJsonString(spec, &json);
  return json;
}

CheckpointState CaptureState(const ptune::v1::JobSpec& spec, uint64_t step, std::string method,
                             const EarlyStopping& early_stopping, NamedTensors params,
                             NamedTensors best) {
  CheckpointState state;
  state.step = step;
  state.method = std::move(method);
  state.spec_fingerprint = SpecFingerprint(spec);
  state.spec_json = SpecJson(spec);
  state.early_stopping = early_stopping;
  state.params = std::move(params);
  state.best = std::move(best);
  state.cpu_rng_state = at::detail::getDefaultCPUGenerator().get_state();
  return state;
}

void RestoreCpuRng(const CheckpointState& state) {
  at::Generator generator = at::detail::getDefaultCPUGenerator();  // shares the default
  std::lock_guard<std::mutex> lock(generator.mutex());
  generator.set_state(state.cpu_rng_state);
}

std::string SaveCheckpoint(const CheckpointState& state, torch::optim::Optimizer& optimizer) {
  torch::serialize::OutputArchive archive;
  archive.write("meta", c10::IValue(BuildMeta(state)));
  for (const auto& [name, t] : state.params) archive.write("params/" + name, t.detach().cpu());
  for (const auto& [name, t] : state.best) archive.write("best/" + name, t.detach().cpu());
  torch::serialize::OutputArchive optimizer_archive;
  optimizer.save(optimizer_archive);
  archive.write("optimizer", optimizer_archive);
  archive.write("rng/cpu", state.cpu_rng_state);
  std::string bytes;
  archive.save_to([&bytes](const void* data, size_t size) {
    bytes.append(static_cast<const char*>(data), size);
    return size;
  });
  return bytes;
}

absl::StatusOr<CheckpointState> LoadCheckpoint(const std::string& bytes,
                                               const NamedTensors& expected,
                                               const std::string& method,
                                               torch::optim::Optimizer& optimizer) {
  try {
    torch::serialize::InputArchive archive;
    archive.load_from(bytes.data(), bytes.size());
    auto meta = ReadMeta(archive);
    if (!meta.ok()) return meta.status();
    if (auto s = CheckCompatible(*meta, expected, method); !s.ok()) return s;
    CheckpointState state;
    FillState(*meta, &state);
    state.params = ReadTensors(archive, "params/", expected);
    if (state.early_stopping.has_best) state.best = ReadTensors(archive, "best/", expected);
    torch::serialize::InputArchive optimizer_archive;
    archive.read("optimizer", optimizer_archive);
    optimizer.load(optimizer_archive);
    archive.read("rng/cpu", state.cpu_rng_state);
    return state;
  } catch (const c10::Error& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("checkpoint: cannot read (", e.what_without_backtrace(), ")"));
  }
}

absl::StatusOr<std::string> CheckpointMetaJson(const std::string& bytes) {
  try {
    torch::serialize::InputArchive archive;
    archive.load_from(bytes.data(), bytes.size());
    auto meta = ReadMeta(archive);
    if (!meta.ok()) return meta.status();
    return meta->dump(2);
  } catch (const c10::Error& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("checkpoint: cannot read (", e.what_without_backtrace(), ")"));
  }
}

}  // namespace ptune::engine
