// Stopping an incarnation: children first (reverse start order), then the drain (graceful
// stops only), then on_stop, then the supervisor is told. Every step may complete at once or
// later (a child still draining), so each is re-entered through maybe_finish_stop.
#include "context_impl.h"

namespace pd::detail {

void EngineCore::begin_stop(Cell& c, StopReason::Kind kind, std::optional<ActorError> error,
                            bool drain, bool skip_on_stop) {
  PD_ASSERT(c.in_use, "begin_stop on a free cell");
  if (c.state == ActorState::Restarting) return;  // no live incarnation to stop
  if (c.proxy) {
    stop_proxied_child(c, kind, drain, skip_on_stop);
    return;
  }
  if (c.state == ActorState::Stopping) {
    // Already stopping: a failure or a kill cuts the drain short; a kill also skips on_stop.
    if (!drain) c.drain = false;
    if (kind == StopReason::Kind::Killed || kind == StopReason::Kind::Error) {
      c.stop_kind = kind;
      if (error || c.extras) c.ext().stop_error = std::move(error);
    }
    if (!skip_on_stop || c.skip_on_stop) {
      maybe_finish_stop(c);
      return;
    }
    c.skip_on_stop = true;  // escalated to a kill: kill the children too
  } else {
    c.state = ActorState::Stopping;
    c.stop_kind = kind;
    if (error) c.ext().stop_error = std::move(error);
    c.skip_on_stop = skip_on_stop || c.spec.shutdown_kind == ShutdownPolicy::Kind::Brutal;
    c.drain = drain && !c.skip_on_stop;
  }
  uint64_t generation = c.generation;
  if (c.first_child != kNoSlot) {
    // Hold the cell open while its children stop, some of them synchronously.
    ++c.children_alive;
    std::vector<uint32_t> children;
    for (uint32_t s = c.last_child; s != kNoSlot; s = cell(s).prev_sibling) children.push_back(s);
    StopReason::Kind child_kind = c.skip_on_stop ? StopReason::Kind::Killed
                                  : kind == StopReason::Kind::Shutdown
                                      ? StopReason::Kind::Shutdown
                                      : StopReason::Kind::Hierarchical;
    for (uint32_t s : children) {
      Cell& ch = cell(s);
      if (!ch.in_use || ch.parent != c.slot || ch.state == ActorState::Restarting) continue;
      if (ch.state == ActorState::Stopping && !c.skip_on_stop) continue;
      begin_stop(ch, child_kind, std::nullopt, /*drain=*/!c.skip_on_stop, c.skip_on_stop);
    }
    --c.children_alive;
  }
  maybe_finish_stop(c);
  // Still waiting (children or drain): bound the wait by the shutdown policy.
  if (c.in_use && c.generation == generation && c.state == ActorState::Stopping &&
      !c.skip_on_stop && c.kill_timer() == 0 && c.spec.shutdown_timeout != Duration::max()) {
    TimerAction a;
    a.kind = TimerAction::Kind::StopDeadline;
    a.owner_slot = c.slot;
    a.owner_generation = c.generation;
    c.ext().kill_timer = arm_timer(c.spec.shutdown_timeout, std::move(a));
  }
}

void EngineCore::fail(Cell& c, ActorError error) {
  ++stats.failures;
  if (observed()) emit(EngineEvent::Kind::Failed, c, StopReason::failed(error));
  // A failed incarnation does not drain: what its mailbox holds waits for the next one.
  begin_stop(c, StopReason::Kind::Error, std::move(error), /*drain=*/false,
             /*skip_on_stop=*/false);
}

void EngineCore::kill(Cell& c) {
  begin_stop(c, StopReason::Kind::Killed, std::nullopt, /*drain=*/false, /*skip_on_stop=*/true);
}

void EngineCore::maybe_finish_stop(Cell& c) {
  if (c.state != ActorState::Stopping || c.children_alive > 0) return;
  if (c.drain && !c.mailbox.empty()) {
    schedule(c);
    return;
  }
  finish_stop(c);
}

void EngineCore::finish_stop(Cell& c) {
  paths_.prefetch(c.path_hash);  // for remove_cell, if the supervisor removes it
  if (c.kill_timer() != 0) {
    cancel_timer(c.extras->kill_timer);
    c.extras->kill_timer = 0;
  }
  // Children left now are dead incarnations that awaited a group restart.
  while (c.first_child != kNoSlot) remove_cell(cell(c.first_child));
  StopReason reason = c.stop_reason();
  if (!c.skip_on_stop && c.started && c.actor) {
    ContextImpl ctx(*this, c);
    (void)guarded([&] {
      c.actor->on_stop(ctx, reason);
      return HandlerResult{};
    });
  }
  c.actor.reset();
  c.started = false;
  c.drain = false;
  if (c.extras) {
    for (AddrHash w : c.extras->watchers) send_down(w, Down{c.address(), reason, true});
    c.extras.reset();  // watchers, supervisor history and the stop error die with the incarnation
  }
  fail_asks_targeting(c);
  if (!c.is_root()) {
    ++stats.actors_stopped;
    --stats.live_actors;
  }
  c.state = ActorState::Restarting;
  if (observed()) emit(EngineEvent::Kind::Stopped, c, reason);
  // Last: the supervisor may restart, remove or escalate, and c must not be touched after.
  if (c.remote_parent) {
    report_exit_to_parent_core(c, reason);  // it stays Restarting until its supervisor decides
  } else if (c.parent == kNoSlot) {
    on_root_exited(c);
  } else {
    Cell& p = cell(c.parent);
    PD_ASSERT(p.children_alive > 0, "a child exited that its parent did not count");
    --p.children_alive;
    on_child_exited(p, c);
  }
}

void EngineCore::remove_cell(Cell& c) {
  PD_ASSERT(c.state == ActorState::Restarting, "only a stopped incarnation can be removed");
  PD_ASSERT(c.first_child == kNoSlot, "a removed cell has no children");
  if (c.proxy) {
    post_control(c.proxy_core,
                 [hash = c.path_hash, core = config.core_id, slot = c.slot](EngineCore& owner) {
                   Cell* child = owner.adopted(hash, core, slot);
                   if (child != nullptr && child->state == ActorState::Restarting)
                     owner.remove_cell(*child);
                 });
  } else if (c.off_home) {
    note_placement(c.path_hash, /*placed=*/false);
  }
  unlink_child(c);
  drop_mailbox(c, "its actor stopped for good");
  paths_.erase(c.path_hash);
  uint32_t incarnation = c.incarnation;
  uint32_t slot = c.slot;
  c = Cell{};
  c.slot = slot;
  c.incarnation = incarnation;
  free_slots_.push_back(slot);
}

}  // namespace pd::detail
