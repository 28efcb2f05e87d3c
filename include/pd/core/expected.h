// Expected<T, E>: a value or an error, the return type of every fallible call on a hot path.
// (std::expected is C++23; this is the small subset we need on C++20.)
#pragma once

#include <utility>
#include <variant>

#include "pd/core/assert.h"

namespace pd {

template <class E>
struct Unexpected {
  E error;
};
template <class E>
Unexpected(E) -> Unexpected<E>;

template <class T, class E>
class [[nodiscard]] Expected {
 public:
  Expected(T value) : v_(std::in_place_index<0>, std::move(value)) {}
  Expected(Unexpected<E> e) : v_(std::in_place_index<1>, std::move(e.error)) {}

  bool has_value() const { return v_.index() == 0; }
  explicit operator bool() const { return has_value(); }
  T& value() & {
    PD_ASSERT(has_value(), "value() of an Expected holding an error");
    return std::get<0>(v_);
  }
  T&& value() && {
    PD_ASSERT(has_value(), "value() of an Expected holding an error");
    return std::get<0>(std::move(v_));
  }
  const T& value() const& {
    PD_ASSERT(has_value(), "value() of an Expected holding an error");
    return std::get<0>(v_);
  }
  const E& error() const {
    PD_ASSERT(!has_value(), "error() of an Expected holding a value");
    return std::get<1>(v_);
  }
  T* operator->() { return &value(); }
  T& operator*() { return value(); }

 private:
  std::variant<T, E> v_;
};

// Expected<void, E>: success, or an error.
template <class E>
class [[nodiscard]] Expected<void, E> {
 public:
  Expected() = default;
  Expected(Unexpected<E> e) : ok_(false), error_(std::move(e.error)) {}

  bool has_value() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const E& error() const {
    PD_ASSERT(!ok_, "error() of a successful Expected");
    return error_;
  }

 private:
  bool ok_ = true;
  E error_{};
};

}  // namespace pd
