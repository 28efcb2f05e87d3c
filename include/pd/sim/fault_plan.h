// FaultPlan: the faults a simulation injects, by rate (each draw from the run's seed) or on a
// schedule. Rates apply to messages between actors under `scope` (sends from outside the
// engine and engine signals are never faulted). Every injected fault is recorded in the
// trace as such.
#pragma once

#include <string>
#include <vector>

#include "pd/core/time.h"

namespace pd {

struct FaultPlan {
  double drop_rate = 0;       // the message vanishes on the way
  double duplicate_rate = 0;  // delivered twice (payloads that can be copied)
  double delay_rate = 0;      // held for up to delay_max
  double reorder_rate = 0;    // held for up to reorder_max, so later messages overtake it
  double crash_rate = 0;      // the receiving handler fails (ActorError::Handler "injected crash")
  Duration delay_max = std::chrono::milliseconds(20);
  Duration reorder_max = std::chrono::milliseconds(1);
  std::string scope = "/user";  // path prefix of the actors that faults may touch

  struct Kill {  // kill the actor at `path` at `at`; its supervisor decides what follows
    Duration at{};
    std::string path;
  };
  struct Pause {  // the core stops for `length` at `at`: nothing runs, time passes
    Duration at{};
    Duration length{};
  };
  struct Partition {  // from `at` for `length`, messages between different groups are dropped
    Duration at{};
    Duration length{};
    std::vector<std::vector<std::string>> groups;  // each group: path prefixes
  };
  std::vector<Kill> kills;
  std::vector<Pause> pauses;
  std::vector<Partition> partitions;

  bool any_rate() const {
    return drop_rate > 0 || duplicate_rate > 0 || delay_rate > 0 || reorder_rate > 0 ||
           crash_rate > 0;
  }
};

// What a run injected, by kind.
struct FaultCounts {
  uint64_t dropped = 0;
  uint64_t duplicated = 0;
  uint64_t delayed = 0;
  uint64_t reordered = 0;
  uint64_t crashed = 0;
  uint64_t killed = 0;
  uint64_t paused = 0;
  uint64_t partitioned = 0;  // messages dropped by a partition
  uint64_t total() const {
    return dropped + duplicated + delayed + reordered + crashed + killed + paused + partitioned;
  }
};

}  // namespace pd
