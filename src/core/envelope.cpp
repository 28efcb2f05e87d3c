#include "pd/core/envelope.h"

#include <bit>
#include <cstring>

namespace pd {
namespace {

void put_u32(uint8_t* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out[i] = uint8_t(v >> (8 * i));
}
void put_u64(uint8_t* out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out[i] = uint8_t(v >> (8 * i));
}
void put_u128(uint8_t* out, u128 v) {
  put_u64(out, uint64_t(v));
  put_u64(out + 8, uint64_t(v >> 64));
}
uint32_t get_u32(const uint8_t* in) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | in[i];
  return v;
}
uint64_t get_u64(const uint8_t* in) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | in[i];
  return v;
}
u128 get_u128(const uint8_t* in) {
  return (u128(get_u64(in + 8)) << 64) | get_u64(in);
}

}  // namespace

Envelope Envelope::response(uint32_t reply_payload_len) const {
  Envelope r;
  r.source = destination;
  r.destination = source;
  r.type_tag = type_tag;
  r.payload_len = reply_payload_len;
  r.flags = (flags & kFlagPriorityMask) | kFlagResponse;
  r.correlation_id = uint64_t(message_id);
  return r;
}

void Envelope::write_to(uint8_t* out) const {
  if constexpr (std::endian::native == std::endian::little) {
    // The struct is the wire layout (offsets static_asserted in the header): one copy.
    std::memcpy(out, this, 72);
    std::memset(out + 72, 0, 8);
    return;
  }
  put_u128(out + 0, message_id);
  put_u128(out + 16, source.value());
  put_u128(out + 32, destination.value());
  put_u64(out + 48, type_tag);
  put_u32(out + 56, payload_len);
  put_u32(out + 60, flags);
  put_u64(out + 64, correlation_id);
  std::memset(out + 72, 0, 8);
}

std::array<uint8_t, Envelope::kSize> Envelope::to_bytes() const {
  std::array<uint8_t, kSize> out;
  write_to(out.data());
  return out;
}

Envelope Envelope::read_from(const uint8_t* in) {
  Envelope e;
  if constexpr (std::endian::native == std::endian::little) {
    std::memcpy(static_cast<void*>(&e), in, 72);  // padding stays zero
    return e;
  }
  e.message_id = get_u128(in + 0);
  e.source = AddrHash::from_u128(get_u128(in + 16));
  e.destination = AddrHash::from_u128(get_u128(in + 32));
  e.type_tag = get_u64(in + 48);
  e.payload_len = get_u32(in + 56);
  e.flags = get_u32(in + 60);
  e.correlation_id = get_u64(in + 64);
  return e;
}

Envelope Envelope::from_bytes(std::span<const uint8_t, kSize> bytes) {
  return read_from(bytes.data());
}

bool Envelope::operator==(const Envelope& o) const {
  // Padding is not part of an envelope's meaning.
  return message_id == o.message_id && source == o.source && destination == o.destination &&
         type_tag == o.type_tag && payload_len == o.payload_len && flags == o.flags &&
         correlation_id == o.correlation_id;
}

}  // namespace pd
