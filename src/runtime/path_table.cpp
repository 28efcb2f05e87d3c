#include "path_table.h"

namespace pd::detail {

void PathTable::grow() {
  uint64_t new_capacity = capacity_ == 0 ? 64 : capacity_ * 2;
  auto old = std::move(buckets_);
  uint64_t old_capacity = capacity_;
  buckets_ = std::make_unique<Bucket[]>(new_capacity);
  capacity_ = new_capacity;
  mask_ = new_capacity - 1;
  shift_ = 64 - __builtin_ctzll(new_capacity);
  size_ = 0;
  for (uint64_t i = 0; i < old_capacity; ++i)
    if (old[i].key != 0) insert(old[i].key, old[i].value);
}

bool PathTable::insert(uint64_t key, uint32_t value) {
  if (key == 0) return false;
  if ((size_ + 1) * 5 > capacity_ * 4) grow();
  for (uint64_t i = index_of(key);; i = (i + 1) & mask_) {
    if (buckets_[i].key == key) return false;
    if (buckets_[i].key == 0) {
      buckets_[i] = Bucket{key, value};
      ++size_;
      return true;
    }
  }
}

bool PathTable::erase(uint64_t key) {
  if (key == 0 || size_ == 0) return false;
  uint64_t i = index_of(key);
  while (buckets_[i].key != key) {
    if (buckets_[i].key == 0) return false;
    i = (i + 1) & mask_;
  }
  // Backward shift: pull later entries of the probe run into the hole.
  uint64_t hole = i;
  for (uint64_t j = (hole + 1) & mask_; buckets_[j].key != 0; j = (j + 1) & mask_) {
    uint64_t home = index_of(buckets_[j].key);
    // j may move into the hole unless its home lies in the cyclic range (hole, j].
    bool home_in_range = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
    if (!home_in_range) {
      buckets_[hole] = buckets_[j];
      hole = j;
    }
  }
  buckets_[hole] = Bucket{};
  --size_;
  return true;
}

}  // namespace pd::detail
