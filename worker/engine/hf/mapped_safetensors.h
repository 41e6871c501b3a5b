#ifndef PTUNE_WORKER_ENGINE_HF_MAPPED_SAFETENSORS_H_
#define PTUNE_WORKER_ENGINE_HF_MAPPED_SAFETENSORS_H_

// A safetensors file memory-mapped read-only-in-effect (private, copy-on-write) and its
// header validated as hostile input before any tensor is touched. Torch-free.
//
// Layout: an 8-byte little-endian header length N, N bytes of JSON
// {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {...}}, then the data;
// offsets are relative to the start of the data. Validation (INVALID_ARGUMENT naming the
// file, and the tensor where there is one): N above kMaxHeaderBytes or past the end of the
// file, bad JSON, an entry without dtype/shape/data_offsets, an unknown dtype, negative
// dims, a byte size that is not numel x dtype size, offsets past the data, two tensors that
// overlap, and data bytes that no tensor covers (the format requires the tensors to tile
// the data exactly).

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace ptune::engine::hf {

// The largest header accepted (safetensors' own reader caps it at 100 MB too).
inline constexpr uint64_t kMaxHeaderBytes = 100'000'000;

struct TensorSlot {
  std::string dtype;  // "F32", "BF16", "F16", "I64", ...
  std::vector<int64_t> shape;
  uint64_t offset = 0;  // from the start of the file
  uint64_t bytes = 0;
};

// Bytes of one element of a safetensors dtype, 0 when unknown.
int SafetensorsDtypeBytes(const std::string& dtype);

struct SafetensorsLayout {
  std::map<std::string, TensorSlot> tensors;
  std::map<std::string, std::string> metadata;
};

// Validates the header of a file of `file_size` bytes whose first bytes are `prefix`
// (at least min(file_size, 8 + N) of them).
absl::StatusOr<SafetensorsLayout> ParseSafetensorsLayout(const char* prefix, uint64_t file_size,
                                                         const std::string& source);

class MappedSafetensors {
 public:
  // NOT_FOUND when `path` does not exist; INVALID_ARGUMENT for a malformed file (above).
  static absl::StatusOr<std::shared_ptr<MappedSafetensors>> Open(const std::string& path);
  ~MappedSafetensors();
  MappedSafetensors(const MappedSafetensors&) = delete;
  MappedSafetensors& operator=(const MappedSafetensors&) = delete;

  const std::string& path() const { return path_; }
  const SafetensorsLayout& layout() const { return layout_; }
  // nullptr when absent.
  const TensorSlot* Find(const std::string& name) const;
  // The first byte of `slot`'s data; valid while this object lives. Writable
  // copy-on-write memory: writes never reach the file.
  char* Data(const TensorSlot& slot) const { return base_ + slot.offset; }

 private:
  MappedSafetensors(std::string path, char* base, uint64_t size)
      : path_(std::move(path)), base_(base), size_(size) {}

  const std::string path_;
  char* const base_;
  const uint64_t size_;
  SafetensorsLayout layout_;
};

}  // namespace ptune::engine::hf

#endif  // PTUNE_WORKER_ENGINE_HF_MAPPED_SAFETENSORS_H_
