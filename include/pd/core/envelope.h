// Envelope: the fixed 80-byte header of every message, identical in memory layout to the
// reference (#[repr(C)]) and little-endian on the wire.
//
//   offset  0  message_id      u128  engine-assigned
//   offset 16  source          u128  AddrHash of the sender
//   offset 32  destination     u128  AddrHash of the receiver
//   offset 48  type_tag        u64   FNV-1a 64 of the message type's name
//   offset 56  payload_len     u32
//   offset 60  flags           u32   bit 0 response; bits 1-2 priority (3 = most urgent)
//   offset 64  correlation_id  u64   for a response: the request's message_id (low 64 bits)
//   offset 72  padding         8 zero bytes, ignored on read
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "pd/core/addr.h"

namespace pd {

struct Envelope {
  static constexpr size_t kSize = 80;
  static constexpr uint32_t kFlagResponse = 1u << 0;
  static constexpr uint32_t kFlagPriorityMask = 0b110;
  static constexpr uint32_t kPriorityShift = 1;
  static constexpr uint8_t kPriorityMax = 3;

  u128 message_id = 0;
  AddrHash source;
  AddrHash destination;
  uint64_t type_tag = 0;
  uint32_t payload_len = 0;
  uint32_t flags = 0;
  uint64_t correlation_id = 0;
  uint8_t padding[8] = {};

  static Envelope make(AddrHash source, AddrHash destination, uint64_t type_tag,
                       uint32_t payload_len) {
    Envelope e;
    e.source = source;
    e.destination = destination;
    e.type_tag = type_tag;
    e.payload_len = payload_len;
    return e;
  }

  // The envelope of a reply to this one: source and destination swapped, response flag set,
  // correlated with this message's id, same priority. The engine assigns the reply's id.
  Envelope response(uint32_t reply_payload_len) const;

  // Priority 0 (lowest, the default) .. 3; values above 3 are clamped to 3.
  Envelope with_priority(uint8_t priority) const {
    Envelope e = *this;
    uint32_t p = priority > kPriorityMax ? kPriorityMax : priority;
    e.flags = (flags & ~kFlagPriorityMask) | (p << kPriorityShift);
    return e;
  }
  uint8_t priority() const { return uint8_t((flags & kFlagPriorityMask) >> kPriorityShift); }
  bool is_response() const { return (flags & kFlagResponse) != 0; }

  std::array<uint8_t, kSize> to_bytes() const;
  void write_to(uint8_t* out) const;  // exactly kSize bytes
  // Reads exactly kSize bytes; the padding bytes are ignored (the result's are zero).
  static Envelope from_bytes(std::span<const uint8_t, kSize> bytes);
  static Envelope read_from(const uint8_t* in);

  bool operator==(const Envelope& o) const;
};

static_assert(sizeof(Envelope) == Envelope::kSize, "Envelope must stay 80 bytes (#[repr(C)])");
static_assert(offsetof(Envelope, type_tag) == 48 && offsetof(Envelope, payload_len) == 56 &&
                  offsetof(Envelope, flags) == 60 && offsetof(Envelope, correlation_id) == 64,
              "Envelope field offsets are part of the wire and guest ABI");

}  // namespace pd
