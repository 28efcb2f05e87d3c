// Envelope: the 80-byte little-endian message header (layout in docs/reference, palladium.md).
//
//   offset  0  message_id      u128
//   offset 16  source          u128 (AddrHash)
//   offset 32  destination     u128 (AddrHash)
//   offset 48  type_tag        u64
//   offset 56  payload_len     u32
//   offset 60  flags           u32  bit 0 response, bits 1-2 priority
//   offset 64  correlation_id  u64
//   offset 72  padding         8 zero bytes, ignored on read

#include "pd/core/envelope.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <vector>

namespace {

using pd::AddrHash;
using pd::Envelope;
using pd::u128;

constexpr u128 make_u128(uint64_t high, uint64_t low) {
  return (u128(high) << 64) | low;
}

// An envelope with a distinct, non-trivial value in every field.
Envelope sample_envelope() {
  Envelope e;
  e.message_id = make_u128(0x0123456789ABCDEFull, 0xFEDCBA9876543210ull);
  e.source = AddrHash(0x1122334455667788ull, 0x99AABBCCDDEEFF00ull);
  e.destination = AddrHash(0xA1A2A3A4A5A6A7A8ull, 0xB1B2B3B4B5B6B7B8ull);
  e.type_tag = 0xC1C2C3C4C5C6C7C8ull;
  e.payload_len = 0x12345678u;
  e.flags = 0x00000005u;  // response, priority 2
  e.correlation_id = 0x0F1E2D3C4B5A6978ull;
  return e;
}

// sample_envelope() on the wire, written out by hand from the layout table.
// clang-format off
constexpr std::array<uint8_t, 80> kSampleBytes = {
    // offset 0: message_id 0x0123456789ABCDEF'FEDCBA9876543210, low byte first
    0x10, 0x32, 0x54, 0x76, 0x98, 0xBA, 0xDC, 0xFE,
    0xEF, 0xCD, 0xAB, 0x89, 0x67, 0x45, 0x23, 0x01,
    // offset 16: source, generation 0x99AABBCCDDEEFF00 (low half) then path hash 0x1122334455667788
    0x00, 0xFF, 0xEE, 0xDD, 0xCC, 0xBB, 0xAA, 0x99,
    0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11,
    // offset 32: destination, generation 0xB1B2B3B4B5B6B7B8 then path hash 0xA1A2A3A4A5A6A7A8
    0xB8, 0xB7, 0xB6, 0xB5, 0xB4, 0xB3, 0xB2, 0xB1,
    0xA8, 0xA7, 0xA6, 0xA5, 0xA4, 0xA3, 0xA2, 0xA1,
    // offset 48: type_tag 0xC1C2C3C4C5C6C7C8
    0xC8, 0xC7, 0xC6, 0xC5, 0xC4, 0xC3, 0xC2, 0xC1,
    // offset 56: payload_len 0x12345678
    0x78, 0x56, 0x34, 0x12,
    // offset 60: flags 0x00000005
    0x05, 0x00, 0x00, 0x00,
    // offset 64: correlation_id 0x0F1E2D3C4B5A6978
    0x78, 0x69, 0x5A, 0x4B, 0x3C, 0x2D, 0x1E, 0x0F,
    // offset 72: padding
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};
// clang-format on

void expect_bytes_equal(const std::array<uint8_t, 80>& actual,
                        const std::array<uint8_t, 80>& expected) {
  for (size_t i = 0; i < 80; ++i) {
    EXPECT_EQ(int(actual[i]), int(expected[i])) << "at byte offset " << i;
  }
}

void expect_same_fields(const Envelope& actual, const Envelope& expected) {
  EXPECT_EQ(actual.message_id, expected.message_id);
  EXPECT_EQ(actual.source.value(), expected.source.value());
  EXPECT_EQ(actual.destination.value(), expected.destination.value());
  EXPECT_EQ(actual.type_tag, expected.type_tag);
  EXPECT_EQ(actual.payload_len, expected.payload_len);
  EXPECT_EQ(actual.flags, expected.flags);
  EXPECT_EQ(actual.correlation_id, expected.correlation_id);
}

// ---------------------------------------------------------------------------------------------
// Layout

TEST(Envelope, is_80_bytes_with_fields_at_their_wire_offsets) {
  EXPECT_EQ(sizeof(Envelope), 80u);
  EXPECT_EQ(Envelope::kSize, 80u);
  EXPECT_EQ(offsetof(Envelope, message_id), 0u);
  EXPECT_EQ(offsetof(Envelope, source), 16u);
  EXPECT_EQ(offsetof(Envelope, destination), 32u);
  EXPECT_EQ(offsetof(Envelope, type_tag), 48u);
  EXPECT_EQ(offsetof(Envelope, payload_len), 56u);
  EXPECT_EQ(offsetof(Envelope, flags), 60u);
  EXPECT_EQ(offsetof(Envelope, correlation_id), 64u);
  EXPECT_EQ(offsetof(Envelope, padding), 72u);
}

TEST(Envelope, default_envelope_is_all_zero) {
  Envelope e;
  std::array<uint8_t, 80> zeros{};
  expect_bytes_equal(e.to_bytes(), zeros);
  EXPECT_EQ(e.priority(), 0);
  EXPECT_FALSE(e.is_response());
}

TEST(Envelope, make_sets_addresses_type_tag_and_payload_len_and_nothing_else) {
  AddrHash from(0x1111, 1), to(0x2222, 2);
  Envelope e = Envelope::make(from, to, 0xABCDull, 42);
  EXPECT_EQ(e.message_id, u128(0));
  EXPECT_EQ(e.source.value(), from.value());
  EXPECT_EQ(e.destination.value(), to.value());
  EXPECT_EQ(e.type_tag, 0xABCDull);
  EXPECT_EQ(e.payload_len, 42u);
  EXPECT_EQ(e.flags, 0u);
  EXPECT_EQ(e.correlation_id, 0u);
}

// ---------------------------------------------------------------------------------------------
// Wire form

TEST(Envelope, to_bytes_writes_every_field_little_endian_at_its_offset) {
  expect_bytes_equal(sample_envelope().to_bytes(), kSampleBytes);
}

TEST(Envelope, write_to_writes_the_same_80_bytes_as_to_bytes) {
  std::array<uint8_t, 80> out;
  out.fill(0xEE);
  sample_envelope().write_to(out.data());
  expect_bytes_equal(out, kSampleBytes);
}

TEST(Envelope, to_bytes_writes_zero_padding_even_when_the_struct_padding_is_not_zero) {
  Envelope e = sample_envelope();
  for (auto& b : e.padding) b = 0xAB;
  expect_bytes_equal(e.to_bytes(), kSampleBytes);
}

TEST(Envelope, from_bytes_reads_every_field_from_its_offset) {
  Envelope e = Envelope::from_bytes(kSampleBytes);
  expect_same_fields(e, sample_envelope());
  EXPECT_EQ(e.source.path_hash(), 0x1122334455667788ull);
  EXPECT_EQ(e.source.generation(), 0x99AABBCCDDEEFF00ull);
  EXPECT_EQ(e.destination.path_hash(), 0xA1A2A3A4A5A6A7A8ull);
  EXPECT_EQ(e.destination.generation(), 0xB1B2B3B4B5B6B7B8ull);
  EXPECT_TRUE(e.is_response());
  EXPECT_EQ(e.priority(), 2);
}

TEST(Envelope, read_from_reads_the_same_fields_as_from_bytes) {
  expect_same_fields(Envelope::read_from(kSampleBytes.data()), sample_envelope());
}

TEST(Envelope, from_bytes_ignores_nonzero_padding) {
  std::array<uint8_t, 80> input = kSampleBytes;
  for (size_t i = 72; i < 80; ++i) input[i] = uint8_t(0xF0 + i);
  Envelope e = Envelope::from_bytes(input);
  EXPECT_EQ(e, sample_envelope());
  expect_same_fields(e, sample_envelope());
  for (size_t i = 0; i < 8; ++i) EXPECT_EQ(int(e.padding[i]), 0) << "padding byte " << i;
  expect_bytes_equal(e.to_bytes(), kSampleBytes);
}

TEST(Envelope, equality_ignores_padding_but_not_fields) {
  Envelope a = sample_envelope();
  Envelope b = sample_envelope();
  b.padding[3] = 0x7F;
  EXPECT_EQ(a, b);
  b.correlation_id ^= 1;
  EXPECT_FALSE(a == b);
}

TEST(Envelope, round_trips_through_bytes) {
  std::vector<Envelope> cases;
  cases.push_back(Envelope{});
  cases.push_back(sample_envelope());
  {
    Envelope e;  // every bit of every field set
    e.message_id = ~u128(0);
    e.source = AddrHash::from_u128(~u128(0));
    e.destination = AddrHash::from_u128(~u128(0));
    e.type_tag = ~0ull;
    e.payload_len = ~0u;
    e.flags = ~0u;
    e.correlation_id = ~0ull;
    cases.push_back(e);
  }
  {
    Envelope e = Envelope::make(AddrHash(0xDEADBEEFCAFEF00Dull, 0),
                                AddrHash(1, 0x8000000000000000ull), 0x5A5A5A5A5A5A5A5Aull, 1)
                     .with_priority(3);
    e.message_id = make_u128(0x8000000000000000ull, 1);
    cases.push_back(e);
  }
  cases.push_back(sample_envelope().response(7));
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(testing::Message() << "case " << i);
    Envelope back = Envelope::from_bytes(cases[i].to_bytes());
    expect_same_fields(back, cases[i]);
    EXPECT_EQ(back, cases[i]);
    expect_bytes_equal(back.to_bytes(), cases[i].to_bytes());
  }
}

// ---------------------------------------------------------------------------------------------
// Responses

TEST(Envelope, response_swaps_source_and_destination) {
  Envelope req = sample_envelope();
  Envelope resp = req.response(9);
  EXPECT_EQ(resp.source.value(), req.destination.value());
  EXPECT_EQ(resp.destination.value(), req.source.value());
}

TEST(Envelope, response_sets_the_response_flag) {
  Envelope req = Envelope::make(AddrHash(1, 1), AddrHash(2, 1), 0x77, 3);
  ASSERT_FALSE(req.is_response());
  Envelope resp = req.response(0);
  EXPECT_TRUE(resp.is_response());
  EXPECT_EQ(resp.flags & Envelope::kFlagResponse, Envelope::kFlagResponse);
}

TEST(Envelope, response_correlation_id_is_the_low_64_bits_of_the_request_message_id) {
  Envelope req = sample_envelope();  // message_id 0x0123456789ABCDEF'FEDCBA9876543210
  Envelope resp = req.response(0);
  EXPECT_EQ(resp.correlation_id, 0xFEDCBA9876543210ull);
}

TEST(Envelope, response_keeps_the_request_priority) {
  for (uint8_t p = 0; p <= 3; ++p) {
    Envelope req = Envelope::make(AddrHash(1, 1), AddrHash(2, 1), 0x77, 3).with_priority(p);
    Envelope resp = req.response(0);
    EXPECT_EQ(resp.priority(), p);
    EXPECT_TRUE(resp.is_response());
    EXPECT_EQ(resp.flags, Envelope::kFlagResponse | (uint32_t(p) << 1));
  }
}

TEST(Envelope, response_carries_the_reply_payload_len_and_leaves_the_message_id_to_the_engine) {
  Envelope resp = sample_envelope().response(4321);
  EXPECT_EQ(resp.payload_len, 4321u);
  EXPECT_EQ(resp.message_id, u128(0));
}

// ---------------------------------------------------------------------------------------------
// Priority

TEST(Envelope, priority_is_zero_by_default) {
  EXPECT_EQ(Envelope::make(AddrHash(1, 1), AddrHash(2, 1), 0, 0).priority(), 0);
}

TEST(Envelope, with_priority_sets_bits_1_and_2_of_flags) {
  Envelope e;
  EXPECT_EQ(e.with_priority(0).flags, 0b000u);
  EXPECT_EQ(e.with_priority(1).flags, 0b010u);
  EXPECT_EQ(e.with_priority(2).flags, 0b100u);
  EXPECT_EQ(e.with_priority(3).flags, 0b110u);
}

TEST(Envelope, priority_reads_back_what_with_priority_set) {
  Envelope e;
  for (uint8_t p = 0; p <= 3; ++p) EXPECT_EQ(e.with_priority(p).priority(), p);
}

TEST(Envelope, with_priority_clamps_values_above_3_to_3) {
  Envelope e;
  EXPECT_EQ(e.with_priority(4).priority(), 3);
  EXPECT_EQ(e.with_priority(4).flags, 0b110u);
  EXPECT_EQ(e.with_priority(7).priority(), 3);
  EXPECT_EQ(e.with_priority(255).priority(), 3);
  EXPECT_EQ(e.with_priority(255).flags, 0b110u);
}

TEST(Envelope, with_priority_does_not_touch_the_response_bit) {
  Envelope resp = Envelope::make(AddrHash(1, 1), AddrHash(2, 1), 0, 0).response(0);
  ASSERT_TRUE(resp.is_response());
  for (uint8_t p : {uint8_t(0), uint8_t(1), uint8_t(2), uint8_t(3), uint8_t(200)}) {
    Envelope e = resp.with_priority(p);
    EXPECT_TRUE(e.is_response()) << "priority " << int(p);
  }
  Envelope req;
  EXPECT_FALSE(req.with_priority(3).is_response());
}

TEST(Envelope, with_priority_replaces_a_previous_priority) {
  Envelope e = Envelope{}.with_priority(3).with_priority(1);
  EXPECT_EQ(e.priority(), 1);
  EXPECT_EQ(e.flags, 0b010u);
}

TEST(Envelope, with_priority_leaves_every_other_field_unchanged) {
  Envelope original = sample_envelope();
  Envelope e = original.with_priority(1);
  Envelope expected = original;
  expected.flags = 0b011u;  // response bit kept, priority 1
  expect_same_fields(e, expected);
}

TEST(Envelope, is_response_reads_bit_0_of_flags) {
  Envelope e;
  e.flags = 0b001;
  EXPECT_TRUE(e.is_response());
  e.flags = 0b110;
  EXPECT_FALSE(e.is_response());
  EXPECT_EQ(e.priority(), 3);
}

}  // namespace
