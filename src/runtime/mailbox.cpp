#include "pd/runtime/mailbox.h"

#include <utility>
#include <vector>

#include "pd/core/assert.h"

namespace pd {

namespace {

// Large rings released by drained mailboxes, kept per thread (one engine loop per thread) for
// the next burst, so an actor that is repeatedly flooded and drained does not go back to the
// system allocator (and, above its mmap threshold, to the kernel) every time.
// Bound: kRingCacheBytesMax in all; beyond it released rings are freed.
constexpr size_t kRingCacheBytesMax = size_t(8) << 20;
constexpr int kRingCacheClasses = 32;

class RingCache {
 public:
  std::unique_ptr<MailboxSlot[]> take(uint32_t cap) {
    auto& list = lists_[class_of(cap)];
    if (list.empty()) return std::make_unique<MailboxSlot[]>(cap);
    auto block = std::move(list.back());
    list.pop_back();
    bytes_ -= size_t(cap) * sizeof(MailboxSlot);
    return block;
  }
  void give(std::unique_ptr<MailboxSlot[]> block, uint32_t cap) {
    size_t size = size_t(cap) * sizeof(MailboxSlot);
    if (cap < Mailbox::kShrinkThreshold || bytes_ + size > kRingCacheBytesMax) return;
    bytes_ += size;
    lists_[class_of(cap)].push_back(std::move(block));
  }

 private:
  static int class_of(uint32_t cap) { return __builtin_ctz(cap); }
  std::vector<std::unique_ptr<MailboxSlot[]>> lists_[kRingCacheClasses];
  size_t bytes_ = 0;
};

thread_local RingCache ring_cache;

}  // namespace

bool Mailbox::Ring::push(Envelope& e, MessagePayload& p) {
  if (count == cap) {
    uint32_t new_cap = cap == 0 ? kInitialRingSlots : cap * 2;
    auto grown = new_cap >= kShrinkThreshold ? ring_cache.take(new_cap)
                                             : std::make_unique<MailboxSlot[]>(new_cap);
    for (uint32_t i = 0; i < count; ++i) {
      MailboxSlot& from = slots[(head + i) & (cap - 1)];
      grown[i].envelope = from.envelope;
      grown[i].payload = std::move(from.payload);
    }
    ring_cache.give(std::move(slots), cap);
    slots = std::move(grown);
    head = 0;
    cap = new_cap;
  }
  MailboxSlot& s = slots[(head + count) & (cap - 1)];
  s.envelope = e;
  s.payload = std::move(p);
  ++count;
  return true;
}

void Mailbox::Ring::pop(MailboxSlot& out) {
  MailboxSlot& s = slots[head];
  out.envelope = s.envelope;
  out.payload = std::move(s.payload);
  head = (head + 1) & (cap - 1);
  --count;
}

void Mailbox::Ring::release_if_large_and_empty() {
  if (count == 0 && cap >= kShrinkThreshold) {
    ring_cache.give(std::move(slots), cap);
    slots.reset();
    cap = 0;
    head = 0;
  }
}

Mailbox::Ring& Mailbox::level(uint8_t priority) {
  if (priority == 0) return normal_;
  if (!urgent_) urgent_ = std::make_unique<Ring[]>(kLevels - 1);
  return urgent_[priority - 1];
}

bool Mailbox::push_slow(Envelope& envelope, MessagePayload& payload) {
  uint8_t prio = envelope.priority();
  level(prio).push(envelope, payload);
  if (prio != 0) ++urgent_size_;
  ++size_;
  return true;
}

bool Mailbox::pop_slow(MailboxSlot& out) {
  if (size_ == 0) return false;
  if (urgent_size_ != 0) {
    for (int i = kLevels - 2; i >= 0; --i) {
      Ring& r = urgent_[i];
      if (r.count != 0) {
        r.pop(out);
        --urgent_size_;
        --size_;
        return true;
      }
    }
    PD_ASSERT(false, "urgent_size_ counts messages no urgent ring holds");
  }
  normal_.pop(out);
  --size_;
  return true;
}

void Mailbox::trim() {
  if (size_ != 0) return;
  normal_.release_if_large_and_empty();
  urgent_.reset();  // urgent levels are rare: an empty one is not kept at all
}

uint32_t Mailbox::clear() {
  uint32_t dropped = size_;
  normal_ = Ring{};
  urgent_.reset();
  urgent_size_ = 0;
  size_ = 0;
  return dropped;
}

uint32_t Mailbox::allocated_slots() const {
  uint32_t n = normal_.cap;
  if (urgent_)
    for (int i = 0; i < kLevels - 1; ++i) n += urgent_[i].cap;
  return n;
}

}  // namespace pd
