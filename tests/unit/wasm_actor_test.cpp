// WasmActor specs: a WAT guest as an actor on a deterministic engine.
#include <gtest/gtest.h>

#include "pd/plugin/wasm_actor.h"
#include "pd/reactor/sim_reactor.h"
#include "pd/runtime/engine.h"
#include "wasm_test_support.h"

namespace pd::wasm_actor_test {
namespace {

using namespace std::chrono_literals;

// Replies to every message with its own payload: copies the envelope to 2048, sets the
// destination to the original source, and sends it with the same payload.
constexpr const char* kEchoGuest = R"((module
  (import "env" "pd_send" (func $send (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "pd_actor_on_message")
        (param $state i32) (param $ctx i32) (param $env i32) (param $p i32) (param $len i32)
        (result i32)
    (memory.copy (i32.const 2048) (local.get $env) (i32.const 80))
    (i64.store (i32.const 2080) (i64.load (i32.add (local.get $env) (i32.const 16))))
    (i64.store (i32.const 2088) (i64.load (i32.add (local.get $env) (i32.const 24))))
    (call $send (i32.const 2048) (i32.const 80) (local.get $p) (local.get $len))))
)";

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
  Engine engine{EngineConfig{}, std::make_unique<SimReactor>(1)};
  std::shared_ptr<const WasmHost> host = make_interp_host();
  std::shared_ptr<std::vector<std::string>> got = std::make_shared<std::vector<std::string>>();
  AddrHash sink;
  Fixture() {
    sink = *engine.spawn(ChildSpec("sink", [g = got] { return std::make_unique<Sink>(g); }));
  }
  AddrHash spawn_guest(const char* wat, const std::string& name = "guest") {
    WasmActorConfig c;
    c.host = host;
    c.module = test::compile_wat(*host, wat);
    return *engine.spawn(ChildSpec(name, wasm_actor_factory(c)));
  }
};

TEST(WasmActor, an_echo_guest_replies_with_the_same_payload) {
  Fixture f;
  AddrHash guest = f.spawn_guest(kEchoGuest);
  f.engine.run_until_idle();
  Envelope e = Envelope::make(f.sink, guest, 7, 5);
  ASSERT_TRUE(f.engine.send_raw(e, MessagePayload::serialized(test::bytes_of("hello"))));
  f.engine.run_until_idle();
  EXPECT_EQ(*f.got, (std::vector<std::string>{"hello@5"}));
}

TEST(WasmActor, a_local_payload_is_refused_with_an_error_that_says_so) {
  Fixture f;
  std::vector<EngineEvent> events;
  f.engine.set_event_listener([&](const EngineEvent& e) { events.push_back(e); });
  AddrHash guest = f.spawn_guest(kEchoGuest);
  f.engine.run_until_idle();
  struct Local {
    int x;
  };
  ASSERT_TRUE(f.engine.send(guest, Local{1}));
  f.engine.run_until_idle();
  auto failed = std::find_if(events.begin(), events.end(),
                             [](const EngineEvent& e) { return e.kind == EngineEvent::Kind::Failed; });
  ASSERT_NE(failed, events.end());
  EXPECT_NE(failed->reason.error.detail.find("local payload"), std::string::npos)
      << failed->reason.error.detail;
  EXPECT_TRUE(f.got->empty());
}

}  // namespace
}  // namespace pd::wasm_actor_test
