// Actor: the interface every actor implements (native C++ objects, plugin and WASM adapters).
//
// The engine guarantees: on_start runs before the first message; handlers of one actor never
// run concurrently; on_stop runs after the last message (unless the actor is killed or its
// ShutdownPolicy is Brutal). An exception escaping a handler becomes ActorError::Panic and is
// handled by the actor's supervisor like any other failure; it never reaches the engine.
#pragma once

#include "pd/core/envelope.h"
#include "pd/core/errors.h"
#include "pd/core/payload.h"

namespace pd {

class ActorContext;
using HandlerResult = Expected<void, ActorError>;

class Actor {
 public:
  virtual ~Actor() = default;
  virtual HandlerResult on_start(ActorContext&) { return {}; }
  // `payload` belongs to the handler: take() from it freely.
  virtual HandlerResult on_message(ActorContext& ctx, const Envelope& envelope,
                                   MessagePayload& payload) = 0;
  virtual void on_stop(ActorContext&, const StopReason&) {}
};

}  // namespace pd
