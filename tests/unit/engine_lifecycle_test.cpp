// Spec: the life of actors and of the engine. Start order, orderly shutdown (children before
// parents, reverse start order), graceful stops that drain, kills at the shutdown deadline,
// brutal stops; timers on the virtual clock; monitors; and runs that replay from their seed.

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "engine_test_support.h"

namespace pd::test {
namespace {

using Log = std::vector<std::string>;

bool has_stop(const Trace& t, const std::string& name) {
  for (const auto& e : t.of(name))
    if (e.rfind(name + ":stop:", 0) == 0) return true;
  return false;
}

// ---------------------------------------------------------------------------------------------
// Start order

TEST(Lifecycle, actors_spawned_from_outside_start_in_spawn_order) {
  SimEngine s;
  auto trace = std::make_shared<Trace>();
  must_spawn(s.engine, recorder("x", trace));
  must_spawn(s.engine, recorder("y", trace));
  must_spawn(s.engine, recorder("z", trace));
  s.engine.run_until_idle();
  EXPECT_EQ(trace->log, (Log{"x:start", "y:start", "z:start"}));
}

TEST(Lifecycle, children_spawned_by_a_supervisor_start_in_spawn_order) {
  SimEngine s;
  auto trace = std::make_shared<Trace>();
  Hooks sup;
  sup.on_start = spawn_children({recorder("x", trace), recorder("y", trace), recorder("z", trace)});
  must_spawn(s.engine, recorder("sup", trace, sup));
  s.engine.run_until_idle();
  EXPECT_EQ(trace->log, (Log{"sup:start", "x:start", "y:start", "z:start"}));
}

// ---------------------------------------------------------------------------------------------
// Shutdown

// /user/a { a1 { a1x }, a2 }, /user/b { b1 }, spawned level by level in that order.
struct Tree3 {
  SimEngine s;
  std::shared_ptr<Trace> trace = std::make_shared<Trace>();
  Tree3() {
    must_spawn(s.engine, recorder("a", trace));
    must_spawn(s.engine, recorder("b", trace));
    s.engine.run_until_idle();
    must_spawn(s.engine, recorder("a1", trace), "/user/a");
    must_spawn(s.engine, recorder("a2", trace), "/user/a");
    must_spawn(s.engine, recorder("b1", trace), "/user/b");
    s.engine.run_until_idle();
    must_spawn(s.engine, recorder("a1x", trace), "/user/a/a1");
    s.engine.run_until_idle();
    trace->clear();
  }
};

TEST(Lifecycle, shutdown_stops_children_before_parents_in_reverse_start_order) {
  Tree3 t;
  t.s.engine.shutdown();
  t.s.engine.run();
  // The reason is Shutdown at every depth (the engine passes Shutdown down the tree; other
  // stops pass Hierarchical to the children).
  EXPECT_EQ(t.trace->log, (Log{"b1:stop:Shutdown", "b:stop:Shutdown", "a2:stop:Shutdown",
                               "a1x:stop:Shutdown", "a1:stop:Shutdown", "a:stop:Shutdown"}));
  EXPECT_TRUE(t.s.engine.is_shut_down());
  EXPECT_FALSE(t.s.engine.failure().has_value());
  EXPECT_EQ(t.s.engine.stats().live_actors, 0u);
  EXPECT_EQ(t.s.engine.stats().actors_spawned, 6u);
  EXPECT_EQ(t.s.engine.stats().actors_stopped, 6u);
  EXPECT_TRUE(t.s.engine.snapshot().actors.empty());
  EXPECT_FALSE(t.s.engine.lookup("/user/a").has_value());
  EXPECT_FALSE(t.s.engine.lookup("/user").has_value());
}

TEST(Lifecycle, stopping_a_parent_stops_its_children_first_with_reason_hierarchical) {
  Tree3 t;
  ASSERT_EQ(result_of(t.s.engine.stop_actor(must_lookup(t.s.engine, "/user/a"))), "ok");
  t.s.engine.run_until_idle();
  EXPECT_EQ(t.trace->log, (Log{"a2:stop:Hierarchical", "a1x:stop:Hierarchical",
                               "a1:stop:Hierarchical", "a:stop:Requested"}));
  EXPECT_TRUE(t.s.engine.lookup("/user/b/b1").has_value());
  EXPECT_EQ(t.s.engine.stats().live_actors, 2u);
}

TEST(Lifecycle, the_roots_cannot_be_stopped_like_actors) {
  SimEngine s;
  EXPECT_EQ(result_of(s.engine.stop_actor(must_lookup(s.engine, "/user"))), "PolicyViolation");
  EXPECT_EQ(result_of(s.engine.kill_actor(must_lookup(s.engine, "/system"))), "PolicyViolation");
  s.engine.run_until_idle();
  EXPECT_FALSE(s.engine.is_shut_down());
}

TEST(Lifecycle, spawning_after_shutdown_is_refused_as_unbound) {
  SimEngine s;
  auto trace = std::make_shared<Trace>();
  s.engine.shutdown();
  s.engine.run();
  ASSERT_TRUE(s.engine.is_shut_down());
  auto r = s.engine.spawn(recorder("late", trace));
  ASSERT_FALSE(r.has_value());
  EXPECT_STREQ(to_string(r.error()), "Unbound");
}

TEST(Lifecycle, a_graceful_stop_drains_the_mailbox_then_calls_on_stop) {
  SimEngine s;
  auto trace = std::make_shared<Trace>();
  AddrHash a =
      must_spawn(s.engine, recorder("a", trace).with_shutdown(ShutdownPolicy::with_timeout(1s)));
  s.engine.run_until_idle();
  trace->clear();
  for (int i = 1; i <= 3; ++i) ASSERT_EQ(result_of(s.engine.send(a, Ping{i})), "ok");

  s.engine.shutdown();
  // A stopping actor takes no new messages from others.
  EXPECT_EQ(result_of(s.engine.send(a, Ping{4})), "ActorStopped");
  s.engine.run();
  EXPECT_EQ(trace->log, (Log{"a:ping:1", "a:ping:2", "a:ping:3", "a:stop:Shutdown"}));
  EXPECT_EQ(s.engine.stats().dead_letters, 0u);
  EXPECT_EQ(ns(s.engine.now()), 0)
      << "a drain that finished in time must not wait for the deadline";
}

TEST(Lifecycle, a_draining_actor_may_still_send_to_itself) {
  SimEngine s;
  auto trace = std::make_shared<Trace>();
  std::string self_send = "not sent";
  Hooks h;
  h.on_message = [&](ActorContext& ctx, const Envelope&,
                     MessagePayload& p) -> std::optional<HandlerResult> {
    if (auto* m = p.get_if<Ping>(); m && m->n == 1)
      self_send = result_of(ctx.send(ctx.self(), Ping{10}));
    return std::nullopt;
  };
  AddrHash a = must_spawn(s.engine, recorder("a", trace, h));
  s.engine.run_until_idle();
  trace->clear();
  ASSERT_EQ(result_of(s.engine.send(a, Ping{1})), "ok");
  ASSERT_EQ(result_of(s.engine.stop_actor(a)), "ok");
  s.engine.run_until_idle();
  EXPECT_EQ(self_send, "ok");
  EXPECT_EQ(trace->log, (Log{"a:ping:1", "a:ping:10", "a:stop:Requested"}));
}

// A Temporary actor that, on every Work, spends 1 ms of virtual time and sends itself another
// Work (up to a cap, so that a broken kill fails the test instead of hanging it), and a
// watcher that monitors it.
struct BusyPair {
  SimEngine s;
  std::shared_ptr<Trace> trace = std::make_shared<Trace>();
  std::shared_ptr<int> handled = std::make_shared<int>(0);
  AddrHash busy;
  static constexpr int kCap = 100000;

  explicit BusyPair(EngineConfig config = {}) : s(1, std::move(config)) {
    SimReactor* sim = s.reactor;
    auto count = handled;
    Hooks b;
    b.on_message = [sim, count](ActorContext& ctx, const Envelope&,
                                MessagePayload& p) -> std::optional<HandlerResult> {
      if (!p.is<Work>()) return std::nullopt;
      ++*count;
      sim->advance(1ms);  // the cost of the work, in virtual time
      if (*count < kCap) (void)ctx.send(ctx.self(), Work{});
      return HandlerResult{};
    };
    busy = must_spawn(s.engine, recorder("busy", trace, b)
                                    .with_restart(RestartPolicy::Temporary)
                                    .with_shutdown(ShutdownPolicy::with_timeout(10ms)));
    auto target = std::make_shared<AddrHash>(busy);
    Hooks w;
    w.on_start = [target](ActorContext& ctx) -> HandlerResult {
      ctx.monitor(*target);
      return {};
    };
    must_spawn(s.engine, recorder("w", trace, w));
    s.engine.run_until_idle();
    trace->clear();
  }
  // Starts the busy loop and asks for a graceful stop at once.
  void start_and_stop() {
    ASSERT_EQ(result_of(s.engine.send(busy, Work{})), "ok");
    ASSERT_EQ(result_of(s.engine.stop_actor(busy)), "ok");
    s.engine.run_until_idle();
  }
};

TEST(Lifecycle, an_actor_still_busy_at_its_shutdown_timeout_is_killed_without_on_stop) {
  PD_ASSERT_ENGINE_SURVIVES({
    BusyPair p;
    p.start_and_stop();
  });
  BusyPair p;
  int64_t t0 = ns(p.s.engine.now());
  p.start_and_stop();
  EXPECT_FALSE(has_stop(*p.trace, "busy")) << "on_stop ran for a killed actor";
  EXPECT_EQ(p.trace->of("w"), (Log{"w:down:Killed"}));
  ASSERT_EQ(p.trace->downs.size(), 1u);
  EXPECT_EQ(p.trace->downs[0].actor, p.busy);
  EXPECT_EQ(p.trace->downs[0].reason, StopReason::killed());
  EXPECT_GE(p.trace->time_of("w:down:Killed"), t0 + ns(10ms)) << "killed before its deadline";
  EXPECT_GE(*p.handled, 10);
  EXPECT_LT(*p.handled, BusyPair::kCap) << "the actor was never killed";
  EXPECT_FALSE(p.s.engine.lookup("/user/busy").has_value());
  // The one Work it had sent itself when it was killed is dropped.
  EXPECT_EQ(p.s.engine.stats().dead_letters, 1u);
}

TEST(Lifecycle, a_busy_actor_is_killed_within_one_turn_of_its_shutdown_deadline) {
  // One message per turn: every turn ends 1 ms of virtual time after the previous one, so an
  // engine that honours the deadline kills the actor at exactly t0 + 10 ms.
  EngineConfig config;
  config.messages_per_turn_max = 1;
  PD_ASSERT_ENGINE_SURVIVES({
    BusyPair p(config);
    p.start_and_stop();
  });
  BusyPair p(config);
  int64_t t0 = ns(p.s.engine.now());
  p.start_and_stop();
  EXPECT_EQ(p.trace->of("w"), (Log{"w:down:Killed"}));
  EXPECT_EQ(p.trace->time_of("w:down:Killed"), t0 + ns(10ms));
  EXPECT_EQ(*p.handled, 10);
}

TEST(Lifecycle, the_shutdown_deadline_holds_without_compute_time_accounting) {
  // account_compute_time only decides whether compute time is measured; it must not change
  // when a deadline is enforced.
  EngineConfig config;
  config.messages_per_turn_max = 1;
  config.account_compute_time = false;
  PD_ASSERT_ENGINE_SURVIVES({
    BusyPair p(config);
    p.start_and_stop();
  });
  BusyPair p(config);
  int64_t t0 = ns(p.s.engine.now());
  p.start_and_stop();
  EXPECT_EQ(p.trace->of("w"), (Log{"w:down:Killed"}));
  EXPECT_EQ(p.trace->time_of("w:down:Killed"), t0 + ns(10ms));
  EXPECT_EQ(*p.handled, 10);
}

// An actor with work queued sits in the run queue; stopping it for good must not leave the
// engine running a turn for the freed cell.
void kill_while_queued(Trace& trace_out) {
  SimEngine s;
  auto trace = std::make_shared<Trace>();
  AddrHash a = must_spawn(s.engine, recorder("a", trace));
  s.engine.run_until_idle();
  EXPECT_EQ(result_of(s.engine.send(a, Ping{1})), "ok");  // a is now waiting for its turn
  EXPECT_EQ(result_of(s.engine.kill_actor(a)), "ok");
  s.engine.run_until_idle();
  EXPECT_FALSE(s.engine.lookup("/user/a").has_value());
  trace_out = *trace;
}

TEST(Lifecycle, killing_an_actor_that_waits_in_the_run_queue_does_not_crash_the_engine) {
  PD_ASSERT_ENGINE_SURVIVES({
    Trace t;
    kill_while_queued(t);
  });
  Trace t;
  kill_while_queued(t);
  EXPECT_EQ(t.log, (Log{"a:start"}));
}

void message_self_then_stop(Trace& trace_out) {
  SimEngine s;
  auto trace = std::make_shared<Trace>();
  Hooks h;
  h.on_message = [](ActorContext& ctx, const Envelope&,
                    MessagePayload& p) -> std::optional<HandlerResult> {
    if (auto* m = p.get_if<Ping>(); m && m->n == 1) {
      EXPECT_EQ(result_of(ctx.send(ctx.self(), Ping{2})), "ok");
      ctx.stop();
    }
    return std::nullopt;
  };
  AddrHash a = must_spawn(s.engine, recorder("a", trace, h).with_restart(RestartPolicy::Temporary));
  s.engine.run_until_idle();
  EXPECT_EQ(result_of(s.engine.send(a, Ping{1})), "ok");
  s.engine.run_until_idle();
  trace_out = *trace;
}

TEST(Lifecycle,
     an_actor_that_messages_itself_and_stops_in_the_same_handler_does_not_crash_the_engine) {
  PD_ASSERT_ENGINE_SURVIVES({
    Trace t;
    message_self_then_stop(t);
  });
  Trace t;
  message_self_then_stop(t);
  // ctx.stop() does not drain: the message it sent itself is never handled.
  EXPECT_EQ(t.log, (Log{"a:start", "a:ping:1", "a:stop:Normal"}));
}

TEST(Lifecycle, brutal_shutdown_skips_on_stop_and_drops_the_mailbox) {
  SimEngine s;
  auto trace = std::make_shared<Trace>();
  AddrHash brutal =
      must_spawn(s.engine, recorder("brutal", trace).with_shutdown(ShutdownPolicy::brutal()));
  must_spawn(s.engine, recorder("gentle", trace));
  s.engine.run_until_idle();
  trace->clear();
  ASSERT_EQ(result_of(s.engine.send(brutal, Ping{1})), "ok");
  ASSERT_EQ(result_of(s.engine.send(brutal, Ping{2})), "ok");

  s.engine.shutdown();
  s.engine.run();
  EXPECT_EQ(trace->log, (Log{"gentle:stop:Shutdown"}));
  EXPECT_EQ(s.engine.stats().dead_letters, 2u);
  EXPECT_EQ(s.engine.stats().live_actors, 0u);
  EXPECT_TRUE(s.engine.is_shut_down());
}

// ---------------------------------------------------------------------------------------------
// Timers

TEST(Lifecycle, send_after_delivers_at_exactly_now_plus_delay_and_not_before) {
  SimEngine s;
  auto trace = std::make_shared<Trace>();
  Hooks h;
  h.on_start = [](ActorContext& ctx) -> HandlerResult {
    ctx.send_after(100ms, ctx.self(), Ping{1});
    return {};
  };
  must_spawn(s.engine, recorder("a", trace, h));  // starts, and arms the timer, at t = 0

  s.engine.run_for(100ms - 1ns);
  EXPECT_FALSE(trace->has("a:ping:1"));
  EXPECT_EQ(ns(s.engine.now()), ns(100ms - 1ns));
  s.engine.run_for(1ns);
  EXPECT_EQ(trace->time_of("a:ping:1"), ns(100ms));
}

TEST(Lifecycle, run_for_advances_the_virtual_clock_by_exactly_its_duration_even_when_idle) {
  SimEngine s;
  EXPECT_EQ(ns(s.engine.now()), 0);
  s.engine.run_for(5s);
  EXPECT_EQ(ns(s.engine.now()), ns(5s));
  s.engine.run_for(1ns);
  EXPECT_EQ(ns(s.engine.now()), ns(5s) + 1);
  s.engine.run_until_idle();  // nothing armed: time stands still
  EXPECT_EQ(ns(s.engine.now()), ns(5s) + 1);
}

TEST(Lifecycle, a_timer_armed_later_fires_relative_to_when_it_was_armed) {
  SimEngine s;
  auto trace = std::make_shared<Trace>();
  Hooks h;
  h.on_message = [](ActorContext& ctx, const Envelope&,
                    MessagePayload& p) -> std::optional<HandlerResult> {
    if (auto* m = p.get_if<Ping>(); m && m->n == 0) ctx.send_after(30ms, ctx.self(), Ping{1});
    return std::nullopt;
  };
  AddrHash a = must_spawn(s.engine, recorder("a", trace, h));
  s.engine.run_for(70ms);
  ASSERT_EQ(result_of(s.engine.send(a, Ping{0})), "ok");
  s.engine.run_until_idle();
  EXPECT_EQ(trace->time_of("a:ping:0"), ns(70ms));
  EXPECT_EQ(trace->time_of("a:ping:1"), ns(100ms));
  EXPECT_EQ(ns(s.engine.now()), ns(100ms));
}

TEST(Lifecycle, timers_fire_in_deadline_order_and_in_arming_order_for_equal_deadlines) {
  SimEngine s;
  auto trace = std::make_shared<Trace>();
  Hooks h;
  h.on_start = [](ActorContext& ctx) -> HandlerResult {
    ctx.send_after(50ms, ctx.self(), Ping{1});
    ctx.send_after(50ms, ctx.self(), Ping{2});
    ctx.send_after(10ms, ctx.self(), Ping{0});
    ctx.send_after(50ms, ctx.self(), Ping{3});
    return {};
  };
  must_spawn(s.engine, recorder("a", trace, h));
  s.engine.run_until_idle();
  EXPECT_EQ(trace->log, (Log{"a:start", "a:ping:0", "a:ping:1", "a:ping:2", "a:ping:3"}));
  EXPECT_EQ(trace->at_ns, (std::vector<int64_t>{0, ns(10ms), ns(50ms), ns(50ms), ns(50ms)}));
}

TEST(Lifecycle, send_interval_ticks_once_per_period) {
  SimEngine s;
  auto trace = std::make_shared<Trace>();
  Hooks h;
  h.on_start = [](ActorContext& ctx) -> HandlerResult {
    ctx.send_interval(10ms, ctx.self(), Ping{7});
    return {};
  };
  must_spawn(s.engine, recorder("a", trace, h));
  s.engine.run_for(95ms);
  EXPECT_EQ(trace->count("a:ping:7"), 9u);
  s.engine.run_for(5ms);
  EXPECT_EQ(trace->count("a:ping:7"), 10u);
  std::vector<int64_t> expected = {0};
  for (int i = 1; i <= 10; ++i) expected.push_back(ns(10ms) * i);
  EXPECT_EQ(trace->at_ns, expected);
}

TEST(Lifecycle, a_cancelled_timer_never_fires) {
  SimEngine s;
  auto trace = std::make_shared<Trace>();
  auto interval = std::make_shared<TimerId>();
  std::vector<bool> cancels;
  int ticks = 0;
  Hooks h;
  h.on_start = [&, interval](ActorContext& ctx) -> HandlerResult {
    TimerId once = ctx.send_after(50ms, ctx.self(), Ping{1});
    *interval = ctx.send_interval(10ms, ctx.self(), Ping{2});
    cancels.push_back(ctx.cancel_timer(once));
    cancels.push_back(ctx.cancel_timer(once));  // already cancelled
    return {};
  };
  h.on_message = [&, interval](ActorContext& ctx, const Envelope&,
                               MessagePayload& p) -> std::optional<HandlerResult> {
    if (auto* m = p.get_if<Ping>(); m && m->n == 2 && ++ticks == 3)
      cancels.push_back(ctx.cancel_timer(*interval));
    return std::nullopt;
  };
  must_spawn(s.engine, recorder("a", trace, h));
  s.engine.run_for(200ms);
  EXPECT_EQ(cancels, (std::vector<bool>{true, false, true}));
  EXPECT_EQ(trace->log, (Log{"a:start", "a:ping:2", "a:ping:2", "a:ping:2"}));
  EXPECT_EQ(trace->at_ns, (std::vector<int64_t>{0, ns(10ms), ns(20ms), ns(30ms)}));
}

TEST(Lifecycle, cancelling_a_timer_that_already_fired_returns_false) {
  SimEngine s;
  auto trace = std::make_shared<Trace>();
  auto id = std::make_shared<TimerId>();
  std::optional<bool> late_cancel;
  Hooks h;
  h.on_start = [id](ActorContext& ctx) -> HandlerResult {
    *id = ctx.send_after(5ms, ctx.self(), Ping{1});
    return {};
  };
  h.on_message = [&, id](ActorContext& ctx, const Envelope&,
                         MessagePayload& p) -> std::optional<HandlerResult> {
    if (p.is<Ping>()) late_cancel = ctx.cancel_timer(*id);
    return std::nullopt;
  };
  must_spawn(s.engine, recorder("a", trace, h));
  s.engine.run_until_idle();
  ASSERT_TRUE(late_cancel.has_value());
  EXPECT_FALSE(*late_cancel);
}

TEST(Lifecycle, timers_of_a_stopped_actor_do_not_fire) {
  SimEngine s;
  auto trace = std::make_shared<Trace>();
  AddrHash b = must_spawn(s.engine, recorder("b", trace));
  auto target = std::make_shared<AddrHash>(b);
  Hooks h;
  h.on_start = [target](ActorContext& ctx) -> HandlerResult {
    ctx.send_after(50ms, *target, Ping{1});
    ctx.send_interval(20ms, *target, Ping{2});
    return {};
  };
  AddrHash a = must_spawn(s.engine, recorder("a", trace, h).with_restart(RestartPolicy::Temporary));
  ASSERT_EQ(result_of(s.engine.send(a, StopSelf{})), "ok");  // handled right after on_start
  s.engine.run_for(200ms);
  EXPECT_EQ(trace->of("a"), (Log{"a:start", "a:stop-self", "a:stop:Normal"}));
  EXPECT_EQ(trace->of("b"), (Log{"b:start"}));
}

TEST(Lifecycle, timers_of_a_previous_incarnation_do_not_fire_after_a_restart) {
  SimEngine s;
  auto trace = std::make_shared<Trace>();
  AddrHash b = must_spawn(s.engine, recorder("b", trace));
  auto target = std::make_shared<AddrHash>(b);
  auto incarnation = std::make_shared<int>(0);
  Hooks h;
  h.on_start = [target, incarnation](ActorContext& ctx) -> HandlerResult {
    ctx.send_after(50ms, *target, Ping{++*incarnation});
    return {};
  };
  AddrHash a = must_spawn(s.engine, recorder("a", trace, h));
  ASSERT_EQ(result_of(s.engine.send(a, Crash{})), "ok");  // at t = 0, right after on_start
  s.engine.run_until_idle();
  EXPECT_EQ(*incarnation, 2);
  EXPECT_EQ(trace->of("b"), (Log{"b:start", "b:ping:2"}));
  EXPECT_EQ(trace->time_of("b:ping:2"), ns(50ms));
}

// ---------------------------------------------------------------------------------------------
// Monitors

// A watcher "w" that monitors *target in on_start.
ChildSpec watcher(std::shared_ptr<Trace> trace, std::shared_ptr<AddrHash> target) {
  Hooks w;
  w.on_start = [target](ActorContext& ctx) -> HandlerResult {
    ctx.monitor(*target);
    return {};
  };
  return recorder("w", std::move(trace), std::move(w));
}

TEST(Lifecycle, a_monitor_receives_down_with_the_stop_reason_when_the_target_stops) {
  SimEngine s;
  auto trace = std::make_shared<Trace>();
  AddrHash t = must_spawn(s.engine, recorder("t", trace).with_restart(RestartPolicy::Temporary));
  must_spawn(s.engine, watcher(trace, std::make_shared<AddrHash>(t)));
  s.engine.run_until_idle();
  ASSERT_EQ(result_of(s.engine.send(t, StopSelf{})), "ok");
  s.engine.run_until_idle();

  EXPECT_EQ(trace->of("w"), (Log{"w:start", "w:down:Normal"}));
  ASSERT_EQ(trace->downs.size(), 1u);
  EXPECT_EQ(trace->downs[0].actor, t);
  EXPECT_EQ(trace->downs[0].reason, StopReason::normal());
  EXPECT_TRUE(trace->downs[0].existed);
  // Down comes after the target's on_stop.
  EXPECT_LT(std::find(trace->log.begin(), trace->log.end(), "t:stop:Normal"),
            std::find(trace->log.begin(), trace->log.end(), "w:down:Normal"));
}

TEST(Lifecycle, a_monitor_sees_the_failure_of_the_incarnation_it_watched_and_not_its_successor) {
  SimEngine s;
  auto trace = std::make_shared<Trace>();
  AddrHash t = must_spawn(s.engine, recorder("t", trace));
  must_spawn(s.engine, watcher(trace, std::make_shared<AddrHash>(t)));
  s.engine.run_until_idle();
  for (int i = 0; i < 2; ++i) {
    ASSERT_EQ(result_of(s.engine.send(t.path_address(), Crash{})), "ok");
    s.engine.run_until_idle();
  }
  EXPECT_EQ(trace->of("w"), (Log{"w:start", "w:down:Error(Handler(crash))"}));
  ASSERT_EQ(trace->downs.size(), 1u);
  EXPECT_EQ(trace->downs[0].actor, t);
}

TEST(Lifecycle, a_monitor_of_a_killed_actor_receives_down_killed) {
  SimEngine s;
  auto trace = std::make_shared<Trace>();
  AddrHash t = must_spawn(s.engine, recorder("t", trace));
  must_spawn(s.engine, watcher(trace, std::make_shared<AddrHash>(t)));
  s.engine.run_until_idle();
  ASSERT_EQ(result_of(s.engine.kill_actor(t)), "ok");
  s.engine.run_until_idle();
  EXPECT_EQ(trace->of("t"), (Log{"t:start"}));
  EXPECT_EQ(trace->of("w"), (Log{"w:start", "w:down:Killed"}));
  EXPECT_FALSE(s.engine.lookup("/user/t").has_value());
}

TEST(Lifecycle, monitoring_a_dead_address_delivers_down_with_existed_false) {
  SimEngine s;
  auto trace = std::make_shared<Trace>();
  AddrHash t = must_spawn(s.engine, recorder("t", trace).with_restart(RestartPolicy::Temporary));
  s.engine.run_until_idle();
  ASSERT_EQ(result_of(s.engine.send(t, StopSelf{})), "ok");
  s.engine.run_until_idle();
  trace->clear();

  must_spawn(s.engine, watcher(trace, std::make_shared<AddrHash>(t)));
  s.engine.run_until_idle();
  EXPECT_EQ(trace->log, (Log{"w:start", "w:down-noproc"}));
  ASSERT_EQ(trace->downs.size(), 1u);
  EXPECT_EQ(trace->downs[0].actor, t);
  EXPECT_FALSE(trace->downs[0].existed);
}

TEST(Lifecycle, demonitor_cancels_the_down) {
  SimEngine s;
  auto trace = std::make_shared<Trace>();
  AddrHash t = must_spawn(s.engine, recorder("t", trace).with_restart(RestartPolicy::Temporary));
  auto target = std::make_shared<AddrHash>(t);
  Hooks w;
  w.on_start = [target](ActorContext& ctx) -> HandlerResult {
    ctx.monitor(*target);
    ctx.demonitor(*target);
    return {};
  };
  must_spawn(s.engine, recorder("w", trace, w));
  s.engine.run_until_idle();
  ASSERT_EQ(result_of(s.engine.send(t, StopSelf{})), "ok");
  s.engine.run_until_idle();
  EXPECT_EQ(trace->of("w"), (Log{"w:start"}));
}

// ---------------------------------------------------------------------------------------------
// Determinism

// Four workers under a supervisor. Each draws from the engine's generator to pick a delay,
// messages itself after it, and on each message either fails (one time in three) or re-arms.
std::vector<std::string> seeded_run(uint64_t seed) {
  SimEngine s(seed);
  auto trace = std::make_shared<Trace>();
  std::vector<ChildSpec> workers;
  for (int i = 0; i < 4; ++i) {
    std::string name = "w";
    name += std::to_string(i);  // not "w" + ...: g++ 12 -O3 warns (-Wrestrict)
    Hooks h;
    h.on_start = [trace, name](ActorContext& ctx) -> HandlerResult {
      uint64_t r = ctx.random_u64();
      trace->add(ctx, name + ":rand:" + std::to_string(r % 1000));
      ctx.send_after(std::chrono::milliseconds(1 + r % 100), ctx.self(), Ping{int(r % 1000)});
      return {};
    };
    h.on_message = [](ActorContext& ctx, const Envelope&,
                      MessagePayload& p) -> std::optional<HandlerResult> {
      if (!p.is<Ping>()) return std::nullopt;
      uint64_t r = ctx.random_u64();
      if (r % 3 == 0) return HandlerResult(Unexpected{ActorError::handler("dice")});
      ctx.send_after(std::chrono::milliseconds(1 + r % 100), ctx.self(), Ping{int(r % 1000)});
      return std::nullopt;
    };
    workers.push_back(recorder(name, trace, h));
  }
  Hooks sup;
  sup.on_start = spawn_children(std::move(workers));
  must_spawn(
      s.engine,
      recorder("sup", trace, sup).with_intensity(RestartIntensity{1000, std::chrono::seconds(1)}));
  s.engine.run_for(1s);
  std::vector<std::string> out;
  for (size_t i = 0; i < trace->log.size(); ++i)
    out.push_back(trace->log[i] + "@" + std::to_string(trace->at_ns[i]));
  return out;
}

TEST(Lifecycle, the_same_seed_gives_the_same_run) {
  std::vector<std::string> first = seeded_run(42);
  std::vector<std::string> second = seeded_run(42);
  ASSERT_GT(first.size(), 50u) << "the scenario should do a fair amount of work";
  EXPECT_EQ(first, second);
  bool crashed = false;
  for (const auto& e : first) crashed |= e.find(":stop:Error(Handler(dice))") != std::string::npos;
  EXPECT_TRUE(crashed) << "the scenario should include failures and restarts";
}

TEST(Lifecycle, a_different_seed_gives_a_different_run) {
  EXPECT_NE(seeded_run(42), seeded_run(43));
}

}  // namespace
}  // namespace pd::test
