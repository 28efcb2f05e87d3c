// Spec: messaging on one engine. Typed sends, the bounded mailbox, priorities, addresses of
// stopped and restarted actors, ask (reply, timeout, no response), handler failures and the
// introspection that reports on mailboxes.

#include <gtest/gtest.h>

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "engine_test_support.h"

namespace pd::test {
namespace {

// ---------------------------------------------------------------------------------------------
// Typed sends

TEST(EngineMessaging, a_typed_message_reaches_on_message_with_its_value_and_type_tag) {
  SimEngine s;
  auto trace = std::make_shared<Trace>();
  uint64_t seen_tag = 0;
  AddrHash seen_source = AddrHash(1, 1);
  AddrHash seen_destination;
  Hooks h;
  h.on_message = [&](ActorContext&, const Envelope& e,
                     MessagePayload&) -> std::optional<HandlerResult> {
    seen_tag = e.type_tag;
    seen_source = e.source;
    seen_destination = e.destination;
    return std::nullopt;
  };
  AddrHash a = must_spawn(s.engine, recorder("a", trace, h));
  s.engine.run_until_idle();

  ASSERT_EQ(result_of(s.engine.send(a, Ping{7})), "ok");
  s.engine.run_until_idle();

  EXPECT_EQ(trace->log, (std::vector<std::string>{"a:start", "a:ping:7"}));
  EXPECT_EQ(seen_tag, type_tag_v<Ping>);
  EXPECT_TRUE(seen_source.is_null()) << "Engine::send keeps the (null) source it was given";
  EXPECT_EQ(seen_destination, a);
}

TEST(EngineMessaging, on_start_runs_only_when_the_engine_runs_and_before_the_first_message) {
  SimEngine s;
  auto trace = std::make_shared<Trace>();
  AddrHash a = must_spawn(s.engine, recorder("a", trace));
  // Accepted while the actor is still Starting; handled after on_start.
  ASSERT_EQ(result_of(s.engine.send(a, Ping{1})), "ok");
  EXPECT_TRUE(trace->log.empty());
  ASSERT_TRUE(s.engine.info(a).has_value());
  EXPECT_EQ(s.engine.info(a)->state, ActorState::Starting);

  s.engine.run_until_idle();
  EXPECT_EQ(trace->log, (std::vector<std::string>{"a:start", "a:ping:1"}));
  EXPECT_EQ(s.engine.info(a)->state, ActorState::Running);
}

TEST(EngineMessaging, messages_from_one_sender_are_handled_in_send_order) {
  SimEngine s;
  auto trace = std::make_shared<Trace>();
  AddrHash a = must_spawn(s.engine, recorder("a", trace));
  s.engine.run_until_idle();
  for (int i = 1; i <= 5; ++i) ASSERT_EQ(result_of(s.engine.send(a, Ping{i})), "ok");
  s.engine.run_until_idle();
  EXPECT_EQ(trace->of("a"), (std::vector<std::string>{"a:start", "a:ping:1", "a:ping:2", "a:ping:3",
                                                      "a:ping:4", "a:ping:5"}));
}

TEST(EngineMessaging, a_send_from_an_actor_carries_the_senders_address_as_source) {
  SimEngine s;
  auto trace = std::make_shared<Trace>();
  auto b_addr = std::make_shared<AddrHash>();
  AddrHash source_seen_by_b;
  Hooks ah;
  ah.on_start = [b_addr](ActorContext& ctx) -> HandlerResult {
    EXPECT_EQ(result_of(ctx.send(*b_addr, Ping{42})), "ok");
    return {};
  };
  Hooks bh;
  bh.on_message = [&](ActorContext&, const Envelope& e,
                      MessagePayload&) -> std::optional<HandlerResult> {
    source_seen_by_b = e.source;
    return std::nullopt;
  };
  *b_addr = must_spawn(s.engine, recorder("b", trace, bh));
  AddrHash a = must_spawn(s.engine, recorder("a", trace, ah));
  s.engine.run_until_idle();
  EXPECT_EQ(trace->of("b"), (std::vector<std::string>{"b:start", "b:ping:42"}));
  EXPECT_EQ(source_seen_by_b, a);
}

// ---------------------------------------------------------------------------------------------
// The bounded mailbox

TEST(EngineMessaging, a_full_mailbox_accepts_exactly_its_capacity_then_refuses_with_mailbox_full) {
  SimEngine s;
  auto trace = std::make_shared<Trace>();
  AddrHash a = must_spawn(s.engine, recorder("a", trace).with_mailbox_capacity(3));
  s.engine.run_until_idle();

  EXPECT_EQ(result_of(s.engine.send(a, Ping{1})), "ok");
  EXPECT_EQ(result_of(s.engine.send(a, Ping{2})), "ok");
  EXPECT_EQ(result_of(s.engine.send(a, Ping{3})), "ok");
  EXPECT_EQ(result_of(s.engine.send(a, Ping{4})), "MailboxFull");
  EXPECT_EQ(result_of(s.engine.send(a, Ping{5})), "MailboxFull");
  ASSERT_TRUE(s.engine.info(a).has_value());
  EXPECT_EQ(s.engine.info(a)->mailbox_depth, 3u);
  EXPECT_EQ(s.engine.info(a)->mailbox_capacity, 3u);
  EXPECT_EQ(s.engine.stats().send_failures, 2u);

  s.engine.run_until_idle();
  EXPECT_EQ(trace->of("a"),
            (std::vector<std::string>{"a:start", "a:ping:1", "a:ping:2", "a:ping:3"}));
  // Room again once the actor has drained its mailbox.
  EXPECT_EQ(result_of(s.engine.send(a, Ping{6})), "ok");
  s.engine.run_until_idle();
  EXPECT_EQ(trace->log.back(), "a:ping:6");
}

TEST(EngineMessaging, the_mailbox_bound_counts_every_priority_level_together) {
  SimEngine s;
  auto trace = std::make_shared<Trace>();
  AddrHash a = must_spawn(s.engine, recorder("a", trace).with_mailbox_capacity(2));
  s.engine.run_until_idle();
  EXPECT_EQ(result_of(s.engine.send(a, Ping{1}, 0)), "ok");
  EXPECT_EQ(result_of(s.engine.send(a, Ping{2}, 3)), "ok");
  EXPECT_EQ(result_of(s.engine.send(a, Ping{3}, 3)), "MailboxFull");
  EXPECT_EQ(result_of(s.engine.send(a, Ping{4}, 0)), "MailboxFull");
}

TEST(EngineMessaging, a_spawn_with_a_mailbox_capacity_outside_the_bounds_is_refused) {
  SimEngine s;
  auto trace = std::make_shared<Trace>();
  auto zero = s.engine.spawn(recorder("a", trace).with_mailbox_capacity(0));
  ASSERT_FALSE(zero.has_value());
  EXPECT_EQ(zero.error(), SpawnError::InvalidSpec);
  auto huge = s.engine.spawn(recorder("b", trace).with_mailbox_capacity(kMailboxCapacityMax + 1));
  ASSERT_FALSE(huge.has_value());
  EXPECT_EQ(huge.error(), SpawnError::InvalidSpec);
}

// ---------------------------------------------------------------------------------------------
// Priorities

TEST(EngineMessaging, higher_priority_messages_are_handled_first_and_fifo_within_a_level) {
  SimEngine s;
  auto trace = std::make_shared<Trace>();
  AddrHash a = must_spawn(s.engine, recorder("a", trace));
  s.engine.run_until_idle();
  trace->clear();

  // All queued before the actor runs.
  ASSERT_EQ(result_of(s.engine.send(a, Ping{1}, 0)), "ok");
  ASSERT_EQ(result_of(s.engine.send(a, Ping{2}, 2)), "ok");
  ASSERT_EQ(result_of(s.engine.send(a, Ping{3}, 3)), "ok");
  ASSERT_EQ(result_of(s.engine.send(a, Ping{4}, 0)), "ok");
  ASSERT_EQ(result_of(s.engine.send(a, Ping{5}, 2)), "ok");
  ASSERT_EQ(result_of(s.engine.send(a, Ping{6}, 3)), "ok");
  ASSERT_EQ(result_of(s.engine.send(a, Ping{7}, 1)), "ok");
  ASSERT_EQ(result_of(s.engine.send(a, Ping{8}, 200)), "ok");  // clamped to 3
  s.engine.run_until_idle();

  EXPECT_EQ(trace->log, (std::vector<std::string>{"a:ping:3", "a:ping:6", "a:ping:8", "a:ping:2",
                                                  "a:ping:5", "a:ping:7", "a:ping:1", "a:ping:4"}));
}

TEST(EngineMessaging, priority_and_fifo_order_hold_for_large_bursts_and_repeated_floods) {
  SimEngine s;
  std::vector<int> seen;
  Hooks h;
  h.on_message = [&](ActorContext&, const Envelope&,
                     MessagePayload& p) -> std::optional<HandlerResult> {
    if (auto* m = p.get_if<Ping>()) seen.push_back(m->n);
    return HandlerResult{};
  };
  auto trace = std::make_shared<Trace>();
  AddrHash a = must_spawn(s.engine, recorder("a", trace, h).with_mailbox_capacity(2000));
  s.engine.run_until_idle();

  // Enough to grow the rings past their shrink threshold, twice over (the second flood reuses
  // whatever the first one released).
  for (int round = 0; round < 2; ++round) {
    seen.clear();
    std::vector<int> expected_urgent, expected_high, expected_normal;
    int n = 0;
    for (int i = 0; i < 600; ++i, ++n) {
      ASSERT_EQ(result_of(s.engine.send(a, Ping{n}, 0)), "ok");
      expected_normal.push_back(n);
    }
    for (int i = 0; i < 300; ++i, ++n) {
      ASSERT_EQ(result_of(s.engine.send(a, Ping{n}, 2)), "ok");
      expected_high.push_back(n);
    }
    for (int i = 0; i < 300; ++i, ++n) {
      ASSERT_EQ(result_of(s.engine.send(a, Ping{n}, 0)), "ok");
      expected_normal.push_back(n);
    }
    for (int i = 0; i < 5; ++i, ++n) {
      ASSERT_EQ(result_of(s.engine.send(a, Ping{n}, 3)), "ok");
      expected_urgent.push_back(n);
    }
    EXPECT_EQ(s.engine.info(a)->mailbox_depth, 1205u);
    s.engine.run_until_idle();
    std::vector<int> expected = expected_urgent;
    expected.insert(expected.end(), expected_high.begin(), expected_high.end());
    expected.insert(expected.end(), expected_normal.begin(), expected_normal.end());
    EXPECT_EQ(seen, expected) << "round " << round;
    EXPECT_EQ(s.engine.info(a)->mailbox_depth, 0u);
  }
}

TEST(EngineMessaging, priorities_given_to_ctx_send_are_honoured) {
  SimEngine s;
  auto trace = std::make_shared<Trace>();
  auto target = std::make_shared<AddrHash>();
  Hooks sender;
  sender.on_start = [target](ActorContext& ctx) -> HandlerResult {
    EXPECT_EQ(result_of(ctx.send(*target, Ping{1}, 0)), "ok");
    EXPECT_EQ(result_of(ctx.send(*target, Ping{2}, 1)), "ok");
    EXPECT_EQ(result_of(ctx.send(*target, Ping{3}, 3)), "ok");
    EXPECT_EQ(result_of(ctx.send(*target, Ping{4}, 1)), "ok");
    return {};
  };
  *target = must_spawn(s.engine, recorder("t", trace));
  must_spawn(s.engine, recorder("sender", trace, sender));
  s.engine.run_until_idle();
  EXPECT_EQ(trace->of("t"),
            (std::vector<std::string>{"t:start", "t:ping:3", "t:ping:2", "t:ping:4", "t:ping:1"}));
}

// ---------------------------------------------------------------------------------------------
// Addresses of stopped and restarted actors

TEST(EngineMessaging, a_send_to_a_stopped_and_removed_actor_fails_with_actor_stopped) {
  SimEngine s;
  auto trace = std::make_shared<Trace>();
  AddrHash a = must_spawn(s.engine, recorder("a", trace).with_restart(RestartPolicy::Temporary));
  s.engine.run_until_idle();
  ASSERT_EQ(result_of(s.engine.send(a, StopSelf{})), "ok");
  s.engine.run_until_idle();
  ASSERT_EQ(trace->log, (std::vector<std::string>{"a:start", "a:stop-self", "a:stop:Normal"}));

  EXPECT_EQ(result_of(s.engine.send(a, Ping{1})), "ActorStopped");
  EXPECT_FALSE(s.engine.info(a).has_value());
  EXPECT_FALSE(s.engine.lookup("/user/a").has_value());
  // Nothing lives at the path any more: its path address routes nowhere.
  EXPECT_EQ(result_of(s.engine.send(a.path_address(), Ping{2})), "Unroutable");
  s.engine.run_until_idle();
  EXPECT_EQ(trace->log.size(), 3u);
}

TEST(EngineMessaging, a_send_to_an_unknown_path_address_is_unroutable) {
  SimEngine s;
  AddrHash nobody(ActorPath::fnv1a_of_path("/user/nobody"), 0);
  ASSERT_TRUE(nobody.is_path_address());
  EXPECT_EQ(result_of(s.engine.send(nobody, Ping{1})), "Unroutable");
  EXPECT_EQ(s.engine.stats().send_failures, 1u);
}

TEST(EngineMessaging, a_restarted_actor_has_a_new_generation_at_the_same_path) {
  SimEngine s;
  auto trace = std::make_shared<Trace>();
  AddrHash old_addr = must_spawn(s.engine, recorder("a", trace));
  s.engine.run_until_idle();
  ASSERT_EQ(result_of(s.engine.send(old_addr, Crash{})), "ok");
  s.engine.run_until_idle();

  AddrHash new_addr = must_lookup(s.engine, "/user/a");
  EXPECT_NE(new_addr, old_addr);
  EXPECT_EQ(new_addr.path_hash(), old_addr.path_hash());
  EXPECT_NE(new_addr.generation(), old_addr.generation());
  EXPECT_NE(new_addr.generation(), 0u);
  EXPECT_EQ(new_addr.path_address(), old_addr.path_address());
}

TEST(EngineMessaging,
     a_send_to_the_old_generation_after_a_restart_fails_and_never_reaches_the_new_incarnation) {
  SimEngine s;
  auto trace = std::make_shared<Trace>();
  AddrHash old_addr = must_spawn(s.engine, recorder("a", trace));
  s.engine.run_until_idle();
  ASSERT_EQ(result_of(s.engine.send(old_addr, Crash{})), "ok");
  s.engine.run_until_idle();
  AddrHash new_addr = must_lookup(s.engine, "/user/a");

  EXPECT_EQ(result_of(s.engine.send(old_addr, Ping{1})), "ActorStopped");
  EXPECT_EQ(result_of(s.engine.send(new_addr, Ping{2})), "ok");
  s.engine.run_until_idle();
  EXPECT_EQ(trace->log,
            (std::vector<std::string>{"a:start", "a:crash", "a:stop:Error(Handler(crash))",
                                      "a:start", "a:ping:2"}));
  EXPECT_FALSE(s.engine.info(old_addr).has_value());
}

TEST(
    EngineMessaging,
    messages_queued_for_the_old_generation_become_dead_letters_while_path_addressed_ones_reach_the_new_incarnation) {
  SimEngine s;
  auto trace = std::make_shared<Trace>();
  AddrHash old_addr = must_spawn(s.engine, recorder("a", trace));
  s.engine.run_until_idle();
  // All three are queued before the crash is handled.
  ASSERT_EQ(result_of(s.engine.send(old_addr, Crash{})), "ok");
  ASSERT_EQ(result_of(s.engine.send(old_addr, Ping{1})), "ok");
  ASSERT_EQ(result_of(s.engine.send(old_addr.path_address(), Ping{2})), "ok");
  s.engine.run_until_idle();

  EXPECT_EQ(trace->log,
            (std::vector<std::string>{"a:start", "a:crash", "a:stop:Error(Handler(crash))",
                                      "a:start", "a:ping:2"}));
  EXPECT_EQ(s.engine.stats().dead_letters, 1u);
}

TEST(EngineMessaging, a_path_address_reaches_the_current_incarnation_across_restarts) {
  SimEngine s;
  auto trace = std::make_shared<Trace>();
  AddrHash first = must_spawn(s.engine, recorder("a", trace));
  AddrHash path = first.path_address();
  s.engine.run_until_idle();

  for (int round = 1; round <= 2; ++round) {
    ASSERT_EQ(result_of(s.engine.send(path, Crash{})), "ok");
    s.engine.run_until_idle();
    ASSERT_EQ(result_of(s.engine.send(path, Ping{round})), "ok");
    s.engine.run_until_idle();
  }
  EXPECT_EQ(trace->log,
            (std::vector<std::string>{"a:start", "a:crash", "a:stop:Error(Handler(crash))",
                                      "a:start", "a:ping:1", "a:crash",
                                      "a:stop:Error(Handler(crash))", "a:start", "a:ping:2"}));
  auto info = s.engine.info(path);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->address, must_lookup(s.engine, "/user/a"));
  EXPECT_EQ(info->restart_count, 2u);
}

// ---------------------------------------------------------------------------------------------
// Ask

struct AskOutcome {
  int calls = 0;
  std::optional<int> answer;
  std::optional<AskError> error;
  int64_t at_ns = -1;
  uint64_t correlation = 0;
  bool was_response = false;
};

// An actor that, on start, asks `target` Question{21} with `timeout` and records the outcome.
ChildSpec asker(std::shared_ptr<Trace> trace, std::shared_ptr<AddrHash> target, Duration timeout,
                std::shared_ptr<AskOutcome> out) {
  Hooks h;
  h.on_start = [target, timeout, out](ActorContext& ctx) -> HandlerResult {
    ctx.ask(*target, Question{21}, timeout, [out](ActorContext& c, AskResult r) {
      ++out->calls;
      out->at_ns = ns(c.now());
      if (r) {
        Message& m = r.value();
        out->correlation = m.envelope.correlation_id;
        out->was_response = m.envelope.is_response();
        auto a = m.payload.get<Answer>();
        if (a) out->answer = a.value()->n;
      } else {
        out->error = r.error();
      }
    });
    return {};
  };
  return recorder("asker", std::move(trace), std::move(h));
}

TEST(EngineMessaging, ask_calls_back_once_with_the_reply) {
  SimEngine s;
  auto trace = std::make_shared<Trace>();
  auto target = std::make_shared<AddrHash>();
  auto out = std::make_shared<AskOutcome>();
  uint64_t request_id = 0;
  Hooks th;
  th.on_message = [&](ActorContext&, const Envelope& e,
                      MessagePayload&) -> std::optional<HandlerResult> {
    request_id = uint64_t(e.message_id);
    return std::nullopt;  // the default handling replies Answer{2n}
  };
  *target = must_spawn(s.engine, recorder("t", trace, th));
  must_spawn(s.engine, asker(trace, target, 1s, out));
  s.engine.run_until_idle();

  EXPECT_EQ(out->calls, 1);
  ASSERT_TRUE(out->answer.has_value());
  EXPECT_EQ(*out->answer, 42);
  EXPECT_TRUE(out->was_response);
  EXPECT_EQ(out->correlation, request_id);
  EXPECT_EQ(out->at_ns, 0);
  // The reply cancelled the timeout: nothing was left to advance the clock to.
  EXPECT_EQ(ns(s.engine.now()), 0);
  EXPECT_TRUE(trace->has("t:question:21"));
}

TEST(EngineMessaging, ask_times_out_at_exactly_the_timeout_in_virtual_time) {
  SimEngine s;
  auto trace = std::make_shared<Trace>();
  auto target = std::make_shared<AddrHash>();
  auto out = std::make_shared<AskOutcome>();
  Hooks silent;
  silent.on_message = [](ActorContext&, const Envelope&,
                         MessagePayload&) -> std::optional<HandlerResult> {
    return HandlerResult{};  // never replies
  };
  *target = must_spawn(s.engine, recorder("t", trace, silent));
  must_spawn(s.engine, asker(trace, target, 250ms, out));  // asks at t = 0

  s.engine.run_for(250ms - 1ns);
  EXPECT_EQ(out->calls, 0) << "the callback ran before the timeout";
  s.engine.run_for(1ns);
  EXPECT_EQ(out->calls, 1);
  ASSERT_TRUE(out->error.has_value());
  EXPECT_EQ(*out->error, AskError::timeout());
  EXPECT_EQ(out->at_ns, ns(250ms));
  s.engine.run_until_idle();
  EXPECT_EQ(out->calls, 1);
}

TEST(EngineMessaging, ask_reports_no_response_when_the_target_stops_without_replying) {
  SimEngine s;
  auto trace = std::make_shared<Trace>();
  auto target = std::make_shared<AddrHash>();
  auto out = std::make_shared<AskOutcome>();
  Hooks quitter;
  quitter.on_message = [](ActorContext& ctx, const Envelope&,
                          MessagePayload& p) -> std::optional<HandlerResult> {
    if (p.is<Question>()) ctx.stop();
    return HandlerResult{};
  };
  *target =
      must_spawn(s.engine, recorder("t", trace, quitter).with_restart(RestartPolicy::Temporary));
  must_spawn(s.engine, asker(trace, target, 10s, out));
  s.engine.run_until_idle();

  EXPECT_EQ(out->calls, 1);
  ASSERT_TRUE(out->error.has_value());
  EXPECT_EQ(*out->error, AskError::no_response());
  EXPECT_EQ(out->at_ns, 0) << "NoResponse comes when the target stops, not at the timeout";
  EXPECT_TRUE(trace->has("t:stop:Normal"));
}

TEST(EngineMessaging, ask_reports_no_response_when_the_target_fails_and_is_restarted) {
  SimEngine s;
  auto trace = std::make_shared<Trace>();
  auto target = std::make_shared<AddrHash>();
  auto out = std::make_shared<AskOutcome>();
  Hooks crasher;
  crasher.on_message = [](ActorContext&, const Envelope&,
                          MessagePayload& p) -> std::optional<HandlerResult> {
    if (p.is<Question>()) return HandlerResult(Unexpected{ActorError::handler("no")});
    return std::nullopt;
  };
  *target = must_spawn(s.engine, recorder("t", trace, crasher));
  must_spawn(s.engine, asker(trace, target, 10s, out));
  s.engine.run_until_idle();

  EXPECT_EQ(out->calls, 1);
  ASSERT_TRUE(out->error.has_value());
  EXPECT_EQ(*out->error, AskError::no_response());
  EXPECT_EQ(out->at_ns, 0);
}

TEST(EngineMessaging, ask_to_an_unknown_path_fails_with_a_send_error) {
  SimEngine s;
  auto trace = std::make_shared<Trace>();
  auto target = std::make_shared<AddrHash>(AddrHash(ActorPath::fnv1a_of_path("/user/nobody"), 0));
  auto out = std::make_shared<AskOutcome>();
  must_spawn(s.engine, asker(trace, target, 1s, out));
  s.engine.run_until_idle();
  EXPECT_EQ(out->calls, 1);
  ASSERT_TRUE(out->error.has_value());
  EXPECT_EQ(*out->error, AskError::send(SendError::Unroutable));
  EXPECT_EQ(out->at_ns, 0);
}

// ---------------------------------------------------------------------------------------------
// Handler failures

TEST(EngineMessaging,
     a_handler_exception_becomes_a_panic_with_its_what_and_the_actor_is_restarted) {
  SimEngine s;
  auto trace = std::make_shared<Trace>();
  EventRecorder events;
  events.attach(s.engine);
  AddrHash a = must_spawn(s.engine, recorder("a", trace));
  s.engine.run_until_idle();
  ASSERT_EQ(result_of(s.engine.send(a, Throw{"kaboom"})), "ok");
  s.engine.run_until_idle();

  EXPECT_EQ(trace->log, (std::vector<std::string>{"a:start", "a:throw",
                                                  "a:stop:Error(Panic(kaboom))", "a:start"}));
  auto failed = events.of_kind(EngineEvent::Kind::Failed);
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].path, "/user/a");
  EXPECT_EQ(failed[0].address, a);
  EXPECT_EQ(failed[0].reason.kind, StopReason::Kind::Error);
  EXPECT_EQ(failed[0].reason.error.kind, ActorError::Kind::Panic);
  EXPECT_NE(failed[0].reason.error.detail.find("kaboom"), std::string::npos);
  EXPECT_EQ(events.strings(),
            (std::vector<std::string>{
                "spawned /user/a", "started /user/a", "failed /user/a Error(Panic(kaboom))",
                "stopped /user/a Error(Panic(kaboom))", "supervisor-restart /user",
                "restarted /user/a", "started /user/a"}));
  auto info = s.engine.info(a.path_address());
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->restart_count, 1u);
  EXPECT_EQ(info->state, ActorState::Running);
  EXPECT_EQ(s.engine.stats().failures, 1u);
  EXPECT_EQ(s.engine.stats().restarts, 1u);
}

TEST(EngineMessaging, an_exception_that_is_not_a_std_exception_is_a_panic_too) {
  SimEngine s;
  auto trace = std::make_shared<Trace>();
  Hooks h;
  h.on_message = [](ActorContext&, const Envelope&,
                    MessagePayload&) -> std::optional<HandlerResult> { throw 42; };
  AddrHash a = must_spawn(s.engine, recorder("a", trace, h));
  s.engine.run_until_idle();
  ASSERT_EQ(result_of(s.engine.send(a, Ping{1})), "ok");
  s.engine.run_until_idle();
  ASSERT_GE(trace->log.size(), 2u);
  EXPECT_EQ(trace->log[1], "a:stop:Error(Panic(unknown exception))");
}

TEST(EngineMessaging, an_exception_in_on_start_fails_the_actor_before_any_message) {
  SimEngine s;
  auto trace = std::make_shared<Trace>();
  Hooks h;
  h.on_start = [](ActorContext&) -> HandlerResult { throw std::runtime_error("bad start"); };
  EventRecorder events;
  events.attach(s.engine);
  AddrHash a = must_spawn(s.engine, recorder("a", trace, h).with_restart(RestartPolicy::Temporary));
  ASSERT_EQ(result_of(s.engine.send(a, Ping{1})), "ok");
  s.engine.run_until_idle();
  // on_stop runs only for an incarnation whose on_start succeeded.
  EXPECT_EQ(trace->log, (std::vector<std::string>{"a:start"}));
  auto failed = events.of_kind(EngineEvent::Kind::Failed);
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].reason, StopReason::failed(ActorError::panic("bad start")));
  EXPECT_FALSE(s.engine.lookup("/user/a").has_value());
}

// ---------------------------------------------------------------------------------------------
// Introspection of mailboxes and actors

TEST(EngineMessaging, info_reports_mailbox_depth_capacity_and_message_count) {
  SimEngine s;
  auto trace = std::make_shared<Trace>();
  AddrHash a = must_spawn(s.engine, recorder("a", trace).with_mailbox_capacity(8));
  for (int i = 0; i < 3; ++i) ASSERT_EQ(result_of(s.engine.send(a, Ping{i})), "ok");
  auto before = s.engine.info(a);
  ASSERT_TRUE(before.has_value());
  EXPECT_EQ(before->path, "/user/a");
  EXPECT_EQ(before->address, a);
  EXPECT_EQ(before->state, ActorState::Starting);
  EXPECT_EQ(before->mailbox_depth, 3u);
  EXPECT_EQ(before->mailbox_capacity, 8u);
  EXPECT_EQ(before->message_count, 0u);
  EXPECT_EQ(before->restart_count, 0u);

  s.engine.run_until_idle();
  auto after = s.engine.info(a);
  ASSERT_TRUE(after.has_value());
  EXPECT_EQ(after->state, ActorState::Running);
  EXPECT_EQ(after->mailbox_depth, 0u);
  EXPECT_EQ(after->message_count, 3u);
  EXPECT_EQ(s.engine.stats().messages_delivered, 3u);
  EXPECT_EQ(s.engine.stats().messages_sent, 3u);
}

std::set<std::string> paths_of(const std::vector<ActorInfo>& infos) {
  std::set<std::string> out;
  for (const auto& i : infos) out.insert(i.path);
  return out;
}

TEST(EngineMessaging, query_selects_a_subtree_by_path_prefix_and_state) {
  SimEngine s;
  auto trace = std::make_shared<Trace>();
  must_spawn(s.engine, recorder("a", trace));
  must_spawn(s.engine, recorder("ab", trace));
  s.engine.run_until_idle();
  must_spawn(s.engine, recorder("b", trace), "/user/a");

  // "/user/ab" shares the string prefix but is not below /user/a.
  EXPECT_EQ(paths_of(s.engine.query(ActorQuery{"/user/a", std::nullopt})),
            (std::set<std::string>{"/user/a", "/user/a/b"}));
  EXPECT_EQ(paths_of(s.engine.query(ActorQuery{"/user/a", ActorState::Running})),
            (std::set<std::string>{"/user/a"}));
  EXPECT_EQ(paths_of(s.engine.query(ActorQuery{"/user", ActorState::Starting})),
            (std::set<std::string>{"/user/a/b"}));
  EXPECT_EQ(paths_of(s.engine.snapshot().actors),
            (std::set<std::string>{"/user", "/system", "/user/a", "/user/ab", "/user/a/b"}));
  EXPECT_EQ(s.engine.snapshot().stats.actors_spawned, 3u);
  EXPECT_EQ(s.engine.stats().live_actors, 3u);
}

}  // namespace
}  // namespace pd::test
