// WasmActor specs: a WAT guest as an actor on a deterministic engine, on every WASM backend
// (WasmActorTest.<spec>/interp, .../aot).
#include <gtest/gtest.h>

#include <algorithm>

#include "pd/plugin/wasm_actor.h"
#include "pd/reactor/sim_reactor.h"
#include "pd/runtime/engine.h"
#include "wasm_backend_support.h"
#include "wasm_test_support.h"

namespace pd::wasm_actor_test {
namespace {

using namespace std::chrono_literals;
using test::guests::kEchoGuest;

// Records what it receives (host side).
class Sink final : public Actor {
 public:
  explicit Sink(std::shared_ptr<std::vector<std::string>> got) : got_(std::move(got)) {}
  HandlerResult on_message(ActorContext&, const Envelope& e, MessagePayload& p) override {
    auto b = p.bytes();
    got_->push_back(std::string(b.begin(), b.end()) + "@" + std::to_string(e.payload_len));
    return {};
  }

 private:
  std::shared_ptr<std::vector<std::string>> got_;
};

struct Fixture {
  explicit Fixture(std::shared_ptr<const WasmHost> wasm_host) : host(std::move(wasm_host)) {
    sink = *engine.spawn(ChildSpec("sink", [g = got] { return std::make_unique<Sink>(g); }));
  }
  Engine engine{EngineConfig{}, std::make_unique<SimReactor>(1)};
  std::shared_ptr<const WasmHost> host;
  std::shared_ptr<std::vector<std::string>> got = std::make_shared<std::vector<std::string>>();
  AddrHash sink;
  AddrHash spawn_guest(const char* wat, const std::string& name = "guest") {
    WasmActorConfig c;
    c.host = host;
    c.module = test::compile_wat(*host, wat);
    return *engine.spawn(ChildSpec(name, wasm_actor_factory(c)));
  }
};

class WasmActorTest : public test::WasmBackendTest {};
PD_INSTANTIATE_WASM_BACKENDS(WasmActorTest);

TEST_P(WasmActorTest, an_echo_guest_replies_with_the_same_payload) {
  Fixture f(host);
  AddrHash guest = f.spawn_guest(kEchoGuest);
  f.engine.run_until_idle();
  Envelope e = Envelope::make(f.sink, guest, 7, 5);
  ASSERT_TRUE(f.engine.send_raw(e, MessagePayload::serialized(test::bytes_of("hello"))));
  f.engine.run_until_idle();
  EXPECT_EQ(*f.got, (std::vector<std::string>{"hello@5"}));
}

TEST_P(WasmActorTest, a_local_payload_is_refused_with_an_error_that_says_so) {
  Fixture f(host);
  std::vector<EngineEvent> events;
  f.engine.set_event_listener([&](const EngineEvent& e) { events.push_back(e); });
  AddrHash guest = f.spawn_guest(kEchoGuest);
  f.engine.run_until_idle();
  struct Local {
    int x;
  };
  ASSERT_TRUE(f.engine.send(guest, Local{1}));
  f.engine.run_until_idle();
  auto failed = std::find_if(events.begin(), events.end(), [](const EngineEvent& e) {
    return e.kind == EngineEvent::Kind::Failed;
  });
  ASSERT_NE(failed, events.end());
  EXPECT_NE(failed->reason.error.detail.find("local payload"), std::string::npos)
      << failed->reason.error.detail;
  EXPECT_TRUE(f.got->empty());
}

// Counts its messages in a global and answers each with one byte: '0' + the count so far.
constexpr const char* kCountingGuest = R"((module
  (import "env" "pd_send" (func $send (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (global $n (mut i32) (i32.const 0))
  (func (export "pd_actor_on_message")
        (param $state i32) (param $ctx i32) (param $env i32) (param $p i32) (param $len i32)
        (result i32)
    (global.set $n (i32.add (global.get $n) (i32.const 1)))
    (i32.store8 (i32.const 4000) (i32.add (i32.const 48) (global.get $n)))
    (memory.copy (i32.const 2048) (local.get $env) (i32.const 80))
    (i64.store (i32.const 2080) (i64.load (i32.add (local.get $env) (i32.const 16))))
    (i64.store (i32.const 2088) (i64.load (i32.add (local.get $env) (i32.const 24))))
    (call $send (i32.const 2048) (i32.const 80) (i32.const 4000) (i32.const 1))))
)";

TEST_P(WasmActorTest, actors_of_one_compiled_module_each_keep_their_own_instance) {
  Fixture f(host);
  WasmActorConfig c;
  c.host = host;
  c.module = test::compile_wat(*host, kCountingGuest);
  ASSERT_TRUE(c.module);
  constexpr int kActors = 40;
  std::vector<AddrHash> actors;
  for (int i = 0; i < kActors; ++i)
    actors.push_back(*f.engine.spawn(ChildSpec("g" + std::to_string(i), wasm_actor_factory(c))));
  f.engine.run_until_idle();
  // Actor i gets i % 5 + 1 messages: its answers count from 1 on, whatever the others did.
  std::vector<std::string> want;
  for (int round = 1; round <= 5; ++round) {
    for (int i = 0; i < kActors; ++i) {
      if (i % 5 + 1 < round) continue;
      Envelope e = Envelope::make(f.sink, actors[size_t(i)], 1, 0);
      ASSERT_TRUE(f.engine.send_raw(e, MessagePayload::serialized(std::vector<uint8_t>{})));
      want.push_back(std::to_string(round) + "@1");
    }
    f.engine.run_until_idle();
  }
  EXPECT_EQ(*f.got, want);
}

TEST_P(WasmActorTest, a_module_compiled_by_the_other_backend_fails_the_start_with_Init) {
  Fixture f(host);
  std::vector<EngineEvent> events;
  f.engine.set_event_listener([&](const EngineEvent& e) { events.push_back(e); });
  const std::string other = test::other_backend(backend());
  WasmActorConfig c;
  c.host = host;
  c.module = test::compile_wat(*test::host_for(other), kEchoGuest);
  ASSERT_TRUE(c.module);
  ASSERT_TRUE(f.engine.spawn(
      ChildSpec("guest", wasm_actor_factory(c)).with_restart(RestartPolicy::Temporary)));
  f.engine.run_until_idle();
  auto failed = std::find_if(events.begin(), events.end(), [](const EngineEvent& e) {
    return e.kind == EngineEvent::Kind::Failed && e.path == "/user/guest";
  });
  ASSERT_NE(failed, events.end());
  EXPECT_EQ(failed->reason.error.kind, ActorError::Kind::Init);
  EXPECT_EQ(failed->reason.error.detail,
            "instantiation failed: Instantiation: the module was compiled by the '" + other +
                "' host; compile it with this one ('" + backend() + "')");
}

}  // namespace
}  // namespace pd::wasm_actor_test
