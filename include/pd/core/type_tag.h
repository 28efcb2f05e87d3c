// Compile-time message type tags: FNV-1a 64 of the type's fully qualified name.
//
// The name is `T::kTypeName` when the type declares one (use it for types whose tag must
// match another language's, e.g. a Rust peer's "my_crate::Ping"), otherwise the
// compiler's spelling of the type ("pd::Down", "bench::Ping").
#pragma once

#include <cstdint>
#include <string_view>

#include "pd/core/fnv.h"

namespace pd {

namespace detail {
template <class T>
constexpr std::string_view pretty_type_name() {
  // "... [with T = ns::Type; std::string_view = ...]" on g++, "[T = ns::Type]" on clang.
  std::string_view f = __PRETTY_FUNCTION__;
  auto start = f.find("T = ") + 4;
  auto end = f.find_first_of(";]", start);
  return f.substr(start, end - start);
}
}  // namespace detail

template <class T>
constexpr std::string_view type_name() {
  if constexpr (requires { T::kTypeName; }) {
    return std::string_view(T::kTypeName);
  } else {
    return detail::pretty_type_name<T>();
  }
}

template <class T>
inline constexpr uint64_t type_tag_v = fnv1a64(type_name<T>());

}  // namespace pd
