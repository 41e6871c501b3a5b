#include "server/submit_validation.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "common/spec_defaults.h"
#include "common/spec_limits.h"
#include "common/spec_validation.h"
#include "common/utf8.h"

namespace ptune::server {
namespace {

constexpr size_t kMaxRequestId = 128;
constexpr int32_t kMaxPriority = 1000;
constexpr int kMaxLabels = 64;
constexpr size_t kMaxLabelKey = 63;
constexpr size_t kMaxLabelValue = 256;
constexpr uint32_t kMaxAttempts = 100;

absl::Status Invalid(absl::string_view field, absl::string_view rule, absl::string_view got) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", rule, " (got ", got, ")"));
}

std::string Quote(absl::string_view text) {
  return absl::StrCat("\"", text.substr(0, 80), text.size() > 80 ? "...\"" : "\"");
}

bool AllOf(absl::string_view text, absl::string_view extra) {
  for (char c : text) {
    if (!absl::ascii_isalnum(c) && extra.find(c) == absl::string_view::npos) return false;
  }
  return true;
}

absl::Status ValidateLabels(const ptune::v1::SubmitJobRequest& request) {
  if (request.labels_size() > kMaxLabels) {
    return Invalid("labels", absl::StrCat("at most ", kMaxLabels, " labels"),
                   absl::StrCat(request.labels_size()));
  }
  for (const auto& [key, value] : request.labels()) {
    const std::string field = absl::StrCat("labels[", Quote(key), "]");
    if (key.empty() || key.size() > kMaxLabelKey || !absl::ascii_isalnum(key[0]) ||
        !AllOf(key, "_.-/") || absl::AsciiStrToLower(key) != key) {
      return Invalid(field,
                     "key must be 1-63 lower-case letters, digits, '_', '.', '-' or '/', "
                     "starting with a letter or digit",
                     Quote(key));
    }
    if (value.size() > kMaxLabelValue) {
      return Invalid(field, absl::StrCat("value must be at most ", kMaxLabelValue, " bytes"),
                     absl::StrCat(value.size(), " bytes"));
    }
    if (const std::optional<size_t> bad = FirstInvalidUtf8(value)) {
      return Invalid(field, "value must be valid UTF-8",
                     absl::StrCat("an invalid byte at offset ", *bad));
    }
  }
  return absl::OkStatus();
}

// Names that reach the worker's file system: no NUL byte (C APIs would cut the name
// there) and no ".." component (out of the directory it is resolved in). A dataset is a
// built-in name, so it takes no '/' either.
absl::Status ValidatePathName(absl::string_view field, const std::string& value, bool plain) {
  if (value.find('\0') != std::string::npos) {
    return Invalid(field, "must not contain a NUL byte", absl::StrCat(value.size(), " bytes"));
  }
  if (plain && value.find('/') != std::string::npos) {
    return Invalid(field, "must be a built-in dataset name, not a path", Quote(value));
  }
  for (absl::string_view part : absl::StrSplit(value, '/')) {
    if (part == "..") return Invalid(field, "must not contain \"..\" components", Quote(value));
  }
  return absl::OkStatus();
}

absl::Status ValidatePathNames(const ptune::v1::JobSpec& spec) {
  const ptune::v1::DataSpec& data = spec.data();
  const std::pair<const char*, const std::string*> paths[] = {
      {"spec.model.source", &spec.model().source()},
      {"spec.data.train_file", &data.train_file()},
      {"spec.data.validation_file", &data.validation_file()},
      {"spec.data.test_file", &data.test_file()}};
  if (absl::Status s = ValidatePathName("spec.data.dataset", data.dataset(), true); !s.ok()) {
    return s;
  }
  for (const auto& [field, value] : paths) {
    if (absl::Status s = ValidatePathName(field, *value, false); !s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ptune::v1::JobSpec> ValidateSubmitRequest(
    const ptune::v1::SubmitJobRequest& request) {
  const std::string& id = request.request_id();
  if (id.empty()) return Invalid("request_id", "required (a client-chosen unique id)", "\"\"");
  if (id.size() > kMaxRequestId || !AllOf(id, "-_.:")) {
    return Invalid("request_id",
                   absl::StrCat("1-", kMaxRequestId, " letters, digits, '-', '_', '.' or ':'"),
                   Quote(id));
  }
  if (request.priority() < -kMaxPriority || request.priority() > kMaxPriority) {
    return Invalid("priority", absl::StrCat("must be in [", -kMaxPriority, ", ", kMaxPriority, "]"),
                   absl::StrCat(request.priority()));
  }
  if (request.max_attempts() > kMaxAttempts) {
    return Invalid("max_attempts", absl::StrCat("must be in [0, ", kMaxAttempts, "]"),
                   absl::StrCat(request.max_attempts()));
  }
  if (absl::Status status = ValidateLabels(request); !status.ok()) return status;
  if (!request.has_spec()) return Invalid("spec", "required", "nothing");
  if (absl::Status status = ValidatePathNames(request.spec()); !status.ok()) return status;
  // Before anything walks the spec: a bound on the whole keeps every check below cheap.
  const size_t spec_bytes = request.spec().ByteSizeLong();
  if (spec_bytes > kMaxSpecBytes) {
    return Invalid("spec", absl::StrCat("at most ", kMaxSpecBytes, " bytes serialized"),
                   absl::StrCat(spec_bytes, " bytes"));
  }
  ptune::v1::JobSpec effective = request.spec();
  ApplySpecDefaults(&effective);
  // The validator names paths inside the spec; in a SubmitJobRequest they live in spec.
  if (absl::Status status = ValidateJobSpec(effective, "spec."); !status.ok()) return status;
  return effective;
}

absl::Status ValidateJobId(const std::string& job_id) {
  if (job_id.size() > kMaxRequestId) {
    return Invalid("job_id", absl::StrCat("at most ", kMaxRequestId, " bytes"),
                   absl::StrCat(job_id.size(), " bytes"));
  }
  return absl::OkStatus();
}

absl::Status ValidateArtifactName(const std::string& name) {
  if (name.empty()) {
    return Invalid("name", "required (an ArtifactInfo.name of the job, or \"checkpoint\")", "\"\"");
  }
  if (name.size() > kMaxPathBytes) {
    return Invalid("name", absl::StrCat("at most ", kMaxPathBytes, " bytes"),
                   absl::StrCat(name.size(), " bytes"));
  }
  if (name[0] == '/') return Invalid("name", "must be a relative artifact name", Quote(name));
  return ValidatePathName("name", name, false);
}

}  // namespace ptune::server
