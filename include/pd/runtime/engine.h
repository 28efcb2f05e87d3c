// Engine: one core's event loop. It owns the actors that live on it, their mailboxes, the
// supervision tree under the root supervisors /user and /system, and the timers.
//
// Thread model: an Engine is driven by one thread (the one calling run*). Its methods are for
// that thread, or for setup before running; other threads use an EngineHandle. Engine code
// reaches time, randomness and sleep only through its Reactor, so a SimReactor makes a whole
// run deterministic.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pd/actor/actor.h"
#include "pd/actor/actor_context.h"
#include "pd/actor/child_spec.h"
#include "pd/reactor/reactor.h"
#include "pd/runtime/engine_event.h"
#include "pd/runtime/engine_handle.h"
#include "pd/runtime/engine_hooks.h"
#include "pd/runtime/introspection.h"
#include "pd/runtime/log.h"

namespace pd {

namespace detail {
class EngineCore;
}

struct EngineConfig {
  std::string name = "local";
  uint32_t core_id = 0;
  // Fairness: an actor handles at most this many messages per turn before others run.
  uint32_t messages_per_turn_max = 64;
  // Commands from EngineHandles waiting to be taken by the loop; posting beyond fails.
  uint32_t handle_queue_capacity = 65536;
  // Intensity of the root supervisors /user and /system. Past it the engine shuts down and
  // failure() says why.
  RestartIntensity root_intensity{100, std::chrono::seconds(1)};
  // Measure each actor's compute time (one reactor stamp per turn).
  bool account_compute_time = true;
  // Where ctx.log() goes; empty: one line per record on stderr (write_log_line).
  std::function<void(const LogRecord&)> log;
};

class Engine {
 public:
  explicit Engine(EngineConfig config = {});
  Engine(EngineConfig config, std::unique_ptr<Reactor> reactor);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Spawns under the actor at `parent_path` ("/user" by default).
  Expected<AddrHash, SpawnError> spawn(ChildSpec spec, std::string_view parent_path = "/user");

  // Sends from outside any actor; the source stays as given (null by default).
  SendResult send_raw(Envelope envelope, MessagePayload payload);
  template <class T>
  SendResult send(AddrHash to, T message, uint8_t priority = 0) {
    return send_raw(Envelope::make(AddrHash{}, to, type_tag_v<T>, 0).with_priority(priority),
                    MessagePayload::local(std::move(message)));
  }
  // Stops (reason Requested; removed, not restarted) or kills the actor at that address. A
  // kill with remove == false is a crash from outside: its supervisor decides as for any
  // failure (the simulator's kill fault).
  SendResult stop_actor(AddrHash address);
  SendResult kill_actor(AddrHash address, bool remove = true);

  std::optional<AddrHash> lookup(std::string_view path) const;

  // Runs until shutdown has completed.
  void run();
  // Runs until no actor is ready, no signal is pending and no timer is armed. On a virtual
  // reactor the clock jumps from timer to timer; on the real one it sleeps until each.
  void run_until_idle();
  // Runs until engine time has advanced by `d` (or shutdown has completed).
  void run_for(Duration d);
  // Makes the run* call in progress return after the current turn (the simulator stops a
  // failed run this way). The next run* call clears it.
  void interrupt();
  // Begins an orderly shutdown: /user's tree, then /system's, children before parents in
  // reverse start order. The run* call in progress returns when it is done.
  void shutdown();
  bool is_shut_down() const;
  // Set when a root supervisor exceeded its restart intensity and took the engine down.
  std::optional<ActorError> failure() const;

  EngineHandle handle();
  EngineSnapshot snapshot() const;
  std::vector<ActorInfo> query(const ActorQuery& q) const;
  std::optional<ActorInfo> info(AddrHash address) const;
  EngineStats stats() const;
  Reactor& reactor();
  Instant now() const;
  void set_event_listener(EngineEventListener listener);
  // Installs decision and fault hooks (the simulator's); nullptr removes them. Not owned.
  void set_hooks(EngineHooks* hooks);

  detail::EngineCore& core() { return *core_; }

 private:
  std::unique_ptr<detail::EngineCore> core_;
};

}  // namespace pd
