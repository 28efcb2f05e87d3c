// MessagePayload (Local object / Serialized bytes / Empty) and the compile-time type tags.

#include "pd/core/payload.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "pd/core/fnv.h"
#include "pd/core/type_tag.h"

// A plain struct outside any anonymous namespace, so its compiler spelling is "ptest::Plain".
namespace ptest {
struct Plain {
  int x = 0;
};
}  // namespace ptest

namespace {

using pd::MessagePayload;
using pd::PayloadError;

// FNV-1a 64 written out from the standard definition, independent of pd::fnv1a64.
uint64_t reference_fnv1a64(std::string_view s) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return h;
}

struct Small {
  int32_t id = 0;
  int64_t amount = 0;
  char code = 0;
};
static_assert(sizeof(Small) <= MessagePayload::kInlineSize);

struct Other {
  int32_t id = 0;
};

// Larger than the inline buffer: must live on the heap.
struct Big {
  std::array<char, 200> data{};
};
static_assert(sizeof(Big) > MessagePayload::kInlineSize);

struct Ping {
  static constexpr const char* kTypeName = "my_crate::Ping";
  int seq = 0;
};

// True when `p` points into the bytes of the payload object itself (inline storage).
bool points_inside(const MessagePayload& payload, const void* p) {
  auto lo = reinterpret_cast<uintptr_t>(&payload);
  auto at = reinterpret_cast<uintptr_t>(p);
  return at >= lo && at < lo + sizeof(MessagePayload);
}

// ---------------------------------------------------------------------------------------------
// Resource-owning message types, with exact lifetime accounting.

struct Life {
  int live = 0;       // objects constructed (incl. by move) and not yet destroyed
  int destroyed = 0;  // destructor calls
  int released = 0;   // owned strings deleted by the unique_ptr's deleter
};

template <class Tag>
struct Owner {
  static inline Life life;

  struct Release {
    void operator()(std::string* s) const noexcept {
      ++life.released;
      delete s;
    }
  };

  std::unique_ptr<std::string, Release> owned;
  typename Tag::Extra extra;

  explicit Owner(std::string text) : owned(new std::string(std::move(text))) { ++life.live; }
  Owner(Owner&& o) noexcept : owned(std::move(o.owned)), extra(std::move(o.extra)) { ++life.live; }
  Owner(const Owner&) = delete;
  Owner& operator=(const Owner&) = delete;
  Owner& operator=(Owner&&) = delete;
  ~Owner() {
    --life.live;
    ++life.destroyed;
  }
  std::string text() const { return owned ? *owned : std::string("<moved-from>"); }
};

// Fits the inline buffer: a unique_ptr to a heap string.
struct InlineTag {
  struct Extra {};
};
// Does not fit: also carries a std::string and a 64-byte buffer by value.
struct HeapTag {
  struct Extra {
    std::string name = "a std::string long enough to defeat the small string optimisation";
    std::array<char, 64> buffer{};
  };
};
using InlineOwner = Owner<InlineTag>;
using HeapOwner = Owner<HeapTag>;
static_assert(sizeof(InlineOwner) <= MessagePayload::kInlineSize);
static_assert(sizeof(HeapOwner) > MessagePayload::kInlineSize);

template <class T>
class OwningPayload : public testing::Test {
 protected:
  void SetUp() override { T::life = Life{}; }
};
using OwnerTypes = testing::Types<InlineOwner, HeapOwner>;
TYPED_TEST_SUITE(OwningPayload, OwnerTypes);

// ---------------------------------------------------------------------------------------------
// Empty

TEST(MessagePayload, default_payload_is_empty) {
  MessagePayload p;
  EXPECT_TRUE(p.is_empty());
  EXPECT_FALSE(p.is_local());
  EXPECT_FALSE(p.is_serialized());
  EXPECT_EQ(p.kind(), MessagePayload::Kind::Empty);
  EXPECT_EQ(p.local_type_tag(), 0u);
  EXPECT_EQ(p.local_type_name(), "");
  EXPECT_TRUE(p.bytes().empty());
}

// ---------------------------------------------------------------------------------------------
// Local payloads

TEST(MessagePayload, local_small_struct_round_trips_through_take) {
  MessagePayload p = MessagePayload::local(Small{7, -1234567890123ll, 'z'});
  ASSERT_TRUE(p.is_local());
  EXPECT_EQ(p.kind(), MessagePayload::Kind::Local);
  auto taken = p.take<Small>();
  ASSERT_TRUE(taken.has_value());
  EXPECT_EQ(taken.value().id, 7);
  EXPECT_EQ(taken.value().amount, -1234567890123ll);
  EXPECT_EQ(taken.value().code, 'z');
}

TEST(MessagePayload, successful_take_leaves_the_payload_empty) {
  MessagePayload p = MessagePayload::local(Small{1, 2, 'c'});
  ASSERT_TRUE(p.take<Small>().has_value());
  EXPECT_TRUE(p.is_empty());
  EXPECT_EQ(p.local_type_tag(), 0u);
}

TEST(MessagePayload, get_of_the_stored_type_points_at_the_object) {
  MessagePayload p = MessagePayload::local(Small{5, 6, 'x'});
  auto got = p.get<Small>();
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got.value()->id, 5);
  got.value()->id = 55;  // a mutable view of the payload's own object
  EXPECT_EQ(p.get_if<Small>()->id, 55);
  EXPECT_TRUE(p.is_local());
}

TEST(MessagePayload, small_struct_is_stored_inline) {
  MessagePayload p = MessagePayload::local(Small{1, 2, 'c'});
  EXPECT_TRUE(points_inside(p, p.get_if<Small>()));
}

TEST(MessagePayload, local_payload_reports_its_type_tag_and_name) {
  MessagePayload p = MessagePayload::local(ptest::Plain{3});
  EXPECT_EQ(p.local_type_tag(), pd::type_tag_v<ptest::Plain>);
  EXPECT_EQ(p.local_type_name(), "ptest::Plain");
  EXPECT_TRUE(p.is<ptest::Plain>());
  EXPECT_FALSE(p.is<Small>());
}

TEST(MessagePayload, get_of_another_type_fails_with_TypeMismatch) {
  MessagePayload p = MessagePayload::local(Small{1, 2, 'c'});
  auto got = p.get<Other>();
  ASSERT_FALSE(got.has_value());
  EXPECT_EQ(got.error(), PayloadError::TypeMismatch);
  EXPECT_EQ(p.get_if<Other>(), nullptr);
}

TEST(MessagePayload, take_of_another_type_fails_with_TypeMismatch) {
  MessagePayload p = MessagePayload::local(Small{1, 2, 'c'});
  auto taken = p.take<Other>();
  ASSERT_FALSE(taken.has_value());
  EXPECT_EQ(taken.error(), PayloadError::TypeMismatch);
}

TEST(MessagePayload, failed_take_of_another_type_leaves_the_local_object_unchanged) {
  MessagePayload p = MessagePayload::local(Small{11, 22, 'q'});
  const Small* before = p.get_if<Small>();
  ASSERT_FALSE(p.take<Other>().has_value());
  ASSERT_TRUE(p.is<Small>());
  EXPECT_EQ(p.get_if<Small>(), before);
  EXPECT_EQ(p.get_if<Small>()->id, 11);
  EXPECT_EQ(p.get_if<Small>()->amount, 22);
  EXPECT_EQ(p.get_if<Small>()->code, 'q');
  auto taken = p.take<Small>();  // and can still be taken as what it is
  ASSERT_TRUE(taken.has_value());
  EXPECT_EQ(taken.value().id, 11);
}

TEST(MessagePayload, get_on_serialized_bytes_fails_with_WrongVariant) {
  MessagePayload p = MessagePayload::serialized(std::vector<uint8_t>{1, 2, 3});
  auto got = p.get<Small>();
  ASSERT_FALSE(got.has_value());
  EXPECT_EQ(got.error(), PayloadError::WrongVariant);
  EXPECT_EQ(p.get_if<Small>(), nullptr);
  EXPECT_FALSE(p.is<Small>());
}

TEST(MessagePayload, take_on_serialized_bytes_fails_with_WrongVariant) {
  MessagePayload p = MessagePayload::serialized(std::vector<uint8_t>{1, 2, 3});
  auto taken = p.take<Small>();
  ASSERT_FALSE(taken.has_value());
  EXPECT_EQ(taken.error(), PayloadError::WrongVariant);
}

TEST(MessagePayload, failed_take_on_serialized_bytes_leaves_the_bytes_unchanged) {
  MessagePayload p = MessagePayload::serialized(std::vector<uint8_t>{9, 8, 7, 6});
  ASSERT_FALSE(p.take<Small>().has_value());
  ASSERT_TRUE(p.is_serialized());
  EXPECT_EQ(std::vector<uint8_t>(p.bytes().begin(), p.bytes().end()),
            (std::vector<uint8_t>{9, 8, 7, 6}));
}

TEST(MessagePayload, take_on_an_empty_payload_fails_with_WrongVariant) {
  MessagePayload p;
  auto taken = p.take<Small>();
  ASSERT_FALSE(taken.has_value());
  EXPECT_EQ(taken.error(), PayloadError::WrongVariant);
}

TEST(MessagePayload, failed_take_on_an_empty_payload_leaves_it_empty) {
  MessagePayload p;
  ASSERT_FALSE(p.take<Small>().has_value());
  EXPECT_TRUE(p.is_empty());
}

TEST(MessagePayload, get_on_an_empty_payload_fails_with_WrongVariant) {
  MessagePayload p;
  auto got = p.get<Small>();
  ASSERT_FALSE(got.has_value());
  EXPECT_EQ(got.error(), PayloadError::WrongVariant);
  EXPECT_EQ(p.get_if<Small>(), nullptr);
}

TEST(MessagePayload, large_struct_is_stored_on_the_heap) {
  Big big;
  for (size_t i = 0; i < big.data.size(); ++i) big.data[i] = char('A' + i % 26);
  MessagePayload p = MessagePayload::local(big);
  ASSERT_TRUE(p.is<Big>());
  EXPECT_FALSE(points_inside(p, p.get_if<Big>()));
}

TEST(MessagePayload, large_struct_round_trips_through_take) {
  Big big;
  for (size_t i = 0; i < big.data.size(); ++i) big.data[i] = char('A' + i % 26);
  MessagePayload p = MessagePayload::local(big);
  auto taken = p.take<Big>();
  ASSERT_TRUE(taken.has_value());
  EXPECT_EQ(taken.value().data, big.data);
  EXPECT_TRUE(p.is_empty());
}

TEST(MessagePayload, moving_a_heap_payload_hands_over_the_same_object) {
  MessagePayload a = MessagePayload::local(Big{});
  Big* object = a.get_if<Big>();
  MessagePayload b = std::move(a);
  EXPECT_TRUE(a.is_empty());
  EXPECT_EQ(b.get_if<Big>(), object);
}

TEST(MessagePayload, moving_an_inline_payload_moves_the_object_into_the_new_payload) {
  MessagePayload a = MessagePayload::local(Small{3, 4, 'm'});
  MessagePayload b = std::move(a);
  EXPECT_TRUE(a.is_empty());
  ASSERT_TRUE(b.is<Small>());
  EXPECT_TRUE(points_inside(b, b.get_if<Small>()));
  EXPECT_EQ(b.get_if<Small>()->id, 3);
  EXPECT_EQ(b.get_if<Small>()->amount, 4);
  EXPECT_EQ(b.get_if<Small>()->code, 'm');
}

// ---------------------------------------------------------------------------------------------
// Resource-owning local payloads (inline and heap): every object is destroyed exactly once and
// the owned resource is released exactly once.

TYPED_TEST(OwningPayload, storage_is_inline_or_heap_by_size) {
  MessagePayload p = MessagePayload::local(TypeParam("hello"));
  bool expect_inline = sizeof(TypeParam) <= MessagePayload::kInlineSize;
  EXPECT_EQ(points_inside(p, p.template get_if<TypeParam>()), expect_inline);
}

TYPED_TEST(OwningPayload, destroying_the_payload_destroys_the_object_once) {
  {
    MessagePayload p = MessagePayload::local(TypeParam("hello"));
    EXPECT_EQ(TypeParam::life.live, 1);
    EXPECT_EQ(TypeParam::life.released, 0);
    EXPECT_EQ(p.template get_if<TypeParam>()->text(), "hello");
  }
  EXPECT_EQ(TypeParam::life.live, 0);
  EXPECT_EQ(TypeParam::life.released, 1);
}

TYPED_TEST(OwningPayload, reset_destroys_the_object_once_and_empties_the_payload) {
  MessagePayload p = MessagePayload::local(TypeParam("hello"));
  p.reset();
  EXPECT_TRUE(p.is_empty());
  EXPECT_EQ(TypeParam::life.live, 0);
  EXPECT_EQ(TypeParam::life.released, 1);
  p.reset();  // a second reset of an empty payload does nothing
  EXPECT_EQ(TypeParam::life.live, 0);
  EXPECT_EQ(TypeParam::life.released, 1);
}

TYPED_TEST(OwningPayload, move_construction_transfers_the_object_and_it_is_destroyed_once) {
  {
    MessagePayload a = MessagePayload::local(TypeParam("moved"));
    MessagePayload b = std::move(a);
    EXPECT_TRUE(a.is_empty());
    ASSERT_TRUE(b.template is<TypeParam>());
    EXPECT_EQ(b.template get_if<TypeParam>()->text(), "moved");
    EXPECT_EQ(TypeParam::life.live, 1);
    EXPECT_EQ(TypeParam::life.released, 0);
  }
  EXPECT_EQ(TypeParam::life.live, 0);
  EXPECT_EQ(TypeParam::life.released, 1);
}

TYPED_TEST(OwningPayload, move_assignment_destroys_the_overwritten_object_once) {
  {
    MessagePayload a = MessagePayload::local(TypeParam("new"));
    MessagePayload b = MessagePayload::local(TypeParam("old"));
    EXPECT_EQ(TypeParam::life.live, 2);
    b = std::move(a);
    EXPECT_EQ(TypeParam::life.live, 1);
    EXPECT_EQ(TypeParam::life.released, 1);  // "old"
    EXPECT_TRUE(a.is_empty());
    EXPECT_EQ(b.template get_if<TypeParam>()->text(), "new");
  }
  EXPECT_EQ(TypeParam::life.live, 0);
  EXPECT_EQ(TypeParam::life.released, 2);
}

TYPED_TEST(OwningPayload, take_moves_the_object_out_without_releasing_its_resource) {
  MessagePayload p = MessagePayload::local(TypeParam("taken"));
  {
    auto taken = p.template take<TypeParam>();
    ASSERT_TRUE(taken.has_value());
    EXPECT_TRUE(p.is_empty());
    EXPECT_EQ(taken.value().text(), "taken");
    EXPECT_EQ(TypeParam::life.live, 1);  // the payload's own object is gone
    EXPECT_EQ(TypeParam::life.released, 0);
  }
  EXPECT_EQ(TypeParam::life.live, 0);
  EXPECT_EQ(TypeParam::life.released, 1);
}

TYPED_TEST(OwningPayload, failed_take_neither_moves_nor_destroys_the_object) {
  MessagePayload p = MessagePayload::local(TypeParam("kept"));
  int destroyed_before = TypeParam::life.destroyed;
  auto taken = p.template take<Other>();
  ASSERT_FALSE(taken.has_value());
  EXPECT_EQ(TypeParam::life.destroyed, destroyed_before);
  EXPECT_EQ(TypeParam::life.live, 1);
  EXPECT_EQ(TypeParam::life.released, 0);
  EXPECT_EQ(p.template get_if<TypeParam>()->text(), "kept");
}

TYPED_TEST(OwningPayload, every_constructed_object_is_destroyed_exactly_once) {
  {
    MessagePayload a = MessagePayload::local(TypeParam("x"));
    MessagePayload b = std::move(a);
    MessagePayload c;
    c = std::move(b);
    auto taken = c.template take<TypeParam>();
    ASSERT_TRUE(taken.has_value());
  }
  EXPECT_EQ(TypeParam::life.live, 0);
  EXPECT_EQ(TypeParam::life.released, 1);
}

// ---------------------------------------------------------------------------------------------
// Serialized payloads

TEST(MessagePayload, serialized_payload_exposes_its_bytes) {
  MessagePayload p = MessagePayload::serialized(std::vector<uint8_t>{0x00, 0xFF, 0x10, 0x80});
  ASSERT_TRUE(p.is_serialized());
  EXPECT_EQ(p.kind(), MessagePayload::Kind::Serialized);
  EXPECT_EQ(std::vector<uint8_t>(p.bytes().begin(), p.bytes().end()),
            (std::vector<uint8_t>{0x00, 0xFF, 0x10, 0x80}));
  EXPECT_EQ(p.local_type_tag(), 0u);
  EXPECT_EQ(p.local_type_name(), "");
}

TEST(MessagePayload, serialized_from_a_span_copies_the_bytes) {
  std::vector<uint8_t> source{1, 2, 3, 4, 5};
  MessagePayload p = MessagePayload::serialized(std::span<const uint8_t>(source));
  source[0] = 99;
  EXPECT_EQ(std::vector<uint8_t>(p.bytes().begin(), p.bytes().end()),
            (std::vector<uint8_t>{1, 2, 3, 4, 5}));
}

TEST(MessagePayload, take_bytes_returns_the_bytes_and_leaves_the_payload_empty) {
  MessagePayload p = MessagePayload::serialized(std::vector<uint8_t>{4, 5, 6});
  auto taken = p.take_bytes();
  ASSERT_TRUE(taken.has_value());
  EXPECT_EQ(taken.value(), (std::vector<uint8_t>{4, 5, 6}));
  EXPECT_TRUE(p.is_empty());
  EXPECT_TRUE(p.bytes().empty());
}

TEST(MessagePayload, take_bytes_of_a_local_payload_fails_with_WrongVariant_and_keeps_it) {
  MessagePayload p = MessagePayload::local(Small{1, 2, 'c'});
  auto taken = p.take_bytes();
  ASSERT_FALSE(taken.has_value());
  EXPECT_EQ(taken.error(), PayloadError::WrongVariant);
  ASSERT_TRUE(p.is<Small>());
  EXPECT_EQ(p.get_if<Small>()->id, 1);
}

TEST(MessagePayload, take_bytes_of_an_empty_payload_fails_with_WrongVariant) {
  // Emptied by a first take_bytes. (Calling take_bytes() on a default-constructed payload
  // right where it is declared trips a GCC 12 -Wmaybe-uninitialized false positive inside
  // payload.h under -fsanitize=address,undefined, which -Werror turns into a build error.)
  MessagePayload p = MessagePayload::serialized(std::vector<uint8_t>{1});
  ASSERT_TRUE(p.take_bytes().has_value());
  ASSERT_TRUE(p.is_empty());
  auto taken = p.take_bytes();
  ASSERT_FALSE(taken.has_value());
  EXPECT_EQ(taken.error(), PayloadError::WrongVariant);
  EXPECT_TRUE(p.is_empty());
}

TEST(MessagePayload, bytes_of_a_local_payload_is_an_empty_span) {
  MessagePayload p = MessagePayload::local(Small{1, 2, 'c'});
  EXPECT_TRUE(p.bytes().empty());
}

TEST(MessagePayload, moving_a_serialized_payload_moves_its_bytes) {
  MessagePayload a = MessagePayload::serialized(std::vector<uint8_t>{7, 7, 7});
  MessagePayload b = std::move(a);
  EXPECT_TRUE(a.is_empty());
  EXPECT_TRUE(a.bytes().empty());
  ASSERT_TRUE(b.is_serialized());
  EXPECT_EQ(std::vector<uint8_t>(b.bytes().begin(), b.bytes().end()),
            (std::vector<uint8_t>{7, 7, 7}));
}

TEST(MessagePayload, move_assigning_a_serialized_payload_over_a_local_one_replaces_it) {
  InlineOwner::life = Life{};
  MessagePayload a = MessagePayload::serialized(std::vector<uint8_t>{1});
  MessagePayload b = MessagePayload::local(InlineOwner("replaced"));
  b = std::move(a);
  EXPECT_EQ(InlineOwner::life.live, 0);
  EXPECT_EQ(InlineOwner::life.released, 1);
  ASSERT_TRUE(b.is_serialized());
  EXPECT_EQ(b.bytes().size(), 1u);
  EXPECT_TRUE(a.is_empty());
}

TEST(PayloadError, names_are_TypeMismatch_and_WrongVariant) {
  EXPECT_STREQ(pd::to_string(PayloadError::TypeMismatch), "TypeMismatch");
  EXPECT_STREQ(pd::to_string(PayloadError::WrongVariant), "WrongVariant");
}

// ---------------------------------------------------------------------------------------------
// Type tags

TEST(TypeTag, type_name_of_a_plain_struct_is_its_qualified_name) {
  EXPECT_EQ(pd::type_name<ptest::Plain>(), "ptest::Plain");
}

TEST(TypeTag, type_tag_is_fnv1a64_of_the_type_name) {
  EXPECT_EQ(pd::type_tag_v<ptest::Plain>, pd::fnv1a64(pd::type_name<ptest::Plain>()));
  EXPECT_EQ(pd::type_tag_v<Small>, pd::fnv1a64(pd::type_name<Small>()));
  EXPECT_EQ(pd::type_tag_v<Big>, reference_fnv1a64(pd::type_name<Big>()));
  EXPECT_EQ(pd::type_tag_v<ptest::Plain>, 0x0bf8d8b41c9e1fadull);  // fnv1a64("ptest::Plain")
}

TEST(TypeTag, a_declared_kTypeName_is_used_as_the_type_name) {
  EXPECT_EQ(pd::type_name<Ping>(), "my_crate::Ping");
}

TEST(TypeTag, a_declared_kTypeName_gives_the_fnv1a64_of_that_name) {
  EXPECT_EQ(pd::type_tag_v<Ping>, reference_fnv1a64("my_crate::Ping"));
  EXPECT_EQ(pd::type_tag_v<Ping>, 0xa6c28de7df69ac8bull);  // fnv1a64("my_crate::Ping")
}

TEST(TypeTag, is_a_compile_time_constant) {
  constexpr uint64_t declared = pd::type_tag_v<Ping>;
  constexpr uint64_t spelled = pd::type_tag_v<ptest::Plain>;
  constexpr std::string_view name = pd::type_name<ptest::Plain>();
  EXPECT_EQ(declared, 0xa6c28de7df69ac8bull);
  EXPECT_EQ(spelled, 0x0bf8d8b41c9e1fadull);
  EXPECT_EQ(name, "ptest::Plain");
}

TEST(TypeTag, distinct_types_have_distinct_tags) {
  EXPECT_NE(pd::type_tag_v<Small>, pd::type_tag_v<Other>);
  EXPECT_NE(pd::type_tag_v<Small>, pd::type_tag_v<Big>);
  EXPECT_NE(pd::type_tag_v<ptest::Plain>, pd::type_tag_v<Ping>);
}

TEST(MessagePayload, local_payload_of_a_kTypeName_type_carries_that_tag) {
  MessagePayload p = MessagePayload::local(Ping{4});
  EXPECT_EQ(p.local_type_tag(), 0xa6c28de7df69ac8bull);
  EXPECT_EQ(p.local_type_name(), "my_crate::Ping");
  auto taken = p.take<Ping>();
  ASSERT_TRUE(taken.has_value());
  EXPECT_EQ(taken.value().seq, 4);
}

}  // namespace
