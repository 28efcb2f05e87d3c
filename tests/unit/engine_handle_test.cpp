// Spec: EngineHandle, the way into a running engine from other threads. The engine runs with
// the real reactor on its own thread; the test thread spawns, sends, asks, inspects and shuts
// it down through a handle, and once the engine is gone every call says Unbound.
//
// Actors here report through promises and atomics (they run on the engine's thread); the test
// waits on futures and joins, never sleeps.

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "engine_test_support.h"

namespace pd::test {
namespace {

constexpr auto kPatience = std::chrono::seconds(5);  // only reached when something is broken

// What a Probe reports to the test thread.
struct ProbeState {
  std::promise<void> started;
  std::promise<int> first_ping;
  std::promise<StopReason> stopped;
  std::promise<void> all_pings;  // set when `pings` reaches `pings_expected`
  std::atomic<int> pings{0};
  int pings_expected = -1;
  bool answers = true;  // reply to Question
};

class Probe final : public Actor {
 public:
  explicit Probe(std::shared_ptr<ProbeState> s) : s_(std::move(s)) {}
  HandlerResult on_start(ActorContext&) override {
    s_->started.set_value();
    return {};
  }
  HandlerResult on_message(ActorContext& ctx, const Envelope& e, MessagePayload& p) override {
    if (auto* m = p.get_if<Ping>()) {
      int n = ++s_->pings;
      if (n == 1) s_->first_ping.set_value(m->n);
      if (n == s_->pings_expected) s_->all_pings.set_value();
    } else if (auto* q = p.get_if<Question>()) {
      if (s_->answers) (void)ctx.reply(e, Answer{q->n * 2});
    }
    return {};
  }
  void on_stop(ActorContext&, const StopReason& r) override { s_->stopped.set_value(r); }

 private:
  std::shared_ptr<ProbeState> s_;
};

// Temporary: a Probe's promises can be satisfied once only, so it must never restart.
ChildSpec probe(std::string name, std::shared_ptr<ProbeState> s) {
  return ChildSpec(std::move(name), [s] { return std::make_unique<Probe>(s); })
      .with_restart(RestartPolicy::Temporary);
}

template <class T>
bool ready(std::future<T>& f) {
  return f.wait_for(kPatience) == std::future_status::ready;
}

// An engine on the real reactor, running on its own thread.
struct RunningEngine {
  Engine engine;
  EngineHandle handle;
  std::promise<void> run_returned;
  std::future<void> finished = run_returned.get_future();
  std::thread loop;

  explicit RunningEngine(bool start_now = true) : handle(engine.handle()) {
    if (start_now) start();
  }
  ~RunningEngine() { stop(); }
  void start() {
    loop = std::thread([this] {
      engine.run();
      run_returned.set_value();
    });
  }
  // Asks for an orderly shutdown and waits for engine.run() to return.
  void stop() {
    if (!loop.joinable()) return;
    handle.shutdown();
    join();
  }
  // Waits for engine.run() to return. If it has not returned a second after the shutdown was
  // asked for, that is a failure; the loop is then woken through its reactor (notify() is
  // thread-safe) so that the test fails instead of hanging.
  void join() {
    if (finished.wait_for(std::chrono::seconds(1)) != std::future_status::ready)
      ADD_FAILURE() << "engine.run() did not return within 1 s of the shutdown request";
    wake_and_join();
  }
  void wake_and_join() {
    while (finished.wait_for(std::chrono::milliseconds(10)) != std::future_status::ready)
      engine.reactor().notify();
    loop.join();
  }
};

TEST(Handle, spawn_from_another_thread_starts_the_actor_and_wait_for_finds_it) {
  RunningEngine r;
  auto state = std::make_shared<ProbeState>();
  auto started = state->started.get_future();
  auto spawned = r.handle.spawn(probe("p", state));
  ASSERT_TRUE(spawned.has_value()) << to_string(spawned.error());
  ASSERT_TRUE(ready(started));

  auto found = r.handle.wait_for("/user/p", std::chrono::milliseconds(1000));
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(*found, spawned.value());
  EXPECT_EQ(r.handle.lookup("/user/p"), std::optional<AddrHash>(spawned.value()));
  EXPECT_FALSE(r.handle.lookup("/user/nobody").has_value());
  EXPECT_TRUE(r.handle.engine_alive());
}

TEST(Handle, spawn_reports_the_engines_refusal) {
  RunningEngine r;
  auto state = std::make_shared<ProbeState>();
  ASSERT_TRUE(r.handle.spawn(probe("p", state)).has_value());
  auto again = r.handle.spawn(probe("p", std::make_shared<ProbeState>()));
  ASSERT_FALSE(again.has_value());
  EXPECT_STREQ(to_string(again.error()), "NameTaken");
  auto orphan = r.handle.spawn(probe("q", std::make_shared<ProbeState>()), "/user/nobody");
  ASSERT_FALSE(orphan.has_value());
  EXPECT_STREQ(to_string(orphan.error()), "ParentNotFound");
}

TEST(Handle, wait_for_gives_up_after_its_timeout_when_nothing_appears) {
  RunningEngine r;
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_FALSE(r.handle.wait_for("/user/never", std::chrono::milliseconds(20)).has_value());
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(20));
}

TEST(Handle, a_call_made_before_the_loop_runs_is_served_once_it_does) {
  RunningEngine r(/*start_now=*/false);
  auto state = std::make_shared<ProbeState>();
  auto pending = std::async(std::launch::async, [&] { return r.handle.spawn(probe("p", state)); });
  EXPECT_EQ(pending.wait_for(std::chrono::milliseconds(5)), std::future_status::timeout)
      << "a handle call returned before the engine ran";
  r.start();
  ASSERT_EQ(pending.wait_for(kPatience), std::future_status::ready);
  EXPECT_TRUE(pending.get().has_value());
}

TEST(Handle, send_from_another_thread_reaches_the_actor) {
  RunningEngine r;
  auto state = std::make_shared<ProbeState>();
  auto ping = state->first_ping.get_future();
  auto a = r.handle.spawn(probe("p", state));
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(result_of(r.handle.send(a.value(), Ping{7})), "ok");
  ASSERT_TRUE(ready(ping));
  EXPECT_EQ(ping.get(), 7);
}

TEST(Handle, sends_from_several_threads_all_arrive) {
  RunningEngine r;
  auto state = std::make_shared<ProbeState>();
  constexpr int kThreads = 4, kEach = 250;
  state->pings_expected = kThreads * kEach;
  auto all = state->all_pings.get_future();
  auto a = r.handle.spawn(probe("p", state));
  ASSERT_TRUE(a.has_value());

  std::atomic<int> failures{0};
  std::vector<std::thread> senders;
  for (int t = 0; t < kThreads; ++t)
    senders.emplace_back([&, t] {
      EngineHandle h = r.engine.handle();
      for (int i = 0; i < kEach; ++i)
        if (!h.send(a.value(), Ping{t * kEach + i})) ++failures;
    });
  for (auto& s : senders) s.join();
  EXPECT_EQ(failures.load(), 0);
  ASSERT_TRUE(ready(all));
  EXPECT_EQ(state->pings.load(), kThreads * kEach);
}

TEST(Handle, send_gives_the_engines_verdict_for_unknown_and_stopped_actors) {
  RunningEngine r;
  auto state = std::make_shared<ProbeState>();
  auto stopped = state->stopped.get_future();
  auto a = r.handle.spawn(probe("p", state));
  ASSERT_TRUE(a.has_value());

  AddrHash nobody(ActorPath::fnv1a_of_path("/user/nobody"), 0);
  EXPECT_EQ(result_of(r.handle.send(nobody, Ping{1})), "Unroutable");

  EXPECT_EQ(result_of(r.handle.stop_actor(a.value())), "ok");
  ASSERT_TRUE(ready(stopped));
  EXPECT_EQ(stopped.get(), StopReason::requested());
  EXPECT_EQ(result_of(r.handle.send(a.value(), Ping{2})), "ActorStopped");
  EXPECT_EQ(result_of(r.handle.stop_actor(a.value())), "ActorStopped");
}

TEST(Handle, ask_from_another_thread_returns_the_reply) {
  RunningEngine r;
  auto state = std::make_shared<ProbeState>();
  auto a = r.handle.spawn(probe("p", state));
  ASSERT_TRUE(a.has_value());

  AskResult reply = r.handle.ask(a.value(), Question{21}, std::chrono::seconds(5));
  ASSERT_TRUE(reply.has_value()) << to_string(reply.error());
  EXPECT_TRUE(reply.value().envelope.is_response());
  EXPECT_EQ(reply.value().envelope.source, a.value());
  auto answer = reply.value().payload.get<Answer>();
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(answer.value()->n, 42);
}

TEST(Handle, ask_times_out_when_nobody_replies) {
  RunningEngine r;
  auto state = std::make_shared<ProbeState>();
  state->answers = false;
  auto a = r.handle.spawn(probe("p", state));
  ASSERT_TRUE(a.has_value());
  auto t0 = std::chrono::steady_clock::now();
  AskResult reply = r.handle.ask(a.value(), Question{1}, std::chrono::milliseconds(20));
  ASSERT_FALSE(reply.has_value());
  EXPECT_EQ(reply.error(), AskError::timeout());
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(20));
}

TEST(Handle, ask_to_an_unknown_path_fails_with_the_send_error) {
  RunningEngine r;
  AddrHash nobody(ActorPath::fnv1a_of_path("/user/nobody"), 0);
  AskResult reply = r.handle.ask(nobody, Question{1}, std::chrono::seconds(5));
  ASSERT_FALSE(reply.has_value());
  EXPECT_EQ(reply.error(), AskError::send(SendError::Unroutable));
}

TEST(Handle, snapshot_and_query_describe_the_running_engine) {
  RunningEngine r;
  auto sa = std::make_shared<ProbeState>();
  auto sb = std::make_shared<ProbeState>();
  auto started_a = sa->started.get_future();
  auto started_b = sb->started.get_future();
  ASSERT_TRUE(r.handle.spawn(probe("a", sa)).has_value());
  ASSERT_TRUE(r.handle.spawn(probe("b", sb)).has_value());
  ASSERT_TRUE(ready(started_a));
  ASSERT_TRUE(ready(started_b));

  EngineSnapshot snap = r.handle.snapshot();
  std::set<std::string> paths;
  for (const auto& i : snap.actors) paths.insert(i.path);
  EXPECT_EQ(paths, (std::set<std::string>{"/user", "/system", "/user/a", "/user/b"}));
  EXPECT_EQ(snap.stats.actors_spawned, 2u);
  EXPECT_EQ(snap.stats.live_actors, 2u);

  auto only_a = r.handle.query(ActorQuery{"/user/a", ActorState::Running});
  ASSERT_EQ(only_a.size(), 1u);
  EXPECT_EQ(only_a[0].path, "/user/a");
}

TEST(Handle, shutdown_from_another_thread_stops_the_engine_and_later_calls_return_unbound) {
  RunningEngine r;
  auto state = std::make_shared<ProbeState>();
  auto stopped = state->stopped.get_future();
  auto a = r.handle.spawn(probe("p", state));
  ASSERT_TRUE(a.has_value());

  r.handle.shutdown();  // returns at once
  r.join();             // engine.run() returns when the shutdown is complete
  EXPECT_TRUE(r.engine.is_shut_down());
  ASSERT_TRUE(ready(stopped));
  EXPECT_EQ(stopped.get(), StopReason::shutdown());
  EXPECT_EQ(r.engine.stats().live_actors, 0u);

  EngineHandle& h = r.handle;
  EXPECT_FALSE(h.engine_alive());
  EXPECT_EQ(result_of(h.send(a.value(), Ping{1})), "Unbound");
  EXPECT_EQ(result_of(h.stop_actor(a.value())), "Unbound");
  auto spawned = h.spawn(probe("late", std::make_shared<ProbeState>()));
  ASSERT_FALSE(spawned.has_value());
  EXPECT_STREQ(to_string(spawned.error()), "Unbound");
  AskResult asked = h.ask(a.value(), Question{1}, std::chrono::seconds(5));
  ASSERT_FALSE(asked.has_value());
  EXPECT_EQ(asked.error(), AskError::send(SendError::Unbound));
  EXPECT_FALSE(h.lookup("/user/p").has_value());
  EXPECT_FALSE(h.wait_for("/user/p", std::chrono::milliseconds(1000)).has_value());
  EXPECT_TRUE(h.snapshot().actors.empty());
  EXPECT_TRUE(h.query(ActorQuery{}).empty());
  h.shutdown();  // harmless
}

TEST(Handle, run_returns_when_an_idle_engine_is_shut_down) {
  // The engine is idle (asleep in its reactor) when the shutdown arrives; the shutdown then
  // completes inside one loop iteration, and run() must return rather than sleep again.
  for (int cycle = 0; cycle < 20; ++cycle) {
    RunningEngine r;
    auto state = std::make_shared<ProbeState>();
    auto started = state->started.get_future();
    ASSERT_TRUE(r.handle.spawn(probe("p", state)).has_value());
    ASSERT_TRUE(ready(started));
    (void)r.handle.snapshot();  // a round trip: the loop has nothing left to do
    // Not a timing assertion: gives the idle loop time to fall asleep in its reactor, the
    // state in which a shutdown request must still end run().
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    r.handle.shutdown();
    if (r.finished.wait_for(std::chrono::seconds(1)) != std::future_status::ready) {
      ADD_FAILURE() << "engine.run() still running 1 s after shutdown (cycle " << cycle << ")";
      r.wake_and_join();
      return;
    }
    r.join();
    EXPECT_TRUE(r.engine.is_shut_down());
  }
}

TEST(Handle, a_handle_that_outlives_its_engine_returns_unbound) {
  std::optional<EngineHandle> h;
  {
    Engine engine;
    h.emplace(engine.handle());
  }
  EXPECT_FALSE(h->engine_alive());
  EXPECT_EQ(result_of(h->send(AddrHash(1, 1), Ping{1})), "Unbound");
  auto spawned = h->spawn(probe("p", std::make_shared<ProbeState>()));
  ASSERT_FALSE(spawned.has_value());
  EXPECT_STREQ(to_string(spawned.error()), "Unbound");
}

}  // namespace
}  // namespace pd::test
