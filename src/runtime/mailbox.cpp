#include "pd/runtime/mailbox.h"

#include <utility>

#include "pd/core/assert.h"

namespace pd {

bool Mailbox::Ring::push(Envelope& e, MessagePayload& p) {
  if (count == cap) {
    uint32_t new_cap = cap == 0 ? kInitialRingSlots : cap * 2;
    auto grown = std::make_unique<MailboxSlot[]>(new_cap);
    for (uint32_t i = 0; i < count; ++i) {
      MailboxSlot& from = slots[(head + i) & (cap - 1)];
      grown[i].envelope = from.envelope;
      grown[i].payload = std::move(from.payload);
    }
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
        r.release_if_large_and_empty();
        --urgent_size_;
        --size_;
        return true;
      }
    }
    PD_ASSERT(false, "urgent_size_ counts messages no urgent ring holds");
  }
  normal_.pop(out);
  normal_.release_if_large_and_empty();
  --size_;
  return true;
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
