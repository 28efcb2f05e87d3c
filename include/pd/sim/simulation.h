// Simulation: one whole engine run on virtual time, driven by one seed.
//
// The engine runs unchanged on a SimReactor; the simulation installs EngineHooks that draw
// every scheduling choice (which ready actor runs next, the order of timers due at the same
// instant) and every fault from the seed's generator (xoshiro256**), and folds each decision
// and delivery into a Trace whose hash identifies the run. Same seed, same scenario, same
// build: same hash, in one process or across processes.
//
// run(): setup, then the engine runs for `duration` of virtual time with the scheduled faults
// applied at their instants, then an orderly shutdown, then the final invariants. Step
// invariants run before every actor turn; the first failure stops the run.
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "pd/reactor/sim_reactor.h"
#include "pd/runtime/engine.h"
#include "pd/sim/fault_plan.h"
#include "pd/sim/trace.h"

namespace pd {

struct SimOptions {
  uint64_t seed = 0;
  Duration duration = std::chrono::seconds(1);  // virtual time before the shutdown begins
  FaultPlan faults;
  EngineConfig engine;
  bool keep_trace = false;  // keep readable trace lines (memory grows with the run)
  // Stop a run that handles more than this many messages (a runaway scenario).
  uint64_t messages_max = 50'000'000;
};

struct InvariantFailure {
  std::string invariant;
  std::string detail;
  Instant at{};
};

struct SimResult {
  uint64_t seed = 0;
  uint64_t trace_hash = 0;
  uint64_t trace_events = 0;
  uint64_t messages = 0;  // handed to handlers
  double simulated_seconds = 0;
  double wall_seconds = 0;
  FaultCounts faults;
  EngineStats stats;
  std::optional<InvariantFailure> failure;
  bool ok() const { return !failure.has_value(); }
};

class Simulation;
// A check returns a description of what is wrong, or nullopt when all is well.
using InvariantCheck = std::function<std::optional<std::string>(const Simulation&)>;

class Simulation final : private EngineHooks {
 public:
  explicit Simulation(SimOptions options);
  ~Simulation() override;
  Simulation(const Simulation&) = delete;
  Simulation& operator=(const Simulation&) = delete;

  Engine& engine() { return *engine_; }
  const Engine& engine() const { return *engine_; }
  SimReactor& reactor() { return *reactor_; }
  const SimOptions& options() const { return options_; }
  const Trace& trace() const { return trace_; }
  const FaultCounts& faults() const { return faults_; }
  // Lifecycle events so far, in order (for checks).
  const std::vector<EngineEvent>& events() const { return events_; }

  // Checked before every actor turn (keep them cheap) / once after the shutdown.
  void add_step_invariant(std::string name, InvariantCheck check);
  void add_final_invariant(std::string name, InvariantCheck check);
  // Records a note in the trace (scenario code may mark its own milestones).
  void note(std::string_view what, uint64_t value = 0);

  // The built-in invariants (see docs/simulation.md): messages are conserved; restarts stay
  // within each supervisor's intensity; after shutdown no actor is left.
  void add_builtin_invariants();

  SimResult run(const std::function<void(Simulation&)>& setup);

 private:
  uint64_t pick_next(uint64_t ready) override;
  uint64_t timer_tiebreak() override;
  SendFate on_send(const Envelope& e, bool can_duplicate) override;
  std::optional<ActorError> before_handle(const Envelope& e) override;
  void on_turn(AddrHash actor, Instant now) override;
  void on_deliver(const Envelope& e, Instant now) override;
  void on_lifecycle(const EngineEvent& e, Instant now) override;
  void on_dead_letter(const Envelope& e, const char* why, Instant now) override;

  bool chance(double rate);
  bool in_scope(AddrHash a) const;
  bool from_outside(const Envelope& e) const;
  bool partitioned(AddrHash from, AddrHash to) const;
  void fail(std::string invariant, std::string detail);
  void apply_scheduled_faults_until(Instant t);
  std::string describe(AddrHash a) const;
  void check_restart_intensity(const EngineEvent& e, Instant now);

  struct Check {
    std::string name;
    InvariantCheck fn;
  };
  SimOptions options_;
  SimReactor* reactor_;  // owned by the engine
  std::unique_ptr<Engine> engine_;
  Trace trace_;
  FaultCounts faults_;
  std::vector<Check> step_checks_;
  std::vector<Check> final_checks_;
  std::vector<EngineEvent> events_;
  std::optional<InvariantFailure> failure_;
  struct Scheduled;
  std::vector<Scheduled> schedule_;
  size_t next_scheduled_ = 0;
  std::vector<const FaultPlan::Partition*> active_partitions_;
  bool check_intensity_ = false;
  mutable std::unordered_map<uint64_t, bool> scope_cache_;  // path hash -> under faults.scope
  // Restart decisions per supervisor incarnation (path hash, generation).
  std::map<std::pair<uint64_t, uint64_t>, std::deque<Instant>> restart_history_;
};

}  // namespace pd
