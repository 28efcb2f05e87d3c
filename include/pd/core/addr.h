// Actor addresses.
//
// ActorPath is the name of an actor in the supervision tree ("/user/orders/processor-1").
// AddrHash is what messages carry: (FNV-1a 64 of the path) << 64 | generation. The generation
// changes every time an actor at that path is (re)started, so an address of a dead incarnation
// is detected instead of silently reaching its successor. Generation 0 is reserved: it names
// "whatever incarnation lives at this path now" (a path address), which is what survives
// restarts. How the runtime lays out the bits of a generation is in docs/addressing.md.
#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "pd/core/expected.h"

namespace pd {

using u128 = unsigned __int128;

class AddrHash {
 public:
  constexpr AddrHash() = default;
  constexpr AddrHash(uint64_t path_hash, uint64_t generation)
      : value_((u128(path_hash) << 64) | generation) {}
  static constexpr AddrHash from_u128(u128 v) {
    AddrHash a;
    a.value_ = v;
    return a;
  }
  constexpr u128 value() const { return value_; }
  constexpr uint64_t path_hash() const { return uint64_t(value_ >> 64); }
  constexpr uint64_t generation() const { return uint64_t(value_); }
  constexpr bool is_null() const { return value_ == 0; }
  // A path address matches any incarnation of the actor at its path.
  constexpr bool is_path_address() const { return generation() == 0 && !is_null(); }
  constexpr AddrHash path_address() const { return AddrHash(path_hash(), 0); }
  constexpr auto operator<=>(const AddrHash&) const = default;

  // 16 hex digits of path hash, a colon, 16 of generation: "44529d9f87635291:0000000000000001".
  std::string to_string() const;

 private:
  u128 value_ = 0;
};

enum class PathError { Empty, MustStartWithSlash, TrailingSlash, EmptySegment, InvalidSegment };
const char* to_string(PathError e);

// Segments use [A-Za-z0-9._:-] and are not "." or "..".
class ActorPath {
 public:
  static Expected<ActorPath, PathError> parse(std::string_view text);
  static bool valid_segment(std::string_view segment);

  const std::string& str() const { return text_; }
  uint64_t hash() const { return fnv1a_of_path(text_); }
  // The path of child `segment` (which must be a valid segment).
  ActorPath child(std::string_view segment) const;
  ActorPath parent() const;  // "/" has no parent; the parent of "/a" is "/".
  std::string_view name() const;
  bool is_root() const { return text_ == "/"; }
  // True when this path equals `prefix` or lies below it ("/user/a" starts with "/user").
  bool starts_with(const ActorPath& prefix) const;
  bool operator==(const ActorPath&) const = default;

  static uint64_t fnv1a_of_path(std::string_view path);

 private:
  explicit ActorPath(std::string text) : text_(std::move(text)) {}
  std::string text_;
};

}  // namespace pd
