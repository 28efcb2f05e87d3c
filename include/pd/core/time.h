// Engine time. Instants are nanoseconds since the engine's reactor started (real or virtual);
// only a Reactor produces them, so the simulator controls every clock the engine reads.
#pragma once

#include <chrono>
#include <cstdint>

namespace pd {

struct EngineClock {
  using rep = int64_t;
  using period = std::nano;
  using duration = std::chrono::nanoseconds;
  using time_point = std::chrono::time_point<EngineClock>;
  static constexpr bool is_steady = true;
};
using Duration = std::chrono::nanoseconds;
using Instant = EngineClock::time_point;
inline constexpr Instant kInstantNever = Instant::max();

inline int64_t to_micros(Instant t) {
  return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
}

}  // namespace pd
