// ActorContext: what a running actor can do to the world. Handed to every handler; valid only
// during that call. All sends are non-blocking and return their result at once.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>

#include "pd/actor/child_spec.h"
#include "pd/core/addr.h"
#include "pd/core/envelope.h"
#include "pd/core/payload.h"
#include "pd/core/time.h"

namespace pd {

// A message as received: its envelope and payload.
struct Message {
  Envelope envelope;
  MessagePayload payload;
};
using AskResult = Expected<Message, AskError>;
// Runs on the asking actor, in its turn, exactly once: with the reply, or with an AskError.
using AskCallback = std::function<void(ActorContext&, AskResult)>;

struct TimerId {
  uint64_t value = 0;
  bool operator==(const TimerId&) const = default;
};

class ActorContext {
 public:
  virtual ~ActorContext() = default;

  virtual AddrHash self() const = 0;  // this incarnation's address
  virtual ActorPath path() const = 0;
  virtual AddrHash parent() const = 0;
  virtual Instant now() const = 0;    // engine time (virtual under simulation)
  virtual uint64_t random_u64() = 0;  // from the engine's reactor (seeded under simulation)

  // Sends `payload` with the envelope's destination, type tag, flags and correlation. The
  // engine assigns message_id and sets source to this actor's address, whatever it held.
  virtual SendResult send_raw(Envelope envelope, MessagePayload payload) = 0;

  template <class T>
  SendResult send(AddrHash to, T message, uint8_t priority = 0) {
    Envelope e;
    e.destination = to;
    e.type_tag = type_tag_v<T>;
    e.flags = uint32_t(priority > Envelope::kPriorityMax ? Envelope::kPriorityMax : priority)
              << Envelope::kPriorityShift;
    return send_raw(e, MessagePayload::local(std::move(message)));
  }

  // Replies to `request` (a response envelope correlated with it, to its source).
  virtual SendResult reply_raw(const Envelope& request, uint64_t type_tag,
                               MessagePayload payload) = 0;
  template <class T>
  SendResult reply(const Envelope& request, T message) {
    return reply_raw(request, type_tag_v<T>, MessagePayload::local(std::move(message)));
  }

  // Sends a request and calls `callback` once: with the reply, or AskError::Timeout after
  // `timeout`, or NoResponse if the target stops without replying, or Send(e) at once.
  virtual void ask_raw(Envelope envelope, MessagePayload payload, Duration timeout,
                       AskCallback callback) = 0;
  template <class T>
  void ask(AddrHash to, T message, Duration timeout, AskCallback callback) {
    ask_raw(Envelope::make(self(), to, type_tag_v<T>, 0), MessagePayload::local(std::move(message)),
            timeout, std::move(callback));
  }

  // Spawns a child supervised by this actor. on_start runs in a later turn.
  virtual Expected<AddrHash, SpawnError> spawn(ChildSpec spec) = 0;
  // Stops this actor (reason Normal) once the current handler returns.
  virtual void stop() = 0;
  // Stops a child of this actor (reason Requested); it is removed, not restarted.
  virtual SendResult stop_child(AddrHash child) = 0;
  // Kills a child of this actor at once (reason Killed, no on_stop); it is not restarted.
  virtual SendResult kill_child(AddrHash child) = 0;

  // Timers: the message is sent from this actor when the timer fires, unless the timer was
  // cancelled or this incarnation has stopped.
  virtual TimerId send_after_raw(Duration delay, Envelope envelope, MessagePayload payload) = 0;
  // Periodic: make_payload is called at every tick.
  virtual TimerId send_interval_raw(Duration period, Envelope envelope,
                                    std::function<MessagePayload()> make_payload) = 0;
  virtual bool cancel_timer(TimerId id) = 0;

  template <class T>
  TimerId send_after(Duration delay, AddrHash to, T message) {
    return send_after_raw(delay, Envelope::make(self(), to, type_tag_v<T>, 0),
                          MessagePayload::local(std::move(message)));
  }
  template <class T>
  TimerId send_interval(Duration period, AddrHash to, T message) {
    return send_interval_raw(period, Envelope::make(self(), to, type_tag_v<T>, 0),
                             [m = std::move(message)] { return MessagePayload::local(T(m)); });
  }

  // The current address of the actor at `path`, if one is alive.
  virtual std::optional<AddrHash> lookup(std::string_view path) const = 0;
  // The path of the live actor at `address` (any incarnation for a path address), if any.
  virtual std::optional<std::string> path_of(AddrHash address) const = 0;

  // Writes to the engine's log, tagged with this actor's path. Levels as the guest ABI's
  // pd_log: 0 trace, 1 debug, 2 info, 3 warn, 4 error (others are kept as given).
  virtual void log(int32_t level, std::string_view message) = 0;

  // Be told (a Down message) when that incarnation stops.
  virtual void monitor(AddrHash target) = 0;
  virtual void demonitor(AddrHash target) = 0;
};

}  // namespace pd
