#include "worker/engine/backbones/raw_tensor.h"

namespace ptune::engine {

int64_t RawDTypeSize(RawDType dtype) {
  switch (dtype) {
    case RawDType::kFloat32:
    case RawDType::kInt32:
      return 4;
    case RawDType::kBFloat16:
    case RawDType::kFloat16:
      return 2;
    case RawDType::kInt64:
      return 8;
  }
  return 0;
}

const char* RawDTypeName(RawDType dtype) {
  switch (dtype) {
    case RawDType::kFloat32:
      return "float32";
    case RawDType::kInt32:
      return "int32";
    case RawDType::kBFloat16:
      return "bfloat16";
    case RawDType::kFloat16:
      return "float16";
    case RawDType::kInt64:
      return "int64";
  }
  return "unknown";
}

int64_t RawTensor::numel() const {
  int64_t n = 1;
  for (const int64_t d : shape) n *= d;
  return n;
}

}  // namespace ptune::engine
