#include "pd/sim/simulation.h"

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "pd/core/fnv.h"

namespace pd {

namespace {

std::string hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%llx", (unsigned long long)v);
  return buf;
}

std::string fmt_time(Instant t) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%12.6f", double(t.time_since_epoch().count()) / 1e9);
  return buf;
}

}  // namespace

// A scheduled fault: applied when virtual time reaches `at`.
struct Simulation::Scheduled {
  Duration at{};
  enum class Kind { Kill, Pause, PartitionStart, PartitionEnd } kind = Kind::Kill;
  const FaultPlan::Kill* kill = nullptr;
  const FaultPlan::Pause* pause = nullptr;
  const FaultPlan::Partition* partition = nullptr;
};

Simulation::Simulation(SimOptions options)
    : options_(std::move(options)), trace_(options_.keep_trace) {
  auto reactor = std::make_unique<SimReactor>(options_.seed);
  reactor_ = reactor.get();
  engine_ = std::make_unique<Engine>(options_.engine, std::move(reactor));
  engine_->set_hooks(this);
  const FaultPlan& f = options_.faults;
  for (const auto& k : f.kills)
    schedule_.push_back({k.at, Scheduled::Kind::Kill, &k, nullptr, nullptr});
  for (const auto& p : f.pauses)
    schedule_.push_back({p.at, Scheduled::Kind::Pause, nullptr, &p, nullptr});
  for (const auto& p : f.partitions) {
    schedule_.push_back({p.at, Scheduled::Kind::PartitionStart, nullptr, nullptr, &p});
    schedule_.push_back({p.at + p.length, Scheduled::Kind::PartitionEnd, nullptr, nullptr, &p});
  }
  std::stable_sort(schedule_.begin(), schedule_.end(),
                   [](const Scheduled& a, const Scheduled& b) { return a.at < b.at; });
}

Simulation::~Simulation() {
  engine_->set_hooks(nullptr);
}

void Simulation::add_step_invariant(std::string name, InvariantCheck check) {
  step_checks_.push_back({std::move(name), std::move(check)});
}

void Simulation::add_final_invariant(std::string name, InvariantCheck check) {
  final_checks_.push_back({std::move(name), std::move(check)});
}

void Simulation::note(std::string_view what, uint64_t value) {
  std::string line;
  if (trace_.keep_lines())
    line = fmt_time(reactor_->now()) + " note " + std::string(what) + " " + std::to_string(value);
  trace_.record(Trace::Kind::Note, reactor_->now(), fnv1a64(what), value, 0, std::move(line));
}

bool Simulation::chance(double rate) {
  if (rate <= 0) return false;
  if (rate >= 1) return true;
  // 53 random bits against the rate: exact and portable (no floating-point RNG library).
  return double(reactor_->rng().next() >> 11) * 0x1.0p-53 < rate;
}

std::string Simulation::describe(AddrHash a) const {
  if (a.is_null()) return "outside";
  if (auto info = engine_->info(a)) return info->path;
  return a.to_string();
}

// Sent by no actor: from the Engine API (null source) or an EngineHandle (the engine's own
// address, the path hash of "/"). Such messages are never faulted.
bool Simulation::from_outside(const Envelope& e) const {
  static const uint64_t engine_path_hash = fnv1a64("/");
  return e.source.is_null() || e.source.path_hash() == engine_path_hash;
}

bool Simulation::in_scope(AddrHash a) const {
  if (a.is_null()) return false;
  // A path's hash names the path, whatever the incarnation: cache the answer per hash.
  auto cached = scope_cache_.find(a.path_hash());
  if (cached != scope_cache_.end()) return cached->second;
  auto info = engine_->info(a);
  if (!info) return false;
  auto path = ActorPath::parse(info->path);
  auto scope = ActorPath::parse(options_.faults.scope);
  bool in = path && scope && path->starts_with(*scope);
  scope_cache_.emplace(a.path_hash(), in);
  return in;
}

bool Simulation::partitioned(AddrHash from, AddrHash to) const {
  if (active_partitions_.empty() || from.is_null()) return false;
  auto from_info = engine_->info(from);
  auto to_info = engine_->info(to);
  if (!from_info || !to_info) return false;
  auto group_of = [](const FaultPlan::Partition& p, const std::string& path) -> int {
    auto parsed = ActorPath::parse(path);
    for (size_t g = 0; g < p.groups.size(); ++g)
      for (const auto& prefix : p.groups[g]) {
        auto pre = ActorPath::parse(prefix);
        if (parsed && pre && parsed->starts_with(*pre)) return int(g);
      }
    return -1;
  };
  for (const auto* p : active_partitions_) {
    int a = group_of(*p, from_info->path), b = group_of(*p, to_info->path);
    if (a >= 0 && b >= 0 && a != b) return true;
  }
  return false;
}

uint64_t Simulation::pick_next(uint64_t ready) {
  uint64_t i = reactor_->rng().below(ready);
  trace_.record(Trace::Kind::Pick, reactor_->now(), ready, i, 0,
                trace_.keep_lines() ? fmt_time(reactor_->now()) + " pick " + std::to_string(i) +
                                          " of " + std::to_string(ready)
                                    : std::string());
  return i;
}

uint64_t Simulation::timer_tiebreak() {
  return reactor_->rng().next();
}

SendFate Simulation::on_send(const Envelope& e, bool can_duplicate) {
  Instant now = reactor_->now();
  auto record = [&](const char* what, uint64_t code, Duration d = {}) {
    std::string line;
    if (trace_.keep_lines())
      line = fmt_time(now) + " fault " + what + " id=" + hex(uint64_t(e.message_id)) + " " +
             describe(e.source) + " -> " + describe(e.destination) +
             (d.count() ? " by " + std::to_string(d.count()) + "ns" : "");
    trace_.record(Trace::Kind::Fault, now, code, uint64_t(e.message_id), uint64_t(d.count()),
                  std::move(line));
  };
  trace_.record(Trace::Kind::Send, now, uint64_t(e.message_id), e.destination.path_hash(),
                e.type_tag,
                trace_.keep_lines() ? fmt_time(now) + " send id=" + hex(uint64_t(e.message_id)) +
                                          " " + describe(e.source) + " -> " +
                                          describe(e.destination) + " tag=" + hex(e.type_tag)
                                    : std::string());
  if (!active_partitions_.empty() && partitioned(e.source, e.destination)) {
    ++faults_.partitioned;
    record("partition-drop", 6);
    return SendFate::drop();
  }
  const FaultPlan& f = options_.faults;
  if (!f.any_rate() || from_outside(e) || !in_scope(e.destination)) return SendFate::deliver();
  if (chance(f.drop_rate)) {
    ++faults_.dropped;
    record("drop", 1);
    return SendFate::drop();
  }
  if (can_duplicate && chance(f.duplicate_rate)) {
    ++faults_.duplicated;
    record("duplicate", 2);
    return SendFate::duplicate();
  }
  if (chance(f.delay_rate)) {
    Duration d(int64_t(reactor_->rng().below(uint64_t(f.delay_max.count()) + 1)));
    ++faults_.delayed;
    record("delay", 3, d);
    return SendFate::delay_by(d);
  }
  if (chance(f.reorder_rate)) {
    Duration d(int64_t(reactor_->rng().below(uint64_t(f.reorder_max.count()) + 1)));
    ++faults_.reordered;
    record("reorder", 4, d);
    return SendFate::delay_by(d);
  }
  return SendFate::deliver();
}

std::optional<ActorError> Simulation::before_handle(const Envelope& e) {
  const FaultPlan& f = options_.faults;
  if (f.crash_rate <= 0 || from_outside(e) || !in_scope(e.destination) || !chance(f.crash_rate))
    return std::nullopt;
  ++faults_.crashed;
  Instant now = reactor_->now();
  trace_.record(Trace::Kind::Fault, now, 5, uint64_t(e.message_id), 0,
                trace_.keep_lines() ? fmt_time(now) + " fault crash " + describe(e.destination) +
                                          " on id=" + hex(uint64_t(e.message_id))
                                    : std::string());
  return ActorError::handler("injected crash");
}

void Simulation::on_turn(AddrHash actor, Instant now) {
  trace_.record(Trace::Kind::Turn, now, actor.path_hash(), actor.generation(), 0,
                trace_.keep_lines() ? fmt_time(now) + " turn " + describe(actor) : std::string());
  if (failure_) return;
  for (const Check& c : step_checks_) {
    if (auto what = c.fn(*this)) {
      fail(c.name, *what);
      return;
    }
  }
  if (engine_->stats().messages_delivered > options_.messages_max)
    fail("messages_max", "more than " + std::to_string(options_.messages_max) +
                             " messages handled: a runaway scenario");
}

void Simulation::on_deliver(const Envelope& e, Instant now) {
  trace_.record(Trace::Kind::Deliver, now, uint64_t(e.message_id), e.destination.path_hash(),
                e.type_tag,
                trace_.keep_lines() ? fmt_time(now) + " deliver id=" + hex(uint64_t(e.message_id)) +
                                          " to " + describe(e.destination)
                                    : std::string());
}

void Simulation::on_lifecycle(const EngineEvent& e, Instant now) {
  trace_.record(
      Trace::Kind::Lifecycle, now, uint64_t(e.kind), e.address.path_hash(), e.address.generation(),
      trace_.keep_lines()
          ? fmt_time(now) + " " + to_string(e.kind) + " " + e.path +
                (e.kind == EngineEvent::Kind::Failed || e.kind == EngineEvent::Kind::Stopped
                     ? " " + to_string(e.reason)
                     : std::string())
          : std::string());
  events_.push_back(e);
  if (check_intensity_ && e.kind == EngineEvent::Kind::SupervisorRestart)
    check_restart_intensity(e, now);
}

void Simulation::on_dead_letter(const Envelope& e, const char* why, Instant now) {
  trace_.record(
      Trace::Kind::DeadLetter, now, uint64_t(e.message_id), fnv1a64(why), 0,
      trace_.keep_lines()
          ? fmt_time(now) + " dead-letter id=" + hex(uint64_t(e.message_id)) + " (" + why + ")"
          : std::string());
}

void Simulation::fail(std::string invariant, std::string detail) {
  if (failure_) return;
  Instant now = reactor_->now();
  trace_.record(Trace::Kind::Invariant, now, fnv1a64(invariant), 0, 0,
                trace_.keep_lines()
                    ? fmt_time(now) + " INVARIANT FAILED " + invariant + ": " + detail
                    : std::string());
  failure_ = InvariantFailure{std::move(invariant), std::move(detail), now};
  engine_->interrupt();
}

void Simulation::apply_scheduled_faults_until(Instant t) {
  while (next_scheduled_ < schedule_.size() && Instant(schedule_[next_scheduled_].at) <= t) {
    const Scheduled& s = schedule_[next_scheduled_++];
    Instant now = reactor_->now();
    switch (s.kind) {
      case Scheduled::Kind::Kill: {
        auto target = engine_->lookup(s.kill->path);
        bool done = target && engine_->kill_actor(*target, /*remove=*/false).has_value();
        if (done) ++faults_.killed;
        trace_.record(Trace::Kind::Fault, now, 7, fnv1a64(s.kill->path), done ? 1 : 0,
                      trace_.keep_lines() ? fmt_time(now) + " fault kill " + s.kill->path +
                                                (done ? "" : " (no such actor)")
                                          : std::string());
        break;
      }
      case Scheduled::Kind::Pause:
        ++faults_.paused;
        trace_.record(Trace::Kind::Fault, now, 8, uint64_t(s.pause->length.count()), 0,
                      trace_.keep_lines() ? fmt_time(now) + " fault pause " +
                                                std::to_string(s.pause->length.count()) + "ns"
                                          : std::string());
        reactor_->advance(s.pause->length);  // nothing ran meanwhile: timers fire late
        break;
      case Scheduled::Kind::PartitionStart:
        active_partitions_.push_back(s.partition);
        trace_.record(
            Trace::Kind::Fault, now, 9, s.partition->groups.size(), 0,
            trace_.keep_lines() ? fmt_time(now) + " fault partition begins" : std::string());
        break;
      case Scheduled::Kind::PartitionEnd:
        active_partitions_.erase(
            std::remove(active_partitions_.begin(), active_partitions_.end(), s.partition),
            active_partitions_.end());
        trace_.record(
            Trace::Kind::Fault, now, 10, s.partition->groups.size(), 0,
            trace_.keep_lines() ? fmt_time(now) + " fault partition ends" : std::string());
        break;
    }
  }
}

SimResult Simulation::run(const std::function<void(Simulation&)>& setup) {
  auto wall0 = std::chrono::steady_clock::now();
  setup(*this);
  const Instant end = Instant(options_.duration);
  // Each scheduled fault applies at its instant before anything else due then: run what is
  // due strictly before it, move the clock to it, apply it. A fault scheduled inside a pause
  // applies when the core resumes. The run ends at `end` (a pause does not lengthen it).
  while (!failure_ && !engine_->is_shut_down()) {
    Instant now = reactor_->now();
    Instant next = end;
    if (next_scheduled_ < schedule_.size())
      next = std::min(next, Instant(schedule_[next_scheduled_].at));
    if (next > now) engine_->run_for(next - now - Duration(1));
    if (failure_ || engine_->is_shut_down()) break;
    if (reactor_->now() < next) reactor_->advance(next - reactor_->now());
    apply_scheduled_faults_until(reactor_->now());
    if (reactor_->now() >= end) {
      engine_->run_for(Duration(0));  // what is due at the end instant itself
      break;
    }
  }
  if (!failure_) {
    engine_->shutdown();
    engine_->run();
  }
  if (!failure_) {
    for (const Check& c : final_checks_) {
      if (auto what = c.fn(*this)) {
        fail(c.name, *what);
        break;
      }
    }
  }
  SimResult r;
  r.seed = options_.seed;
  r.trace_hash = trace_.hash();
  r.trace_events = trace_.events();
  r.stats = engine_->stats();
  r.messages = r.stats.messages_delivered;
  r.simulated_seconds = double(reactor_->now().time_since_epoch().count()) / 1e9;
  r.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  r.faults = faults_;
  r.failure = failure_;
  return r;
}

void Simulation::add_builtin_invariants() {
  add_final_invariant("no_message_lost", [](const Simulation& s) -> std::optional<std::string> {
    const EngineStats& st = s.engine().stats();
    // After shutdown every mailbox is empty: each accepted message was handled or dropped
    // with a recorded cause (a crash, a kill, a stop, or its incarnation being replaced).
    if (st.messages_sent == st.messages_delivered + st.dead_letters) return std::nullopt;
    return "accepted " + std::to_string(st.messages_sent) + " messages into mailboxes but " +
           std::to_string(st.messages_delivered) + " were handled and " +
           std::to_string(st.dead_letters) + " dropped with a cause";
  });
  add_final_invariant("no_actor_after_shutdown",
                      [](const Simulation& s) -> std::optional<std::string> {
                        const Engine& e = s.engine();
                        if (e.is_shut_down() && e.stats().live_actors == 0) return std::nullopt;
                        return std::to_string(e.stats().live_actors) +
                               " actors still alive after shutdown (shut down: " +
                               (e.is_shut_down() ? "yes" : "no") + ")";
                      });
  check_intensity_ = true;  // checked as each restart decision happens (on_lifecycle)
}

void Simulation::check_restart_intensity(const EngineEvent& e, Instant now) {
  auto info = engine_->info(e.address);
  if (!info) return;
  // Per incarnation of the supervisor: a restarted supervisor starts with a fresh history.
  auto& window = restart_history_[{e.address.path_hash(), e.address.generation()}];
  Duration length(info->intensity_window_ns);
  while (!window.empty() && now - window.front() >= length) window.pop_front();
  if (window.size() >= info->intensity_max_restarts) {
    fail("restarts_within_intensity",
         e.path + " restarted a child " + std::to_string(window.size() + 1) + " times within " +
             std::to_string(length.count() / 1000000) + " ms; its intensity allows " +
             std::to_string(info->intensity_max_restarts));
    return;
  }
  window.push_back(now);
}

}  // namespace pd
