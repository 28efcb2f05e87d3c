// Spec: supervision. What a supervisor does when a child stops, for every restart policy under
// every strategy; the exact stop/start order of group restarts; restart intensity and how
// giving up escalates to the supervisor's own supervisor (or takes the engine down at a root).

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "engine_test_support.h"

namespace pd::test {
namespace {

constexpr const char* kCrashed = "Error(Handler(crash))";

std::string stop_of(const std::string& name, const std::string& reason) {
  return name + ":stop:" + reason;
}

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.rfind(prefix, 0) == 0;
}

// The children of `parent` as "name=restart_count", sorted by name, with "(State)" appended
// for a child that is not Running.
std::vector<std::string> children_of(const Engine& engine, const std::string& parent) {
  std::vector<std::string> out;
  for (const ActorInfo& i : engine.query(ActorQuery{parent, std::nullopt})) {
    if (i.path == parent) continue;
    std::string rest = i.path.substr(parent.size() + 1);
    if (rest.find('/') != std::string::npos) continue;  // grandchildren
    std::string s = rest + "=" + std::to_string(i.restart_count);
    if (i.state != ActorState::Running) s += std::string("(") + to_string(i.state) + ")";
    out.push_back(s);
  }
  std::sort(out.begin(), out.end());
  return out;
}

// ---------------------------------------------------------------------------------------------
// Every restart policy under every strategy.
//
// /user/sup supervises a, b and c (spawned in that order; a and c Permanent, b with the policy
// under test). b either fails (Crash) or stops itself normally (StopSelf).

enum class Exit { Failure, NormalStop };

struct Outcome {
  std::vector<std::string> log;       // what the children did after b's exit
  std::vector<std::string> children;  // children_of("/user/sup") afterwards
};

Outcome run_case(SupervisionStrategy strategy, RestartPolicy b_policy, Exit exit) {
  SimEngine s;
  auto trace = std::make_shared<Trace>();
  Hooks sup;
  sup.on_start = spawn_children(
      {recorder("a", trace), recorder("b", trace).with_restart(b_policy), recorder("c", trace)});
  must_spawn(s.engine, recorder("sup", trace, sup)
                           .with_strategy(strategy)
                           .with_intensity(RestartIntensity{10, std::chrono::seconds(1)}));
  s.engine.run_until_idle();
  trace->clear();

  AddrHash b = must_lookup(s.engine, "/user/sup/b");
  SendResult sent =
      exit == Exit::Failure ? s.engine.send(b, Crash{}) : s.engine.send(b, StopSelf{});
  EXPECT_EQ(result_of(sent), "ok");
  s.engine.run_until_idle();
  EXPECT_FALSE(trace->has("sup:stop:" + std::string(kCrashed))) << "the supervisor itself stopped";
  return Outcome{trace->log, children_of(s.engine, "/user/sup")};
}

using Log = std::vector<std::string>;
using Children = std::vector<std::string>;

// --- b fails

TEST(Supervision, one_for_one_restarts_a_failed_permanent_child_alone) {
  Outcome o = run_case(SupervisionStrategy::OneForOne, RestartPolicy::Permanent, Exit::Failure);
  EXPECT_EQ(o.log, (Log{"b:crash", stop_of("b", kCrashed), "b:start"}));
  EXPECT_EQ(o.children, (Children{"a=0", "b=1", "c=0"}));
}

TEST(Supervision, one_for_one_restarts_a_failed_transient_child_alone) {
  Outcome o = run_case(SupervisionStrategy::OneForOne, RestartPolicy::Transient, Exit::Failure);
  EXPECT_EQ(o.log, (Log{"b:crash", stop_of("b", kCrashed), "b:start"}));
  EXPECT_EQ(o.children, (Children{"a=0", "b=1", "c=0"}));
}

TEST(Supervision, one_for_one_removes_a_failed_temporary_child) {
  Outcome o = run_case(SupervisionStrategy::OneForOne, RestartPolicy::Temporary, Exit::Failure);
  EXPECT_EQ(o.log, (Log{"b:crash", stop_of("b", kCrashed)}));
  EXPECT_EQ(o.children, (Children{"a=0", "c=0"}));
}

TEST(Supervision, one_for_all_restarts_every_child_when_a_permanent_child_fails) {
  Outcome o = run_case(SupervisionStrategy::OneForAll, RestartPolicy::Permanent, Exit::Failure);
  EXPECT_EQ(o.log, (Log{"b:crash", stop_of("b", kCrashed), "c:stop:Supervisor", "a:stop:Supervisor",
                        "a:start", "b:start", "c:start"}));
  EXPECT_EQ(o.children, (Children{"a=1", "b=1", "c=1"}));
}

TEST(Supervision, one_for_all_restarts_every_child_when_a_transient_child_fails) {
  Outcome o = run_case(SupervisionStrategy::OneForAll, RestartPolicy::Transient, Exit::Failure);
  EXPECT_EQ(o.log, (Log{"b:crash", stop_of("b", kCrashed), "c:stop:Supervisor", "a:stop:Supervisor",
                        "a:start", "b:start", "c:start"}));
  EXPECT_EQ(o.children, (Children{"a=1", "b=1", "c=1"}));
}

TEST(Supervision, one_for_all_leaves_the_siblings_running_when_a_temporary_child_fails) {
  Outcome o = run_case(SupervisionStrategy::OneForAll, RestartPolicy::Temporary, Exit::Failure);
  EXPECT_EQ(o.log, (Log{"b:crash", stop_of("b", kCrashed)}));
  EXPECT_EQ(o.children, (Children{"a=0", "c=0"}));
}

TEST(Supervision, rest_for_one_restarts_a_failed_permanent_child_and_those_started_after_it) {
  Outcome o = run_case(SupervisionStrategy::RestForOne, RestartPolicy::Permanent, Exit::Failure);
  EXPECT_EQ(o.log,
            (Log{"b:crash", stop_of("b", kCrashed), "c:stop:Supervisor", "b:start", "c:start"}));
  EXPECT_EQ(o.children, (Children{"a=0", "b=1", "c=1"}));
}

TEST(Supervision, rest_for_one_restarts_a_failed_transient_child_and_those_started_after_it) {
  Outcome o = run_case(SupervisionStrategy::RestForOne, RestartPolicy::Transient, Exit::Failure);
  EXPECT_EQ(o.log,
            (Log{"b:crash", stop_of("b", kCrashed), "c:stop:Supervisor", "b:start", "c:start"}));
  EXPECT_EQ(o.children, (Children{"a=0", "b=1", "c=1"}));
}

TEST(Supervision, rest_for_one_leaves_the_siblings_running_when_a_temporary_child_fails) {
  Outcome o = run_case(SupervisionStrategy::RestForOne, RestartPolicy::Temporary, Exit::Failure);
  EXPECT_EQ(o.log, (Log{"b:crash", stop_of("b", kCrashed)}));
  EXPECT_EQ(o.children, (Children{"a=0", "c=0"}));
}

// --- b stops itself normally (ctx.stop())

TEST(Supervision, one_for_one_restarts_a_permanent_child_that_stopped_normally) {
  Outcome o = run_case(SupervisionStrategy::OneForOne, RestartPolicy::Permanent, Exit::NormalStop);
  EXPECT_EQ(o.log, (Log{"b:stop-self", "b:stop:Normal", "b:start"}));
  EXPECT_EQ(o.children, (Children{"a=0", "b=1", "c=0"}));
}

TEST(Supervision, one_for_one_removes_a_transient_child_that_stopped_normally) {
  Outcome o = run_case(SupervisionStrategy::OneForOne, RestartPolicy::Transient, Exit::NormalStop);
  EXPECT_EQ(o.log, (Log{"b:stop-self", "b:stop:Normal"}));
  EXPECT_EQ(o.children, (Children{"a=0", "c=0"}));
}

TEST(Supervision, one_for_one_removes_a_temporary_child_that_stopped_normally) {
  Outcome o = run_case(SupervisionStrategy::OneForOne, RestartPolicy::Temporary, Exit::NormalStop);
  EXPECT_EQ(o.log, (Log{"b:stop-self", "b:stop:Normal"}));
  EXPECT_EQ(o.children, (Children{"a=0", "c=0"}));
}

TEST(Supervision, one_for_all_restarts_every_child_when_a_permanent_child_stops_normally) {
  Outcome o = run_case(SupervisionStrategy::OneForAll, RestartPolicy::Permanent, Exit::NormalStop);
  EXPECT_EQ(o.log, (Log{"b:stop-self", "b:stop:Normal", "c:stop:Supervisor", "a:stop:Supervisor",
                        "a:start", "b:start", "c:start"}));
  EXPECT_EQ(o.children, (Children{"a=1", "b=1", "c=1"}));
}

TEST(Supervision, one_for_all_leaves_the_siblings_running_when_a_transient_child_stops_normally) {
  Outcome o = run_case(SupervisionStrategy::OneForAll, RestartPolicy::Transient, Exit::NormalStop);
  EXPECT_EQ(o.log, (Log{"b:stop-self", "b:stop:Normal"}));
  EXPECT_EQ(o.children, (Children{"a=0", "c=0"}));
}

TEST(Supervision, one_for_all_leaves_the_siblings_running_when_a_temporary_child_stops_normally) {
  Outcome o = run_case(SupervisionStrategy::OneForAll, RestartPolicy::Temporary, Exit::NormalStop);
  EXPECT_EQ(o.log, (Log{"b:stop-self", "b:stop:Normal"}));
  EXPECT_EQ(o.children, (Children{"a=0", "c=0"}));
}

TEST(Supervision, rest_for_one_restarts_later_siblings_when_a_permanent_child_stops_normally) {
  Outcome o = run_case(SupervisionStrategy::RestForOne, RestartPolicy::Permanent, Exit::NormalStop);
  EXPECT_EQ(o.log,
            (Log{"b:stop-self", "b:stop:Normal", "c:stop:Supervisor", "b:start", "c:start"}));
  EXPECT_EQ(o.children, (Children{"a=0", "b=1", "c=1"}));
}

TEST(Supervision, rest_for_one_leaves_the_siblings_running_when_a_transient_child_stops_normally) {
  Outcome o = run_case(SupervisionStrategy::RestForOne, RestartPolicy::Transient, Exit::NormalStop);
  EXPECT_EQ(o.log, (Log{"b:stop-self", "b:stop:Normal"}));
  EXPECT_EQ(o.children, (Children{"a=0", "c=0"}));
}

TEST(Supervision, rest_for_one_leaves_the_siblings_running_when_a_temporary_child_stops_normally) {
  Outcome o = run_case(SupervisionStrategy::RestForOne, RestartPolicy::Temporary, Exit::NormalStop);
  EXPECT_EQ(o.log, (Log{"b:stop-self", "b:stop:Normal"}));
  EXPECT_EQ(o.children, (Children{"a=0", "c=0"}));
}

// ---------------------------------------------------------------------------------------------
// Exact order of group restarts, four children a b c d (started in that order), b fails.

struct Group {
  SimEngine s;
  std::shared_ptr<Trace> trace = std::make_shared<Trace>();
  EventRecorder events;

  explicit Group(SupervisionStrategy strategy, std::vector<ChildSpec> extra_children = {}) {
    std::vector<ChildSpec> children = {recorder("a", trace), recorder("b", trace),
                                       recorder("c", trace), recorder("d", trace)};
    for (auto& c : extra_children) children.push_back(std::move(c));
    Hooks sup;
    sup.on_start = spawn_children(std::move(children));
    must_spawn(s.engine, recorder("sup", trace, sup).with_strategy(strategy));
    s.engine.run_until_idle();
    trace->clear();
    events.attach(s.engine);
  }
  void crash(const std::string& path) {
    ASSERT_EQ(result_of(s.engine.send(must_lookup(s.engine, path), Crash{})), "ok");
    s.engine.run_until_idle();
  }
  std::vector<std::string> events_of(EngineEvent::Kind k) const {
    std::vector<std::string> out;
    for (const auto& e : events.of_kind(k)) out.push_back(e.path);
    return out;
  }
};

TEST(Supervision,
     one_for_all_stops_the_siblings_in_reverse_start_order_then_restarts_all_in_start_order) {
  Group g(SupervisionStrategy::OneForAll);
  g.crash("/user/sup/b");
  EXPECT_EQ(g.trace->log,
            (Log{"b:crash", stop_of("b", kCrashed), "d:stop:Supervisor", "c:stop:Supervisor",
                 "a:stop:Supervisor", "a:start", "b:start", "c:start", "d:start"}));
  EXPECT_EQ(g.events_of(EngineEvent::Kind::Restarted),
            (Log{"/user/sup/a", "/user/sup/b", "/user/sup/c", "/user/sup/d"}));
  EXPECT_EQ(g.events_of(EngineEvent::Kind::Started),
            (Log{"/user/sup/a", "/user/sup/b", "/user/sup/c", "/user/sup/d"}));
  EXPECT_EQ(children_of(g.s.engine, "/user/sup"), (Children{"a=1", "b=1", "c=1", "d=1"}));
  EXPECT_EQ(g.s.engine.stats().restarts, 4u);
}

TEST(Supervision,
     rest_for_one_stops_later_siblings_in_reverse_order_then_restarts_them_in_start_order) {
  Group g(SupervisionStrategy::RestForOne);
  g.crash("/user/sup/b");
  EXPECT_EQ(g.trace->log, (Log{"b:crash", stop_of("b", kCrashed), "d:stop:Supervisor",
                               "c:stop:Supervisor", "b:start", "c:start", "d:start"}));
  EXPECT_EQ(g.events_of(EngineEvent::Kind::Restarted),
            (Log{"/user/sup/b", "/user/sup/c", "/user/sup/d"}));
  EXPECT_EQ(g.events_of(EngineEvent::Kind::Started),
            (Log{"/user/sup/b", "/user/sup/c", "/user/sup/d"}));
  EXPECT_EQ(children_of(g.s.engine, "/user/sup"), (Children{"a=0", "b=1", "c=1", "d=1"}));
}

TEST(Supervision, rest_for_one_restarts_only_the_last_child_when_it_fails) {
  Group g(SupervisionStrategy::RestForOne);
  g.crash("/user/sup/d");
  EXPECT_EQ(g.trace->log, (Log{"d:crash", stop_of("d", kCrashed), "d:start"}));
  EXPECT_EQ(children_of(g.s.engine, "/user/sup"), (Children{"a=0", "b=0", "c=0", "d=1"}));
}

TEST(Supervision, rest_for_one_restarts_everything_when_the_first_child_fails) {
  Group g(SupervisionStrategy::RestForOne);
  g.crash("/user/sup/a");
  EXPECT_EQ(g.trace->log,
            (Log{"a:crash", stop_of("a", kCrashed), "d:stop:Supervisor", "c:stop:Supervisor",
                 "b:stop:Supervisor", "a:start", "b:start", "c:start", "d:start"}));
}

TEST(Supervision, one_for_all_removes_a_temporary_sibling_instead_of_restarting_it) {
  SimEngine s;
  auto trace = std::make_shared<Trace>();
  Hooks sup;
  sup.on_start = spawn_children({recorder("a", trace).with_restart(RestartPolicy::Temporary),
                                 recorder("b", trace),
                                 recorder("c", trace).with_restart(RestartPolicy::Transient)});
  must_spawn(s.engine, recorder("sup", trace, sup).with_strategy(SupervisionStrategy::OneForAll));
  s.engine.run_until_idle();
  trace->clear();
  ASSERT_EQ(result_of(s.engine.send(must_lookup(s.engine, "/user/sup/b"), Crash{})), "ok");
  s.engine.run_until_idle();
  EXPECT_EQ(trace->log, (Log{"b:crash", stop_of("b", kCrashed), "c:stop:Supervisor",
                             "a:stop:Supervisor", "b:start", "c:start"}));
  EXPECT_EQ(children_of(s.engine, "/user/sup"), (Children{"b=1", "c=1"}));
}

TEST(Supervision, a_sibling_stopped_by_one_for_all_stops_its_own_children_first_as_hierarchical) {
  SimEngine s;
  auto trace = std::make_shared<Trace>();
  Hooks a;
  a.on_start = spawn_children({recorder("a1", trace)});
  Hooks sup;
  sup.on_start = spawn_children({recorder("a", trace, a), recorder("b", trace)});
  must_spawn(s.engine, recorder("sup", trace, sup).with_strategy(SupervisionStrategy::OneForAll));
  s.engine.run_until_idle();
  trace->clear();
  ASSERT_EQ(result_of(s.engine.send(must_lookup(s.engine, "/user/sup/b"), Crash{})), "ok");
  s.engine.run_until_idle();

  ASSERT_GE(trace->log.size(), 4u);
  EXPECT_EQ(Log(trace->log.begin(), trace->log.begin() + 4),
            (Log{"b:crash", stop_of("b", kCrashed), "a1:stop:Hierarchical", "a:stop:Supervisor"}));
  EXPECT_EQ(trace->of("a"), (Log{"a:stop:Supervisor", "a:start"}));
  EXPECT_EQ(trace->of("a1"), (Log{"a1:stop:Hierarchical", "a1:start"}));
  EXPECT_EQ(children_of(s.engine, "/user/sup"), (Children{"a=1", "b=1"}));
  // a1 is a new child of the new incarnation of a, not a restart.
  EXPECT_EQ(children_of(s.engine, "/user/sup/a"), (Children{"a1=0"}));
}

TEST(Supervision, one_for_all_restarts_a_sibling_that_had_not_started_yet) {
  // b fails in its first on_start, before c (spawned after it) has started: c's first
  // incarnation is stopped without ever running, then all three start again in order.
  SimEngine s;
  auto trace = std::make_shared<Trace>();
  auto b_starts = std::make_shared<int>(0);
  Hooks b;
  b.on_start = [b_starts](ActorContext&) -> HandlerResult {
    if (++*b_starts == 1) return Unexpected{ActorError::init("first start fails")};
    return {};
  };
  Hooks sup;
  sup.on_start =
      spawn_children({recorder("a", trace), recorder("b", trace, b), recorder("c", trace)});
  must_spawn(s.engine, recorder("sup", trace, sup).with_strategy(SupervisionStrategy::OneForAll));
  s.engine.run_until_idle();

  EXPECT_EQ(trace->log, (Log{"sup:start", "a:start", "b:start", "a:stop:Supervisor", "a:start",
                             "b:start", "c:start"}));
  EXPECT_EQ(children_of(s.engine, "/user/sup"), (Children{"a=1", "b=1", "c=1"}));
  EXPECT_EQ(s.engine.stats().live_actors, 4u);
}

TEST(Supervision, a_group_restart_counts_once_toward_the_intensity) {
  SimEngine s;
  auto trace = std::make_shared<Trace>();
  Hooks sup;
  sup.on_start = spawn_children({recorder("a", trace), recorder("b", trace), recorder("c", trace)});
  must_spawn(s.engine, recorder("sup", trace, sup)
                           .with_strategy(SupervisionStrategy::OneForAll)
                           .with_intensity(RestartIntensity{1, std::chrono::seconds(1)}));
  s.engine.run_until_idle();
  EventRecorder events;
  events.attach(s.engine);

  ASSERT_EQ(result_of(s.engine.send(must_lookup(s.engine, "/user/sup/b"), Crash{})), "ok");
  s.engine.run_until_idle();
  EXPECT_TRUE(events.of_kind(EngineEvent::Kind::IntensityExceeded).empty())
      << "three actors restarted, but as one restart of the group";
  EXPECT_EQ(children_of(s.engine, "/user/sup"), (Children{"a=1", "b=1", "c=1"}));

  ASSERT_EQ(result_of(s.engine.send(must_lookup(s.engine, "/user/sup/b"), Crash{})), "ok");
  s.engine.run_until_idle();
  EXPECT_EQ(events.of_kind(EngineEvent::Kind::IntensityExceeded).size(), 1u);
}

// ---------------------------------------------------------------------------------------------
// Requested stops are not restarts

TEST(Supervision, a_permanent_child_stopped_on_request_is_removed_not_restarted) {
  SimEngine s;
  auto trace = std::make_shared<Trace>();
  AddrHash a = must_spawn(s.engine, recorder("a", trace));
  s.engine.run_until_idle();
  ASSERT_EQ(result_of(s.engine.stop_actor(a)), "ok");
  s.engine.run_until_idle();
  EXPECT_EQ(trace->log, (Log{"a:start", "a:stop:Requested"}));
  EXPECT_FALSE(s.engine.lookup("/user/a").has_value());
  EXPECT_EQ(s.engine.stats().restarts, 0u);
}

TEST(Supervision, a_parent_may_stop_or_kill_its_child_and_neither_is_restarted) {
  SimEngine s;
  auto trace = std::make_shared<Trace>();
  Hooks parent;
  parent.on_start = spawn_children({recorder("x", trace), recorder("y", trace)});
  parent.on_message = [](ActorContext& ctx, const Envelope&,
                         MessagePayload& p) -> std::optional<HandlerResult> {
    if (p.is<Ping>()) {
      EXPECT_EQ(result_of(ctx.stop_child(*ctx.lookup("/user/p/x"))), "ok");
      EXPECT_EQ(result_of(ctx.kill_child(*ctx.lookup("/user/p/y"))), "ok");
      return HandlerResult{};
    }
    return std::nullopt;
  };
  AddrHash p = must_spawn(s.engine, recorder("p", trace, parent));
  s.engine.run_until_idle();
  trace->clear();
  ASSERT_EQ(result_of(s.engine.send(p, Ping{1})), "ok");
  s.engine.run_until_idle();
  // Killed: no on_stop for y.
  EXPECT_EQ(trace->log, (Log{"x:stop:Requested"}));
  EXPECT_EQ(children_of(s.engine, "/user/p"), Children{});
  EXPECT_EQ(s.engine.stats().restarts, 0u);
}

TEST(Supervision, an_actor_may_not_stop_an_actor_that_is_not_its_child) {
  SimEngine s;
  auto trace = std::make_shared<Trace>();
  AddrHash other = must_spawn(s.engine, recorder("other", trace));
  std::string verdict;
  Hooks h;
  h.on_start = [&](ActorContext& ctx) -> HandlerResult {
    verdict = result_of(ctx.stop_child(other));
    return {};
  };
  must_spawn(s.engine, recorder("a", trace, h));
  s.engine.run_until_idle();
  EXPECT_EQ(verdict, "PolicyViolation");
  EXPECT_TRUE(s.engine.lookup("/user/other").has_value());
}

// ---------------------------------------------------------------------------------------------
// Restart intensity

TEST(Supervision, restart_count_in_info_counts_the_restarts_at_a_path) {
  SimEngine s;
  auto trace = std::make_shared<Trace>();
  AddrHash a = must_spawn(s.engine, recorder("a", trace));
  s.engine.run_until_idle();
  for (uint32_t i = 1; i <= 3; ++i) {
    ASSERT_EQ(result_of(s.engine.send(a.path_address(), Crash{})), "ok");
    s.engine.run_until_idle();
    auto info = s.engine.info(a.path_address());
    ASSERT_TRUE(info.has_value());
    EXPECT_EQ(info->restart_count, i);
    EXPECT_EQ(info->state, ActorState::Running);
  }
  EXPECT_EQ(s.engine.stats().restarts, 3u);
  EXPECT_EQ(s.engine.stats().failures, 3u);
}

// /user/sup (Permanent under /user) with intensity {2, 1 s} supervising a Permanent child a.
struct IntensityTree {
  SimEngine s;
  std::shared_ptr<Trace> trace = std::make_shared<Trace>();
  EventRecorder events;
  IntensityTree() {
    Hooks sup;
    sup.on_start = spawn_children({recorder("a", trace)});
    must_spawn(
        s.engine,
        recorder("sup", trace, sup).with_intensity(RestartIntensity{2, std::chrono::seconds(1)}));
    s.engine.run_until_idle();
    trace->clear();
    events.attach(s.engine);
  }
  void crash_a() {
    ASSERT_EQ(result_of(s.engine.send(must_lookup(s.engine, "/user/sup/a"), Crash{})), "ok");
    s.engine.run_until_idle();
  }
};

TEST(Supervision,
     a_supervisor_that_exceeds_its_intensity_fails_and_is_restarted_by_its_own_supervisor) {
  IntensityTree t;
  AddrHash sup_before = must_lookup(t.s.engine, "/user/sup");
  t.crash_a();
  t.crash_a();
  EXPECT_TRUE(t.events.of_kind(EngineEvent::Kind::IntensityExceeded).empty());
  t.crash_a();  // the third restart within 1 s is one too many

  const Log& log = t.trace->log;
  ASSERT_EQ(log.size(), 11u) << ::testing::PrintToString(log);
  EXPECT_EQ(Log(log.begin(), log.begin() + 8),
            (Log{"a:crash", stop_of("a", kCrashed), "a:start", "a:crash", stop_of("a", kCrashed),
                 "a:start", "a:crash", stop_of("a", kCrashed)}));
  EXPECT_TRUE(starts_with(log[8], "sup:stop:Error(Handler(restart intensity exceeded")) << log[8];
  // The new incarnation of sup starts, and spawns a fresh a.
  EXPECT_EQ(Log(log.begin() + 9, log.end()), (Log{"sup:start", "a:start"}));

  auto exceeded = t.events.of_kind(EngineEvent::Kind::IntensityExceeded);
  ASSERT_EQ(exceeded.size(), 1u);
  EXPECT_EQ(exceeded[0].path, "/user/sup");
  auto failed = t.events.of_kind(EngineEvent::Kind::Failed);
  ASSERT_FALSE(failed.empty());
  EXPECT_EQ(failed.back().path, "/user/sup");
  EXPECT_EQ(failed.back().reason.error.kind, ActorError::Kind::Handler);
  EXPECT_TRUE(starts_with(failed.back().reason.error.detail, "restart intensity exceeded"))
      << failed.back().reason.error.detail;

  AddrHash sup_after = must_lookup(t.s.engine, "/user/sup");
  EXPECT_NE(sup_after, sup_before);
  EXPECT_EQ(t.s.engine.info(sup_after)->restart_count, 1u);
  EXPECT_EQ(children_of(t.s.engine, "/user/sup"), (Children{"a=0"}));
  EXPECT_FALSE(t.s.engine.failure().has_value());
}

TEST(Supervision, restarts_further_apart_than_the_window_do_not_exceed_the_intensity) {
  IntensityTree t;
  t.crash_a();
  t.crash_a();
  t.s.engine.run_for(std::chrono::milliseconds(1001));
  t.crash_a();
  EXPECT_TRUE(t.events.of_kind(EngineEvent::Kind::IntensityExceeded).empty());
  EXPECT_FALSE(t.trace->has("sup:start"));
  EXPECT_EQ(children_of(t.s.engine, "/user/sup"), (Children{"a=3"}));
}

TEST(Supervision, restarts_within_the_window_exceed_the_intensity_even_when_spread_out) {
  IntensityTree t;
  t.crash_a();
  t.s.engine.run_for(std::chrono::milliseconds(500));
  t.crash_a();
  t.s.engine.run_for(std::chrono::milliseconds(499));
  t.crash_a();
  EXPECT_EQ(t.events.of_kind(EngineEvent::Kind::IntensityExceeded).size(), 1u);
  EXPECT_TRUE(t.trace->has("sup:start"));
}

TEST(Supervision, an_escalated_failure_is_handled_by_the_strategy_of_the_grandparent) {
  // /user/top (OneForAll) supervises x and mid (intensity {0, 1 s}: it may not restart at all);
  // mid supervises leaf. leaf fails -> mid gives up and fails -> top restarts x and mid.
  SimEngine s;
  auto trace = std::make_shared<Trace>();
  Hooks mid;
  mid.on_start = spawn_children({recorder("leaf", trace)});
  Hooks top;
  top.on_start = spawn_children(
      {recorder("x", trace),
       recorder("mid", trace, mid).with_intensity(RestartIntensity{0, std::chrono::seconds(1)})});
  must_spawn(s.engine, recorder("top", trace, top).with_strategy(SupervisionStrategy::OneForAll));
  s.engine.run_until_idle();
  trace->clear();

  ASSERT_EQ(result_of(s.engine.send(must_lookup(s.engine, "/user/top/mid/leaf"), Crash{})), "ok");
  s.engine.run_until_idle();

  const Log& log = trace->log;
  ASSERT_GE(log.size(), 4u) << ::testing::PrintToString(log);
  EXPECT_EQ(log[0], "leaf:crash");
  EXPECT_EQ(log[1], stop_of("leaf", kCrashed));
  EXPECT_TRUE(starts_with(log[2], "mid:stop:Error(Handler(restart intensity exceeded")) << log[2];
  EXPECT_EQ(log[3], "x:stop:Supervisor");
  EXPECT_EQ(trace->count("x:start"), 1u);
  EXPECT_EQ(trace->count("mid:start"), 1u);
  EXPECT_EQ(trace->count("leaf:start"), 1u);
  EXPECT_FALSE(trace->has("top:start")) << "top itself must not restart";
  EXPECT_EQ(children_of(s.engine, "/user/top"), (Children{"mid=1", "x=1"}));
  EXPECT_EQ(children_of(s.engine, "/user/top/mid"), (Children{"leaf=0"}));
}

TEST(Supervision, escalation_climbs_until_a_supervisor_can_restart) {
  // /user/top (intensity {0, 1 s}) -> mid (intensity {1, 1 s}) -> leaf. Two failures of leaf
  // exhaust mid; top may not restart mid, so top fails and /user restarts top.
  SimEngine s;
  auto trace = std::make_shared<Trace>();
  Hooks mid;
  mid.on_start = spawn_children({recorder("leaf", trace)});
  Hooks top;
  top.on_start = spawn_children(
      {recorder("mid", trace, mid).with_intensity(RestartIntensity{1, std::chrono::seconds(1)})});
  must_spawn(
      s.engine,
      recorder("top", trace, top).with_intensity(RestartIntensity{0, std::chrono::seconds(1)}));
  s.engine.run_until_idle();
  trace->clear();

  for (int i = 0; i < 2; ++i) {
    ASSERT_EQ(result_of(s.engine.send(must_lookup(s.engine, "/user/top/mid/leaf"), Crash{})), "ok");
    s.engine.run_until_idle();
  }
  const Log& log = trace->log;
  ASSERT_EQ(log.size(), 10u) << ::testing::PrintToString(log);
  EXPECT_EQ(Log(log.begin(), log.begin() + 5),
            (Log{"leaf:crash", stop_of("leaf", kCrashed), "leaf:start", "leaf:crash",
                 stop_of("leaf", kCrashed)}));
  EXPECT_TRUE(starts_with(log[5], "mid:stop:Error(Handler(restart intensity exceeded")) << log[5];
  EXPECT_TRUE(starts_with(log[6], "top:stop:Error(Handler(restart intensity exceeded")) << log[6];
  EXPECT_EQ(Log(log.begin() + 7, log.end()), (Log{"top:start", "mid:start", "leaf:start"}));
  EXPECT_EQ(s.engine.info(must_lookup(s.engine, "/user/top"))->restart_count, 1u);
  EXPECT_FALSE(s.engine.failure().has_value());
}

TEST(Supervision, a_root_that_exceeds_its_intensity_shuts_the_engine_down_with_a_failure) {
  EngineConfig config;
  config.root_intensity = RestartIntensity{1, std::chrono::seconds(1)};
  SimEngine s(1, config);
  auto trace = std::make_shared<Trace>();
  AddrHash a = must_spawn(s.engine, recorder("a", trace));
  AddrHash b = must_spawn(s.engine, recorder("b", trace));
  s.engine.run_until_idle();
  trace->clear();

  ASSERT_EQ(result_of(s.engine.send(a.path_address(), Crash{})), "ok");
  s.engine.run_until_idle();
  EXPECT_FALSE(s.engine.failure().has_value());
  ASSERT_EQ(result_of(s.engine.send(a.path_address(), Crash{})), "ok");
  s.engine.run_until_idle();

  EXPECT_EQ(trace->log, (Log{"a:crash", stop_of("a", kCrashed), "a:start", "a:crash",
                             stop_of("a", kCrashed), "b:stop:Hierarchical"}));
  ASSERT_TRUE(s.engine.failure().has_value());
  EXPECT_EQ(s.engine.failure()->kind, ActorError::Kind::Handler);
  EXPECT_TRUE(starts_with(s.engine.failure()->detail, "restart intensity exceeded"))
      << s.engine.failure()->detail;
  EXPECT_TRUE(s.engine.is_shut_down());
  EXPECT_EQ(s.engine.stats().live_actors, 0u);
  EXPECT_EQ(result_of(s.engine.send(b, Ping{1})), "ActorStopped");
  EXPECT_FALSE(s.engine.spawn(recorder("late", trace)).has_value());
}

}  // namespace
}  // namespace pd::test
