// Scenario files: TOML in, a configured Simulation out. Every key is checked; unknown ones
// are errors naming the key, its line and the keys that are allowed there.
#include "pd/sim/scenario.h"

#include <toml++/toml.h>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>

#include "../config/toml_reader.h"
#include "behaviours.h"

namespace pd {

using config::Reader;

std::string ScenarioError::to_string() const {
  std::string s = file;
  if (line > 0) s += ":" + std::to_string(line);
  return s + ": " + message;
}

namespace {

std::mutex registry_mu;
std::map<std::string, ScenarioCheck>& registry() {
  static std::map<std::string, ScenarioCheck> checks = {
      {"message_order",
       [](const Simulation&, const ScenarioWorld& w) -> std::optional<std::string> {
         int64_t v = w.get("order.violations");
         if (v == 0) return std::nullopt;
         return std::to_string(v) + " messages tagged 1 arrived after one tagged 2";
       }},
      {"no_failures",
       [](const Simulation& s, const ScenarioWorld&) -> std::optional<std::string> {
         uint64_t f = s.engine().stats().failures;
         if (f == 0) return std::nullopt;
         return std::to_string(f) + " handler failures";
       }},
  };
  return checks;
}

void read_faults(const Reader& r, const toml::table& t, FaultPlan& f) {
  r.only_keys(t,
              {"drop_rate", "duplicate_rate", "delay_rate", "delay_max_ms", "reorder_rate",
               "reorder_max_ms", "crash_rate", "scope", "kill", "pause", "partition"},
              "[faults]");
  f.drop_rate = r.rate(t, "drop_rate");
  f.duplicate_rate = r.rate(t, "duplicate_rate");
  f.delay_rate = r.rate(t, "delay_rate");
  f.reorder_rate = r.rate(t, "reorder_rate");
  f.crash_rate = r.rate(t, "crash_rate");
  f.delay_max = r.millis(t, "delay_max_ms", f.delay_max);
  f.reorder_max = r.millis(t, "reorder_max_ms", f.reorder_max);
  f.scope = r.path(t, "scope", f.scope);
  r.each_table(t, "kill", [&](const toml::table& k) {
    r.only_keys(k, {"at_ms", "path"}, "a [faults] kill");
    f.kills.push_back({r.millis(k, "at_ms", {}), r.path(k, "path", "")});
    if (f.kills.back().path.empty()) r.fail(&k, "a kill needs a 'path'");
  });
  r.each_table(t, "pause", [&](const toml::table& p) {
    r.only_keys(p, {"at_ms", "for_ms"}, "a [faults] pause");
    f.pauses.push_back({r.millis(p, "at_ms", {}), r.millis(p, "for_ms", {})});
  });
  r.each_table(t, "partition", [&](const toml::table& p) {
    r.only_keys(p, {"at_ms", "for_ms", "groups"}, "a [faults] partition");
    FaultPlan::Partition part{r.millis(p, "at_ms", {}), r.millis(p, "for_ms", {}), {}};
    const toml::array* groups = p.get("groups") ? p.get("groups")->as_array() : nullptr;
    if (!groups || groups->size() < 2)
      r.fail(&p, "a partition needs 'groups' with at least two groups");
    for (const toml::node& g : *groups) {
      const toml::array* prefixes = g.as_array();
      if (!prefixes || prefixes->empty())
        r.fail(&g, "each partition group is a non-empty array of paths");
      std::vector<std::string> group;
      for (const toml::node& pre : *prefixes) {
        auto s = pre.value_exact<std::string>();
        if (!s || !ActorPath::parse(*s)) r.fail(&pre, "a partition group holds actor paths");
        group.push_back(*s);
      }
      part.groups.push_back(std::move(group));
    }
    f.partitions.push_back(std::move(part));
  });
}

ActorDecl read_actor(const Reader& r, const toml::table& t, const std::set<std::string>& declared) {
  std::set<std::string> keys = config::child_policy_keys();
  keys.insert({"name", "parent", "behaviour", "target", "tag", "count", "interval_ms", "fail_rate"});
  r.only_keys(t, keys, "an [[actor]]");
  ActorDecl d;
  d.line = int(t.source().begin.line);
  config::read_actor_place(r, t, declared, d.name, d.parent);
  d.behaviour = r.string(t, "behaviour", "");
  if (!sim::known_behaviour(d.behaviour)) {
    std::string list;
    for (const auto& b : behaviour_names()) list += (list.empty() ? "" : ", ") + b;
    r.fail(t.get("behaviour") ? t.get("behaviour") : &t,
           "unknown behaviour '" + d.behaviour + "' (known: " + list + ")");
  }
  config::read_child_policy(r, t, d.policy);
  d.target = r.path(t, "target", "");
  d.tag = std::to_string(r.non_negative(t, "tag", 0));
  d.count = uint64_t(r.non_negative(t, "count", 0));
  d.interval_ms = r.non_negative(t, "interval_ms", 0);
  d.fail_rate = r.rate(t, "fail_rate");
  bool needs_target =
      d.behaviour == "pinger" || d.behaviour == "forwarder" || d.behaviour == "producer";
  if (needs_target && d.target.empty())
    r.fail(&t, "behaviour '" + d.behaviour + "' needs a 'target' path");
  return d;
}

}  // namespace

Expected<Scenario, ScenarioError> Scenario::parse(const std::string& text,
                                                  const std::string& name) {
  Reader r(name);
  try {
    toml::table root = toml::parse(text, name);
    r.only_keys(root, {"simulation", "faults", "actor", "invariants"}, "the scenario");
    Scenario s;
    s.file = name;
    if (const toml::table* sim = r.table(root, "simulation")) {
      r.only_keys(*sim, {"duration_ms", "messages_max"}, "[simulation]");
      s.options.duration = r.millis(*sim, "duration_ms", s.options.duration);
      s.options.messages_max =
          uint64_t(r.non_negative(*sim, "messages_max", int64_t(s.options.messages_max)));
    }
    if (const toml::table* f = r.table(root, "faults")) read_faults(r, *f, s.options.faults);
    std::set<std::string> declared;
    r.each_table(root, "actor", [&](const toml::table& t) {
      ActorDecl d = read_actor(r, t, declared);
      std::string path = d.parent + "/" + d.name;
      if (!declared.insert(path).second) r.fail(&t, "actor '" + path + "' is declared twice");
      s.actors.push_back(std::move(d));
    });
    if (s.actors.empty()) throw config::Bad{name, 0, "a scenario needs at least one [[actor]]"};
    if (const toml::table* inv = r.table(root, "invariants")) {
      r.only_keys(*inv, {"builtin", "checks"}, "[invariants]");
      if (const toml::node* b = inv->get("builtin")) {
        auto v = b->value_exact<bool>();
        if (!v) r.fail(b, "'builtin' must be true or false");
        s.builtin_invariants = *v;
      }
      if (const toml::node* c = inv->get("checks")) {
        const toml::array* names = c->as_array();
        if (!names) r.fail(c, "'checks' must be an array of check names");
        for (const toml::node& n : *names) {
          auto check = n.value_exact<std::string>();
          if (!check) r.fail(&n, "'checks' holds check names (strings)");
          if (!has_scenario_check(*check)) {
            std::string list;
            {
              std::lock_guard<std::mutex> lock(registry_mu);
              for (const auto& [k, v] : registry()) list += (list.empty() ? "" : ", ") + k;
            }
            r.fail(&n, "unknown check '" + *check + "' (registered: " + list + ")");
          }
          s.checks.push_back(*check);
        }
      }
    }
    return s;
  } catch (const toml::parse_error& e) {
    return Unexpected{
        ScenarioError{name, int(e.source().begin.line), std::string(e.description())}};
  } catch (const config::Bad& b) {
    return Unexpected{ScenarioError{b.file, b.line, b.message}};
  }
}

Expected<Scenario, ScenarioError> Scenario::load(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Unexpected{ScenarioError{path, 0, "cannot open the scenario file"}};
  std::stringstream buf;
  buf << in.rdbuf();
  return parse(buf.str(), path);
}

SimResult Scenario::run(uint64_t seed, bool keep_trace,
                        std::vector<std::string>* trace_lines) const {
  SimOptions o = options;
  o.seed = seed;
  o.keep_trace = keep_trace;
  Simulation sim(o);
  auto world = std::make_shared<ScenarioWorld>();
  if (builtin_invariants) sim.add_builtin_invariants();
  {
    std::lock_guard<std::mutex> lock(registry_mu);
    for (const auto& name : checks) {
      ScenarioCheck fn = registry().at(name);
      sim.add_final_invariant(name, [fn, world](const Simulation& s) { return fn(s, *world); });
    }
  }
  auto setup_errors = std::make_shared<std::vector<std::string>>();
  sim.add_step_invariant("scenario_setup",
                         [setup_errors](const Simulation&) -> std::optional<std::string> {
                           if (setup_errors->empty()) return std::nullopt;
                           return setup_errors->front();
                         });
  SimResult result = sim.run([&](Simulation& s) {
    for (const ActorDecl& d : actors) {
      ChildSpec spec = d.policy;
      spec.name = d.name;
      spec.factory = sim::make_behaviour(d, world);
      auto r = s.engine().spawn(std::move(spec), d.parent);
      if (!r)
        setup_errors->push_back(file + ":" + std::to_string(d.line) + ": spawning " + d.parent +
                                "/" + d.name + " failed: " + to_string(r.error()));
    }
  });
  if (trace_lines) *trace_lines = sim.trace().lines();
  return result;
}

void register_scenario_check(const std::string& name, ScenarioCheck check) {
  std::lock_guard<std::mutex> lock(registry_mu);
  registry()[name] = std::move(check);
}

bool has_scenario_check(const std::string& name) {
  std::lock_guard<std::mutex> lock(registry_mu);
  return registry().count(name) > 0;
}

}  // namespace pd
