// EngineHooks: the engine's named decision and fault sites. A production engine has none (one
// predictable branch per site); the simulator installs hooks that draw every choice from its
// seeded generator, inject faults and record a trace. Hooks run on the engine's thread and
// must not call back into the engine.
#pragma once

#include <cstdint>
#include <optional>

#include "pd/core/envelope.h"
#include "pd/core/errors.h"
#include "pd/core/time.h"
#include "pd/runtime/engine_event.h"

namespace pd {

// What happens to a message the engine is about to put into a mailbox.
struct SendFate {
  enum class Kind : uint8_t { Deliver, Drop, Duplicate, Delay };
  Kind kind = Kind::Deliver;
  Duration delay{};  // Delay: how long the message is held before delivery

  static SendFate deliver() { return {}; }
  static SendFate drop() { return {Kind::Drop, {}}; }
  static SendFate duplicate() { return {Kind::Duplicate, {}}; }
  static SendFate delay_by(Duration d) { return {Kind::Delay, d}; }
};

class EngineHooks {
 public:
  virtual ~EngineHooks() = default;

  // Which of the `ready` runnable actors runs next, as an index into the run queue (0 is the
  // longest waiting). Called only when more than one is ready.
  virtual uint64_t pick_next(uint64_t ready) = 0;
  // Order key of a timer among timers with the same deadline (lower fires first).
  virtual uint64_t timer_tiebreak() = 0;
  // The fate of a message from an actor or a handle, after the engine has accepted it and
  // before it reaches the mailbox (the sender has its SendResult either way). Engine signals
  // (Down, stops) are not messages and never pass here. Duplicate is honoured only when
  // `can_duplicate` (the payload can be copied without user code); otherwise it delivers.
  virtual SendFate on_send(const Envelope& e, bool can_duplicate) = 0;
  // Called before a message is handled: an error makes the handler fail as if it had
  // returned it (an injected crash).
  virtual std::optional<ActorError> before_handle(const Envelope& e) = 0;

  // Trace points: one actor turn begins; one message is handed to a handler; a lifecycle
  // event; a message was dropped unhandled (dead letter) and why.
  virtual void on_turn(AddrHash actor, Instant now) = 0;
  virtual void on_deliver(const Envelope& e, Instant now) = 0;
  virtual void on_lifecycle(const EngineEvent& e, Instant now) = 0;
  virtual void on_dead_letter(const Envelope& e, const char* why, Instant now) = 0;
};

}  // namespace pd
