// Introspection: what an engine can tell about its actors and itself.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "pd/core/addr.h"

namespace pd {

enum class ActorState : uint8_t {
  Starting,  // spawned; on_start has not run yet
  Running,
  Stopping,    // stopping its children, then draining its mailbox
  Restarting,  // stopped; its supervisor will start a new incarnation at the same path
};
const char* to_string(ActorState s);

struct ActorInfo {
  std::string path;
  AddrHash address;
  ActorState state = ActorState::Starting;
  uint32_t core_id = 0;
  uint32_t mailbox_depth = 0;
  uint32_t mailbox_capacity = 0;
  uint32_t restart_count = 0;
  uint64_t message_count = 0;
  uint64_t total_compute_time_ns = 0;
  // As a supervisor: the restarts it allows its children per window.
  uint32_t intensity_max_restarts = 0;
  int64_t intensity_window_ns = 0;
};

struct EngineStats {
  uint64_t messages_delivered = 0;  // handed to a handler (including ones it failed on)
  uint64_t messages_sent = 0;       // accepted into a mailbox
  uint64_t send_failures = 0;
  // Messages accepted into a mailbox and then not handled: their actor crashed, was killed or
  // stopped, or they were addressed to an incarnation that had been replaced.
  uint64_t dead_letters = 0;
  // Messages accepted by the engine that hooks dropped, or still hold back (delayed).
  uint64_t messages_dropped_by_hooks = 0;
  uint64_t messages_delayed = 0;
  // Held back by hooks, then undeliverable when due (destination gone, or its mailbox full).
  uint64_t messages_undeliverable = 0;
  uint64_t actors_spawned = 0;
  uint64_t actors_stopped = 0;
  uint64_t restarts = 0;
  uint64_t failures = 0;
  uint64_t live_actors = 0;

  // Sums another engine's figures into these (a MultiCoreEngine's cores).
  EngineStats& operator+=(const EngineStats& o) {
    messages_delivered += o.messages_delivered;
    messages_sent += o.messages_sent;
    send_failures += o.send_failures;
    dead_letters += o.dead_letters;
    messages_dropped_by_hooks += o.messages_dropped_by_hooks;
    messages_delayed += o.messages_delayed;
    messages_undeliverable += o.messages_undeliverable;
    actors_spawned += o.actors_spawned;
    actors_stopped += o.actors_stopped;
    restarts += o.restarts;
    failures += o.failures;
    live_actors += o.live_actors;
    return *this;
  }
};

struct EngineSnapshot {
  std::vector<ActorInfo> actors;
  EngineStats stats;

  // Adds another engine's (a MultiCoreEngine's cores).
  EngineSnapshot& operator+=(EngineSnapshot&& o) {
    stats += o.stats;
    for (ActorInfo& i : o.actors) actors.push_back(std::move(i));
    return *this;
  }
};

struct ActorQuery {
  std::string path_prefix = "/";    // this path and everything below it
  std::optional<ActorState> state;  // only actors in this state
};

}  // namespace pd
