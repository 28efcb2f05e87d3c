// Shared fixtures for the engine specs (engine_*_test.cpp): a deterministic engine on a
// SimReactor, an actor that records what happens to it as "name:event" strings, the messages
// that drive it, and an EngineEvent recorder.
//
// Log entries written by Recorder:
//   name:start                 on_start
//   name:stop:<reason>         on_stop, reason as pd::to_string(StopReason) ("Shutdown",
//                              "Error(Handler(crash))", ...)
//   name:ping:<n>              Ping{n}
//   name:crash                 Crash (the handler then returns ActorError::handler(why))
//   name:throw                 Throw (the handler then throws std::runtime_error(what))
//   name:stop-self             StopSelf (the handler then calls ctx.stop())
//   name:question:<n>          Question{n} (the handler then replies Answer{2n})
//   name:down:<reason>         a Down for an incarnation that existed
//   name:down-noproc           a Down for an address with no live actor
//   name:other                 anything else
// Every entry also records the engine time at which it was written (Trace::at_ns).
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "pd/actor/actor.h"
#include "pd/actor/actor_context.h"
#include "pd/actor/child_spec.h"
#include "pd/actor/signals.h"
#include "pd/core/addr.h"
#include "pd/core/errors.h"
#include "pd/core/time.h"
#include "pd/reactor/sim_reactor.h"
#include "pd/runtime/engine.h"
#include "pd/runtime/engine_event.h"
#include "pd/runtime/introspection.h"

namespace pd::test {

using namespace std::chrono_literals;

// ---------------------------------------------------------------------------------------------
// Time as plain nanosecond counts, so gtest prints them readably.

inline int64_t ns(Duration d) {
  return int64_t(d.count());
}
inline int64_t ns(Instant t) {
  return int64_t(t.time_since_epoch().count());
}

// ---------------------------------------------------------------------------------------------
// Messages

struct Ping {
  int n = 0;
};
struct Crash {
  std::string why = "crash";
};
struct Throw {
  std::string what = "boom";
};
struct StopSelf {};
struct Question {
  int n = 0;
};
struct Answer {
  int n = 0;
};
struct Work {};

// ---------------------------------------------------------------------------------------------
// What the actors of one test write.

struct Trace {
  std::vector<std::string> log;
  std::vector<int64_t> at_ns;  // engine time of each log entry
  std::vector<Down> downs;     // every Down a Recorder received, in order

  void add(ActorContext& ctx, std::string entry) {
    log.push_back(std::move(entry));
    at_ns.push_back(ns(ctx.now()));
  }
  void clear() {
    log.clear();
    at_ns.clear();
    downs.clear();
  }
  size_t count(std::string_view entry) const {
    return size_t(std::count(log.begin(), log.end(), entry));
  }
  bool has(std::string_view entry) const { return count(entry) > 0; }
  // Engine time of the first `entry`, -1 if there is none.
  int64_t time_of(std::string_view entry) const {
    for (size_t i = 0; i < log.size(); ++i)
      if (log[i] == entry) return at_ns[i];
    return -1;
  }
  // The entries of one actor ("b:..."), in order.
  std::vector<std::string> of(std::string_view name) const {
    std::vector<std::string> out;
    std::string prefix = std::string(name) + ":";
    for (const auto& e : log)
      if (e.rfind(prefix, 0) == 0) out.push_back(e);
    return out;
  }
};

// Extra behaviour for a Recorder; each hook runs after the default logging of its event.
struct Hooks {
  std::function<HandlerResult(ActorContext&)> on_start;
  // Runs before the default handling; a value returned ends the handling with that result,
  // nullopt falls through to the default handling of the message.
  std::function<std::optional<HandlerResult>(ActorContext&, const Envelope&, MessagePayload&)>
      on_message;
  std::function<void(ActorContext&, const StopReason&)> on_stop;
};

class Recorder final : public Actor {
 public:
  Recorder(std::string name, std::shared_ptr<Trace> trace, Hooks hooks)
      : name_(std::move(name)), trace_(std::move(trace)), hooks_(std::move(hooks)) {}

  HandlerResult on_start(ActorContext& ctx) override {
    trace_->add(ctx, name_ + ":start");
    if (hooks_.on_start) return hooks_.on_start(ctx);
    return {};
  }

  HandlerResult on_message(ActorContext& ctx, const Envelope& envelope,
                           MessagePayload& payload) override {
    if (hooks_.on_message) {
      if (auto r = hooks_.on_message(ctx, envelope, payload)) return *r;
    }
    if (auto* m = payload.get_if<Ping>()) {
      trace_->add(ctx, name_ + ":ping:" + std::to_string(m->n));
      return {};
    }
    if (auto* c = payload.get_if<Crash>()) {
      trace_->add(ctx, name_ + ":crash");
      return Unexpected{ActorError::handler(c->why)};
    }
    if (auto* t = payload.get_if<Throw>()) {
      trace_->add(ctx, name_ + ":throw");
      throw std::runtime_error(t->what);
    }
    if (payload.get_if<StopSelf>()) {
      trace_->add(ctx, name_ + ":stop-self");
      ctx.stop();
      return {};
    }
    if (auto* q = payload.get_if<Question>()) {
      trace_->add(ctx, name_ + ":question:" + std::to_string(q->n));
      (void)ctx.reply(envelope, Answer{q->n * 2});
      return {};
    }
    if (auto* d = payload.get_if<Down>()) {
      trace_->add(ctx,
                  d->existed ? name_ + ":down:" + to_string(d->reason) : name_ + ":down-noproc");
      trace_->downs.push_back(*d);
      return {};
    }
    trace_->add(ctx, name_ + ":other");
    return {};
  }

  void on_stop(ActorContext& ctx, const StopReason& reason) override {
    trace_->add(ctx, name_ + ":stop:" + to_string(reason));
    if (hooks_.on_stop) hooks_.on_stop(ctx, reason);
  }

 private:
  std::string name_;
  std::shared_ptr<Trace> trace_;
  Hooks hooks_;
};

// A ChildSpec whose every incarnation is a Recorder named `name` (the path segment too).
inline ChildSpec recorder(std::string name, std::shared_ptr<Trace> trace, Hooks hooks = {}) {
  std::string n = name;
  return ChildSpec(std::move(n),
                   [name = std::move(name), trace = std::move(trace),
                    hooks = std::move(hooks)]() -> std::unique_ptr<Actor> {
                     return std::make_unique<Recorder>(name, trace, hooks);
                   });
}

// on_start hook of a supervisor: spawns `children` in order, in every incarnation.
inline std::function<HandlerResult(ActorContext&)> spawn_children(std::vector<ChildSpec> children) {
  return [children = std::move(children)](ActorContext& ctx) -> HandlerResult {
    for (const ChildSpec& spec : children) {
      auto r = ctx.spawn(spec);
      EXPECT_TRUE(r.has_value()) << "spawn of " << spec.name << " failed: " << to_string(r.error());
    }
    return {};
  };
}

// ---------------------------------------------------------------------------------------------
// A deterministic engine on a virtual clock. `reactor` stays owned by `engine`.

struct SimEngine {
  explicit SimEngine(uint64_t seed = 1, EngineConfig config = {})
      : reactor(new SimReactor(seed)),
        engine(std::move(config), std::unique_ptr<Reactor>(reactor)) {}
  SimReactor* reactor;
  Engine engine;
};

// Runs `statement` in a forked child first and fails the test if the child does not finish
// normally (an engine invariant aborting, a crash). The test then runs the scenario again
// in-process to check what it did: a deterministic engine does the same thing twice, and an
// engine that aborts fails one test instead of taking the whole test binary down.
#define PD_ASSERT_ENGINE_SURVIVES(statement) \
  ASSERT_EXIT(                               \
      {                                      \
        statement;                           \
        std::exit(0);                        \
      },                                     \
      ::testing::ExitedWithCode(0), "")      \
      << "the engine aborted or crashed while running this scenario (stderr above)"

inline AddrHash must_spawn(Engine& engine, ChildSpec spec, std::string_view parent = "/user") {
  std::string name = spec.name;
  auto r = engine.spawn(std::move(spec), parent);
  EXPECT_TRUE(r.has_value()) << "spawn of " << name << " under " << parent
                             << " failed: " << to_string(r.error());
  return r.has_value() ? r.value() : AddrHash{};
}

inline AddrHash must_lookup(const Engine& engine, std::string_view path) {
  auto a = engine.lookup(path);
  EXPECT_TRUE(a.has_value()) << "no live actor at " << path;
  return a.value_or(AddrHash{});
}

// "ok" or the SendError's name, so a failed expectation says what happened.
inline std::string result_of(const SendResult& r) {
  return r ? "ok" : to_string(r.error());
}

// ---------------------------------------------------------------------------------------------
// EngineEvents, as "kind /path" or "kind /path reason" (Failed and Stopped carry a reason).

struct EventRecorder {
  std::vector<EngineEvent> events;

  void attach(Engine& engine) {
    engine.set_event_listener([this](const EngineEvent& e) { events.push_back(e); });
  }
  std::vector<std::string> strings() const {
    std::vector<std::string> out;
    for (const auto& e : events) {
      // Built by appends: g++ 12 at -O3 warns (-Wrestrict) on a chain of operator+.
      std::string s(to_string(e.kind));
      s.append(" ").append(e.path);
      if (e.kind == EngineEvent::Kind::Failed || e.kind == EngineEvent::Kind::Stopped)
        s.append(" ").append(to_string(e.reason));
      out.push_back(std::move(s));
    }
    return out;
  }
  std::vector<EngineEvent> of_kind(EngineEvent::Kind k) const {
    std::vector<EngineEvent> out;
    for (const auto& e : events)
      if (e.kind == k) out.push_back(e);
    return out;
  }
};

}  // namespace pd::test
