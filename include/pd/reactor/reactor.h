// Reactor: the engine's only window on its environment: time, randomness and wake-ups.
// The production reactor uses the real clock and sleeps in the kernel; the simulated one
// (sim_reactor.h) has a virtual clock and a seeded generator. Engine code calls nothing else.
#pragma once

#include <cstdint>

#include "pd/core/time.h"

namespace pd {

class Reactor {
 public:
  virtual ~Reactor() = default;
  virtual Instant now() = 0;
  // Cheap monotonic stamp for accounting (compute time); only differences mean anything.
  virtual uint64_t stamp_ns() = 0;
  virtual uint64_t random_u64() = 0;
  // Returns when `deadline` has passed or notify() was called since the last return; at once
  // if either already holds. kInstantNever waits for notify() only. A virtual reactor advances
  // its clock to `deadline` instead of sleeping.
  virtual void wait_until(Instant deadline) = 0;
  // Thread-safe; cheap when nobody sleeps.
  virtual void notify() = 0;
  // True for a virtual clock: waiting never blocks, and an engine with nothing pending is idle.
  virtual bool is_virtual() const = 0;
};

}  // namespace pd
