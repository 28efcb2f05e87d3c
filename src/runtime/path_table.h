// PathTable: path hash -> cell slot, an open-addressing table with linear probing and
// backward-shift deletion (no tombstones). Grows at 3/4 load. Key 0 marks an empty bucket, so
// a path whose hash is 0 cannot be stored (insert refuses it; spawn reports PathCollision).
#pragma once

#include <cstdint>
#include <memory>

namespace pd::detail {

class PathTable {
 public:
  static constexpr uint32_t kNotFound = UINT32_MAX;

  uint32_t find(uint64_t key) const {
    if (key == 0 || size_ == 0) return kNotFound;
    for (uint64_t i = index_of(key);; i = (i + 1) & mask_) {
      if (keys_[i] == key) return values_[i];
      if (keys_[i] == 0) return kNotFound;
    }
  }
  // False when the key is 0 or already present.
  bool insert(uint64_t key, uint32_t value);
  bool erase(uint64_t key);
  uint64_t size() const { return size_; }

 private:
  uint64_t index_of(uint64_t key) const { return (key * 0x9e3779b97f4a7c15ull) >> shift_; }
  void grow();

  std::unique_ptr<uint64_t[]> keys_;
  std::unique_ptr<uint32_t[]> values_;
  uint64_t mask_ = 0;
  int shift_ = 64;
  uint64_t size_ = 0;
  uint64_t capacity_ = 0;
};

}  // namespace pd::detail
