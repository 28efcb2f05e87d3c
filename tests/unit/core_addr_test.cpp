// ActorPath (names in the supervision tree) and AddrHash (path hash << 64 | generation).

#include "pd/core/addr.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace {

using pd::ActorPath;
using pd::AddrHash;
using pd::PathError;
using pd::u128;

// FNV-1a 64 written out from the standard definition, independent of pd::fnv1a64.
uint64_t reference_fnv1a64(std::string_view s) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return h;
}

ActorPath path(std::string_view text) {
  auto p = ActorPath::parse(text);
  EXPECT_TRUE(p.has_value()) << "'" << text << "' should parse";
  if (!p.has_value()) return ActorPath::parse("/").value();  // the EXPECT above already failed
  return p.value();
}

PathError parse_error(std::string_view text) {
  auto p = ActorPath::parse(text);
  EXPECT_FALSE(p.has_value()) << "'" << text << "' should not parse";
  if (p.has_value()) return PathError::Empty;  // the EXPECT above already failed
  return p.error();
}

// ---------------------------------------------------------------------------------------------
// Parse errors

TEST(ActorPath, parse_rejects_the_empty_string_as_Empty) {
  EXPECT_EQ(parse_error(""), PathError::Empty);
}

TEST(ActorPath, parse_rejects_a_path_without_leading_slash_as_MustStartWithSlash) {
  EXPECT_EQ(parse_error("user/a"), PathError::MustStartWithSlash);
}

TEST(ActorPath, parse_rejects_a_trailing_slash_as_TrailingSlash) {
  EXPECT_EQ(parse_error("/user/"), PathError::TrailingSlash);
}

TEST(ActorPath, parse_rejects_a_double_slash_as_EmptySegment) {
  EXPECT_EQ(parse_error("/user//a"), PathError::EmptySegment);
}

TEST(ActorPath, parse_rejects_a_segment_with_a_space_as_InvalidSegment) {
  EXPECT_EQ(parse_error("/user/a b"), PathError::InvalidSegment);
}

TEST(ActorPath, parse_rejects_a_dot_dot_segment_as_InvalidSegment) {
  EXPECT_EQ(parse_error("/user/.."), PathError::InvalidSegment);
}

TEST(ActorPath, parse_rejects_a_dot_segment_as_InvalidSegment) {
  EXPECT_EQ(parse_error("/user/."), PathError::InvalidSegment);
}

TEST(ActorPath, parse_rejects_a_non_ascii_segment_as_InvalidSegment) {
  EXPECT_EQ(parse_error("/user/\xC3\xA4"), PathError::InvalidSegment);  // "/user/ä" in UTF-8
}

TEST(ActorPath, path_errors_have_their_names_as_strings) {
  EXPECT_STREQ(pd::to_string(PathError::Empty), "Empty");
  EXPECT_STREQ(pd::to_string(PathError::MustStartWithSlash), "MustStartWithSlash");
  EXPECT_STREQ(pd::to_string(PathError::TrailingSlash), "TrailingSlash");
  EXPECT_STREQ(pd::to_string(PathError::EmptySegment), "EmptySegment");
  EXPECT_STREQ(pd::to_string(PathError::InvalidSegment), "InvalidSegment");
}

// ---------------------------------------------------------------------------------------------
// Valid paths

TEST(ActorPath, root_parses_and_prints_back) {
  auto p = ActorPath::parse("/");
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p.value().str(), "/");
  EXPECT_TRUE(p.value().is_root());
}

TEST(ActorPath, single_segment_path_parses_and_prints_back) {
  auto p = ActorPath::parse("/user");
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p.value().str(), "/user");
  EXPECT_FALSE(p.value().is_root());
}

TEST(ActorPath, deep_path_with_every_allowed_character_class_parses_and_prints_back) {
  auto p = ActorPath::parse("/engine:abc/user/orders/processor-1");
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p.value().str(), "/engine:abc/user/orders/processor-1");
  auto q = ActorPath::parse("/A.b_C-9:z");
  ASSERT_TRUE(q.has_value());
  EXPECT_EQ(q.value().str(), "/A.b_C-9:z");
}

TEST(ActorPath, valid_segment_accepts_letters_digits_and_dot_underscore_colon_dash) {
  EXPECT_TRUE(ActorPath::valid_segment("processor-1"));
  EXPECT_TRUE(ActorPath::valid_segment("engine:abc"));
  EXPECT_TRUE(ActorPath::valid_segment("a.b_c"));
  EXPECT_TRUE(ActorPath::valid_segment("..."));
  EXPECT_FALSE(ActorPath::valid_segment(""));
  EXPECT_FALSE(ActorPath::valid_segment("."));
  EXPECT_FALSE(ActorPath::valid_segment(".."));
  EXPECT_FALSE(ActorPath::valid_segment("a/b"));
  EXPECT_FALSE(ActorPath::valid_segment("a b"));
}

// ---------------------------------------------------------------------------------------------
// Hash

TEST(ActorPath, reference_fnv1a64_matches_the_published_value_for_a) {
  EXPECT_EQ(reference_fnv1a64(""), 0xcbf29ce484222325ull);
  EXPECT_EQ(reference_fnv1a64("a"), 0xaf63dc4c8601ec8cull);
}

TEST(ActorPath, hash_is_fnv1a64_of_the_path_string) {
  for (std::string_view text : {"/", "/user", "/engine:abc/user/orders/processor-1"}) {
    EXPECT_EQ(path(text).hash(), reference_fnv1a64(text)) << text;
    EXPECT_EQ(ActorPath::fnv1a_of_path(text), reference_fnv1a64(text)) << text;
  }
}

TEST(ActorPath, hash_matches_precomputed_fnv1a64_values) {
  EXPECT_EQ(path("/").hash(), 0xaf63a24c860189feull);      // fnv1a64("/")
  EXPECT_EQ(path("/user").hash(), 0x44529d9f87635291ull);  // fnv1a64("/user")
}

TEST(ActorPath, hash_of_a_child_equals_hash_of_its_full_string) {
  ActorPath c = path("/user").child("orders");
  EXPECT_EQ(c.hash(), reference_fnv1a64("/user/orders"));
}

// ---------------------------------------------------------------------------------------------
// Navigation

TEST(ActorPath, child_appends_a_segment) {
  EXPECT_EQ(path("/user").child("orders").str(), "/user/orders");
  EXPECT_EQ(path("/user/orders").child("processor-1").str(), "/user/orders/processor-1");
}

TEST(ActorPath, child_of_root_has_a_single_slash) {
  EXPECT_EQ(path("/").child("user").str(), "/user");
}

TEST(ActorPath, parent_drops_the_last_segment) {
  EXPECT_EQ(path("/user/orders/processor-1").parent().str(), "/user/orders");
  EXPECT_EQ(path("/user/orders").parent().str(), "/user");
}

TEST(ActorPath, parent_of_a_top_level_path_is_root) {
  EXPECT_EQ(path("/user").parent().str(), "/");
}

TEST(ActorPath, parent_of_root_is_root) {
  EXPECT_EQ(path("/").parent().str(), "/");
}

TEST(ActorPath, parent_of_child_is_the_original_path) {
  ActorPath p = path("/engine:abc/user");
  EXPECT_EQ(p.child("x").parent(), p);
}

TEST(ActorPath, name_is_the_last_segment) {
  EXPECT_EQ(path("/engine:abc/user/orders/processor-1").name(), "processor-1");
  EXPECT_EQ(path("/user").name(), "user");
}

TEST(ActorPath, name_of_root_is_empty) {
  EXPECT_EQ(path("/").name(), "");
}

TEST(ActorPath, starts_with_itself) {
  EXPECT_TRUE(path("/user/a").starts_with(path("/user/a")));
}

TEST(ActorPath, starts_with_an_ancestor) {
  EXPECT_TRUE(path("/user/a").starts_with(path("/user")));
  EXPECT_TRUE(path("/user/a/b/c").starts_with(path("/user/a")));
}

TEST(ActorPath, everything_starts_with_root) {
  EXPECT_TRUE(path("/").starts_with(path("/")));
  EXPECT_TRUE(path("/user/a").starts_with(path("/")));
}

TEST(ActorPath, does_not_start_with_a_sibling_sharing_a_textual_prefix) {
  EXPECT_FALSE(path("/user/ab").starts_with(path("/user/a")));
}

TEST(ActorPath, does_not_start_with_a_descendant_or_an_unrelated_path) {
  EXPECT_FALSE(path("/user").starts_with(path("/user/a")));
  EXPECT_FALSE(path("/user/a").starts_with(path("/system")));
  EXPECT_FALSE(path("/").starts_with(path("/user")));
}

// ---------------------------------------------------------------------------------------------
// AddrHash

TEST(AddrHash, packs_path_hash_in_the_high_64_bits_and_generation_in_the_low_64) {
  AddrHash a(0x0123456789ABCDEFull, 0xFEDCBA9876543210ull);
  u128 expected = (u128(0x0123456789ABCDEFull) << 64) | u128(0xFEDCBA9876543210ull);
  EXPECT_EQ(a.value(), expected);
  EXPECT_EQ(a.path_hash(), 0x0123456789ABCDEFull);
  EXPECT_EQ(a.generation(), 0xFEDCBA9876543210ull);
}

TEST(AddrHash, from_u128_unpacks_into_path_hash_and_generation) {
  AddrHash a = AddrHash::from_u128((u128(0x1111222233334444ull) << 64) | 0x5555666677778888ull);
  EXPECT_EQ(a.path_hash(), 0x1111222233334444ull);
  EXPECT_EQ(a.generation(), 0x5555666677778888ull);
  EXPECT_EQ(a, AddrHash(0x1111222233334444ull, 0x5555666677778888ull));
}

TEST(AddrHash, default_is_null) {
  AddrHash a;
  EXPECT_TRUE(a.is_null());
  EXPECT_EQ(a.value(), u128(0));
  EXPECT_FALSE(AddrHash(0, 1).is_null());
  EXPECT_FALSE(AddrHash(1, 0).is_null());
}

TEST(AddrHash, generation_zero_is_a_path_address) {
  EXPECT_TRUE(AddrHash(0xABCDull, 0).is_path_address());
}

TEST(AddrHash, nonzero_generation_is_not_a_path_address) {
  EXPECT_FALSE(AddrHash(0xABCDull, 1).is_path_address());
  EXPECT_FALSE(AddrHash(0xABCDull, 0x8000000000000000ull).is_path_address());
}

TEST(AddrHash, null_address_is_not_a_path_address) {
  EXPECT_FALSE(AddrHash().is_path_address());
}

TEST(AddrHash, path_address_keeps_the_path_hash_and_zeroes_the_generation) {
  AddrHash a(0x0123456789ABCDEFull, 42);
  AddrHash p = a.path_address();
  EXPECT_EQ(p.path_hash(), 0x0123456789ABCDEFull);
  EXPECT_EQ(p.generation(), 0u);
  EXPECT_TRUE(p.is_path_address());
}

TEST(AddrHash, orders_by_path_hash_then_generation) {
  EXPECT_LT(AddrHash(1, 0xFFFFFFFFFFFFFFFFull), AddrHash(2, 0));
  EXPECT_LT(AddrHash(2, 1), AddrHash(2, 2));
  EXPECT_EQ(AddrHash(3, 4), AddrHash(3, 4));
  EXPECT_NE(AddrHash(3, 4), AddrHash(4, 3));
}

TEST(AddrHash, to_string_is_16_hex_digits_of_path_hash_colon_16_hex_digits_of_generation) {
  EXPECT_EQ(AddrHash(0x1F2E3D4C5B6A7988ull, 1).to_string(), "1f2e3d4c5b6a7988:0000000000000001");
  EXPECT_EQ(AddrHash(0xABC, 0xFFFFFFFFFFFFFFFFull).to_string(),
            "0000000000000abc:ffffffffffffffff");
  EXPECT_EQ(AddrHash().to_string(), "0000000000000000:0000000000000000");
}

TEST(AddrHash, of_a_parsed_path_carries_its_hash) {
  ActorPath p = path("/user/orders");
  AddrHash a(p.hash(), 7);
  EXPECT_EQ(a.path_hash(), reference_fnv1a64("/user/orders"));
  EXPECT_EQ(a.generation(), 7u);
}

}  // namespace
