// FNV-1a 64: the hash of actor paths and message type names. Streaming, so a child's path hash
// continues from its parent's without rebuilding the string.
#pragma once

#include <cstdint>
#include <string_view>

namespace pd {

inline constexpr uint64_t kFnvOffsetBasis = 0xcbf29ce484222325ull;
inline constexpr uint64_t kFnvPrime = 0x100000001b3ull;

constexpr uint64_t fnv1a64(std::string_view bytes, uint64_t state = kFnvOffsetBasis) {
  for (char c : bytes) {
    state ^= static_cast<uint8_t>(c);
    state *= kFnvPrime;
  }
  return state;
}

}  // namespace pd
