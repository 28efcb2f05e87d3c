// MultiCoreEngine: one Engine per core, each on its own thread, joined by bounded
// single-producer/single-consumer rings (one per ordered pair of cores).
//
// Where an actor lives: its ChildSpec's Placement (by default the path hash modulo the core
// count). Every core has its own /user and /system roots; a child of "/user" lives on the
// core its placement names, under that core's /user. Everything an actor can do works across
// cores: sends, replies, asks (with their timeouts and NoResponse), monitors, timers, spawning
// a child on another core and supervising it (docs/multicore.md says how).
//
// What differs across cores, by nature:
//   - A send to an actor on another core returns Ok once the message is in the ring. A full
//     ring is SendError::MailboxFull at once. A message for a live actor whose mailbox is full
//     waits at the head of the ring until the actor has made room, so a flooded actor fills
//     its senders' rings and they hear MailboxFull: backpressure, never a silent drop. A
//     message whose destination no longer exists when it arrives is a dead letter on that
//     core (EngineStats::messages_undeliverable).
//   - ctx.spawn of a child placed on another core returns the child's path address (it
//     reaches whichever incarnation is alive); the child's incarnation address is its self().
//   - ctx.lookup of a path owned by another core, and EngineHandle::lookup of a path placed
//     away from its home core, return the path address without knowing whether an actor is
//     alive there.
//
// Threads: start() launches the loops; methods marked "any thread" may be called while they
// run. Other methods are for setup before start() or inspection after wait().
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <thread>
#include <vector>

#include "pd/runtime/engine.h"

namespace pd {

namespace detail {
class CoreLinks;
struct HandleRoutes;
}  // namespace detail

struct MultiCoreConfig {
  uint32_t cores = 2;  // 1 .. kMaxCores
  // Pin core i's thread to CPU i modulo the CPUs this process may use.
  bool pin_threads = false;
  // Messages in flight from one core to another, per ordered pair; a power of two.
  uint32_t ring_capacity = 8192;
  // An idle core polls its rings this long before it sleeps (lower latency for more CPU). Off
  // by default: an idle engine uses no CPU.
  Duration spin_before_sleep = Duration::zero();
  // Every core's engine is configured from this (core_id is set per core).
  EngineConfig engine;
};

inline constexpr uint32_t kMaxCores = 64;

// One core's figures.
struct CoreStats {
  uint32_t core_id = 0;
  EngineStats engine;
  uint64_t ring_sent = 0;        // messages and control items this core put into rings
  uint64_t ring_received = 0;    // ... and took out of them
  uint64_t ring_full = 0;        // sends refused because a ring was full
  uint64_t ring_depth = 0;       // items waiting in the rings into this core
  uint64_t run_queue_depth = 0;  // actors ready to run
  uint64_t busy_ns = 0;          // time spent running turns (reactor stamps)
  uint64_t wakeups_sent = 0;     // notifications to parked cores (at most one per 16 turns)
};

class MultiCoreEngine {
 public:
  // Throws std::invalid_argument naming the field if the config is unusable.
  explicit MultiCoreEngine(MultiCoreConfig config = {});
  ~MultiCoreEngine();  // shuts down and joins the loops if they still run
  MultiCoreEngine(const MultiCoreEngine&) = delete;
  MultiCoreEngine& operator=(const MultiCoreEngine&) = delete;

  uint32_t cores() const;
  // The core a path hashes to: where an actor at that path lives unless its Placement says
  // otherwise (that core then forwards path-addressed messages to it). Any thread.
  std::optional<uint32_t> home_core(std::string_view path) const;

  // Before start(): on the calling thread. After: handed to the parent's core (waits).
  Expected<AddrHash, SpawnError> spawn(ChildSpec spec, std::string_view parent_path = "/user");

  // One thread per core runs its loop until the whole engine has shut down.
  void start();
  // Orderly shutdown of every core's tree (children before parents, across cores). Any
  // thread; returns at once.
  void shutdown();
  // Until every loop has returned (after shutdown, or a root's restart intensity ran out).
  void wait();
  // start() + wait().
  void run();
  bool running() const;

  // Sends, asks, spawns and lookups go to the core that owns the destination. Any thread.
  EngineHandle handle();

  // Merged over cores (ActorInfo::core_id says where each actor lives). Any thread.
  EngineSnapshot snapshot();
  std::vector<ActorInfo> query(const ActorQuery& q);
  std::vector<CoreStats> core_stats();
  // Set when a root supervisor on some core exceeded its intensity (the engine shut down).
  std::optional<ActorError> failure() const;

  // A core's engine: for setup before start() and inspection after wait().
  Engine& core(uint32_t index);

 private:
  void settle();
  // True while the loops run and answer through their channels; once every core is done,
  // joins them (so that their state can be read directly) and returns false.
  bool loops_answer();

  std::shared_ptr<detail::CoreLinks> links_;
  std::shared_ptr<const detail::HandleRoutes> routes_;
  std::vector<std::unique_ptr<Engine>> engines_;
  std::vector<std::thread> threads_;
  bool started_ = false;
  std::atomic<bool> joined_{false};
  std::mutex join_mu_;
  bool pin_threads_ = false;
};

}  // namespace pd
