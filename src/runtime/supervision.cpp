// What a supervisor does when one of its children has stopped: restart it (alone, with all
// its siblings, or with the ones started after it), remove it, or give up and fail itself
// when restarts exceed its intensity.
#include <string>

#include "context_impl.h"

namespace pd::detail {

namespace {

bool should_restart(RestartPolicy p, StopReason::Kind k) {
  switch (p) {
    case RestartPolicy::Permanent: return true;
    case RestartPolicy::Temporary: return false;
    case RestartPolicy::Transient:
      return k == StopReason::Kind::Error || k == StopReason::Kind::Killed;
  }
  return false;
}

}  // namespace

// True if one more restart fits the supervisor's intensity window (and records it).
static bool record_restart(SupervisorState& sup, const RestartIntensity& intensity, Instant now) {
  while (!sup.restarts.empty() && now - sup.restarts.front() >= intensity.window)
    sup.restarts.pop_front();
  if (sup.restarts.size() >= intensity.max_restarts) return false;
  sup.restarts.push_back(now);
  return true;
}

void EngineCore::restart(Cell& c) {
  PD_ASSERT(c.state == ActorState::Restarting, "restart of a live incarnation");
  if (c.proxy) {
    // The child's own core starts its next incarnation; the proxy keeps its generation, which
    // the child's exit reports name.
    c.state = ActorState::Running;
    c.in_group = false;
    c.remove_on_exit = false;
    c.extras.reset();
    c.stop_kind = StopReason::Kind::Normal;
    ++c.restart_count;
    ++cell(c.parent).children_alive;
    post_control(c.proxy_core,
                 [hash = c.path_hash, core = config.core_id, slot = c.slot](EngineCore& owner) {
                   Cell* child = owner.adopted(hash, core, slot);
                   if (child != nullptr && child->state == ActorState::Restarting)
                     owner.restart(*child);
                 });
    return;
  }
  uint32_t incarnation = ((c.incarnation + 1) & kIncarnationMask) ? c.incarnation + 1 : 1;
  c.incarnation = incarnation;
  c.generation = make_generation(config.core_id, c.slot, incarnation);
  c.state = ActorState::Starting;
  c.in_group = false;
  c.remove_on_exit = false;
  c.skip_on_stop = false;
  c.drain = false;
  c.extras.reset();
  c.stop_kind = StopReason::Kind::Normal;
  ++c.restart_count;
  ++stats.restarts;
  ++stats.live_actors;
  if (c.parent != kNoSlot) ++cell(c.parent).children_alive;
  if (observed()) emit(EngineEvent::Kind::Restarted, c);
  schedule(c);  // its next turn starts the new incarnation
}

void EngineCore::on_child_exited(Cell& p, Cell& c) {
  if (p.state == ActorState::Stopping || p.state == ActorState::Restarting) {
    remove_cell(c);
    maybe_finish_stop(p);
    return;
  }
  CellExtras& ext = p.ext();
  if (!ext.sup) ext.sup = std::make_unique<SupervisorState>();
  SupervisorState& sup = *ext.sup;
  if (c.in_group) {
    if (c.remove_on_exit) remove_cell(c);
    PD_ASSERT(sup.group_pending > 0, "a group member exited that the group did not count");
    if (--sup.group_pending == 0) restart_group(p);
    return;
  }
  if (c.remove_on_exit || !should_restart(c.spec.restart, c.stop_kind)) {
    remove_cell(c);
    return;
  }
  if (!record_restart(sup, p.spec.intensity(), reactor->now())) {
    if (observed()) emit(EngineEvent::Kind::IntensityExceeded, p);
    remove_cell(c);
    std::string why = "restart intensity exceeded: more than " +
                      std::to_string(p.spec.intensity_max) + " restarts in " +
                      std::to_string(p.spec.intensity_window.count() / 1000000) + " ms";
    if (p.is_root()) failure = ActorError::handler(why);
    fail(p, ActorError::handler(why));
    return;
  }
  if (observed()) emit(EngineEvent::Kind::SupervisorRestart, p);
  if (p.spec.strategy == SupervisionStrategy::OneForOne) {
    restart(c);
    return;
  }
  // OneForAll / RestForOne: stop the other members (reverse start order), restart them all
  // once the last has exited. The count starts at 1 to hold the group open while members
  // stop synchronously inside this loop.
  c.in_group = true;
  sup.group_pending = 1;
  std::vector<uint32_t> members;
  uint32_t first =
      p.spec.strategy == SupervisionStrategy::OneForAll ? p.first_child : c.next_sibling;
  for (uint32_t s = first; s != kNoSlot; s = cell(s).next_sibling)
    if (s != c.slot) members.push_back(s);
  for (auto it = members.rbegin(); it != members.rend(); ++it) {
    Cell& m = cell(*it);
    if (m.in_group) continue;
    m.in_group = true;
    if (m.state == ActorState::Restarting) continue;
    ++sup.group_pending;
    if (m.state != ActorState::Stopping)
      begin_stop(m, StopReason::Kind::Supervisor, std::nullopt, /*drain=*/true, false);
  }
  if (--sup.group_pending == 0) restart_group(p);
}

void EngineCore::restart_group(Cell& p) {
  // Start order; temporary members are removed instead of restarted.
  for (uint32_t s = p.first_child; s != kNoSlot;) {
    Cell& m = cell(s);
    s = m.next_sibling;
    if (!m.in_group) continue;
    m.in_group = false;
    if (m.spec.restart == RestartPolicy::Temporary)
      remove_cell(m);
    else
      restart(m);
  }
}

void EngineCore::on_root_exited(Cell& root) {
  bool was_user = root.slot == user_root;
  root.state = ActorState::Restarting;
  paths_.erase(root.path_hash);
  if (was_user) {
    shutdown_started = true;
    if (links != nullptr) shutdown_all_cores();
    begin_stop(cell(system_root), StopReason::Kind::Shutdown, std::nullopt, true, false);
    return;
  }
  // /system is last: the engine is done. Asks still waiting get NoResponse. (If /system
  // failed on its own, the other cores are asked to shut down too.)
  if (links != nullptr) shutdown_all_cores();
  shut_down = true;
  fail_pending_asks();
  if (links == nullptr) {
    channel->close();
  } else if (links->core_done()) {
    for (EngineCore* other : links->engines)
      if (other != this) other->reactor->notify();
  }
}

}  // namespace pd::detail
