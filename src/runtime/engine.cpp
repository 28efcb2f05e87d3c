// The loop, routing, spawning and one actor's turn. Stopping is in engine_stop.cpp,
// supervision decisions in supervision.cpp, timers/asks/monitors in engine_services.cpp.
#include <algorithm>

#include "context_impl.h"
#include "pd/core/fnv.h"

namespace pd::detail {

namespace {

// /user and /system: supervisors that hold the tree and do nothing else.
class RootActor final : public Actor {
 public:
  HandlerResult on_message(ActorContext&, const Envelope&, MessagePayload&) override { return {}; }
};

// How many actor turns run between two looks at timers, at most; and at most this much stamp
// time: a timer fires within max(one turn, kPollQuantumNs) of its deadline. Handle commands
// are looked at after every turn.
constexpr int kTurnsPerPoll = 256;
constexpr uint64_t kPollQuantumNs = 50000;
constexpr uint32_t kLifoStreakMax = 3;

thread_local const EngineCore* tl_running_core = nullptr;

// Marks the engine as inside an actor's turn for as long as it lives.
struct TurnScope {
  explicit TurnScope(bool& flag) : flag_(flag) { flag_ = true; }
  ~TurnScope() { flag_ = false; }
  bool& flag_;
};

}  // namespace

const EngineCore* running_core_on_this_thread() {
  return tl_running_core;
}

EngineCore::EngineCore(EngineConfig cfg, std::unique_ptr<Reactor> r)
    : config(std::move(cfg)), reactor(std::move(r)) {
  PD_ASSERT(reactor != nullptr, "an engine needs a reactor");
  PD_ASSERT(config.messages_per_turn_max > 0, "messages_per_turn_max must be positive");
  channel = std::make_shared<HandleChannel>(reactor.get(), config.handle_queue_capacity);
  channel->owner = this;
  next_message_id_ = (u128(config.core_id & 0xff) << 120) | 1;
  engine_address = AddrHash(fnv1a64("/"), make_generation(config.core_id, 0, 1));
  // Slot 0 is never an actor: generation 0 of slot 0 would be a path address.
  allocate_slot();
  auto make_root = [&](const char* name) {
    uint32_t slot = allocate_slot();
    Cell& c = cell(slot);
    c.in_use = true;
    c.slot = slot;
    c.incarnation = 1;
    c.generation = make_generation(config.core_id, slot, 1);
    ChildSpec spec(name, [] { return std::make_unique<RootActor>(); });
    spec.intensity = config.root_intensity;
    spec.shutdown = ShutdownPolicy::with_timeout(Duration::max());
    c.spec = CellSpec(std::move(spec));
    c.mailbox.set_capacity(kMailboxCapacityDefault);
    c.path_hash = fnv1a64(std::string("/") + name);
    c.actor = c.spec.factory();
    c.started = true;
    c.state = ActorState::Running;
    paths_.insert(c.path_hash, slot);
    return slot;
  };
  user_root = make_root("user");
  system_root = make_root("system");
}

EngineCore::~EngineCore() {
  channel->close();
  // Actors still alive when the engine is destroyed without shutdown get no on_stop: their
  // objects are destroyed with their cells.
}

uint32_t EngineCore::allocate_slot() {
  if (!free_slots_.empty()) {
    uint32_t s = free_slots_.back();
    free_slots_.pop_back();
    return s;
  }
  uint32_t s = slots_used_++;
  if ((s >> kCellChunkBits) >= chunks_.size())
    chunks_.push_back(std::make_unique<Cell[]>(kCellsPerChunk));
  cell(s).slot = s;
  return s;
}

void EngineCore::link_child(Cell& parent, Cell& child) {
  child.parent = parent.slot;
  child.prev_sibling = parent.last_child;
  child.next_sibling = kNoSlot;
  if (parent.last_child != kNoSlot)
    cell(parent.last_child).next_sibling = child.slot;
  else
    parent.first_child = child.slot;
  parent.last_child = child.slot;
}

void EngineCore::unlink_child(Cell& child) {
  if (child.parent == kNoSlot) return;
  Cell& p = cell(child.parent);
  if (child.prev_sibling != kNoSlot)
    cell(child.prev_sibling).next_sibling = child.next_sibling;
  else
    p.first_child = child.next_sibling;
  if (child.next_sibling != kNoSlot)
    cell(child.next_sibling).prev_sibling = child.prev_sibling;
  else
    p.last_child = child.prev_sibling;
  child.parent = child.prev_sibling = child.next_sibling = kNoSlot;
}

Expected<AddrHash, SpawnError> EngineCore::spawn(uint32_t parent_slot, ChildSpec spec) {
  if (shut_down || shutdown_started) return Unexpected{SpawnError::Unbound};
  Cell& parent = cell(parent_slot);
  uint64_t hash = fnv1a64(spec.name, fnv1a64("/", parent.path_hash));
  paths_.prefetch(hash);
  if (!ActorPath::valid_segment(spec.name)) return Unexpected{SpawnError::InvalidName};
  if (!spec.factory || spec.mailbox_capacity == 0 || spec.mailbox_capacity > kMailboxCapacityMax)
    return Unexpected{SpawnError::InvalidSpec};
  if (!parent.in_use) return Unexpected{SpawnError::ParentNotFound};
  if (parent.state == ActorState::Stopping || parent.state == ActorState::Restarting)
    return Unexpected{SpawnError::ParentStopping};
  uint32_t existing = paths_.find(hash);
  if (existing != PathTable::kNotFound) {
    const Cell& other = cell(existing);
    bool same = other.parent == parent_slot && other.spec.name == spec.name;
    return Unexpected{same ? SpawnError::NameTaken : SpawnError::PathCollision};
  }
  if (hash == 0) return Unexpected{SpawnError::PathCollision};
  if (links != nullptr) {
    if (placed_elsewhere_.count(hash) != 0) {
      // A top-level actor of that name lives on another core (this is its home core).
      return Unexpected{parent.is_root() ? SpawnError::NameTaken : SpawnError::PathCollision};
    }
    uint32_t target = config.core_id;
    switch (spec.placement.kind) {
      case Placement::Kind::PathHash: target = links->home_core(hash); break;
      case Placement::Kind::Core:
        if (spec.placement.core >= links->cores()) return Unexpected{SpawnError::NoSuchCore};
        target = spec.placement.core;
        break;
      case Placement::Kind::WithParent: break;
    }
    if (target != config.core_id) return spawn_elsewhere(parent, std::move(spec), hash, target);
  }

  return admit(hash, std::move(spec), &parent, nullptr).address();
}

Expected<AddrHash, SpawnError> EngineCore::spawn_under(std::string_view parent_path,
                                                       ChildSpec spec) {
  if (shut_down || shutdown_started) return Unexpected{SpawnError::Unbound};
  auto parent = lookup(parent_path);
  Cell* p = parent ? resolve(*parent) : nullptr;  // (null too when it lives on another core)
  if (p == nullptr) return Unexpected{SpawnError::ParentNotFound};
  return spawn(p->slot, std::move(spec));
}

Cell& EngineCore::admit(uint64_t hash, ChildSpec&& spec, Cell* parent,
                        std::unique_ptr<RemoteParent> remote_parent) {
  uint32_t slot = allocate_slot();
  Cell& c = cell(slot);
  c.incarnation = ((c.incarnation + 1) & kIncarnationMask) ? c.incarnation + 1 : 1;
  c.in_use = true;
  c.path_hash = hash;
  c.generation = make_generation(config.core_id, slot, c.incarnation);
  c.mailbox.set_capacity(spec.mailbox_capacity);
  c.spec = CellSpec(std::move(spec));
  c.state = ActorState::Starting;
  paths_.insert(hash, slot);
  if (parent != nullptr) {
    link_child(*parent, c);
    ++parent->children_alive;
  } else {
    c.remote_parent = std::move(remote_parent);
  }
  if (links != nullptr && links->home_core(hash) != config.core_id) {
    c.off_home = true;
    note_placement(hash, /*placed=*/true);  // its home core forwards its path address here
  }
  ++stats.actors_spawned;
  ++stats.live_actors;
  schedule(c);  // its first turn starts it
  if (observed()) emit(EngineEvent::Kind::Spawned, c);
  return c;
}

Cell* EngineCore::resolve_any(AddrHash a) {
  if (a.is_null()) return nullptr;
  uint32_t slot;
  uint64_t gen = a.generation();
  if (gen == 0) {
    slot = paths_.find(a.path_hash());
    if (slot == PathTable::kNotFound) return nullptr;
  } else {
    if (generation_core(gen) != (config.core_id & 0xff)) return nullptr;
    slot = generation_slot(gen);
    if (slot >= slots_used_) return nullptr;
  }
  Cell& c = cell(slot);
  if (!c.in_use || c.path_hash != a.path_hash()) return nullptr;
  if (gen != 0 && c.generation != gen) return nullptr;
  return &c;
}

SendResult EngineCore::post_stop(AddrHash address, Signal::Kind kind, uint32_t parent_only,
                                 bool remove) {
  Cell* c = resolve_any(address);
  if (c == nullptr && links != nullptr) {
    // A child on another core is known here by its proxy (one path, one child of a parent).
    uint32_t slot = paths_.find(address.path_hash());
    if (slot != PathTable::kNotFound && cell(slot).proxy &&
        (address.is_path_address() || cell(slot).proxy_core == core_of(address)))
      c = &cell(slot);
  }
  if (c == nullptr && links != nullptr && owner_core(address) != config.core_id) {
    if (parent_only != kNoSlot) return Unexpected{SendError::PolicyViolation};  // not its child
    post_control(owner_core(address), [address, kind, remove](EngineCore& owner) {
      (void)owner.post_stop(address, kind, kNoSlot, remove);
    });
    return {};
  }
  if (c == nullptr) return Unexpected{SendError::ActorStopped};
  if (c->is_root()) return Unexpected{SendError::PolicyViolation};
  if (parent_only != kNoSlot && c->parent != parent_only)
    return Unexpected{SendError::PolicyViolation};
  Signal s;
  s.kind = kind;
  s.slot = c->slot;
  s.generation = c->generation;
  s.reason = StopReason::Kind::Requested;
  s.remove = remove;
  post_signal(std::move(s));
  return {};
}

static bool runnable(const Cell& c) {
  return c.state == ActorState::Running || c.state == ActorState::Starting ||
         (c.state == ActorState::Stopping && c.drain && c.children_alive == 0);
}

void EngineCore::schedule(Cell& c) {
  if (c.scheduled) return;
  c.scheduled = true;
  if (c.state == ActorState::Starting) {
    starting_.push_back(c.slot);
  } else if (hooks || !in_turn_) {
    // FIFO: under simulation every choice is the hooks' (pick_next); and work arriving from
    // outside a turn (handles, timers, the Engine API) waits its turn.
    runq_.push(c.slot);
  } else {
    // The actor just woken runs next (the LIFO slot): a reply is handled while the sender's
    // and receiver's state is hot, and a parent collecting answers drains as they arrive
    // instead of piling up. An actor displaced from the slot goes to the back of the queue.
    if (lifo_slot_ != kNoSlot) runq_.push(lifo_slot_);
    lifo_slot_ = c.slot;
  }
}

// Fairness: the LIFO slot runs at most kLifoStreakMax turns in a row before the queue's
// front gets its turn.
uint32_t EngineCore::next_ready() {
  if (lifo_slot_ != kNoSlot) {
    if (lifo_streak_ < kLifoStreakMax || runq_.empty()) {
      uint32_t s = lifo_slot_;
      lifo_slot_ = kNoSlot;
      ++lifo_streak_;
      return s;
    }
    runq_.push(lifo_slot_);
    lifo_slot_ = kNoSlot;
  }
  lifo_streak_ = 0;
  if (hooks && runq_.size() > 1)
    return runq_.take_at(hooks->pick_next(runq_.size()) % runq_.size());
  return runq_.pop();
}

// New incarnations start ahead of queued work, in the order they were spawned: spawn-heavy
// trees then run depth first, so short-lived actors finish (and free their cells) while their
// memory is still hot, and siblings still start in spawn order.
void EngineCore::flush_starting() {
  for (auto it = starting_.rbegin(); it != starting_.rend(); ++it) runq_.push_front(*it);
  starting_.clear();
}

SendResult EngineCore::route(Envelope& e, MessagePayload& p, uint32_t sender_slot) {
  // Every path into a mailbox passes here: bytes always carry their length in the envelope.
  if (e.payload_len == 0 && p.is_serialized()) e.payload_len = uint32_t(p.bytes().size());
  if (links != nullptr) {
    if (e.is_response() && !remote_asks_.empty())
      remote_asks_.erase(remote_ask_key(core_of(e.destination), e.correlation_id));
    // A path this core holds (its actor, or the proxy of a child elsewhere) is routed from
    // here, wherever the path's home is: messages to a child just spawned onto another core
    // follow its spawn in the same ring.
    bool held = e.destination.is_path_address() &&
                paths_.find(e.destination.path_hash()) != PathTable::kNotFound;
    if (!held && !is_local(e.destination)) {
      e.message_id = next_message_id_++;
      return forward(core_of(e.destination), e, p);
    }
  }
  return route_local(e, p, sender_slot, false);
}

SendResult EngineCore::route_local(Envelope& e, MessagePayload& p, uint32_t sender_slot,
                                   bool keep_id) {
  Cell* c = resolve_any(e.destination);
  if (links != nullptr) {
    // The child of a proxy, or a path homed here whose actor was placed on another core.
    uint32_t elsewhere = kNoSlot;
    if (c != nullptr && c->proxy) {
      elsewhere = c->proxy_core;
    } else if (c == nullptr && e.destination.is_path_address()) {
      auto it = placed_elsewhere_.find(e.destination.path_hash());
      if (it != placed_elsewhere_.end()) elsewhere = it->second;
    }
    if (elsewhere != kNoSlot) {
      if (!keep_id) e.message_id = next_message_id_++;
      return forward(elsewhere, e, p);
    }
  }
  if (c == nullptr) {
    if (e.destination == engine_address && e.is_response()) {
      auto it = pending_asks_.find(e.correlation_id);
      if (it != pending_asks_.end() && it->second.asker_slot == kNoSlot) {
        e.message_id = next_message_id_++;
        complete_ask(e.correlation_id, Message{e, std::move(p)});
        return {};
      }
    }
    ++stats.send_failures;
    return Unexpected{e.destination.is_path_address() ? SendError::Unroutable
                                                      : SendError::ActorStopped};
  }
  bool accepted = true;
  switch (c->state) {
    case ActorState::Starting:
    case ActorState::Running: break;
    // The restart window: a path address reaches the next incarnation, an old address fails.
    case ActorState::Restarting: accepted = e.destination.is_path_address(); break;
    // A stopping actor drains what it has; only it may add to its own mailbox.
    case ActorState::Stopping: accepted = sender_slot == c->slot; break;
  }
  if (!accepted) {
    ++stats.send_failures;
    return Unexpected{SendError::ActorStopped};
  }
  if (c->mailbox.full()) {
    ++stats.send_failures;
    return Unexpected{SendError::MailboxFull};
  }
  if (!keep_id) e.message_id = next_message_id_++;
  if (hooks) {
    SendFate fate = hooks->on_send(e, p.can_clone());
    switch (fate.kind) {
      case SendFate::Kind::Deliver: break;
      case SendFate::Kind::Drop: ++stats.messages_dropped_by_hooks; return {};
      case SendFate::Kind::Delay: {
        TimerAction a;
        a.kind = TimerAction::Kind::DelayedDelivery;
        a.envelope = e;
        a.payload = std::move(p);
        arm_timer(fate.delay, std::move(a));
        ++stats.messages_delayed;
        return {};
      }
      case SendFate::Kind::Duplicate: {
        if (!p.can_clone()) break;
        Envelope copy_envelope = e;  // a duplicate on the wire keeps the message id
        MessagePayload copy = p.clone();
        push_accepted(*c, copy_envelope, copy);
        if (c->mailbox.full()) {
          dead_letter(e, "duplicated into a full mailbox", /*queued=*/false);
          return {};
        }
        break;
      }
    }
  }
  push_accepted(*c, e, p);
  return {};
}

bool EngineCore::push_accepted(Cell& c, Envelope& e, MessagePayload& p) {
  if (!c.mailbox.push(e, p)) return false;
  ++stats.messages_sent;
  if (!c.scheduled && runnable(c)) schedule(c);
  return true;
}

void EngineCore::dead_letter(const Envelope& e, const char* why, bool queued) {
  if (queued)
    ++stats.dead_letters;
  else
    ++stats.messages_undeliverable;
  if (hooks) hooks->on_dead_letter(e, why, reactor->now());
}

uint32_t EngineCore::drop_mailbox(Cell& c, const char* why) {
  if (!hooks) {
    uint32_t n = c.mailbox.clear();
    stats.dead_letters += n;
    return n;
  }
  return c.mailbox.clear_each([&](const Envelope& e) { dead_letter(e, why); });
}

HandlerResult EngineCore::deliver(Cell& c, ContextImpl& ctx, MailboxSlot& m) {
  if (m.envelope.is_response() && !pending_asks_.empty()) {
    auto it = pending_asks_.find(m.envelope.correlation_id);
    if (it != pending_asks_.end() && it->second.asker_slot == c.slot &&
        it->second.asker_generation == c.generation) {
      PendingAsk pa = std::move(it->second);
      pending_asks_.erase(it);
      cancel_timer(pa.timer);
      return guarded([&] {
        pa.callback(ctx, Message{m.envelope, std::move(m.payload)});
        return HandlerResult{};
      });
    }
  }
  return guarded([&] { return c.actor->on_message(ctx, m.envelope, m.payload); });
}

void EngineCore::run_turn(Cell& c) {
  if (!c.in_use) return;  // stopped for good while it waited in the run queue
  c.scheduled = false;
  if (!runnable(c)) return;
  if (hooks) hooks->on_turn(c.address(), reactor->now());
  TurnScope turn(in_turn_);
  if (c.state == ActorState::Starting && !start_actor(c)) return;
  ContextImpl ctx(*this, c);
  MailboxSlot m;
  std::optional<ActorError> failed;
  // A turn handles what was queued when it began (at most messages_per_turn_max): what the
  // actor sends itself meanwhile waits for its next turn, so a self-messaging actor yields.
  uint32_t budget = std::min(config.messages_per_turn_max, c.mailbox.size());
  for (uint32_t n = 0; n < budget && c.mailbox.pop(m); ++n) {
    uint64_t g = m.envelope.destination.generation();
    if (g != 0 && g != c.generation) {
      dead_letter(m.envelope, "addressed to a replaced incarnation");
      continue;
    }
    if (hooks) {
      hooks->on_deliver(m.envelope, reactor->now());
      if (std::optional<ActorError> injected = hooks->before_handle(m.envelope)) {
        ++c.message_count;
        ++stats.messages_delivered;
        failed = std::move(injected);
        break;
      }
    }
    HandlerResult r = deliver(c, ctx, m);
    ++c.message_count;
    ++stats.messages_delivered;
    if (!r) {
      failed = r.error();
      break;
    }
    if (ctx.stop_requested()) break;
  }
  m.payload.reset();
  if (config.account_compute_time) {
    // One stamp per turn: this turn's end is the next turn's start (the loop's own work
    // between two turns is charged to the later one).
    uint64_t end = reactor->stamp_ns();
    c.compute_ns += end - turn_stamp_;
    counters.busy_ns += end - turn_stamp_;
    turn_stamp_ = end;
  }
  if (failed) {
    fail(c, std::move(*failed));
  } else if (ctx.stop_requested()) {
    begin_stop(c, StopReason::Kind::Normal, std::nullopt, /*drain=*/false, /*skip_on_stop=*/false);
  } else if (c.state == ActorState::Stopping) {
    maybe_finish_stop(c);
  } else if (!c.mailbox.empty()) {
    schedule(c);
  } else if (c.mailbox.trimmable() && !c.trim_listed) {
    c.trim_listed = true;
    trim_list_.push_back(c.slot);
    if (trim_list_.size() >= kTrimListMax) trim_drained_mailboxes();
  }
}

void EngineCore::trim_drained_mailboxes() {
  for (uint32_t slot : trim_list_) {
    Cell& c = cell(slot);
    c.trim_listed = false;
    if (c.in_use) c.mailbox.trim();
  }
  trim_list_.clear();
}

// Runs the factory and on_start. False when the actor did not come up (it is failing now) or
// stopped itself at once.
bool EngineCore::start_actor(Cell& c) {
  ContextImpl ctx(*this, c);
  HandlerResult r = guarded([&]() -> HandlerResult {
    c.actor = c.spec.factory();
    if (!c.actor) return Unexpected{ActorError::init("factory returned no actor")};
    return c.actor->on_start(ctx);
  });
  if (!r) {
    fail(c, r.error());
    return false;
  }
  c.started = true;
  c.state = ActorState::Running;
  if (observed()) emit(EngineEvent::Kind::Started, c);
  if (ctx.stop_requested()) {
    begin_stop(c, StopReason::Kind::Normal, std::nullopt, false, false);
    return false;
  }
  return true;
}

void EngineCore::process_signals() {
  while (!signals_.empty()) {
    Signal s = signals_.pop();
    process_signal(s);
  }
}

void EngineCore::process_signal(Signal& s) {
  if (s.kind == Signal::Kind::AskFailed) {
    complete_ask(s.ask_id, Unexpected{s.ask_error});
    return;
  }
  Cell& c = cell(s.slot);
  if (!c.in_use || c.generation != s.generation) return;  // that incarnation is gone
  if (c.remote_parent && c.state == ActorState::Restarting &&
      (s.kind == Signal::Kind::Stop || s.kind == Signal::Kind::Kill)) {
    // Its supervisor, on another core, is deciding its fate (the exit report is on its way,
    // ahead of this in the ring): the request goes to the proxy there, so that both sides
    // agree. Removing the cell here would leave the proxy restarting a child that is gone.
    relay_stop_to_proxy(c, s.kind, s.remove);
    return;
  }
  switch (s.kind) {
    case Signal::Kind::Stop:
      if (c.state == ActorState::Restarting) {
        remove_cell(c);
        return;
      }
      c.remove_on_exit = true;
      begin_stop(c, s.reason, std::nullopt, /*drain=*/true, /*skip_on_stop=*/false);
      return;
    case Signal::Kind::Kill:
      if (c.state == ActorState::Restarting) {
        if (s.remove) remove_cell(c);
        return;
      }
      if (s.remove) c.remove_on_exit = true;
      kill(c);
      return;
    case Signal::Kind::Down: {
      if (!c.started || (c.state != ActorState::Running && c.state != ActorState::Stopping)) return;
      ContextImpl ctx(*this, c);
      Envelope e = Envelope::make(s.down->actor, c.address(), type_tag_v<Down>, 0);
      e.message_id = next_message_id_++;
      MessagePayload payload = MessagePayload::local(std::move(*s.down));
      HandlerResult r = guarded([&] { return c.actor->on_message(ctx, e, payload); });
      ++c.message_count;
      if (!r)
        fail(c, r.error());
      else if (ctx.stop_requested())
        begin_stop(c, StopReason::Kind::Normal, std::nullopt, false, false);
      return;
    }
    case Signal::Kind::AskFailed: return;
  }
}

void EngineCore::drain_handle_commands() {
  channel->take(commands_);
  while (!commands_.empty()) {
    auto cmd = std::move(commands_.front());
    commands_.pop_front();
    cmd(*this);
  }
}

void EngineCore::run(RunMode mode, Instant until) {
  const EngineCore* outer = tl_running_core;
  tl_running_core = this;
  interrupted = false;
  // One core of several stays up after its own trees have shut down, until all have (its
  // actors' children elsewhere still report their exits through the rings).
  auto finished = [&] { return shut_down && (links == nullptr || links->all_done()); };
  while (!finished() && !interrupted) {
    if (links != nullptr) {
      if (overflow_items_ != 0) flush_overflow();
      drain_rings();
    }
    if (channel->has_commands()) drain_handle_commands();
    fire_due_timers();
    process_signals();
    flush_starting();
    bool accounting = config.account_compute_time;
    if (!ready_empty() && (accounting || !timer_heap_.empty())) turn_stamp_ = reactor->stamp_ns();
    uint64_t batch_stamp = turn_stamp_;
    for (int i = 0; i < kTurnsPerPoll && !ready_empty(); ++i) {
      run_turn(cell(next_ready()));
      // What these turns sent to a parked core wakes it every 16 turns, not only after the
      // batch: 256 turns can outlast a ring's worth of messages. (Waking after every turn
      // costs a tenth of a cross-core ping-pong.)
      if ((i & 15) == 15 && pending_wakes_ != 0) flush_wakes();
      if (!signals_.empty()) process_signals();
      if (!starting_.empty()) flush_starting();
      if (interrupted) break;
      // Long turns: look at timers again after kPollQuantumNs, not after 256 turns. (Without
      // accounting the stamp is read only while a timer is armed.)
      if (!accounting && !timer_heap_.empty()) turn_stamp_ = reactor->stamp_ns();
      if (turn_stamp_ - batch_stamp >= kPollQuantumNs) break;
      if (channel->has_commands()) break;
    }
    if (links != nullptr) {
      if (placements_pending_ != 0) flush_all_placements();
      flush_wakes();
    }
    if (finished() || interrupted) break;  // shutdown may have completed here: never sleep
    if (!ready_empty() || !signals_.empty() || !starting_.empty() || channel->has_commands())
      continue;
    if (links != nullptr && links->has_input(config.core_id)) continue;
    if (!trim_list_.empty()) trim_drained_mailboxes();  // idle: give back burst memory
    Instant next = next_timer_deadline();
    if (links != nullptr && overflow_items_ != 0) {
      next = std::min(next, reactor->now() + std::chrono::microseconds(50));  // retry for room
    } else if (links != nullptr && links->spin_before_sleep > Duration::zero()) {
      if (spin_for_input()) continue;
    }
    if (mode == RunMode::UntilTime) {
      if (reactor->now() >= until) break;
      next = std::min(next, until);
    } else if (next == kInstantNever && (mode == RunMode::UntilIdle || reactor->is_virtual())) {
      break;  // nothing is pending and, on a virtual clock, nothing else can happen
    }
    if (links != nullptr && park_or_find_input()) continue;
    reactor->wait_until(next);
    if (links != nullptr) parked.exchange(0, std::memory_order_acq_rel);
  }
  if (links != nullptr && finished()) {
    channel->close();
    // Asks made through handles while this core waited for the others get their answer now.
    fail_pending_asks();
  }
  tl_running_core = outer;
}

void EngineCore::begin_shutdown() {
  if (shutdown_started || shut_down) return;
  shutdown_started = true;
  if (links != nullptr) shutdown_all_cores();
  begin_stop(cell(user_root), StopReason::Kind::Shutdown, std::nullopt, true, false);
}

std::string EngineCore::path_of(const Cell& c) const {
  std::vector<const std::string*> names;
  const RemoteParent* above = nullptr;
  for (const Cell* p = &c;; p = &cell(p->parent)) {
    names.push_back(&p->spec.name);
    if (p->parent == kNoSlot) {
      above = p->remote_parent.get();
      break;
    }
  }
  std::string out = above != nullptr ? above->parent_path : std::string();
  for (auto it = names.rbegin(); it != names.rend(); ++it) {
    out += '/';
    out += **it;
  }
  return out;
}

std::optional<AddrHash> EngineCore::lookup(std::string_view path) const {
  auto p = ActorPath::parse(path);
  if (!p) return std::nullopt;
  if (links != nullptr) {
    // Whether an actor lives there is known to its core only: the path address reaches it.
    AddrHash path_address(p->hash(), 0);
    if (!is_local(path_address) || placed_elsewhere_.count(p->hash()) != 0) return path_address;
  }
  uint32_t slot = paths_.find(p->hash());
  if (slot == PathTable::kNotFound) return std::nullopt;
  const Cell& c = cell(slot);
  if (c.state == ActorState::Restarting || path_of(c) != p->str()) return std::nullopt;
  if (c.proxy) return AddrHash(p->hash(), 0);
  return c.address();
}

}  // namespace pd::detail
