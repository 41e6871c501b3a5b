// libFuzzer target: safetensors files (model weights come from users), through both
// readers: the HF loader's ParseSafetensorsLayout (worker/engine/hf, the mmap'd model
// path) and the artifacts' DecodeSafetensors (worker/engine/formats, prompts and
// checkpoints).
//
// Input layout, so that a header can claim gigabytes of data without the input holding
// them: 8 bytes little-endian `extra`, then the first bytes of a file (8-byte header
// length N, N bytes of JSON, maybe some data). ParseSafetensorsLayout sees a file of
// prefix size + `extra` bytes, as a large mmap'd file whose header is all it reads.
// DecodeSafetensors sees the prefix alone (it reads the data too).
// scripts/fuzz.sh writes seeds of this shape from the committed .safetensors fixtures.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "worker/engine/formats/safetensors.h"
#include "worker/engine/hf/mapped_safetensors.h"

namespace {

uint64_t ReadLe64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(p[i]) << (8 * i);
  return v;
}

// numel x element size with overflow reported as UINT64_MAX.
uint64_t SlotBytes(const ptune::engine::hf::TensorSlot& slot) {
  unsigned __int128 bytes = ptune::engine::hf::SafetensorsDtypeBytes(slot.dtype);
  for (int64_t dim : slot.shape) {
    if (dim < 0) return std::numeric_limits<uint64_t>::max();
    bytes *= static_cast<uint64_t>(dim);
    if (bytes > std::numeric_limits<uint64_t>::max()) return std::numeric_limits<uint64_t>::max();
  }
  return static_cast<uint64_t>(bytes);
}

void CheckLayout(const uint8_t* prefix, size_t prefix_size, uint64_t extra) {
  if (prefix_size < 8) return;
  const uint64_t n = ReadLe64(prefix);
  // The contract: the caller gives at least min(file_size, 8 + N) bytes. A prefix that
  // stops inside the header is a file of exactly that size (truncated).
  const bool whole_header = n <= prefix_size - 8;
  const uint64_t file_size = whole_header && extra <= std::numeric_limits<uint64_t>::max() / 2
                                 ? prefix_size + extra
                                 : prefix_size;
  // An exact-size heap copy, so that ASan sees any read past what the contract allows.
  std::vector<char> bytes(prefix, prefix + prefix_size);
  absl::StatusOr<ptune::engine::hf::SafetensorsLayout> layout =
      ptune::engine::hf::ParseSafetensorsLayout(bytes.data(), file_size, "fuzz.safetensors");
  if (!layout.ok()) return;
  // What the loader then trusts: every slot lies in the file and holds exactly
  // shape x dtype bytes.
  for (const auto& [name, slot] : layout->tensors) {
    if (slot.offset < 8 + n || slot.offset > file_size || slot.bytes > file_size - slot.offset) {
      std::abort();
    }
    if (SlotBytes(slot) != slot.bytes) std::abort();
  }
}

void CheckDecode(const uint8_t* prefix, size_t prefix_size) {
  const std::string bytes(reinterpret_cast<const char*>(prefix), prefix_size);
  absl::StatusOr<ptune::engine::SafetensorsFile> file =
      ptune::engine::DecodeSafetensors(bytes, "fuzz.safetensors");
  if (!file.ok()) return;
  // What was decoded must survive a write and a read unchanged.
  absl::StatusOr<ptune::engine::SafetensorsFile> again =
      ptune::engine::DecodeSafetensors(ptune::engine::EncodeSafetensors(*file), "again");
  if (!again.ok() || again->metadata != file->metadata ||
      again->tensors.size() != file->tensors.size()) {
    std::abort();
  }
  for (size_t i = 0; i < file->tensors.size(); ++i) {
    const ptune::engine::SafetensorsEntry &a = file->tensors[i], &b = again->tensors[i];
    if (a.name != b.name || a.dtype != b.dtype || a.shape != b.shape || a.bytes != b.bytes) {
      std::abort();
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 8) return 0;
  CheckLayout(data + 8, size - 8, ReadLe64(data));
  CheckDecode(data + 8, size - 8);
  return 0;
}
