// Invariant checks that stay on in every build (release included). A failed PD_ASSERT is our
// own bug, never bad input: it prints what failed and where, then aborts.
#pragma once

#include <cstdio>
#include <cstdlib>

namespace pd::detail {
[[noreturn]] inline void assert_failed(const char* expr, const char* file, int line,
                                       const char* why) {
  std::fprintf(stderr, "palladium: invariant violated: %s (%s) at %s:%d\n", expr, why, file, line);
  std::abort();
}
}  // namespace pd::detail

#define PD_ASSERT(cond, why)                                         \
  do {                                                               \
    if (__builtin_expect(!(cond), 0))                                \
      ::pd::detail::assert_failed(#cond, __FILE__, __LINE__, (why)); \
  } while (0)
