// Timers, asks, monitors and introspection: services the engine offers actors around the
// plain send path.
#include <algorithm>

#include "context_impl.h"

namespace pd::detail {

namespace {
// A periodic timer never fires more often than this, so a zero period cannot spin the loop.
constexpr Duration kIntervalMin = std::chrono::microseconds(1);

bool owner_alive(const Cell& c, uint64_t generation) {
  return c.in_use && c.generation == generation &&
         (c.state == ActorState::Running || c.state == ActorState::Stopping);
}
}  // namespace

TimerEntry EngineCore::timer_entry(Instant deadline, uint64_t id) {
  return TimerEntry{deadline, hooks ? hooks->timer_tiebreak() : 0, timer_seq_++, id};
}

uint64_t EngineCore::arm_timer(Duration delay, TimerAction action) {
  if (delay < Duration::zero()) delay = Duration::zero();
  uint64_t id = next_timer_id_++;
  Instant now = reactor->now();
  Instant deadline = (kInstantNever - now) <= delay ? kInstantNever : now + delay;
  timer_heap_.push(timer_entry(deadline, id));
  timer_actions_.emplace(id, std::move(action));
  return id;
}

bool EngineCore::cancel_timer(uint64_t id) {
  return timer_actions_.erase(id) > 0;
}

Instant EngineCore::next_timer_deadline() {
  // Drop what can no longer do anything (cancelled, or owned by a stopped incarnation), so an
  // idle engine does not wait for a dead actor's timer.
  while (!timer_heap_.empty()) {
    auto it = timer_actions_.find(timer_heap_.top().id);
    if (it != timer_actions_.end()) {
      const TimerAction& a = it->second;
      bool owned = a.kind == TimerAction::Kind::Send || a.kind == TimerAction::Kind::Interval;
      if (!owned || owner_alive(cell(a.owner_slot), a.owner_generation)) break;
      timer_actions_.erase(it);
    }
    timer_heap_.pop();
  }
  return timer_heap_.empty() ? kInstantNever : timer_heap_.top().deadline;
}

void EngineCore::fire_due_timers() {
  if (timer_heap_.empty()) return;
  Instant now = reactor->now();
  while (!timer_heap_.empty() && timer_heap_.top().deadline <= now) {
    TimerEntry t = timer_heap_.top();
    timer_heap_.pop();
    auto it = timer_actions_.find(t.id);
    if (it == timer_actions_.end()) continue;  // cancelled
    TimerAction& a = it->second;
    switch (a.kind) {
      case TimerAction::Kind::Send: {
        TimerAction fired = std::move(a);
        timer_actions_.erase(it);
        Cell& owner = cell(fired.owner_slot);
        if (!owner_alive(owner, fired.owner_generation)) break;
        fired.envelope.source = owner.address();
        (void)route(fired.envelope, fired.payload, owner.slot);
        break;
      }
      case TimerAction::Kind::Interval: {
        Cell& owner = cell(a.owner_slot);
        if (!owner_alive(owner, a.owner_generation)) {
          timer_actions_.erase(it);
          break;
        }
        Envelope e = a.envelope;
        e.source = owner.address();
        MessagePayload p = a.make_payload();
        Duration period = std::max(a.period, kIntervalMin);
        Instant next = t.deadline + period;
        if (next <= now) next = now + period;  // missed ticks are skipped, not replayed
        timer_heap_.push(timer_entry(next, t.id));
        (void)route(e, p, owner.slot);
        break;
      }
      case TimerAction::Kind::AskTimeout: {
        uint64_t ask_id = a.ask_id;
        timer_actions_.erase(it);
        complete_ask(ask_id, Unexpected{AskError::timeout()});
        break;
      }
      case TimerAction::Kind::DelayedDelivery: {
        TimerAction held = std::move(a);
        timer_actions_.erase(it);
        --stats.messages_delayed;
        Cell* c = resolve(held.envelope.destination);
        bool open =
            c &&
            (c->state == ActorState::Starting || c->state == ActorState::Running ||
             (c->state == ActorState::Restarting && held.envelope.destination.is_path_address()));
        if (!open)
          dead_letter(held.envelope, "delayed past its destination's end", /*queued=*/false);
        else if (!push_accepted(*c, held.envelope, held.payload))
          dead_letter(held.envelope, "delayed into a full mailbox", /*queued=*/false);
        break;
      }
      case TimerAction::Kind::StopDeadline: {
        uint32_t slot = a.owner_slot;
        uint64_t generation = a.owner_generation;
        timer_actions_.erase(it);
        Cell& c = cell(slot);
        if (c.in_use && c.generation == generation && c.state == ActorState::Stopping) {
          c.extras->kill_timer = 0;
          kill(c);
        }
        break;
      }
    }
  }
}

void EngineCore::ask(uint32_t asker_slot, Envelope e, MessagePayload p, Duration timeout,
                     AskCallback cb, std::function<void(AskResult)> external) {
  PendingAsk pa;
  pa.asker_slot = asker_slot;
  pa.asker_generation = asker_slot == kNoSlot ? 0 : cell(asker_slot).generation;
  pa.callback = std::move(cb);
  pa.external = std::move(external);
  if (Cell* target = resolve(e.destination)) {
    pa.target_slot = target->slot;
    pa.target_generation = target->generation;
  }
  SendResult sent;
  uint32_t owner = links != nullptr ? owner_core(e.destination) : config.core_id;
  if (owner != config.core_id) {
    // The request, then on the same ring a watch: if the target stops without answering,
    // its core tells this one (NoResponse), as a local target's stop would.
    e.message_id = next_message_id_++;
    auto watch = std::make_unique<ControlStep>(
        [id = uint64_t(e.message_id), target = e.destination,
         asker_core = config.core_id](EngineCore& o) { o.watch_ask(id, target, asker_core); });
    sent = forward(owner, e, p, std::move(watch));
    if (sent) pa.watch_core = owner;
  } else {
    sent = route(e, p, asker_slot);
  }
  uint64_t id = sent ? uint64_t(e.message_id) : uint64_t(next_message_id_++);
  if (sent) {
    TimerAction a;
    a.kind = TimerAction::Kind::AskTimeout;
    a.ask_id = id;
    pa.timer = arm_timer(timeout, std::move(a));
  }
  pending_asks_.emplace(id, std::move(pa));
  if (!sent) {
    // Reported in the asker's next signal phase, never from inside ask() itself.
    Signal s;
    s.kind = Signal::Kind::AskFailed;
    s.ask_id = id;
    s.ask_error = AskError::send(sent.error());
    post_signal(std::move(s));
  }
}

void EngineCore::complete_ask(uint64_t id, AskResult result) {
  auto it = pending_asks_.find(id);
  if (it == pending_asks_.end()) return;  // already answered
  PendingAsk pa = std::move(it->second);
  pending_asks_.erase(it);
  if (pa.timer != 0) cancel_timer(pa.timer);
  if (pa.watch_core != kNoSlot && !result) {
    // Timed out (or failed) here: the target's core drops its watch. (A reply or its
    // NoResponse removed it there already; the watch may also have moved on, once.)
    post_control(pa.watch_core, [key = remote_ask_key(config.core_id, id)](EngineCore& t) {
      t.remote_asks_.erase(key);
    });
  }
  if (pa.asker_slot == kNoSlot) {
    if (pa.external) pa.external(std::move(result));
    return;
  }
  Cell& asker = cell(pa.asker_slot);
  if (!owner_alive(asker, pa.asker_generation) || !asker.started) return;
  ContextImpl ctx(*this, asker);
  HandlerResult r = guarded([&] {
    pa.callback(ctx, std::move(result));
    return HandlerResult{};
  });
  if (!r)
    fail(asker, r.error());
  else if (ctx.stop_requested())
    begin_stop(asker, StopReason::Kind::Normal, std::nullopt, false, false);
}

void EngineCore::fail_pending_asks() {
  std::vector<uint64_t> ids;  // (completing an ask may run a callback that asks again)
  for (auto& [id, pa] : pending_asks_) ids.push_back(id);
  for (uint64_t id : ids) complete_ask(id, Unexpected{AskError::no_response()});
}

void EngineCore::fail_asks_targeting(const Cell& c) {
  for (auto it = remote_asks_.begin(); it != remote_asks_.end();) {
    if (it->second.target_slot != c.slot || it->second.target_generation != c.generation) {
      ++it;
      continue;
    }
    fail_ask_on(it->second.asker_core, it->second.id);
    it = remote_asks_.erase(it);
  }
  if (pending_asks_.empty()) return;
  for (auto& [id, pa] : pending_asks_) {
    if (pa.target_slot != c.slot || pa.target_generation != c.generation) continue;
    Signal s;
    s.kind = Signal::Kind::AskFailed;
    s.ask_id = id;
    s.ask_error = AskError::no_response();
    post_signal(std::move(s));
  }
}

void EngineCore::monitor(uint32_t watcher_slot, AddrHash target) {
  Cell& w = cell(watcher_slot);
  if (links != nullptr) {
    monitor_from(w.address(), target);  // wherever the target lives
    return;
  }
  Cell* t = resolve(target);
  if (t == nullptr || t->state == ActorState::Restarting) {
    Signal s;
    s.kind = Signal::Kind::Down;
    s.slot = watcher_slot;
    s.generation = w.generation;
    s.down = std::make_unique<Down>(Down{target, StopReason::normal(), false});
    post_signal(std::move(s));
    return;
  }
  t->ext().watchers.push_back(w.address());
}

void EngineCore::demonitor(uint32_t watcher_slot, AddrHash target) {
  if (links != nullptr) {
    demonitor_from(cell(watcher_slot).address(), target);
    return;
  }
  Cell* t = resolve(target);
  if (t == nullptr || !t->extras) return;
  AddrHash w = cell(watcher_slot).address();
  auto& v = t->extras->watchers;
  v.erase(std::remove(v.begin(), v.end(), w), v.end());
}

ActorInfo EngineCore::info_of(const Cell& c) const {
  ActorInfo i;
  i.path = path_of(c);
  i.address = c.address();
  i.state = c.state;
  i.core_id = config.core_id;
  i.mailbox_depth = c.mailbox.size();
  i.mailbox_capacity = c.mailbox.capacity();
  i.restart_count = c.restart_count;
  i.message_count = c.message_count;
  i.total_compute_time_ns = c.compute_ns;
  i.intensity_max_restarts = c.spec.intensity_max;
  i.intensity_window_ns = c.spec.intensity_window.count();
  return i;
}

std::vector<ActorInfo> EngineCore::query(const ActorQuery& q) const {
  std::vector<ActorInfo> out;
  auto prefix = ActorPath::parse(q.path_prefix);
  if (!prefix) return out;
  for (uint32_t s = 0; s < slots_used_; ++s) {
    const Cell& c = cell(s);
    if (!c.in_use || c.proxy || (c.is_root() && c.state == ActorState::Restarting)) continue;
    if (q.state && c.state != *q.state) continue;
    ActorInfo i = info_of(c);
    auto path = ActorPath::parse(i.path);
    if (path && path->starts_with(*prefix)) out.push_back(std::move(i));
  }
  return out;
}

void EngineCore::emit(EngineEvent::Kind kind, const Cell& c, StopReason reason) {
  if (!observed()) return;
  EngineEvent e{kind, path_of(c), c.address(), std::move(reason)};
  if (hooks) hooks->on_lifecycle(e, reactor->now());
  if (listener) listener(e);
}

}  // namespace pd::detail
