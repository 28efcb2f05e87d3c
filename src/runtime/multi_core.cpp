// One core among several (MultiCoreEngine): the rings, the wake-ups, and everything that
// crosses between cores: spawning onto another core, supervising a child there through a
// proxy, monitors, ask watches and forwarding of path addresses placed away from home.
// Nothing here runs for a single Engine (links == nullptr) but send_down, which serves both.
#include "context_impl.h"

namespace pd::detail {

namespace {
inline void cpu_relax() {
#if defined(__x86_64__)
  __builtin_ia32_pause();
#endif
}
}  // namespace

uint32_t EngineCore::owner_core(AddrHash a) {
  if (a.is_path_address()) {
    // Held here (an actor placed here, or the proxy of a child elsewhere): this core knows,
    // whatever the hash says. Asking the home core would send the question straight back.
    uint32_t here = paths_.find(a.path_hash());
    if (here != PathTable::kNotFound)
      return cell(here).proxy ? cell(here).proxy_core : config.core_id;
  }
  if (!is_local(a)) return core_of(a);
  if (a.is_path_address()) {
    auto it = placed_elsewhere_.find(a.path_hash());
    if (it != placed_elsewhere_.end()) return it->second;
  }
  return config.core_id;
}

void EngineCore::relay_stop_to_proxy(Cell& c, Signal::Kind kind, bool remove) {
  const RemoteParent& rp = *c.remote_parent;
  post_control(rp.core, [slot = rp.proxy_slot, gen = rp.proxy_generation, kind,
                         remove](EngineCore& parent_core) {
    Signal s;
    s.kind = kind;
    s.slot = slot;
    s.generation = gen;
    s.reason = StopReason::Kind::Requested;
    s.remove = remove;
    parent_core.post_signal(std::move(s));
  });
}

SendResult EngineCore::forward(uint32_t core, Envelope& e, MessagePayload& p,
                               std::unique_ptr<ControlStep> after) {
  PD_ASSERT(core != config.core_id && core < links->cores(), "forward to a foreign core only");
  if ((placements_pending_ >> core) & 1) flush_placements(core);
  // Control steps waiting for room go first: a message may not overtake them.
  bool waiting = overflow_items_ != 0 && !overflow_[core].empty();
  if (waiting || !links->ring(config.core_id, core).push_with([&](CrossCoreItem& it) {
        it.envelope = e;
        it.payload = std::move(p);
        it.control = std::move(after);
        it.has_message = true;
      })) {
    pending_wakes_ |= uint64_t(1) << core;  // a full ring's reader must be awake to empty it
    ++counters.ring_full;
    ++stats.send_failures;
    return Unexpected{SendError::MailboxFull};
  }
  ++counters.ring_sent;
  pending_wakes_ |= uint64_t(1) << core;
  return {};
}

void EngineCore::post_control(uint32_t core, ControlStep step) {
  if ((placements_pending_ >> core) & 1) flush_placements(core);
  post_control_now(core, std::move(step));
}

void EngineCore::note_placement(uint64_t hash, bool placed) {
  uint32_t home = links->home_core(hash);
  if (placements_out_.empty()) placements_out_.resize(links->cores());
  placements_out_[home].push_back({hash, placed});
  placements_pending_ |= uint64_t(1) << home;
}

void EngineCore::flush_placements(uint32_t home) {
  placements_pending_ &= ~(uint64_t(1) << home);
  std::vector<PlacementUpdate> updates;
  updates.swap(placements_out_[home]);
  post_control_now(home, [updates = std::move(updates), core = config.core_id](EngineCore& h) {
    for (const PlacementUpdate& u : updates) {
      if (u.placed)
        h.place_elsewhere(u.hash, core);
      else
        h.clear_placement(u.hash, core);
    }
  });
}

void EngineCore::flush_all_placements() {
  while (placements_pending_ != 0) flush_placements(uint32_t(__builtin_ctzll(placements_pending_)));
}

void EngineCore::post_control_now(uint32_t core, ControlStep step) {
  PD_ASSERT(core != config.core_id && core < links->cores(), "control steps go to other cores");
  CrossCoreItem item;
  item.control = std::make_unique<ControlStep>(std::move(step));
  pending_wakes_ |= uint64_t(1) << core;
  if (overflow_.empty()) overflow_.resize(links->cores());
  if (overflow_[core].empty() && push_item(core, item)) {
    ++counters.ring_sent;
    return;
  }
  overflow_[core].push_back(std::move(item));
  ++overflow_items_;
}

bool EngineCore::push_item(uint32_t core, CrossCoreItem& item) {
  return links->ring(config.core_id, core).push_with([&](CrossCoreItem& it) {
    it.envelope = item.envelope;
    it.payload = std::move(item.payload);
    it.control = std::move(item.control);
    it.has_message = item.has_message;
  });
}

bool EngineCore::flush_overflow() {
  for (uint32_t core = 0; core < overflow_.size(); ++core) {
    auto& q = overflow_[core];
    while (!q.empty() && push_item(core, q.front())) {
      q.pop_front();
      --overflow_items_;
      ++counters.ring_sent;
      pending_wakes_ |= uint64_t(1) << core;
    }
  }
  return overflow_items_ != 0;
}

bool EngineCore::drain_rings() {
  uint32_t total = 0;
  for (uint32_t from = 0; from < links->cores(); ++from) {
    if (from == config.core_id) continue;
    total +=
        links->ring(from, config.core_id).drain(CoreLinks::kDrainBatch, [&](CrossCoreItem& it) {
          if (it.has_message) {
            it.has_message = false;
            if (!accept_from_ring(it)) {
              it.has_message = true;
              return false;
            }
          }
          if (it.control) {
            (*it.control)(*this);
            it.control.reset();
          }
          return true;
        });
  }
  counters.ring_received += total;
  return total != 0;
}

bool EngineCore::accept_from_ring(CrossCoreItem& it) {
  PD_ASSERT(hooks == nullptr, "a core of a MultiCoreEngine runs without simulator hooks");
  Cell* c = resolve_any(it.envelope.destination);
  if (c != nullptr && !c->proxy &&
      (c->state == ActorState::Running || c->state == ActorState::Starting)) {
    // Backpressure end to end: a message for a live actor whose mailbox is full waits at the
    // head of its ring (the actor is scheduled and will make room), so the ring fills and its
    // sender hears MailboxFull. Stopped or restarting actors never hold a ring up.
    if (c->mailbox.full()) return false;
    push_accepted(*c, it.envelope, it.payload);
    return true;
  }
  SendResult r = route_local(it.envelope, it.payload, kNoSlot, /*keep_id=*/true);
  if (!r) {
    dead_letter(it.envelope, "refused on arrival from another core", /*queued=*/false);
    it.payload.reset();
  }
  return true;
}

void EngineCore::flush_wakes() {
  while (pending_wakes_ != 0) {
    uint32_t core = uint32_t(__builtin_ctzll(pending_wakes_));
    pending_wakes_ &= pending_wakes_ - 1;
    EngineCore& other = *links->engines[core];
    if (other.parked.fetch_add(0, std::memory_order_acq_rel) == 0) continue;
    other.reactor->notify();
    ++counters.wakeups_sent;
  }
}

bool EngineCore::park_or_find_input() {
  parked.exchange(1, std::memory_order_acq_rel);
  if (links->has_input(config.core_id)) {
    parked.exchange(0, std::memory_order_acq_rel);
    return true;
  }
  return false;
}

bool EngineCore::spin_for_input() {
  uint64_t until = reactor->stamp_ns() + uint64_t(links->spin_before_sleep.count());
  do {
    for (int i = 0; i < 64; ++i) {
      if (links->has_input(config.core_id) || channel->has_commands()) return true;
      cpu_relax();
    }
  } while (reactor->stamp_ns() < until);
  return false;
}

uint64_t EngineCore::ring_depth_in() {
  uint64_t n = 0;
  for (uint32_t from = 0; from < links->cores(); ++from)
    if (from != config.core_id) n += links->ring(from, config.core_id).size();
  return n;
}

Expected<AddrHash, SpawnError> EngineCore::spawn_elsewhere(Cell& parent, ChildSpec spec,
                                                           uint64_t hash, uint32_t core) {
  if (parent.is_root()) {
    // A top-level actor: it lives under that core's own root. This is its path's home core
    // (top-level spawns are routed here), which answers for the name and forwards the path.
    placed_elsewhere_[hash] = core;
    bool system = parent.slot == system_root;
    post_control(core, [spec = std::move(spec), hash, system](EngineCore& owner) mutable {
      owner.adopt(nullptr, std::move(spec), hash, system);
    });
    return AddrHash(hash, 0);
  }
  // A child on another core: a proxy stands for it here, in its parent's tree.
  uint32_t slot = allocate_slot();
  Cell& c = cell(slot);
  c.incarnation = ((c.incarnation + 1) & kIncarnationMask) ? c.incarnation + 1 : 1;
  c.in_use = true;
  c.proxy = true;
  c.proxy_core = uint8_t(core);
  c.path_hash = hash;
  c.generation = make_generation(config.core_id, slot, c.incarnation);
  c.spec.name = spec.name;
  c.spec.restart = spec.restart;
  c.state = ActorState::Running;
  paths_.insert(hash, slot);
  link_child(parent, c);
  ++parent.children_alive;
  RemoteParent rp{parent.address(), path_of(parent), config.core_id, slot, c.generation};
  post_control(core, [rp = std::move(rp), spec = std::move(spec), hash](EngineCore& owner) mutable {
    owner.adopt(std::make_unique<RemoteParent>(std::move(rp)), std::move(spec), hash, false);
  });
  return AddrHash(hash, 0);
}

void EngineCore::adopt(std::unique_ptr<RemoteParent> rp, ChildSpec spec, uint64_t hash,
                       bool system) {
  Cell& root = cell(system ? system_root : user_root);
  const char* refused = nullptr;
  if (shutdown_started || shut_down || (!rp && root.state != ActorState::Running))
    refused = "the core it was placed on is shutting down";
  else if (paths_.find(hash) != PathTable::kNotFound)
    refused = "another path hashes to the same 64 bits on the core it was placed on";
  if (refused != nullptr) {
    if (rp) {
      post_control(rp->core, [slot = rp->proxy_slot, gen = rp->proxy_generation,
                              why = std::string(refused)](EngineCore& parent_core) {
        parent_core.on_remote_child_exited(slot, gen, StopReason::Kind::Error,
                                           ActorError::init(why), /*remove=*/true);
      });
    } else if (links->home_core(hash) != config.core_id) {
      note_placement(hash, /*placed=*/false);
    }
    return;
  }
  Cell* parent = rp ? nullptr : &root;  // (not in the call: rp is moved from there)
  admit(hash, std::move(spec), parent, std::move(rp));
}

void EngineCore::report_exit_to_parent_core(Cell& c, const StopReason& reason) {
  const RemoteParent& rp = *c.remote_parent;
  std::optional<ActorError> error;
  if (reason.kind == StopReason::Kind::Error) error = reason.error;
  post_control(rp.core,
               [slot = rp.proxy_slot, gen = rp.proxy_generation, kind = reason.kind,
                error = std::move(error), remove = c.remove_on_exit](EngineCore& parent_core) {
                 parent_core.on_remote_child_exited(slot, gen, kind, error, remove);
               });
}

void EngineCore::on_remote_child_exited(uint32_t proxy_slot, uint64_t proxy_generation,
                                        StopReason::Kind kind, std::optional<ActorError> error,
                                        bool remove) {
  if (proxy_slot >= slots_used_) return;
  Cell& px = cell(proxy_slot);
  if (!px.in_use || !px.proxy || px.generation != proxy_generation ||
      px.state == ActorState::Restarting)
    return;
  px.stop_kind = kind;
  if (error) px.ext().stop_error = std::move(error);
  if (remove) px.remove_on_exit = true;
  px.skip_on_stop = false;
  px.state = ActorState::Restarting;
  Cell& parent = cell(px.parent);
  PD_ASSERT(parent.children_alive > 0, "a child exited that its parent did not count");
  --parent.children_alive;
  on_child_exited(parent, px);
}

void EngineCore::stop_proxied_child(Cell& px, StopReason::Kind kind, bool drain,
                                    bool skip_on_stop) {
  // Already asked to stop: only an escalation to a kill says anything new.
  if (px.state == ActorState::Stopping && (!skip_on_stop || px.skip_on_stop)) return;
  if (px.state != ActorState::Stopping) px.stop_kind = kind;
  px.state = ActorState::Stopping;
  px.skip_on_stop = skip_on_stop;
  post_control(px.proxy_core, [hash = px.path_hash, core = config.core_id, slot = px.slot, kind,
                               drain, skip_on_stop](EngineCore& owner) {
    Cell* c = owner.adopted(hash, core, slot);
    if (c != nullptr && c->state != ActorState::Restarting)
      owner.begin_stop(*c, kind, std::nullopt, drain, skip_on_stop);
  });
}

Cell* EngineCore::adopted(uint64_t hash, uint32_t parent_core, uint32_t proxy_slot) {
  uint32_t slot = paths_.find(hash);
  if (slot == PathTable::kNotFound) return nullptr;
  Cell& c = cell(slot);
  if (!c.remote_parent || c.remote_parent->core != parent_core ||
      c.remote_parent->proxy_slot != proxy_slot)
    return nullptr;
  return &c;
}

void EngineCore::send_down(AddrHash watcher, Down down) {
  if (links != nullptr && !is_local(watcher)) {
    post_control(core_of(watcher), [watcher, down = std::move(down)](EngineCore& other) {
      other.send_down(watcher, down);
    });
    return;
  }
  Cell* wc = resolve(watcher);
  if (wc == nullptr) return;
  Signal s;
  s.kind = Signal::Kind::Down;
  s.slot = wc->slot;
  s.generation = wc->generation;
  s.down = std::make_unique<Down>(std::move(down));
  post_signal(std::move(s));
}

void EngineCore::monitor_from(AddrHash watcher, AddrHash target) {
  uint32_t owner = owner_core(target);
  if (owner != config.core_id) {
    post_control(owner,
                 [watcher, target](EngineCore& other) { other.monitor_from(watcher, target); });
    return;
  }
  Cell* t = resolve(target);
  if (t == nullptr || t->state == ActorState::Restarting) {
    send_down(watcher, Down{target, StopReason::normal(), false});
    return;
  }
  t->ext().watchers.push_back(watcher);
}

void EngineCore::demonitor_from(AddrHash watcher, AddrHash target) {
  uint32_t owner = owner_core(target);
  if (owner != config.core_id) {
    post_control(owner,
                 [watcher, target](EngineCore& other) { other.demonitor_from(watcher, target); });
    return;
  }
  Cell* t = resolve(target);
  if (t == nullptr || !t->extras) return;
  auto& v = t->extras->watchers;
  v.erase(std::remove(v.begin(), v.end(), watcher), v.end());
}

void EngineCore::watch_ask(uint64_t id, AddrHash target, uint32_t asker_core) {
  uint32_t owner = owner_core(target);
  if (owner != config.core_id) {  // the request went on to where the target lives
    post_control(owner,
                 [id, target, asker_core](EngineCore& o) { o.watch_ask(id, target, asker_core); });
    return;
  }
  Cell* t = resolve(target);
  if (t == nullptr) {
    fail_ask_on(asker_core, id);
    return;
  }
  // A request to a path whose actor is restarting waits for the next incarnation, which has
  // no generation yet to watch: the asker's timeout covers that one.
  if (t->state == ActorState::Restarting) return;
  remote_asks_.emplace(remote_ask_key(asker_core, id),
                       RemoteAsk{id, t->slot, t->generation, asker_core});
}

void EngineCore::fail_ask_on(uint32_t core, uint64_t id) {
  if (core == config.core_id) {
    Signal s;
    s.kind = Signal::Kind::AskFailed;
    s.ask_id = id;
    s.ask_error = AskError::no_response();
    post_signal(std::move(s));
    return;
  }
  post_control(core, [id](EngineCore& asker) {
    asker.complete_ask(id, Unexpected{AskError::no_response()});
  });
}

void EngineCore::place_elsewhere(uint64_t hash, uint32_t core) {
  placed_elsewhere_[hash] = core;
}

void EngineCore::clear_placement(uint64_t hash, uint32_t core) {
  auto it = placed_elsewhere_.find(hash);
  if (it != placed_elsewhere_.end() && it->second == core) placed_elsewhere_.erase(it);
}

void EngineCore::shutdown_all_cores() {
  for (EngineCore* other : links->engines)
    if (other != this) other->channel->post([](EngineCore& c) { c.begin_shutdown(); });
}

}  // namespace pd::detail
