#ifndef PTUNE_WORKER_ENGINE_BACKBONES_RAW_TENSOR_H_
#define PTUNE_WORKER_ENGINE_BACKBONES_RAW_TENSOR_H_

// A named tensor as it sits in a weights file: dtype, shape and little-endian bytes.
// Torch-free so the file-format readers can be tested and reused without LibTorch.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ptune::engine {

enum class RawDType { kFloat32, kInt32, kBFloat16, kFloat16, kInt64 };

// Bytes per element of `dtype`.
int64_t RawDTypeSize(RawDType dtype);
// "float32", "int32", ... (the TF.js spelling).
const char* RawDTypeName(RawDType dtype);

struct RawTensor {
  std::string name;
  RawDType dtype = RawDType::kFloat32;
  std::vector<int64_t> shape;  // empty = scalar
  std::string bytes;           // little-endian, row-major, numel() * RawDTypeSize(dtype)

  int64_t numel() const;
};

}  // namespace ptune::engine

#endif  // PTUNE_WORKER_ENGINE_BACKBONES_RAW_TENSOR_H_
