// Mailbox: an actor's bounded queue of user messages, four priority levels.
//
// Bound: `capacity` messages in all levels together; push on a full mailbox fails (the sender
// gets SendError::MailboxFull) and changes nothing. The bound is a limit, not an allocation:
// an empty mailbox owns no storage, rings grow by doubling as messages arrive, and trim()
// releases a large ring (>= kShrinkThreshold slots) of a drained mailbox. The engine trims
// drained mailboxes when its loop goes idle (or once 1024 wait), not at each drain: an
// actor fed in bursts would otherwise regrow its ring from two slots at every burst.
// Pop takes the most urgent level first, FIFO within a level. Single-threaded: it belongs to
// one core.
#pragma once

#include <cstdint>
#include <memory>

#include "pd/core/envelope.h"
#include "pd/core/payload.h"

namespace pd {

struct MailboxSlot {
  Envelope envelope;
  MessagePayload payload;
};

class Mailbox {
 public:
  static constexpr uint32_t kInitialRingSlots = 2;
  static constexpr uint32_t kShrinkThreshold = 256;
  static constexpr int kLevels = Envelope::kPriorityMax + 1;

  explicit Mailbox(uint32_t capacity) : capacity_(capacity) {}
  Mailbox(Mailbox&&) noexcept = default;
  Mailbox& operator=(Mailbox&&) noexcept = default;

  // False (and nothing moved) when full.
  bool push(Envelope& envelope, MessagePayload& payload) {
    if (size_ >= capacity_) return false;
    if (envelope.priority() == 0 && normal_.count < normal_.cap) {  // the common case
      MailboxSlot& s = normal_.slots[(normal_.head + normal_.count) & (normal_.cap - 1)];
      s.envelope = envelope;
      s.payload = std::move(payload);
      ++normal_.count;
      ++size_;
      return true;
    }
    return push_slow(envelope, payload);
  }
  bool pop(MailboxSlot& out) {
    // The common case: normal priority only, and no large ring to release on draining.
    if (urgent_size_ == 0 && normal_.count != 0) {
      MailboxSlot& s = normal_.slots[normal_.head];
      out.envelope = s.envelope;
      out.payload = std::move(s.payload);
      normal_.head = (normal_.head + 1) & (normal_.cap - 1);
      --normal_.count;
      --size_;
      return true;
    }
    return pop_slow(out);
  }
  // Drops everything; returns how many messages were dropped.
  uint32_t clear();
  // Empty and holding a large ring: trim() would release something.
  bool trimmable() const {
    return size_ == 0 && (normal_.cap >= kShrinkThreshold || urgent_ != nullptr);
  }
  // Releases the storage of an empty mailbox's large rings (and its urgent levels).
  void trim();
  // Calls f(envelope) for each message, most urgent first, then drops them all.
  template <class F>
  uint32_t clear_each(F&& f) {
    MailboxSlot m;
    while (pop(m)) f(m.envelope);
    return clear();
  }

  uint32_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  bool full() const { return size_ >= capacity_; }
  uint32_t capacity() const { return capacity_; }
  void set_capacity(uint32_t c) { capacity_ = c; }
  // Slots currently allocated in all levels (for accounting and tests).
  uint32_t allocated_slots() const;

 private:
  struct Ring {
    std::unique_ptr<MailboxSlot[]> slots;
    uint32_t head = 0;
    uint32_t count = 0;
    uint32_t cap = 0;  // power of two, or 0 when nothing is allocated
    bool push(Envelope& e, MessagePayload& p);
    void pop(MailboxSlot& out);
    void release_if_large_and_empty();
  };
  Ring& level(uint8_t priority);
  bool push_slow(Envelope& envelope, MessagePayload& payload);
  bool pop_slow(MailboxSlot& out);

  Ring normal_;                     // priority 0: nearly all traffic
  std::unique_ptr<Ring[]> urgent_;  // priorities 1..3, allocated on first use
  uint32_t urgent_size_ = 0;
  uint32_t size_ = 0;
  uint32_t capacity_;
};

}  // namespace pd
