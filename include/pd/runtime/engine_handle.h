// EngineHandle: the thread-safe way into an engine from outside it (other threads, main()).
// Every call hands a command to the engine's loop through a bounded queue and waits for the
// engine's answer. Calls on a handle whose engine has shut down (or whose queue is full) fail
// with Unbound / MailboxFull instead of blocking. Never call a waiting method from inside the
// engine's own thread: it would wait on itself (this is checked and aborts).
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "pd/actor/actor_context.h"
#include "pd/actor/child_spec.h"
#include "pd/core/envelope.h"
#include "pd/core/payload.h"
#include "pd/runtime/introspection.h"

namespace pd {

namespace detail {
class HandleChannel;
struct HandleRoutes;
}  // namespace detail

// A handle of a MultiCoreEngine takes each call to the core that owns its subject (the
// destination's core, the parent's core); snapshot and query merge all cores.
class EngineHandle {
 public:
  explicit EngineHandle(std::shared_ptr<detail::HandleChannel> channel,
                        std::shared_ptr<const detail::HandleRoutes> routes = nullptr)
      : channel_(std::move(channel)), routes_(std::move(routes)) {}

  // Delivers into the destination's mailbox and returns the engine's verdict.
  SendResult send_raw(Envelope envelope, MessagePayload payload);
  template <class T>
  SendResult send(AddrHash to, T message, uint8_t priority = 0) {
    return send_raw(Envelope::make(AddrHash{}, to, type_tag_v<T>, 0).with_priority(priority),
                    MessagePayload::local(std::move(message)));
  }
  AskResult ask_raw(Envelope envelope, MessagePayload payload, Duration timeout);
  template <class T>
  AskResult ask(AddrHash to, T message, Duration timeout) {
    return ask_raw(Envelope::make(AddrHash{}, to, type_tag_v<T>, 0),
                   MessagePayload::local(std::move(message)), timeout);
  }

  Expected<AddrHash, SpawnError> spawn(ChildSpec spec, std::string parent_path = "/user");
  std::optional<AddrHash> lookup(std::string path);
  // Waits (real time, on the calling thread) until an actor is alive at `path`.
  std::optional<AddrHash> wait_for(std::string path, std::chrono::milliseconds timeout);
  SendResult stop_actor(AddrHash address);

  EngineSnapshot snapshot();
  std::vector<ActorInfo> query(ActorQuery q);
  // Asks for an orderly shutdown; returns at once.
  void shutdown();
  bool engine_alive() const;

 private:
  detail::HandleChannel& channel_for(AddrHash a) const;
  detail::HandleChannel& channel_for_path(uint64_t path_hash) const;

  std::shared_ptr<detail::HandleChannel> channel_;
  std::shared_ptr<const detail::HandleRoutes> routes_;  // null for a single engine
};

}  // namespace pd
