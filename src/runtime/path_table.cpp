#include "path_table.h"

namespace pd::detail {

void PathTable::grow() {
  uint64_t new_capacity = capacity_ == 0 ? 64 : capacity_ * 2;
  auto old_keys = std::move(keys_);
  auto old_values = std::move(values_);
  uint64_t old_capacity = capacity_;
  keys_ = std::make_unique<uint64_t[]>(new_capacity);  // zeroed: all empty
  values_ = std::make_unique<uint32_t[]>(new_capacity);
  capacity_ = new_capacity;
  mask_ = new_capacity - 1;
  shift_ = 64 - __builtin_ctzll(new_capacity);
  size_ = 0;
  for (uint64_t i = 0; i < old_capacity; ++i)
    if (old_keys[i] != 0) insert(old_keys[i], old_values[i]);
}

bool PathTable::insert(uint64_t key, uint32_t value) {
  if (key == 0) return false;
  if ((size_ + 1) * 4 > capacity_ * 3) grow();
  for (uint64_t i = index_of(key);; i = (i + 1) & mask_) {
    if (keys_[i] == key) return false;
    if (keys_[i] == 0) {
      keys_[i] = key;
      values_[i] = value;
      ++size_;
      return true;
    }
  }
}

bool PathTable::erase(uint64_t key) {
  if (key == 0 || size_ == 0) return false;
  uint64_t i = index_of(key);
  while (keys_[i] != key) {
    if (keys_[i] == 0) return false;
    i = (i + 1) & mask_;
  }
  // Backward shift: pull later entries of the probe run into the hole.
  uint64_t hole = i;
  for (uint64_t j = (hole + 1) & mask_; keys_[j] != 0; j = (j + 1) & mask_) {
    uint64_t home = index_of(keys_[j]);
    // Move j into the hole if its home is not in the cyclic range (hole, j].
    bool home_in_range = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
    if (!home_in_range) {
      keys_[hole] = keys_[j];
      values_[hole] = values_[j];
      hole = j;
    }
  }
  keys_[hole] = 0;
  --size_;
  return true;
}

}  // namespace pd::detail
