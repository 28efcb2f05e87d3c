// The behaviour library scenarios are built from (docs/simulation.md).
#pragma once

#include <memory>

#include "pd/sim/scenario.h"

namespace pd::sim {

// The one message type of scenarios: trivially copyable, so the duplicate fault applies.
struct SimMsg {
  static constexpr const char* kTypeName = "pd::sim::SimMsg";
  enum Kind : uint32_t { Ping = 1, Pong, Item, Tick, Ordered };
  uint32_t kind = Ping;
  uint32_t tag = 0;
  uint64_t seq = 0;
};

bool known_behaviour(const std::string& name);
// The factory for `decl`, sharing `world` with the rest of the run.
ActorFactory make_behaviour(const ActorDecl& decl, std::shared_ptr<ScenarioWorld> world);

}  // namespace pd::sim
