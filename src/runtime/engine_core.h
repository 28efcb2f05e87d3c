// EngineCore: the private machinery behind Engine (see pd/runtime/engine.h for the contract).
//
// Cells: every actor lives in a Cell, in chunks of kCellsPerChunk that never move, indexed by
// slot. A cell outlives restarts of its actor (same slot, same mailbox, new generation), so a
// path address keeps working across a restart while an address of the old incarnation fails.
//
// Generation bits (docs/addressing.md): [core:8][slot:32][incarnation:24]. An address names
// its slot directly, so routing is an array index plus two comparisons, never a hash lookup.
#pragma once

#include <atomic>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <queue>
#include <unordered_map>
#include <vector>

#include "core_links.h"
#include "path_table.h"
#include "pd/actor/signals.h"
#include "pd/runtime/engine.h"
#include "pd/runtime/mailbox.h"
#include "ring_queue.h"

namespace pd::detail {

inline constexpr uint32_t kNoSlot = UINT32_MAX;
inline constexpr uint32_t kCellChunkBits = 12;
inline constexpr uint32_t kCellsPerChunk = 1u << kCellChunkBits;
inline constexpr uint32_t kIncarnationBits = 24;
inline constexpr uint32_t kIncarnationMask = (1u << kIncarnationBits) - 1;

inline uint64_t make_generation(uint32_t core, uint32_t slot, uint32_t incarnation) {
  return (uint64_t(core & 0xff) << 56) | (uint64_t(slot) << kIncarnationBits) |
         (incarnation & kIncarnationMask);
}
inline uint32_t generation_slot(uint64_t g) {
  return uint32_t(g >> kIncarnationBits);
}
inline uint32_t generation_core(uint64_t g) {
  return uint32_t(g >> 56);
}

// Supervisor bookkeeping, allocated the first time a child of this actor exits.
struct SupervisorState {
  std::deque<Instant> restarts;  // within the intensity window, oldest first
  uint32_t group_pending = 0;    // group members still stopping before a group restart
};

// The parts of a ChildSpec a cell keeps, packed: an idle actor's size is mostly its cell.
// (The mailbox capacity lives in the mailbox.)
struct CellSpec {
  std::string name;
  ActorFactory factory;
  Duration shutdown_timeout{};
  Duration intensity_window{};
  uint32_t intensity_max = 0;
  RestartPolicy restart = RestartPolicy::Permanent;
  SupervisionStrategy strategy = SupervisionStrategy::OneForOne;
  ShutdownPolicy::Kind shutdown_kind = ShutdownPolicy::Kind::Timeout;

  CellSpec() = default;
  explicit CellSpec(ChildSpec&& s)
      : name(std::move(s.name)),
        factory(std::move(s.factory)),
        shutdown_timeout(s.shutdown.timeout),
        intensity_window(s.intensity.window),
        intensity_max(s.intensity.max_restarts),
        restart(s.restart),
        strategy(s.strategy),
        shutdown_kind(s.shutdown.kind) {}
  RestartIntensity intensity() const { return {intensity_max, intensity_window}; }
};

// What only some actors need (supervisors, monitored or failed actors), kept off the Cell so
// an idle actor stays small.
struct CellExtras {
  std::optional<ActorError> stop_error;  // why the incarnation being stopped failed
  uint64_t kill_timer = 0;               // graceful stop deadline
  std::unique_ptr<SupervisorState> sup;
  std::vector<AddrHash> watchers;  // monitors on this incarnation
};

// A child whose supervisor lives on another core (MultiCoreEngine): who to tell when it exits,
// and the path above it (path_of cannot walk into another core's cells).
struct RemoteParent {
  AddrHash parent_address;
  std::string parent_path;
  uint32_t core = 0;
  uint32_t proxy_slot = kNoSlot;  // the parent's stand-in for this child, on `core`
  uint64_t proxy_generation = 0;
};

struct Cell {
  std::unique_ptr<Actor> actor;
  CellSpec spec;
  Mailbox mailbox{0};
  uint64_t path_hash = 0;
  uint64_t generation = 0;
  uint64_t message_count = 0;
  uint64_t compute_ns = 0;
  uint32_t slot = kNoSlot;
  uint32_t incarnation = 0;  // survives slot reuse so generations never repeat
  uint32_t parent = kNoSlot;
  uint32_t first_child = kNoSlot;
  uint32_t last_child = kNoSlot;
  uint32_t prev_sibling = kNoSlot;
  uint32_t next_sibling = kNoSlot;
  uint32_t children_alive = 0;  // linked children not in Restarting state
  uint32_t restart_count = 0;
  ActorState state = ActorState::Starting;
  bool in_use = false;
  bool scheduled = false;
  bool started = false;  // on_start succeeded for this incarnation
  bool remove_on_exit = false;
  bool in_group = false;      // stopped as part of a OneForAll / RestForOne restart
  bool drain = false;         // stopping: handle what the mailbox holds before on_stop
  bool trim_listed = false;   // its drained mailbox waits in trim_list_
  bool skip_on_stop = false;  // stopping: brutal or killed
  StopReason::Kind stop_kind = StopReason::Kind::Normal;
  // Multi-core: a proxy stands in its parent's tree for a child living on proxy_core; it has
  // no actor and no mailbox, and mirrors the child's state as its exit reports arrive.
  bool proxy = false;
  bool off_home = false;  // lives elsewhere than its path's home core (which forwards to it)
  uint8_t proxy_core = 0;
  std::unique_ptr<CellExtras> extras;
  std::unique_ptr<RemoteParent> remote_parent;

  bool is_root() const { return parent == kNoSlot && !remote_parent; }
  AddrHash address() const { return AddrHash(path_hash, generation); }
  CellExtras& ext() {
    if (!extras) extras = std::make_unique<CellExtras>();
    return *extras;
  }
  StopReason stop_reason() const {
    StopReason r;
    r.kind = stop_kind;
    if (extras && extras->stop_error) r.error = *extras->stop_error;
    return r;
  }
  uint64_t kill_timer() const { return extras ? extras->kill_timer : 0; }
};

// Lifecycle signals bypass mailboxes and are handled before any user message. (Starting an
// actor is not a signal: a Starting cell sits in the run queue and starts on its first turn.)
struct Signal {
  enum class Kind : uint8_t { Stop, Kill, Down, AskFailed };
  Kind kind = Kind::Stop;
  StopReason::Kind reason = StopReason::Kind::Requested;  // Stop
  bool remove = true;                                     // Stop, Kill: not restarted
  AskError ask_error;                                     // AskFailed
  uint32_t slot = kNoSlot;
  uint64_t generation = 0;
  uint64_t ask_id = 0;         // AskFailed
  std::unique_ptr<Down> down;  // Down
};

struct TimerAction {
  enum class Kind : uint8_t { Send, Interval, AskTimeout, StopDeadline, DelayedDelivery };
  Kind kind = Kind::Send;
  uint32_t owner_slot = kNoSlot;
  uint64_t owner_generation = 0;
  Envelope envelope;
  MessagePayload payload;
  std::function<MessagePayload()> make_payload;  // Interval
  Duration period{};
  uint64_t ask_id = 0;
};

struct TimerEntry {
  Instant deadline;
  uint64_t tiebreak;  // 0, or drawn by the hooks: the order among equal deadlines
  uint64_t seq;       // then FIFO: deterministic either way
  uint64_t id;
  bool operator>(const TimerEntry& o) const {
    if (deadline != o.deadline) return deadline > o.deadline;
    if (tiebreak != o.tiebreak) return tiebreak > o.tiebreak;
    return seq > o.seq;
  }
};

struct PendingAsk {
  uint32_t asker_slot = kNoSlot;  // kNoSlot: an EngineHandle waits for it
  uint64_t asker_generation = 0;
  uint32_t target_slot = kNoSlot;
  uint64_t target_generation = 0;
  AskCallback callback;
  std::function<void(AskResult)> external;
  uint64_t timer = 0;
  uint32_t watch_core = kNoSlot;  // the core watching the target for NoResponse, if another
};

// Commands from other threads, drained by the loop. Bounded by handle_queue_capacity.
class HandleChannel {
 public:
  using Command = std::function<void(EngineCore&)>;
  HandleChannel(Reactor* reactor, uint32_t capacity) : reactor_(reactor), capacity_(capacity) {}
  // False when the engine is gone or the queue is full (`full` tells which).
  bool post(Command c, bool* full = nullptr);
  // Moves the queued commands into `out`; the loop runs them without holding the lock.
  void take(std::deque<Command>& out);
  void close();
  bool closed() const;
  bool has_commands() const { return pending_.load(std::memory_order_acquire); }
  const EngineCore* owner = nullptr;  // for the wait-on-yourself check

 private:
  mutable std::mutex mu_;
  std::deque<Command> queue_;
  std::atomic<bool> pending_{false};
  Reactor* reactor_;
  uint32_t capacity_;
  bool closed_ = false;
};

// Multi-core figures of one core (CoreStats).
struct CoreCounters {
  uint64_t ring_sent = 0;
  uint64_t ring_received = 0;
  uint64_t ring_full = 0;
  uint64_t busy_ns = 0;
  uint64_t wakeups_sent = 0;
};

// An ask from another core whose target lives here: if the target stops first, the asker's
// core hears NoResponse.
struct RemoteAsk {
  uint64_t id = 0;  // the asking core's ask id
  uint32_t target_slot = kNoSlot;
  uint64_t target_generation = 0;
  uint32_t asker_core = 0;
};

// How an EngineHandle of a MultiCoreEngine reaches each core (kept alive by the handles).
struct HandleRoutes {
  std::vector<std::shared_ptr<HandleChannel>> channels;  // by core
  HandleChannel& home(uint64_t path_hash) const {
    return *channels[home_core_of(path_hash, uint32_t(channels.size()))];
  }
  HandleChannel& of(AddrHash a) const {
    uint64_t g = a.generation();
    return g != 0 && generation_core(g) < channels.size() ? *channels[generation_core(g)]
                                                          : home(a.path_hash());
  }
};

class ContextImpl;

class EngineCore {
 public:
  EngineCore(EngineConfig config, std::unique_ptr<Reactor> reactor);
  ~EngineCore();

  // --- loop (engine.cpp)
  enum class RunMode { UntilShutdown, UntilIdle, UntilTime };
  void run(RunMode mode, Instant until = kInstantNever);
  void begin_shutdown();

  // --- actors (engine.cpp)
  Expected<AddrHash, SpawnError> spawn(uint32_t parent, ChildSpec spec);
  // Under the actor at `parent_path`, which must live on this core.
  Expected<AddrHash, SpawnError> spawn_under(std::string_view parent_path, ChildSpec spec);
  // A new actor's cell at `hash`, Starting and scheduled: linked under `parent`, or (parent
  // null) supervised from another core through `remote_parent`.
  Cell& admit(uint64_t hash, ChildSpec&& spec, Cell* parent,
              std::unique_ptr<RemoteParent> remote_parent);
  SendResult route(Envelope& e, MessagePayload& p, uint32_t sender_slot);
  // Delivery on this core (route() after the placement check). `keep_id`: a message from
  // another core, whose id its sender assigned.
  SendResult route_local(Envelope& e, MessagePayload& p, uint32_t sender_slot, bool keep_id);
  // A live, real actor on this core (never a proxy).
  Cell* resolve(AddrHash a) {
    Cell* c = resolve_any(a);
    return c != nullptr && c->proxy ? nullptr : c;
  }
  Cell* resolve_any(AddrHash a);
  const Cell* resolve(AddrHash a) const { return const_cast<EngineCore*>(this)->resolve(a); }
  Cell& cell(uint32_t slot) { return chunks_[slot >> kCellChunkBits][slot & (kCellsPerChunk - 1)]; }
  const Cell& cell(uint32_t slot) const {
    return chunks_[slot >> kCellChunkBits][slot & (kCellsPerChunk - 1)];
  }
  std::string path_of(const Cell& c) const;
  std::optional<AddrHash> lookup(std::string_view path) const;
  void schedule(Cell& c);
  void post_signal(Signal s) { signals_.push(std::move(s)); }
  // Queues a Stop or Kill signal (reason Requested; the actor is removed, not restarted).
  // Roots stop only with the engine; with `parent_only`, only that actor's children may be
  // stopped.
  SendResult post_stop(AddrHash address, Signal::Kind kind, uint32_t parent_only = kNoSlot,
                       bool remove = true);
  uint64_t arm_timer(Duration delay, TimerAction action);
  bool cancel_timer(uint64_t id);
  void ask(uint32_t asker_slot, Envelope e, MessagePayload p, Duration timeout, AskCallback cb,
           std::function<void(AskResult)> external);
  void monitor(uint32_t watcher_slot, AddrHash target);
  void demonitor(uint32_t watcher_slot, AddrHash target);

  // --- stopping (engine_stop.cpp)
  void begin_stop(Cell& c, StopReason::Kind kind, std::optional<ActorError> error, bool drain,
                  bool skip_on_stop);
  void fail(Cell& c, ActorError error);
  void kill(Cell& c);
  void maybe_finish_stop(Cell& c);
  void finish_stop(Cell& c);
  void remove_cell(Cell& c);

  // --- supervision (supervision.cpp)
  void on_child_exited(Cell& parent, Cell& child);
  void on_root_exited(Cell& root);
  void restart(Cell& c);
  void restart_group(Cell& parent);

  // --- multi-core (multi_core.cpp): nothing here runs unless `links` is set
  // Whether this core answers for `a` by the address alone. An address naming a core this
  // engine does not have (or the null address) is answered here: it resolves to nothing.
  bool is_local(AddrHash a) const {
    if (links == nullptr || a.is_null()) return true;
    uint64_t g = a.generation();
    if (g != 0) return generation_core(g) == config.core_id || generation_core(g) >= links->cores();
    return links->home_core(a.path_hash()) == config.core_id;
  }
  uint32_t core_of(AddrHash a) const {
    uint64_t g = a.generation();
    return g != 0 ? generation_core(g) : links->home_core(a.path_hash());
  }
  // Puts a message (and optionally a step to run after it) into the ring to `core`. A full
  // ring, or control steps still waiting for room, is MailboxFull.
  SendResult forward(uint32_t core, Envelope& e, MessagePayload& p,
                     std::unique_ptr<ControlStep> after = nullptr);
  // Control steps are never refused: past a full ring they wait in order on this core.
  void post_control(uint32_t core, ControlStep step);
  bool drain_rings();                          // true if anything came in
  bool accept_from_ring(CrossCoreItem& item);  // false: leave it at the head (mailbox full)
  bool push_item(uint32_t core, CrossCoreItem& item);
  void flush_wakes();     // one notify per core sent to since the last flush
  bool flush_overflow();  // true if control steps still wait for room
  Expected<AddrHash, SpawnError> spawn_elsewhere(Cell& parent, ChildSpec spec, uint64_t hash,
                                                 uint32_t core);
  // On the core a new actor was placed on: under the remote parent `rp`, or (rp null) as a
  // top-level actor under this core's /user (or /system) root.
  void adopt(std::unique_ptr<RemoteParent> rp, ChildSpec spec, uint64_t hash, bool system);
  void report_exit_to_parent_core(Cell& c, const StopReason& reason);
  void on_remote_child_exited(uint32_t proxy_slot, uint64_t proxy_generation, StopReason::Kind kind,
                              std::optional<ActorError> error, bool remove);
  void stop_proxied_child(Cell& proxy, StopReason::Kind kind, bool drain, bool skip_on_stop);
  // On the child's core, from its parent's: the supervisor's decisions, by path.
  Cell* adopted(uint64_t hash, uint32_t parent_core, uint32_t proxy_slot);
  // The core that has the actor at `a`, as far as this core knows: the address's core, or
  // for a path address homed here, the core its proxy or its forwarding entry names.
  uint32_t owner_core(AddrHash a);
  void relay_stop_to_proxy(Cell& c, Signal::Kind kind, bool remove);
  // remote_asks_ key: ask ids are per asking core, so the core is part of the key.
  static uint64_t remote_ask_key(uint32_t asker_core, uint64_t id) {
    return id ^ (uint64_t(asker_core) << 56);
  }
  void watch_ask(uint64_t id, AddrHash target, uint32_t asker_core);
  void fail_ask_on(uint32_t core, uint64_t id);  // NoResponse to an ask made on `core`
  void send_down(AddrHash watcher, Down down);
  void monitor_from(AddrHash watcher, AddrHash target);
  void demonitor_from(AddrHash watcher, AddrHash target);
  void place_elsewhere(uint64_t hash, uint32_t core);
  void clear_placement(uint64_t hash, uint32_t core);
  // An actor of this core living away from its path's home core (placed) or gone (!placed):
  // the home core is told in batches, one control step per core per loop pass, or sooner if
  // anything else is about to go to that core (nothing overtakes a placement).
  void note_placement(uint64_t hash, bool placed);
  void flush_placements(uint32_t home);
  void flush_all_placements();
  void shutdown_all_cores();
  uint64_t ring_depth_in();
  bool spin_for_input();      // polls rings and handles for spin_before_sleep; true if any
  bool park_or_find_input();  // sets `parked`, then true (and unparked) if input is waiting
  void pending_wakes_reset() { pending_wakes_ = 0; }
  void post_control_now(uint32_t core, ControlStep step);
  uint64_t ready_count() const { return runq_.size() + (lifo_slot_ != kNoSlot ? 1 : 0); }

  // --- introspection
  ActorInfo info_of(const Cell& c) const;
  std::vector<ActorInfo> query(const ActorQuery& q) const;
  void emit(EngineEvent::Kind kind, const Cell& c, StopReason reason = {});
  bool observed() const { return listener || hooks; }
  // A message dropped unhandled; `queued` when it had been accepted into a mailbox.
  void dead_letter(const Envelope& e, const char* why, bool queued = true);
  uint32_t drop_mailbox(Cell& c, const char* why);
  bool push_accepted(Cell& c, Envelope& e, MessagePayload& p);

  EngineConfig config;
  std::unique_ptr<Reactor> reactor;
  CoreLinks* links = nullptr;  // set when this engine is one core of a MultiCoreEngine
  CoreCounters counters;
  // Multi-core: 1 while this core's loop is about to sleep or sleeping. The loop sets it
  // with an exchange and then looks at its rings once more; a sender, after its pushes, reads
  // it with a read-modify-write and notifies only a parked core. Both sides being RMWs on this
  // one word orders them (a fence would too, but ThreadSanitizer cannot follow fences), so a
  // wake-up is never lost, and a busy or spinning core's reactor is never touched.
  alignas(kCacheLine) std::atomic<uint32_t> parked{0};
  std::shared_ptr<HandleChannel> channel;
  EngineEventListener listener;
  EngineHooks* hooks = nullptr;
  EngineStats stats;
  std::optional<ActorError> failure;
  bool shut_down = false;
  bool shutdown_started = false;
  bool interrupted = false;
  uint32_t user_root = kNoSlot;
  uint32_t system_root = kNoSlot;
  AddrHash engine_address;  // source of sends from outside; replies to it reach handles

 private:
  friend class ContextImpl;
  uint32_t allocate_slot();
  void link_child(Cell& parent, Cell& child);
  void unlink_child(Cell& child);
  void run_turn(Cell& c);
  TimerEntry timer_entry(Instant deadline, uint64_t id);
  void flush_starting();
  uint32_t next_ready();
  bool ready_empty() const { return runq_.empty() && lifo_slot_ == kNoSlot; }
  HandlerResult deliver(Cell& c, ContextImpl& ctx, MailboxSlot& m);
  void process_signals();
  void process_signal(Signal& s);
  bool start_actor(Cell& c);
  void fire_due_timers();
  void fire_timer(uint64_t id);
  void complete_ask(uint64_t id, AskResult result);
  void fail_asks_targeting(const Cell& c);
  void fail_pending_asks();  // every ask still waiting: NoResponse (the engine is done)
  void drain_handle_commands();
  Instant next_timer_deadline();

  std::vector<std::unique_ptr<Cell[]>> chunks_;
  std::vector<uint32_t> free_slots_;
  uint32_t slots_used_ = 0;
  PathTable paths_;
  RingQueue<uint32_t> runq_;
  std::vector<uint32_t> starting_;  // scheduled new incarnations, in spawn order
  uint32_t lifo_slot_ = kNoSlot;    // the actor woken last: it runs next (see schedule())
  uint32_t lifo_streak_ = 0;
  bool in_turn_ = false;  // an actor's turn is running (its wake-ups use the LIFO slot)
  RingQueue<Signal> signals_;
  std::priority_queue<TimerEntry, std::vector<TimerEntry>, std::greater<TimerEntry>> timer_heap_;
  std::unordered_map<uint64_t, TimerAction> timer_actions_;
  uint64_t timer_seq_ = 0;
  uint64_t next_timer_id_ = 1;
  std::unordered_map<uint64_t, PendingAsk> pending_asks_;
  u128 next_message_id_ = 1;
  uint64_t turn_stamp_ = 0;  // reactor stamp at the end of the previous turn
  std::deque<HandleChannel::Command> commands_;
  // Cells whose mailbox drained holding a large ring, trimmed when the loop goes idle.
  static constexpr size_t kTrimListMax = 1024;
  std::vector<uint32_t> trim_list_;
  void trim_drained_mailboxes();
  // multi-core
  std::unordered_map<uint64_t, uint32_t> placed_elsewhere_;  // path hash -> core, homed here
  std::unordered_map<uint64_t, RemoteAsk> remote_asks_;      // by ask id
  std::vector<std::deque<CrossCoreItem>> overflow_;          // control steps awaiting room
  uint32_t overflow_items_ = 0;
  uint64_t pending_wakes_ = 0;  // bit per core sent to since the last flush
  struct PlacementUpdate {
    uint64_t hash;
    bool placed;
  };
  std::vector<std::vector<PlacementUpdate>> placements_out_;  // by home core
  uint64_t placements_pending_ = 0;                           // bit per home core
};

// Runs user code and turns escaping exceptions into ActorError::Panic.
template <class F>
HandlerResult guarded(F&& f) {
  try {
    return f();
  } catch (const std::exception& e) {
    return Unexpected{ActorError::panic(e.what())};
  } catch (...) {
    return Unexpected{ActorError::panic("unknown exception")};
  }
}

}  // namespace pd::detail
