// Internal to the topology library: an open-addressing hash map from a triangle index
// to the slot of the column that owns it as pivot. Sized once per call from the
// number of columns, reset in O(capacity), never allocates while it fits.
#ifndef PTUNE_WORKER_TOPOLOGY_PIVOT_MAP_H_
#define PTUNE_WORKER_TOPOLOGY_PIVOT_MAP_H_

#include <algorithm>
#include <cstdint>
#include <vector>

namespace ptune::topology {

class PivotMap {
 public:
  static constexpr uint64_t kEmpty = ~uint64_t{0};

  // Clear and make room for at least `expected` keys at load factor <= 1/2.
  void Reset(size_t expected) {
    size_t capacity = 16;
    bits_ = 4;
    while (capacity < 2 * expected) {
      capacity *= 2;
      ++bits_;
    }
    if (keys_.size() < capacity) {
      keys_.resize(capacity);
      values_.resize(capacity);
    }
    mask_ = capacity - 1;
    std::fill(keys_.begin(), keys_.begin() + capacity, kEmpty);
  }

  // The value stored for `key`, or -1. `key` must not be kEmpty.
  int64_t Find(uint64_t key) const {
    for (size_t s = Hash(key);; s = (s + 1) & mask_) {
      if (keys_[s] == key) return values_[s];
      if (keys_[s] == kEmpty) return -1;
    }
  }

  // Insert a key that is not present. The caller keeps the count within `expected`.
  void Insert(uint64_t key, uint32_t value) {
    size_t s = Hash(key);
    while (keys_[s] != kEmpty) s = (s + 1) & mask_;
    keys_[s] = key;
    values_[s] = value;
  }

 private:
  size_t Hash(uint64_t key) const {
    return static_cast<size_t>((key * 0x9E3779B97F4A7C15ull) >> (64 - bits_)) & mask_;
  }

  std::vector<uint64_t> keys_;
  std::vector<uint32_t> values_;
  size_t mask_ = 0;
  int bits_ = 4;
};

}  // namespace ptune::topology

#endif  // PTUNE_WORKER_TOPOLOGY_PIVOT_MAP_H_
