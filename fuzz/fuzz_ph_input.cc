// libFuzzer target: ptune-ph input text in each of ripser's five formats. The first byte
// picks the format (mod 5), the rest is the file. A parsed input must be what
// ComputeLower accepts: n(n-1)/2 non-negative, non-NaN distances for n in [1, kMaxPoints].
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "worker/topology/ph_input.h"
#include "worker/topology/rips_types.h"

namespace {

using ptune::topology::InputFormat;

constexpr InputFormat kFormats[] = {InputFormat::kLowerDistance, InputFormat::kUpperDistance,
                                    InputFormat::kDistance, InputFormat::kPointCloud,
                                    InputFormat::kSparse};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const InputFormat format = kFormats[data[0] % 5];
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  absl::StatusOr<ptune::topology::DistanceInput> input =
      ptune::topology::ParseDistanceInput(text, format, "fuzz.txt");
  if (!input.ok()) return 0;
  const uint64_t n = static_cast<uint64_t>(input->num_points);
  if (n < 1 || n > static_cast<uint64_t>(ptune::topology::kMaxPoints)) std::abort();
  if (input->lower.size() != n * (n - 1) / 2) std::abort();
  for (float d : input->lower) {
    if (std::isnan(d) || d < 0) std::abort();
  }
  return 0;
}
