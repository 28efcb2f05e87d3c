// The production reactor: CLOCK_MONOTONIC, an eventfd for wake-ups and ppoll for sleeping
// (nanosecond timeouts), xoshiro256** seeded from the OS for randomness.
#pragma once

#include <atomic>
#include <memory>

#include "pd/reactor/reactor.h"
#include "pd/reactor/rng.h"

namespace pd {

class RealReactor final : public Reactor {
 public:
  RealReactor();
  ~RealReactor() override;
  RealReactor(const RealReactor&) = delete;
  RealReactor& operator=(const RealReactor&) = delete;

  Instant now() override;
  uint64_t stamp_ns() override;
  uint64_t random_u64() override { return rng_.next(); }
  void wait_until(Instant deadline) override;
  void notify() override;
  bool is_virtual() const override { return false; }

 private:
  int event_fd_ = -1;
  int64_t epoch_ns_ = 0;
  bool use_tsc_ = false;
  double ns_per_tick_ = 1.0;
  std::atomic<bool> sleeping_{false};
  std::atomic<bool> notified_{false};
  Xoshiro256 rng_;
};

}  // namespace pd
