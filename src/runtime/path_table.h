// PathTable: path hash -> cell slot, an open-addressing table with linear probing and
// backward-shift deletion (no tombstones). Grows past 4/5 load: 16-byte buckets, four to a
// cache line, keep probe runs within a line or two even that full (deletion walks the run). Key 0
// marks an empty bucket, so a path whose hash is 0 cannot be stored (insert refuses it; spawn
// reports PathCollision).
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
      if (buckets_[i].key == key) return buckets_[i].value;
      if (buckets_[i].key == 0) return kNotFound;
    }
  }
  // Starts loading the key's bucket: the table is too large for the cache, so callers that
  // know a key early overlap the miss with their other work.
  void prefetch(uint64_t key) const {
    if (capacity_ != 0) __builtin_prefetch(&buckets_[index_of(key)]);
  }
  // False when the key is 0 or already present.
  bool insert(uint64_t key, uint32_t value);
  bool erase(uint64_t key);
  uint64_t size() const { return size_; }

 private:
  struct Bucket {
    uint64_t key = 0;
    uint32_t value = 0;
  };
  uint64_t index_of(uint64_t key) const { return (key * 0x9e3779b97f4a7c15ull) >> shift_; }
  void grow();

  std::unique_ptr<Bucket[]> buckets_;
  uint64_t mask_ = 0;
  int shift_ = 64;
  uint64_t size_ = 0;
  uint64_t capacity_ = 0;
};

}  // namespace pd::detail
