// SimReactor: a virtual clock and a seeded Xoshiro256**. Waiting advances the clock to the
// deadline at once, so timer-heavy runs take no real time, and the same seed gives the same
// run. The engine runs on it unchanged.
#pragma once

#include "pd/reactor/reactor.h"
#include "pd/reactor/rng.h"

namespace pd {

class SimReactor final : public Reactor {
 public:
  explicit SimReactor(uint64_t seed = 0) : seed_(seed), rng_(seed) {}

  Instant now() override { return now_; }
  uint64_t stamp_ns() override { return uint64_t(now_.time_since_epoch().count()); }
  uint64_t random_u64() override { return rng_.next(); }
  void wait_until(Instant deadline) override {
    if (deadline != kInstantNever && deadline > now_) now_ = deadline;
  }
  void notify() override {}
  bool is_virtual() const override { return true; }

  uint64_t seed() const { return seed_; }
  void advance(Duration d) { now_ += d; }
  Xoshiro256& rng() { return rng_; }

 private:
  uint64_t seed_;
  Instant now_{};
  Xoshiro256 rng_;
};

}  // namespace pd
