// RingQueue<T>: a growable FIFO on a power-of-two ring (run queue, signal queue). Its bound is
// the number of things that can be queued (actors, signals), which the engine bounds.
#pragma once

#include <cstdint>
#include <memory>
#include <utility>

#include "pd/core/assert.h"

namespace pd::detail {

template <class T>
class RingQueue {
 public:
  bool empty() const { return count_ == 0; }
  uint64_t size() const { return count_; }
  void push(T value) {
    if (count_ == cap_) grow();
    slots_[(head_ + count_) & (cap_ - 1)] = std::move(value);
    ++count_;
  }
  void push_front(T value) {
    if (count_ == cap_) grow();
    head_ = (head_ + cap_ - 1) & (cap_ - 1);
    slots_[head_] = std::move(value);
    ++count_;
  }
  // Removes the element `index` places from the front (the front takes its slot).
  T take_at(uint64_t index) {
    PD_ASSERT(index < count_, "take_at past the end of a RingQueue");
    if (index != 0) std::swap(slots_[head_], slots_[(head_ + index) & (cap_ - 1)]);
    return pop();
  }
  T pop() {
    PD_ASSERT(count_ > 0, "pop from an empty RingQueue");
    T v = std::move(slots_[head_]);
    head_ = (head_ + 1) & (cap_ - 1);
    --count_;
    return v;
  }

 private:
  void grow() {
    uint64_t new_cap = cap_ == 0 ? 64 : cap_ * 2;
    auto fresh = std::make_unique<T[]>(new_cap);
    for (uint64_t i = 0; i < count_; ++i) fresh[i] = std::move(slots_[(head_ + i) & (cap_ - 1)]);
    slots_ = std::move(fresh);
    head_ = 0;
    cap_ = new_cap;
  }
  std::unique_ptr<T[]> slots_;
  uint64_t head_ = 0;
  uint64_t count_ = 0;
  uint64_t cap_ = 0;
};

}  // namespace pd::detail
