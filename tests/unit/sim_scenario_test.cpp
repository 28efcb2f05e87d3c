// Spec: scenarios. A scenario file (TOML) describes a simulation; the same file and seed give
// the same run; a sweep over seeds finds the planted bug in examples/sim and the failing seed
// replays; the built-in invariants hold over many seeds of the fault-heavy examples; a bad
// scenario is refused with a message that names the file, the line and what is wrong.

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "pd/sim/scenario.h"

#ifndef PD_SOURCE_DIR
#error "PD_SOURCE_DIR must name the source tree (CMakeLists.txt defines it for pd-unit-tests)"
#endif

namespace pd::simtest {
namespace {

using namespace std::chrono_literals;

std::string example(const std::string& file) {
  return std::string(PD_SOURCE_DIR) + "/examples/sim/" + file;
}

Scenario must_load(const std::string& path) {
  auto s = Scenario::load(path);
  EXPECT_TRUE(s.has_value()) << (s ? "" : s.error().to_string());
  return s ? std::move(s.value()) : Scenario{};
}

Scenario must_parse(const std::string& text, const std::string& name = "test.toml") {
  auto s = Scenario::parse(text, name);
  EXPECT_TRUE(s.has_value()) << (s ? "" : s.error().to_string());
  return s ? std::move(s.value()) : Scenario{};
}

// The error a scenario text is refused with, as "file:line: message".
std::string parse_error(const std::string& text, const std::string& name = "bad.toml") {
  auto s = Scenario::parse(text, name);
  if (s) return "(parsed without error)";
  return s.error().to_string();
}

int error_line(const std::string& text) {
  auto s = Scenario::parse(text, "bad.toml");
  return s ? -1 : s.error().line;
}

std::string counts(const FaultCounts& f) {
  return "dropped=" + std::to_string(f.dropped) + " duplicated=" + std::to_string(f.duplicated) +
         " delayed=" + std::to_string(f.delayed) + " reordered=" + std::to_string(f.reordered) +
         " crashed=" + std::to_string(f.crashed) + " killed=" + std::to_string(f.killed) +
         " paused=" + std::to_string(f.paused) + " partitioned=" + std::to_string(f.partitioned);
}

std::string failure_of(const SimResult& r) {
  if (!r.failure) return "none";
  return r.failure->invariant + ": " + r.failure->detail;
}

// A user-defined check, registered before any scenario is parsed (as a program would before
// running its scenarios): the counter behaviour must have received exactly five messages.
const bool kCheckRegistered = [] {
  register_scenario_check(
      "test.counter_received_5",
      [](const Simulation&, const ScenarioWorld& w) -> std::optional<std::string> {
        int64_t n = w.get("counter.received");
        if (n == 5) return std::nullopt;
        return "the counter received " + std::to_string(n) + " messages";
      });
  return true;
}();

// =============================================================================================
// The example scenarios: each is deterministic.

const std::vector<std::string> kExamples = {"partition.toml", "pingpong_faults.toml",
                                            "planted_order_bug.toml", "supervision_storm.toml"};

class ScenarioExample : public ::testing::TestWithParam<std::string> {};

TEST_P(ScenarioExample, loads_without_error) {
  auto s = Scenario::load(example(GetParam()));
  ASSERT_TRUE(s.has_value()) << s.error().to_string();
  EXPECT_EQ(s.value().file, example(GetParam()));
  EXPECT_FALSE(s.value().actors.empty());
}

TEST_P(ScenarioExample, the_same_seed_gives_the_same_trace_hash) {
  Scenario s = must_load(example(GetParam()));
  SimResult first = s.run(7);
  SimResult second = s.run(7);
  EXPECT_EQ(first.trace_hash, second.trace_hash);
  EXPECT_EQ(first.trace_events, second.trace_events);
}

TEST_P(ScenarioExample, the_same_seed_gives_the_same_message_and_fault_counts_and_outcome) {
  Scenario s = must_load(example(GetParam()));
  SimResult first = s.run(7);
  SimResult second = s.run(7);
  EXPECT_EQ(first.messages, second.messages);
  EXPECT_EQ(counts(first.faults), counts(second.faults));
  EXPECT_EQ(first.stats.restarts, second.stats.restarts);
  EXPECT_EQ(first.stats.dead_letters, second.stats.dead_letters);
  EXPECT_EQ(first.simulated_seconds, second.simulated_seconds);
  EXPECT_EQ(failure_of(first), failure_of(second));
}

TEST_P(ScenarioExample, the_same_seed_gives_the_same_readable_trace) {
  Scenario s = must_load(example(GetParam()));
  std::vector<std::string> first, second;
  SimResult a = s.run(7, /*keep_trace=*/true, &first);
  SimResult b = s.run(7, /*keep_trace=*/true, &second);
  EXPECT_EQ(a.trace_events, first.size());
  EXPECT_EQ(first, second);
}

TEST_P(ScenarioExample, keeping_the_readable_trace_does_not_change_the_hash) {
  Scenario s = must_load(example(GetParam()));
  std::vector<std::string> lines;
  EXPECT_EQ(s.run(7, /*keep_trace=*/true, &lines).trace_hash, s.run(7).trace_hash);
  EXPECT_FALSE(lines.empty());
}

TEST_P(ScenarioExample, a_run_does_not_depend_on_the_runs_before_it) {
  // Seed 7 alone, and seed 7 after other seeds of the same and other scenarios.
  Scenario s = must_load(example(GetParam()));
  SimResult alone = s.run(7);
  for (const auto& other : kExamples) (void)must_load(example(other)).run(3);
  (void)s.run(8);
  EXPECT_EQ(s.run(7).trace_hash, alone.trace_hash);
}

INSTANTIATE_TEST_SUITE_P(ScenarioExamples, ScenarioExample, ::testing::ValuesIn(kExamples),
                         [](const ::testing::TestParamInfo<std::string>& i) {
                           return i.param.substr(0, i.param.find('.'));
                         });

TEST(ScenarioExamples, every_example_scenario_is_covered_by_the_determinism_specs) {
  std::set<std::string> on_disk;
  for (const auto& e :
       std::filesystem::directory_iterator(std::string(PD_SOURCE_DIR) + "/examples/sim"))
    if (e.path().extension() == ".toml") on_disk.insert(e.path().filename().string());
  EXPECT_EQ(on_disk, std::set<std::string>(kExamples.begin(), kExamples.end()));
}

// =============================================================================================
// Seeds

TEST(ScenarioSeeds, a_different_seed_gives_a_different_trace_hash) {
  Scenario s = must_load(example("pingpong_faults.toml"));
  EXPECT_NE(s.run(1).trace_hash, s.run(2).trace_hash);
}

TEST(ScenarioSeeds, a_different_seed_changes_the_interleaving_without_any_fault) {
  // partition.toml injects no random fault: only the scheduling differs between seeds.
  Scenario s = must_load(example("partition.toml"));
  ASSERT_FALSE(s.options.faults.any_rate());
  std::vector<std::string> one, two;
  SimResult a = s.run(1, true, &one);
  SimResult b = s.run(2, true, &two);
  EXPECT_NE(a.trace_hash, b.trace_hash);
  EXPECT_NE(one, two);
  EXPECT_EQ(a.faults.partitioned, b.faults.partitioned) << "the partition itself is on a schedule";
}

struct Sweep {
  std::vector<uint64_t> failing, passing;
  std::set<std::string> invariants;  // of the failing seeds
};

Sweep sweep(const Scenario& s, uint64_t first, uint64_t last) {
  Sweep out;
  for (uint64_t seed = first; seed <= last; ++seed) {
    SimResult r = s.run(seed);
    if (r.ok()) {
      out.passing.push_back(seed);
    } else {
      out.failing.push_back(seed);
      out.invariants.insert(r.failure->invariant);
    }
  }
  return out;
}

TEST(ScenarioSeeds, a_sweep_over_seeds_0_to_99_finds_the_planted_order_bug) {
  Scenario s = must_load(example("planted_order_bug.toml"));
  Sweep w = sweep(s, 0, 99);
  EXPECT_FALSE(w.failing.empty()) << "no seed exposed the planted bug";
  EXPECT_FALSE(w.passing.empty()) << "every seed failed: the bug is not order-dependent";
  EXPECT_EQ(w.invariants, std::set<std::string>{"message_order"});
}

TEST(ScenarioSeeds, the_planted_bug_fails_only_when_b_runs_before_a) {
  // Every failing seed received all three messages tagged 1 after one tagged 2.
  Scenario s = must_load(example("planted_order_bug.toml"));
  for (uint64_t seed = 0; seed < 100; ++seed) {
    SimResult r = s.run(seed);
    if (r.ok()) continue;
    EXPECT_EQ(failure_of(r), "message_order: 3 messages tagged 1 arrived after one tagged 2")
        << "seed " << seed;
  }
}

TEST(ScenarioSeeds, rerunning_a_failing_seed_fails_again_with_the_same_hash) {
  Scenario s = must_load(example("planted_order_bug.toml"));
  Sweep w = sweep(s, 0, 99);
  ASSERT_FALSE(w.failing.empty());
  uint64_t seed = w.failing.front();
  SimResult first = s.run(seed);
  // The replay: a fresh load of the file, the same seed, with the readable trace kept (as
  // `pd sim run FILE --seed N --trace trace-N.txt` does).
  std::vector<std::string> lines;
  SimResult replay = must_load(example("planted_order_bug.toml")).run(seed, true, &lines);
  ASSERT_TRUE(replay.failure.has_value());
  EXPECT_EQ(replay.failure->invariant, "message_order");
  EXPECT_EQ(failure_of(replay), failure_of(first));
  EXPECT_EQ(replay.failure->at, first.failure->at);
  EXPECT_EQ(replay.trace_hash, first.trace_hash);
  ASSERT_FALSE(lines.empty());
  EXPECT_NE(lines.back().find("INVARIANT FAILED message_order: "), std::string::npos)
      << lines.back();
}

TEST(ScenarioSeeds, rerunning_a_passing_seed_passes_again_with_the_same_hash) {
  Scenario s = must_load(example("planted_order_bug.toml"));
  Sweep w = sweep(s, 0, 99);
  ASSERT_FALSE(w.passing.empty());
  SimResult first = s.run(w.passing.front());
  SimResult again = s.run(w.passing.front());
  EXPECT_TRUE(again.ok());
  EXPECT_EQ(again.trace_hash, first.trace_hash);
}

// The built-in invariants (nothing accepted is lost without a cause, restarts within
// intensity, no actor after shutdown) over many seeds with every fault on. Each sweep also
// checks that the faults really happened, so the invariants were put to the test.
struct Totals {
  uint64_t runs = 0, failed = 0, messages = 0, restarts = 0, dead_letters = 0;
  FaultCounts faults;
  std::vector<std::string> failures;  // the first few
  double wall_seconds = 0;
};

Totals run_seeds(const Scenario& s, uint64_t first, uint64_t count) {
  Totals t;
  auto t0 = std::chrono::steady_clock::now();
  for (uint64_t seed = first; seed < first + count; ++seed) {
    SimResult r = s.run(seed);
    ++t.runs;
    t.messages += r.messages;
    t.restarts += r.stats.restarts;
    t.dead_letters += r.stats.dead_letters;
    t.faults.dropped += r.faults.dropped;
    t.faults.duplicated += r.faults.duplicated;
    t.faults.delayed += r.faults.delayed;
    t.faults.reordered += r.faults.reordered;
    t.faults.crashed += r.faults.crashed;
    t.faults.killed += r.faults.killed;
    t.faults.paused += r.faults.paused;
    if (!r.ok()) {
      ++t.failed;
      if (t.failures.size() < 5)
        t.failures.push_back("seed " + std::to_string(seed) + ": " + failure_of(r));
    }
  }
  t.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return t;
}

std::string joined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += s + "\n";
  return out;
}

TEST(ScenarioSeeds, the_builtin_invariants_hold_for_500_seeds_of_pingpong_faults) {
  Scenario s = must_load(example("pingpong_faults.toml"));
  ASSERT_TRUE(s.builtin_invariants);
  Totals t = run_seeds(s, 0, 500);
  EXPECT_EQ(t.failed, 0u) << joined(t.failures);
  EXPECT_EQ(t.runs, 500u);
  EXPECT_GT(t.faults.dropped, 0u);
  EXPECT_GT(t.faults.duplicated, 0u);
  EXPECT_GT(t.faults.delayed, 0u);
  EXPECT_GT(t.faults.reordered, 0u);
  EXPECT_GT(t.faults.crashed, 0u);
  EXPECT_EQ(t.faults.killed, 500u);
  EXPECT_EQ(t.faults.paused, 500u);
  EXPECT_GT(t.restarts, 0u);
  std::printf("[          ] 500 seeds of pingpong_faults: %.2f s wall, %llu messages\n",
              t.wall_seconds, (unsigned long long)t.messages);
}

TEST(ScenarioSeeds, the_builtin_invariants_hold_for_500_seeds_of_supervision_storm) {
  Scenario s = must_load(example("supervision_storm.toml"));
  ASSERT_TRUE(s.builtin_invariants);
  Totals t = run_seeds(s, 0, 500);
  EXPECT_EQ(t.failed, 0u) << joined(t.failures);
  EXPECT_EQ(t.runs, 500u);
  EXPECT_GT(t.faults.dropped, 0u);
  EXPECT_GT(t.faults.delayed, 0u);
  EXPECT_GT(t.faults.crashed, 0u);
  EXPECT_EQ(t.faults.killed, 1000u);
  EXPECT_GT(t.restarts, 0u);
  std::printf("[          ] 500 seeds of supervision_storm: %.2f s wall, %llu messages\n",
              t.wall_seconds, (unsigned long long)t.messages);
}

// =============================================================================================
// Running a scenario

TEST(Scenario, a_scenario_runs_its_actors_for_the_given_duration) {
  Scenario s = must_parse(R"(
[simulation]
duration_ms = 50

[[actor]]
name = "echo"
behaviour = "echo"

[[actor]]
name = "pinger"
behaviour = "pinger"
target = "/user/echo"
interval_ms = 10
count = 100
)");
  SimResult r = s.run(1);
  EXPECT_EQ(failure_of(r), "none");
  EXPECT_EQ(r.simulated_seconds, 0.05);
  // Ticks at 10..50 ms: five pings, five pongs, five ticks.
  EXPECT_EQ(r.messages, 15u);
}

TEST(Scenario, a_failing_user_check_named_in_invariants_fails_the_run_with_its_name_and_detail) {
  Scenario s = must_parse(R"(
[[actor]]
name = "counter"
behaviour = "counter"

[[actor]]
name = "p"
behaviour = "producer"
target = "/user/counter"
count = 3

[invariants]
checks = ["test.counter_received_5"]
)");
  SimResult r = s.run(1);
  EXPECT_EQ(failure_of(r), "test.counter_received_5: the counter received 3 messages");
}

TEST(Scenario, a_user_check_that_holds_leaves_the_run_ok) {
  Scenario s = must_parse(R"(
[[actor]]
name = "counter"
behaviour = "counter"

[[actor]]
name = "p"
behaviour = "producer"
target = "/user/counter"
count = 5

[invariants]
checks = ["test.counter_received_5"]
)");
  EXPECT_EQ(failure_of(s.run(1)), "none");
}

TEST(Scenario, the_no_failures_check_fails_a_run_with_a_handler_failure) {
  Scenario s = must_parse(R"(
[[actor]]
name = "w"
behaviour = "flaky"
fail_rate = 1.0

[[actor]]
name = "p"
behaviour = "producer"
target = "/user/w"
count = 1

[invariants]
checks = ["no_failures"]
)");
  EXPECT_EQ(failure_of(s.run(1)), "no_failures: 1 handler failures");
}

TEST(Scenario, a_scenario_parses_every_fault_and_actor_setting) {
  Scenario s = must_parse(R"(
[simulation]
duration_ms = 250
messages_max = 1000

[faults]
drop_rate = 0.1
duplicate_rate = 0.2
delay_rate = 0.3
delay_max_ms = 7
reorder_rate = 0.4
reorder_max_ms = 0.5
crash_rate = 0.05
scope = "/user/pool"
kill = [ { at_ms = 100, path = "/user/pool/w" } ]
pause = [ { at_ms = 120, for_ms = 15 } ]
partition = [ { at_ms = 130, for_ms = 20, groups = [["/user/pool"], ["/user/front", "/user/load"]] } ]

[[actor]]
name = "pool"
behaviour = "supervisor"
strategy = "rest-for-one"
max_restarts = 9
window_ms = 2000

[[actor]]
name = "w"
parent = "/user/pool"
behaviour = "flaky"
restart = "transient"
fail_rate = 0.25
mailbox = 16
shutdown_ms = 30

[[actor]]
name = "front"
behaviour = "forwarder"
target = "/user/pool/w"
brutal = true

[[actor]]
name = "load"
behaviour = "pinger"
target = "/user/front"
interval_ms = 3
count = 40
tag = 2
)");
  EXPECT_EQ(s.options.duration, 250ms);
  EXPECT_EQ(s.options.messages_max, 1000u);
  const FaultPlan& f = s.options.faults;
  EXPECT_EQ(f.drop_rate, 0.1);
  EXPECT_EQ(f.duplicate_rate, 0.2);
  EXPECT_EQ(f.delay_rate, 0.3);
  EXPECT_EQ(f.delay_max, 7ms);
  EXPECT_EQ(f.reorder_rate, 0.4);
  EXPECT_EQ(f.reorder_max, 500us);
  EXPECT_EQ(f.crash_rate, 0.05);
  EXPECT_EQ(f.scope, "/user/pool");
  ASSERT_EQ(f.kills.size(), 1u);
  EXPECT_EQ(f.kills[0].at, 100ms);
  EXPECT_EQ(f.kills[0].path, "/user/pool/w");
  ASSERT_EQ(f.pauses.size(), 1u);
  EXPECT_EQ(f.pauses[0].at, 120ms);
  EXPECT_EQ(f.pauses[0].length, 15ms);
  ASSERT_EQ(f.partitions.size(), 1u);
  EXPECT_EQ(f.partitions[0].at, 130ms);
  EXPECT_EQ(f.partitions[0].length, 20ms);
  EXPECT_EQ(f.partitions[0].groups,
            (std::vector<std::vector<std::string>>{{"/user/pool"}, {"/user/front", "/user/load"}}));

  ASSERT_EQ(s.actors.size(), 4u);
  const ActorDecl& pool = s.actors[0];
  EXPECT_EQ(pool.name, "pool");
  EXPECT_EQ(pool.parent, "/user");
  EXPECT_EQ(pool.behaviour, "supervisor");
  EXPECT_EQ(pool.policy.strategy, SupervisionStrategy::RestForOne);
  EXPECT_EQ(pool.policy.intensity.max_restarts, 9u);
  EXPECT_EQ(pool.policy.intensity.window, 2000ms);
  EXPECT_EQ(pool.line, 19);  // the text starts with a newline
  const ActorDecl& w = s.actors[1];
  EXPECT_EQ(w.parent, "/user/pool");
  EXPECT_EQ(w.policy.restart, RestartPolicy::Transient);
  EXPECT_EQ(w.fail_rate, 0.25);
  EXPECT_EQ(w.policy.mailbox_capacity, 16u);
  EXPECT_EQ(w.policy.shutdown.kind, ShutdownPolicy::Kind::Timeout);
  EXPECT_EQ(w.policy.shutdown.timeout, 30ms);
  const ActorDecl& front = s.actors[2];
  EXPECT_EQ(front.target, "/user/pool/w");
  EXPECT_EQ(front.policy.shutdown.kind, ShutdownPolicy::Kind::Brutal);
  const ActorDecl& load = s.actors[3];
  EXPECT_EQ(load.interval_ms, 3);
  EXPECT_EQ(load.count, 40u);
  EXPECT_EQ(load.tag, "2");
  EXPECT_TRUE(s.builtin_invariants);
  EXPECT_TRUE(s.checks.empty());
}

TEST(Scenario, the_builtin_invariants_can_be_turned_off) {
  Scenario s = must_parse(R"(
[[actor]]
name = "c"
behaviour = "counter"

[invariants]
builtin = false
)");
  EXPECT_FALSE(s.builtin_invariants);
}

// =============================================================================================
// Refused scenarios: file, line and what is wrong.

TEST(ScenarioParse, an_unknown_top_level_key_is_refused_with_its_line_and_the_allowed_keys) {
  EXPECT_EQ(
      parse_error(R"(# a scenario
[[actor]]
name = "a"
behaviour = "counter"

[weather]
sunny = true
)"),
      "bad.toml:6: unknown key 'weather' in the scenario (allowed: actor, faults, invariants, "
      "simulation)");
}

TEST(ScenarioParse, an_unknown_key_in_an_actor_is_refused_with_its_line_and_the_allowed_keys) {
  EXPECT_EQ(parse_error(R"([[actor]]
name = "a"
behaviour = "counter"
colour = "red"
)"),
            "bad.toml:4: unknown key 'colour' in an [[actor]] (allowed: behaviour, brutal, count, "
            "fail_rate, interval_ms, mailbox, max_restarts, name, parent, restart, shutdown_ms, "
            "strategy, tag, target, window_ms)");
}

TEST(ScenarioParse, an_unknown_key_in_simulation_is_refused) {
  EXPECT_EQ(parse_error(R"([simulation]
duration_ms = 10
seed = 4

[[actor]]
name = "a"
behaviour = "counter"
)"),
            "bad.toml:3: unknown key 'seed' in [simulation] (allowed: duration_ms, messages_max)");
}

TEST(ScenarioParse, an_unknown_key_in_faults_is_refused) {
  EXPECT_EQ(parse_error(R"([faults]
drop_rate = 0.1
lose_rate = 0.2

[[actor]]
name = "a"
behaviour = "counter"
)"),
            "bad.toml:3: unknown key 'lose_rate' in [faults] (allowed: crash_rate, delay_max_ms, "
            "delay_rate, drop_rate, duplicate_rate, kill, partition, pause, reorder_max_ms, "
            "reorder_rate, scope)");
}

TEST(ScenarioParse, an_unknown_behaviour_is_refused_with_the_known_ones) {
  EXPECT_EQ(parse_error(R"([[actor]]
name = "a"
behaviour = "juggler"
)"),
            "bad.toml:3: unknown behaviour 'juggler' (known: supervisor, echo, pinger, counter, "
            "forwarder, flaky, producer, order-checker)");
}

TEST(ScenarioParse, a_fault_rate_above_one_is_refused) {
  EXPECT_EQ(parse_error(R"([faults]
delay_rate = 0.5
drop_rate = 1.5

[[actor]]
name = "a"
behaviour = "counter"
)"),
            "bad.toml:3: 'drop_rate' must be between 0 and 1");
}

TEST(ScenarioParse, a_negative_fail_rate_is_refused) {
  EXPECT_EQ(parse_error(R"([[actor]]
name = "a"
behaviour = "flaky"
fail_rate = -0.1
)"),
            "bad.toml:4: 'fail_rate' must be between 0 and 1");
}

TEST(ScenarioParse, a_parent_not_declared_above_is_refused) {
  EXPECT_EQ(parse_error(R"([[actor]]
name = "w"
parent = "/user/pool"
behaviour = "counter"

[[actor]]
name = "pool"
behaviour = "supervisor"
)"),
            "bad.toml:3: parent '/user/pool' is not declared above this actor");
}

TEST(ScenarioParse, a_target_that_is_not_an_actor_path_is_refused) {
  EXPECT_EQ(parse_error(R"([[actor]]
name = "e"
behaviour = "echo"

[[actor]]
name = "p"
behaviour = "pinger"
target = "user/e"
)"),
            "bad.toml:8: 'target' = \"user/e\" is not an actor path (MustStartWithSlash)");
}

TEST(ScenarioParse, a_kill_path_that_is_not_an_actor_path_is_refused) {
  EXPECT_EQ(parse_error(R"([faults]
kill = [ { at_ms = 5, path = "/user//e" } ]

[[actor]]
name = "e"
behaviour = "echo"
)"),
            "bad.toml:2: 'path' = \"/user//e\" is not an actor path (EmptySegment)");
}

TEST(ScenarioParse, a_missing_file_is_refused_with_its_path) {
  auto s = Scenario::load("/nonexistent/palladium/none.toml");
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().to_string(),
            "/nonexistent/palladium/none.toml: cannot open the scenario file");
  EXPECT_EQ(s.error().line, 0);
}

TEST(ScenarioParse, a_toml_syntax_error_is_refused_with_its_line) {
  const std::string text = R"([simulation]
duration_ms = 10

[[actor]]
name = "a
behaviour = "counter"
)";
  EXPECT_EQ(error_line(text), 5);
  EXPECT_EQ(parse_error(text),
            "bad.toml:5: Error while parsing string: unescaped control characters other than TAB "
            "(U+0009) are explicitly prohibited");
}

TEST(ScenarioParse, an_unknown_check_is_refused_with_the_registered_ones) {
  EXPECT_EQ(parse_error(R"([[actor]]
name = "a"
behaviour = "counter"

[invariants]
checks = ["message_order", "no_such_check"]
)"),
            "bad.toml:6: unknown check 'no_such_check' (registered: message_order, no_failures, "
            "test.counter_received_5)");
}

TEST(ScenarioParse, an_actor_declared_twice_is_refused) {
  EXPECT_EQ(parse_error(R"([[actor]]
name = "a"
behaviour = "counter"

[[actor]]
name = "a"
behaviour = "echo"
)"),
            "bad.toml:5: actor '/user/a' is declared twice");
}

TEST(ScenarioParse, a_behaviour_that_needs_a_target_is_refused_without_one) {
  EXPECT_EQ(parse_error(R"([[actor]]
name = "p"
behaviour = "pinger"
)"),
            "bad.toml:1: behaviour 'pinger' needs a 'target' path");
}

TEST(ScenarioParse, a_scenario_without_actors_is_refused) {
  EXPECT_EQ(parse_error(R"([simulation]
duration_ms = 10
)"),
            "bad.toml: a scenario needs at least one [[actor]]");
}

TEST(ScenarioParse, an_unknown_restart_policy_is_refused) {
  EXPECT_EQ(parse_error(R"([[actor]]
name = "a"
behaviour = "counter"
restart = "sometimes"
)"),
            "bad.toml:4: 'restart' must be permanent, transient or temporary, not 'sometimes'");
}

TEST(ScenarioParse, a_partition_with_one_group_is_refused) {
  EXPECT_EQ(parse_error(R"([faults]
partition = [ { at_ms = 5, for_ms = 5, groups = [["/user/a"]] } ]

[[actor]]
name = "a"
behaviour = "counter"
)"),
            "bad.toml:2: a partition needs 'groups' with at least two groups");
}

}  // namespace
}  // namespace pd::simtest
