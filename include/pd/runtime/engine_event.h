// Lifecycle events an engine reports as they happen (for logs, demos and simulation traces).
#pragma once

#include <functional>
#include <string>

#include "pd/core/addr.h"
#include "pd/core/errors.h"

namespace pd {

struct EngineEvent {
  enum class Kind : uint8_t {
    Spawned,            // a new actor exists (on_start still to run)
    Started,            // on_start succeeded
    Failed,             // a handler failed; `reason` carries the ActorError
    Restarted,          // a new incarnation replaced a stopped one at the same path
    Stopped,            // an incarnation is gone for good or awaits restart
    IntensityExceeded,  // a supervisor gave up: too many restarts in its window
    SupervisorRestart,  // a supervisor decided to restart (one per failure, even for a group);
                        // what its RestartIntensity counts. `path` is the supervisor's.
  };
  Kind kind;
  std::string path;
  AddrHash address;
  StopReason reason;  // Failed, Stopped
};
const char* to_string(EngineEvent::Kind k);
using EngineEventListener = std::function<void(const EngineEvent&)>;

}  // namespace pd
