// SpscRing<T>: a bounded single-producer/single-consumer ring between two cores. One thread
// pushes, one other thread takes; neither ever blocks or locks. Full is the producer's to
// handle (push returns false); nothing is dropped here.
//
// Each side keeps a private copy of the other's index and re-reads the shared one only when
// that copy says full (producer) or empty (consumer), so a steady stream moves one cache line
// per batch, not per item. The consumer publishes its progress once per drain.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <new>
#include <utility>

#include "pd/core/assert.h"

namespace pd::detail {

inline constexpr size_t kCacheLine = 64;

template <class T>
class SpscRing {
 public:
  explicit SpscRing(uint32_t capacity)
      : mask_(capacity - 1), slots_(std::make_unique<T[]>(capacity)) {
    PD_ASSERT(capacity >= 2 && (capacity & (capacity - 1)) == 0,
              "a ring's capacity is a power of two");
  }
  SpscRing(const SpscRing&) = delete;
  SpscRing& operator=(const SpscRing&) = delete;

  uint32_t capacity() const { return mask_ + 1; }

  // Producer: `fill(slot)` writes the next item in place. False (and `fill` not called) when
  // the ring is full.
  template <class F>
  bool push_with(F&& fill) {
    uint64_t tail = tail_.load(std::memory_order_relaxed);
    if (tail - head_cache_ > mask_) {
      head_cache_ = head_.load(std::memory_order_acquire);
      if (tail - head_cache_ > mask_) return false;
    }
    fill(slots_[tail & mask_]);
    tail_.store(tail + 1, std::memory_order_release);
    return true;
  }

  // Consumer: hands at most `max` items to `f` (in order, by reference: `f` moves out what it
  // keeps and leaves the slot holding nothing) and returns how many were taken. When `f`
  // returns false the item stays at the head, untouched, and draining stops there.
  template <class F>
  uint32_t drain(uint32_t max, F&& f) {
    uint64_t head = head_.load(std::memory_order_relaxed);
    if (tail_cache_ == head) {
      tail_cache_ = tail_.load(std::memory_order_acquire);
      if (tail_cache_ == head) return 0;
    }
    uint64_t end = tail_cache_ - head < max ? tail_cache_ : head + max;
    uint32_t n = 0;
    uint64_t i = head;
    for (; i != end; ++i, ++n) {
      T& slot = slots_[i & mask_];
      if (!f(slot)) break;
    }
    head_.store(i, std::memory_order_release);
    return n;
  }

  // Either side: nothing waiting (exact for the consumer, a snapshot for anyone else).
  bool empty() const {
    return tail_.load(std::memory_order_acquire) == head_.load(std::memory_order_acquire);
  }
  uint64_t size() const {
    return tail_.load(std::memory_order_acquire) - head_.load(std::memory_order_acquire);
  }

 private:
  alignas(kCacheLine) std::atomic<uint64_t> head_{0};  // next to take; written by the consumer
  uint64_t tail_cache_ = 0;                            // consumer's copy of tail_
  alignas(kCacheLine) std::atomic<uint64_t> tail_{0};  // next free; written by the producer
  uint64_t head_cache_ = 0;                            // producer's copy of head_
  alignas(kCacheLine) uint32_t mask_;
  std::unique_ptr<T[]> slots_;
};

}  // namespace pd::detail
