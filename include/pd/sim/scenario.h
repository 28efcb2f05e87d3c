// Scenario: a simulation described in TOML (examples/sim/*.toml), built from a library of
// behaviours (docs/simulation.md lists them and their keys). Unknown keys, sections and
// behaviours are errors that name the key and its line.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "pd/sim/simulation.h"

namespace pd {

struct ScenarioError {
  std::string file;
  int line = 0;  // 0 when not tied to a line
  std::string message;
  std::string to_string() const;
};

struct ActorDecl {
  std::string name;
  std::string parent = "/user";
  std::string behaviour;
  ChildSpec policy;  // restart, shutdown, mailbox, strategy, intensity (no factory)
  // Behaviour parameters: target paths, counts, intervals (ms), rates.
  std::string target;
  std::string tag;
  uint64_t count = 0;
  int64_t interval_ms = 0;
  double fail_rate = 0;
  int line = 0;
};

// What behaviours share during one run, read by checks: named counters.
struct ScenarioWorld {
  std::map<std::string, int64_t> counters;
  int64_t& operator[](const std::string& k) { return counters[k]; }
  int64_t get(const std::string& k) const {
    auto it = counters.find(k);
    return it == counters.end() ? 0 : it->second;
  }
};

// A user-defined check, C++ side, referred to by name from a scenario's [invariants].
using ScenarioCheck =
    std::function<std::optional<std::string>(const Simulation&, const ScenarioWorld&)>;

struct Scenario {
  std::string file;
  SimOptions options;  // duration, faults, messages_max (the seed is set per run)
  std::vector<ActorDecl> actors;
  bool builtin_invariants = true;
  std::vector<std::string> checks;  // names in the check registry

  static Expected<Scenario, ScenarioError> load(const std::string& path);
  static Expected<Scenario, ScenarioError> parse(const std::string& text, const std::string& name);

  // Runs the scenario with `seed`; keep_trace keeps the readable trace.
  SimResult run(uint64_t seed, bool keep_trace = false,
                std::vector<std::string>* trace_lines = nullptr) const;
};

// Registry of named checks (the built-in ones plus any a program adds before running).
void register_scenario_check(const std::string& name, ScenarioCheck check);
bool has_scenario_check(const std::string& name);
std::vector<std::string> behaviour_names();

}  // namespace pd
