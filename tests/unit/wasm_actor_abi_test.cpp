// WasmActor specs, export by export and import by import of the WASM guest ABI (ARCHITECTURE.md,
// "The WASM guest ABI, version 1"), plus the reference's known weak points, the error mappings
// and the sandbox limits. Every guest is WAT inline; it runs as an actor on an Engine over a
// SimReactor and reports what it saw by pd_send to a native Recorder ("the sink"). Every spec
// runs once per WASM backend (WasmActorAbi.<spec>/interp, .../aot).
//
// Guests written with guest(body) get a prelude: the three imports and helpers
//   $envelope_to(lo, hi, tag) -> ptr   a zeroed envelope at 61440 addressed to (lo, hi)
//   $send_to(lo, hi, tag, p, len)      pd_send of [p, p+len) to (lo, hi); returns the code
//   $tell(tag, p, len) -> code          ... to the sink
//   $tell_i32 / $tell_i32x2 / $tell_i64 small reports to the sink (scratch at 61600)
// The tokens {SINK_LO} {SINK_HI} {OTHER_LO} {OTHER_HI} are replaced by the (signed decimal)
// low and high 64 bits of the sink's and the other recorder's addresses.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "pd/plugin/wasm_actor.h"
#include "pd/reactor/sim_reactor.h"
#include "pd/runtime/engine.h"
#include "pd/wasm/fuel_meter.h"
#include "wasm_backend_support.h"
#include "wasm_test_support.h"

namespace pd::wasm_actor_abi_test {
namespace {

using namespace std::chrono_literals;

// ---------------------------------------------------------------------------------------------
// Harness

struct Got {
  Envelope envelope;
  std::vector<uint8_t> bytes;
};

class Recorder final : public Actor {
 public:
  explicit Recorder(std::shared_ptr<std::vector<Got>> got) : got_(std::move(got)) {}
  HandlerResult on_message(ActorContext&, const Envelope& e, MessagePayload& p) override {
    auto b = p.bytes();
    got_->push_back({e, std::vector<uint8_t>(b.begin(), b.end())});
    return {};
  }

 private:
  std::shared_ptr<std::vector<Got>> got_;
};

class Quiet final : public Actor {
 public:
  HandlerResult on_message(ActorContext&, const Envelope&, MessagePayload&) override { return {}; }
};

class Crasher final : public Actor {
 public:
  HandlerResult on_message(ActorContext&, const Envelope&, MessagePayload&) override {
    return Unexpected{ActorError::handler("boom")};
  }
};

int32_t i32_at(const std::vector<uint8_t>& b, size_t off) {
  int32_t v = 0;
  if (off + 4 <= b.size()) std::memcpy(&v, b.data() + off, 4);
  return v;
}
int64_t i64_at(const std::vector<uint8_t>& b, size_t off) {
  int64_t v = 0;
  if (off + 8 <= b.size()) std::memcpy(&v, b.data() + off, 8);
  return v;
}
std::vector<uint8_t> le_i32s(std::initializer_list<int32_t> values) {
  std::vector<uint8_t> out;
  for (int32_t v : values) {
    uint8_t b[4];
    std::memcpy(b, &v, 4);
    out.insert(out.end(), b, b + 4);
  }
  return out;
}
std::string text(const std::vector<uint8_t>& b) {
  return std::string(b.begin(), b.end());
}
// "tag:text" for every message, for readable comparisons.
std::vector<std::string> tagged(const std::vector<Got>& got) {
  std::vector<std::string> out;
  for (const Got& g : got) out.push_back(std::to_string(g.envelope.type_tag) + ":" + text(g.bytes));
  return out;
}
// "tag:a,b" for messages made of i32s.
std::vector<std::string> tagged_i32s(const std::vector<Got>& got) {
  std::vector<std::string> out;
  for (const Got& g : got) {
    std::string s = std::to_string(g.envelope.type_tag) + ":";
    for (size_t off = 0; off + 4 <= g.bytes.size(); off += 4)
      s += (off ? "," : "") + std::to_string(i32_at(g.bytes, off));
    out.push_back(s);
  }
  return out;
}

std::string replace_all(std::string s, std::string_view from, std::string_view to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
    s.replace(at, from.size(), to);
  return s;
}

constexpr std::string_view kPrelude = R"(
  (import "env" "pd_send" (func $pd_send (param i32 i32 i32 i32) (result i32)))
  (import "env" "pd_now_micros" (func $pd_now_micros (result i64)))
  (import "env" "pd_log" (func $pd_log (param i32 i32 i32)))
  (func $envelope_to (param $lo i64) (param $hi i64) (param $tag i64) (result i32)
    (memory.fill (i32.const 61440) (i32.const 0) (i32.const 80))
    (i64.store (i32.const 61472) (local.get $lo))
    (i64.store (i32.const 61480) (local.get $hi))
    (i64.store (i32.const 61488) (local.get $tag))
    (i32.const 61440))
  (func $send_to (param $lo i64) (param $hi i64) (param $tag i64) (param $p i32) (param $len i32)
        (result i32)
    (call $pd_send (call $envelope_to (local.get $lo) (local.get $hi) (local.get $tag))
                   (i32.const 80) (local.get $p) (local.get $len)))
  (func $tell (param $tag i64) (param $p i32) (param $len i32) (result i32)
    (call $send_to (i64.const {SINK_LO}) (i64.const {SINK_HI}) (local.get $tag)
                   (local.get $p) (local.get $len)))
  (func $tell_i32 (param $tag i64) (param $v i32)
    (i32.store (i32.const 61600) (local.get $v))
    (drop (call $tell (local.get $tag) (i32.const 61600) (i32.const 4))))
  (func $tell_i32x2 (param $tag i64) (param $a i32) (param $b i32)
    (i32.store (i32.const 61600) (local.get $a))
    (i32.store (i32.const 61604) (local.get $b))
    (drop (call $tell (local.get $tag) (i32.const 61600) (i32.const 8))))
  (func $tell_i64 (param $tag i64) (param $v i64)
    (i64.store (i32.const 61600) (local.get $v))
    (drop (call $tell (local.get $tag) (i32.const 61600) (i32.const 8))))
)";

std::string guest(std::string_view body) {
  return "(module" + std::string(kPrelude) + std::string(body) + ")";
}

struct World {
  std::shared_ptr<std::vector<LogRecord>> logs = std::make_shared<std::vector<LogRecord>>();
  Engine engine;
  std::shared_ptr<const WasmHost> host;
  std::vector<EngineEvent> events;
  std::shared_ptr<std::vector<Got>> got = std::make_shared<std::vector<Got>>();
  std::shared_ptr<std::vector<Got>> got_other = std::make_shared<std::vector<Got>>();
  AddrHash sink;
  AddrHash other;

  static EngineConfig config_with_log(std::shared_ptr<std::vector<LogRecord>> logs) {
    EngineConfig c;
    c.log = [logs](const LogRecord& r) { logs->push_back(r); };
    return c;
  }

  explicit World(std::shared_ptr<const WasmHost> wasm_host, const std::string& sink_name = "sink")
      : engine(config_with_log(logs), std::make_unique<SimReactor>(1)), host(std::move(wasm_host)) {
    engine.set_event_listener([this](const EngineEvent& e) { events.push_back(e); });
    sink = *engine.spawn(ChildSpec(sink_name, [g = got] { return std::make_unique<Recorder>(g); }));
  }

  // A second recorder (at parent_path/name); its address replaces {OTHER_LO} {OTHER_HI}.
  void spawn_other(const std::string& name, const std::string& parent_path = "/user",
                   uint32_t mailbox_capacity = kMailboxCapacityDefault) {
    auto a = engine.spawn(ChildSpec(name, [g = got_other] { return std::make_unique<Recorder>(g); })
                              .with_mailbox_capacity(mailbox_capacity),
                          parent_path);
    ASSERT_TRUE(a.has_value());
    other = *a;
  }

  std::string wat_for(std::string_view wat) const {
    std::string s(wat);
    s = replace_all(s, "{SINK_LO}", std::to_string(int64_t(uint64_t(sink.value()))));
    s = replace_all(s, "{SINK_HI}", std::to_string(int64_t(sink.path_hash())));
    s = replace_all(s, "{OTHER_LO}", std::to_string(int64_t(uint64_t(other.value()))));
    s = replace_all(s, "{OTHER_HI}", std::to_string(int64_t(other.path_hash())));
    return s;
  }
  std::shared_ptr<const WasmModule> compile(std::string_view wat) const {
    return test::compile_wat(*host, wat_for(wat));
  }
  std::shared_ptr<const WasmModule> compile_metered(std::string_view wat) const {
    auto metered = meter_module(test::wat_to_wasm(wat_for(wat)));
    if (!metered) {
      ADD_FAILURE() << "meter_module: " << metered.error().message;
      return nullptr;
    }
    auto m = host->compile(*metered);
    if (!m) {
      ADD_FAILURE() << "the metered module does not compile: " << to_string(m.error());
      return nullptr;
    }
    return m.value();
  }
  WasmActorConfig config(std::shared_ptr<const WasmModule> module) const {
    WasmActorConfig c;
    c.host = host;
    c.module = std::move(module);
    return c;
  }
  AddrHash spawn(const std::string& name, WasmActorConfig c,
                 RestartPolicy restart = RestartPolicy::Permanent,
                 const std::string& parent = "/user") {
    auto a = engine.spawn(ChildSpec(name, wasm_actor_factory(std::move(c))).with_restart(restart),
                          parent);
    EXPECT_TRUE(a.has_value());
    return a ? *a : AddrHash{};
  }
  AddrHash spawn(const std::string& name, std::string_view wat,
                 RestartPolicy restart = RestartPolicy::Permanent) {
    return spawn(name, config(compile(wat)), restart);
  }

  SendResult send(AddrHash to, std::vector<uint8_t> bytes, uint64_t tag = 0) {
    return engine.send_raw(Envelope::make(AddrHash{}, to, tag, uint32_t(bytes.size())),
                           MessagePayload::serialized(std::move(bytes)));
  }
  SendResult send(AddrHash to, std::string_view s, uint64_t tag = 0) {
    return send(to, test::bytes_of(s), tag);
  }

  std::vector<ActorError> failures(const std::string& path) const {
    std::vector<ActorError> out;
    for (const EngineEvent& e : events)
      if (e.kind == EngineEvent::Kind::Failed && e.path == path) out.push_back(e.reason.error);
    return out;
  }
  size_t count(EngineEvent::Kind kind, const std::string& path) const {
    return size_t(std::count_if(events.begin(), events.end(), [&](const EngineEvent& e) {
      return e.kind == kind && e.path == path;
    }));
  }
};

bool contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

// ---------------------------------------------------------------------------------------------
// Guests

// Lifecycle: pd_actor_create counts its calls and returns 4242. on_start reports
// tag 1 [state, creates]; a message reports tag 2 [state, creates] (or fails with 1 when its
// payload starts with 'f'); on_stop reports tag 3 [state, reason].
const std::string kLifecycleGuest = guest(R"(
  (memory (export "memory") 1)
  (global $creates (mut i32) (i32.const 0))
  (func (export "pd_actor_create") (result i32)
    (global.set $creates (i32.add (global.get $creates) (i32.const 1)))
    (i32.const 4242))
  (func (export "pd_actor_on_start") (param $state i32) (param $ctx i32) (result i32)
    (call $tell_i32x2 (i64.const 1) (local.get $state) (global.get $creates))
    (i32.const 0))
  (func (export "pd_actor_on_message")
        (param $state i32) (param $ctx i32) (param $env i32) (param $p i32) (param $len i32)
        (result i32)
    (if (i32.and (i32.ne (local.get $len) (i32.const 0))
                 (i32.eq (i32.load8_u (local.get $p)) (i32.const 102)))
      (then (return (i32.const 1))))
    (call $tell_i32x2 (i64.const 2) (local.get $state) (global.get $creates))
    (i32.const 0))
  (func (export "pd_actor_on_stop") (param $state i32) (param $ctx i32) (param $reason i32)
    (call $tell_i32x2 (i64.const 3) (local.get $state) (local.get $reason)))
)");

// Sends "started" from on_start and "stopped" from on_stop; messages do nothing.
const std::string kStartStopSender = guest(R"(
  (memory (export "memory") 1)
  (data (i32.const 2048) "startedstopped")
  (func (export "pd_actor_on_start") (param $state i32) (param $ctx i32) (result i32)
    (drop (call $tell (i64.const 1) (i32.const 2048) (i32.const 7)))
    (i32.const 0))
  (func (export "pd_actor_on_message")
        (param $state i32) (param $ctx i32) (param $env i32) (param $p i32) (param $len i32)
        (result i32)
    (i32.const 0))
  (func (export "pd_actor_on_stop") (param $state i32) (param $ctx i32) (param $reason i32)
    (drop (call $tell (i64.const 2) (i32.const 2055) (i32.const 7))))
)");

// Forwards every payload to the sink with the incoming type tag.
const std::string kEchoToSink = guest(R"(
  (memory (export "memory") 1)
  (func (export "pd_actor_on_message")
        (param $state i32) (param $ctx i32) (param $env i32) (param $p i32) (param $len i32)
        (result i32)
    (drop (call $tell (i64.load offset=48 (local.get $env)) (local.get $p) (local.get $len)))
    (i32.const 0))
)");

// Sends the payload to the sink in an envelope whose every field it fills with junk (a fake
// message id, the sink's own address as source, payload_len 9999, flags 5, correlation 777,
// non-zero padding), then reports pd_send's code as tag 9.
const std::string kForger = guest(R"(
  (memory (export "memory") 1)
  (func (export "pd_actor_on_message")
        (param $state i32) (param $ctx i32) (param $env i32) (param $p i32) (param $len i32)
        (result i32)
    (local $e i32)
    (local.set $e (call $envelope_to (i64.const {SINK_LO}) (i64.const {SINK_HI})
                                     (i64.const 0x0123456789abcdef)))
    (i64.store offset=0 (local.get $e) (i64.const 0x1111111111111111))
    (i64.store offset=8 (local.get $e) (i64.const 0x1111111111111111))
    (i64.store offset=16 (local.get $e) (i64.const {SINK_LO}))
    (i64.store offset=24 (local.get $e) (i64.const {SINK_HI}))
    (i32.store offset=56 (local.get $e) (i32.const 9999))
    (i32.store offset=60 (local.get $e) (i32.const 5))
    (i64.store offset=64 (local.get $e) (i64.const 777))
    (i64.store offset=72 (local.get $e) (i64.const -1))
    (call $tell_i32 (i64.const 9)
      (call $pd_send (local.get $e) (i32.const 80) (local.get $p) (local.get $len)))
    (i32.const 0))
)");

// Calls pd_send with the four i32s of its payload (env_ptr, env_len, payload_ptr, payload_len)
// after writing a valid envelope to the sink (tag 5) at 61440, then reports the code as tag 9.
// Its last ten bytes of memory hold "0123456789".
const std::string kProbe = guest(R"(
  (memory (export "memory") 1)
  (data (i32.const 65526) "0123456789")
  (func (export "pd_actor_on_message")
        (param $state i32) (param $ctx i32) (param $env i32) (param $p i32) (param $len i32)
        (result i32)
    (local $code i32)
    (drop (call $envelope_to (i64.const {SINK_LO}) (i64.const {SINK_HI}) (i64.const 5)))
    (local.set $code
      (call $pd_send (i32.load offset=0 (local.get $p)) (i32.load offset=4 (local.get $p))
                     (i32.load offset=8 (local.get $p)) (i32.load offset=12 (local.get $p))))
    (call $tell_i32 (i64.const 9) (local.get $code))
    (i32.const 0))
)");

// Reports pd_now_micros() as tag 1.
const std::string kClock = guest(R"(
  (memory (export "memory") 1)
  (func (export "pd_actor_on_message")
        (param $state i32) (param $ctx i32) (param $env i32) (param $p i32) (param $len i32)
        (result i32)
    (call $tell_i64 (i64.const 1) (call $pd_now_micros))
    (i32.const 0))
)");

// pd_log(level = first i32 of the payload, the rest of the payload).
const std::string kLogger = guest(R"(
  (memory (export "memory") 1)
  (func (export "pd_actor_on_message")
        (param $state i32) (param $ctx i32) (param $env i32) (param $p i32) (param $len i32)
        (result i32)
    (call $pd_log (i32.load (local.get $p)) (i32.add (local.get $p) (i32.const 4))
                  (i32.sub (local.get $len) (i32.const 4)))
    (i32.const 0))
)");

// Misbehaves on demand, by the first byte of the payload:
//   'u' unreachable            'd' integer division by zero     'r' unbounded recursion
//   'l' an infinite loop       'g' memory.grow(1) until it fails, then reports tag 7
//                                  [pages grown, last memory.grow result, memory.size]
//   anything else: forwards the payload to the sink as tag 1 (the specs use "x..." for these).
const std::string kMisbehaving = guest(R"(
  (memory (export "memory") 1)
  (func $recurse (param $n i32) (result i32)
    (i32.add (i32.const 1) (call $recurse (i32.add (local.get $n) (i32.const 1)))))
  (func (export "pd_actor_on_message")
        (param $state i32) (param $ctx i32) (param $env i32) (param $p i32) (param $len i32)
        (result i32)
    (local $op i32) (local $count i32) (local $r i32)
    (if (i32.ne (local.get $len) (i32.const 0))
      (then (local.set $op (i32.load8_u (local.get $p)))))
    (if (i32.eq (local.get $op) (i32.const 117)) (then unreachable))
    (if (i32.eq (local.get $op) (i32.const 100))
      (then (drop (i32.div_s (i32.const 1) (i32.sub (local.get $len) (local.get $len))))))
    (if (i32.eq (local.get $op) (i32.const 114))
      (then (drop (call $recurse (i32.const 0)))))
    (if (i32.eq (local.get $op) (i32.const 108))
      (then (loop $forever (br $forever))))
    (if (i32.eq (local.get $op) (i32.const 103))
      (then
        (block $done
          (loop $more
            (local.set $r (memory.grow (i32.const 1)))
            (br_if $done (i32.eq (local.get $r) (i32.const -1)))
            (local.set $count (i32.add (local.get $count) (i32.const 1)))
            (br $more)))
        (i32.store (i32.const 61600) (local.get $count))
        (i32.store (i32.const 61604) (local.get $r))
        (i32.store (i32.const 61608) (memory.size))
        (drop (call $tell (i64.const 7) (i32.const 61600) (i32.const 12)))
        (return (i32.const 0))))
    (drop (call $tell (i64.const 1) (local.get $p) (local.get $len)))
    (i32.const 0))
)");

// No pd_alloc. Keeps "SENTINEL" at 1024 (where clang puts static data). A message is forwarded
// to the sink as tag 1, followed by the 8 bytes at 1024 as tag 2; on_stop sends those 8 bytes as
// tag 3.
const std::string kLegacyGuest = guest(R"(
  (memory (export "memory") 1)
  (data (i32.const 1024) "SENTINEL")
  (func (export "pd_actor_on_message")
        (param $state i32) (param $ctx i32) (param $env i32) (param $p i32) (param $len i32)
        (result i32)
    (drop (call $tell (i64.const 1) (local.get $p) (local.get $len)))
    (drop (call $tell (i64.const 2) (i32.const 1024) (i32.const 8)))
    (i32.const 0))
  (func (export "pd_actor_on_stop") (param $state i32) (param $ctx i32) (param $reason i32)
    (drop (call $tell (i64.const 3) (i32.const 1024) (i32.const 8))))
)");

// Exports pd_alloc: a bump allocator from 65536 over 32 pages (2 MiB), 8-byte aligned. A message
// is answered with tag 1 [u64 checksum of the payload (FNV-style over 64-bit words), u32 len,
// u32 env_ptr, u32 payload_len field of the envelope]. Payload lengths are multiples of 8.
const std::string kAllocGuest = guest(R"(
  (memory (export "memory") 32)
  (global $bump (mut i32) (i32.const 65536))
  (func (export "pd_alloc") (param $size i32) (result i32)
    (local $at i32)
    (if (i32.gt_u (i32.add (global.get $bump) (local.get $size))
                  (i32.mul (memory.size) (i32.const 65536)))
      (then (global.set $bump (i32.const 65536))))
    (local.set $at (global.get $bump))
    (global.set $bump (i32.and (i32.add (i32.add (local.get $at) (local.get $size)) (i32.const 7))
                               (i32.const -8)))
    (local.get $at))
  (func (export "pd_actor_on_message")
        (param $state i32) (param $ctx i32) (param $env i32) (param $p i32) (param $len i32)
        (result i32)
    (local $h i64) (local $i i32)
    (local.set $h (i64.const 0xcbf29ce484222325))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $len)))
        (local.set $h (i64.mul (i64.xor (local.get $h)
                                        (i64.load (i32.add (local.get $p) (local.get $i))))
                               (i64.const 0x100000001b3)))
        (local.set $i (i32.add (local.get $i) (i32.const 8)))
        (br $next)))
    (i64.store (i32.const 61600) (local.get $h))
    (i32.store (i32.const 61608) (local.get $len))
    (i32.store (i32.const 61612) (local.get $env))
    (i32.store (i32.const 61616) (i32.load offset=56 (local.get $env)))
    (drop (call $tell (i64.const 1) (i32.const 61600) (i32.const 20)))
    (i32.const 0))
)");

uint64_t host_checksum(const std::vector<uint8_t>& bytes) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (size_t i = 0; i + 8 <= bytes.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, bytes.data() + i, 8);
    h = (h ^ w) * 0x100000001b3ull;
  }
  return h;
}

// Sends its payload to the sink (tag 1) and to the other recorder (tag 1), then reports both
// codes to the sink as tag 9 [code to sink, code to other].
const std::string kPolicyGuest = guest(R"(
  (memory (export "memory") 1)
  (func (export "pd_actor_on_message")
        (param $state i32) (param $ctx i32) (param $env i32) (param $p i32) (param $len i32)
        (result i32)
    (local $to_sink i32) (local $to_other i32)
    (local.set $to_sink (call $tell (i64.const 1) (local.get $p) (local.get $len)))
    (local.set $to_other (call $send_to (i64.const {OTHER_LO}) (i64.const {OTHER_HI})
                                        (i64.const 1) (local.get $p) (local.get $len)))
    (call $tell_i32x2 (i64.const 9) (local.get $to_sink) (local.get $to_other))
    (i32.const 0))
)");

constexpr const char* kOnMessageType = "(func (param i32 i32 i32 i32 i32) (result i32))";
constexpr const char* kOnStartType = "(func (param i32 i32) (result i32))";

class WasmActorAbi : public test::WasmBackendTest {};
PD_INSTANTIATE_WASM_BACKENDS(WasmActorAbi);

// =============================================================================================
// Exports

TEST_P(WasmActorAbi,
       pd_actor_create_runs_once_before_on_start_and_its_state_reaches_every_later_call) {
  World w(host);
  w.spawn("guest", kLifecycleGuest);
  w.engine.run_until_idle();
  ASSERT_TRUE(w.send(w.engine.lookup("/user/guest").value(), "x"));
  w.engine.run_until_idle();
  ASSERT_TRUE(w.engine.stop_actor(w.engine.lookup("/user/guest").value()));
  w.engine.run_until_idle();
  EXPECT_EQ(tagged_i32s(*w.got), (std::vector<std::string>{"1:4242,1", "2:4242,1", "3:4242,1"}));
}

TEST_P(WasmActorAbi, pd_actor_create_runs_again_once_for_each_new_incarnation_after_a_restart) {
  World w(host);
  w.spawn("guest", kLifecycleGuest);
  w.engine.run_until_idle();
  AddrHash path = w.engine.lookup("/user/guest").value().path_address();
  ASSERT_TRUE(w.send(path, "fail"));
  w.engine.run_until_idle();
  ASSERT_TRUE(w.send(path, "x"));
  w.engine.run_until_idle();
  EXPECT_EQ(w.count(EngineEvent::Kind::Restarted, "/user/guest"), 1u);
  // first incarnation: start, stop(Error = -1); second: start with creates == 1, message.
  EXPECT_EQ(tagged_i32s(*w.got),
            (std::vector<std::string>{"1:4242,1", "3:4242,-1", "1:4242,1", "2:4242,1"}));
}

TEST_P(WasmActorAbi, pd_actor_on_start_returning_non_zero_fails_the_start_with_Init) {
  World w(host);
  w.spawn("guest", R"((module (memory (export "memory") 1)
    (func (export "pd_actor_on_start") (param i32 i32) (result i32) (i32.const 7))
    (func (export "pd_actor_on_message") (param i32 i32 i32 i32 i32) (result i32) (i32.const 0))))",
          RestartPolicy::Temporary);
  w.engine.run_until_idle();
  auto f = w.failures("/user/guest");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0], ActorError::init("pd_actor_on_start returned 7"));
  EXPECT_EQ(w.count(EngineEvent::Kind::Started, "/user/guest"), 0u);
}

TEST_P(WasmActorAbi, pd_actor_on_message_returning_non_zero_fails_the_message_with_Handler) {
  World w(host);
  AddrHash g = w.spawn("guest", kLifecycleGuest, RestartPolicy::Temporary);
  w.engine.run_until_idle();
  ASSERT_TRUE(w.send(g, "fail"));
  w.engine.run_until_idle();
  auto f = w.failures("/user/guest");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0], ActorError::handler("pd_actor_on_message returned 1"));
}

TEST_P(WasmActorAbi, pd_actor_on_stop_receives_Requested_1_when_the_engine_stops_the_actor) {
  World w(host);
  AddrHash g = w.spawn("guest", kLifecycleGuest);
  w.engine.run_until_idle();
  ASSERT_TRUE(w.engine.stop_actor(g));
  w.engine.run_until_idle();
  EXPECT_EQ(tagged_i32s(*w.got), (std::vector<std::string>{"1:4242,1", "3:4242,1"}));
}

TEST_P(WasmActorAbi, pd_actor_on_stop_receives_Shutdown_3_when_the_engine_shuts_down) {
  World w(host);
  w.spawn("guest", kLifecycleGuest);
  w.engine.run_until_idle();
  w.engine.shutdown();
  w.engine.run_until_idle();
  EXPECT_TRUE(w.engine.is_shut_down());
  EXPECT_EQ(tagged_i32s(*w.got), (std::vector<std::string>{"1:4242,1", "3:4242,3"}));
}

TEST_P(WasmActorAbi, pd_actor_on_stop_receives_Error_minus_1_after_a_failed_message) {
  World w(host);
  AddrHash g = w.spawn("guest", kLifecycleGuest, RestartPolicy::Temporary);
  w.engine.run_until_idle();
  ASSERT_TRUE(w.send(g, "fail"));
  w.engine.run_until_idle();
  EXPECT_EQ(tagged_i32s(*w.got), (std::vector<std::string>{"1:4242,1", "3:4242,-1"}));
}

TEST_P(WasmActorAbi, pd_actor_on_stop_receives_Hierarchical_2_when_its_parent_is_stopped) {
  World w(host);
  AddrHash parent = *w.engine.spawn(ChildSpec("parent", [] { return std::make_unique<Quiet>(); }));
  w.spawn("guest", w.config(w.compile(kLifecycleGuest)), RestartPolicy::Permanent, "/user/parent");
  w.engine.run_until_idle();
  ASSERT_TRUE(w.engine.stop_actor(parent));
  w.engine.run_until_idle();
  EXPECT_EQ(tagged_i32s(*w.got), (std::vector<std::string>{"1:4242,1", "3:4242,2"}));
}

TEST_P(WasmActorAbi, pd_actor_on_stop_receives_Supervisor_2_when_a_one_for_all_sibling_fails) {
  World w(host);
  ASSERT_TRUE(w.engine.spawn(ChildSpec("parent", [] {
                               return std::make_unique<Quiet>();
                             }).with_strategy(SupervisionStrategy::OneForAll)));
  w.spawn("guest", w.config(w.compile(kLifecycleGuest)), RestartPolicy::Permanent, "/user/parent");
  AddrHash crasher = *w.engine.spawn(
      ChildSpec("crasher", [] { return std::make_unique<Crasher>(); }), "/user/parent");
  w.engine.run_until_idle();
  ASSERT_TRUE(w.send(crasher, "x"));
  w.engine.run_until_idle();
  EXPECT_EQ(tagged_i32s(*w.got), (std::vector<std::string>{"1:4242,1", "3:4242,2", "1:4242,1"}));
}

TEST_P(WasmActorAbi, pd_actor_on_stop_is_not_called_when_the_actor_is_killed) {
  World w(host);
  AddrHash g = w.spawn("guest", kLifecycleGuest);
  w.engine.run_until_idle();
  ASSERT_TRUE(w.engine.kill_actor(g));
  w.engine.run_until_idle();
  EXPECT_EQ(tagged_i32s(*w.got), (std::vector<std::string>{"1:4242,1"}));
}

TEST_P(WasmActorAbi, a_trap_in_pd_actor_create_fails_the_start_with_WasmTrap_naming_it) {
  World w(host);
  w.spawn("guest", R"((module (memory (export "memory") 1)
    (func (export "pd_actor_create") (result i32) unreachable)
    (func (export "pd_actor_on_message") (param i32 i32 i32 i32 i32) (result i32) (i32.const 0))))",
          RestartPolicy::Temporary);
  w.engine.run_until_idle();
  auto f = w.failures("/user/guest");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].kind, ActorError::Kind::WasmTrap);
  EXPECT_EQ(f[0].detail, "pd_actor_create: unreachable executed");
}

TEST_P(WasmActorAbi, a_trap_in_pd_actor_on_stop_is_logged_as_a_warning_and_the_stop_completes) {
  World w(host);
  AddrHash g = w.spawn("guest", R"((module (memory (export "memory") 1)
    (func (export "pd_actor_on_message") (param i32 i32 i32 i32 i32) (result i32) (i32.const 0))
    (func (export "pd_actor_on_stop") (param i32 i32 i32) unreachable)))");
  w.engine.run_until_idle();
  ASSERT_TRUE(w.engine.stop_actor(g));
  w.engine.run_until_idle();
  EXPECT_FALSE(w.engine.lookup("/user/guest").has_value());
  std::vector<LogRecord> mine;
  for (const LogRecord& r : *w.logs)
    if (r.path == "/user/guest") mine.push_back(r);
  ASSERT_EQ(mine.size(), 1u);
  EXPECT_EQ(mine[0].level, 3);
  EXPECT_EQ(mine[0].message, "pd_actor_on_stop failed: Trap: unreachable executed");
  EXPECT_TRUE(w.failures("/user/guest").empty());
}

// Forwards the 80 envelope bytes it received (tag 1), its payload (tag 2) and [env_ptr,
// payload_ptr, payload_len] (tag 3) to the sink.
const std::string kEnvelopeReporter = guest(R"(
  (memory (export "memory") 1)
  (func (export "pd_actor_on_message")
        (param $state i32) (param $ctx i32) (param $env i32) (param $p i32) (param $len i32)
        (result i32)
    (drop (call $tell (i64.const 1) (local.get $env) (i32.const 80)))
    (drop (call $tell (i64.const 2) (local.get $p) (local.get $len)))
    (i32.store (i32.const 61620) (local.get $env))
    (i32.store (i32.const 61624) (local.get $p))
    (i32.store (i32.const 61628) (local.get $len))
    (drop (call $tell (i64.const 3) (i32.const 61620) (i32.const 12)))
    (i32.const 0))
)");

TEST_P(WasmActorAbi, pd_actor_on_message_gets_the_delivered_envelope_at_0_and_the_payload_at_80) {
  World w(host);
  AddrHash g = w.spawn("guest", kEnvelopeReporter);
  w.engine.run_until_idle();
  Envelope sent = Envelope::make(w.sink, g, 0xfeedfacecafebeefull, 3).with_priority(2);
  sent.correlation_id = 4711;
  ASSERT_TRUE(w.engine.send_raw(sent, MessagePayload::serialized(test::bytes_of("fives"))));
  w.engine.run_until_idle();
  ASSERT_EQ(w.got->size(), 3u);
  ASSERT_EQ((*w.got)[0].bytes.size(), Envelope::kSize);
  Envelope seen = Envelope::read_from((*w.got)[0].bytes.data());
  EXPECT_NE(seen.message_id, u128(0));
  EXPECT_EQ(seen.source, w.sink);
  EXPECT_EQ(seen.destination, g);
  EXPECT_EQ(seen.type_tag, 0xfeedfacecafebeefull);
  EXPECT_EQ(seen.payload_len, 5u);  // the payload's size, not the 3 the sender claimed
  EXPECT_EQ(seen.flags, sent.flags);
  EXPECT_EQ(seen.correlation_id, 4711u);
  EXPECT_EQ(text((*w.got)[1].bytes), "fives");
  EXPECT_EQ(tagged_i32s({(*w.got)[2]}), (std::vector<std::string>{"3:0,80,5"}));
}

TEST_P(WasmActorAbi, an_empty_payload_reaches_pd_actor_on_message_as_pointer_0_length_0) {
  World w(host);
  AddrHash g = w.spawn("guest", kEnvelopeReporter);
  w.engine.run_until_idle();
  ASSERT_TRUE(w.send(g, std::vector<uint8_t>{}));
  w.engine.run_until_idle();
  ASSERT_EQ(w.got->size(), 3u);
  EXPECT_TRUE((*w.got)[1].bytes.empty());
  EXPECT_EQ((*w.got)[1].envelope.payload_len, 0u);
  EXPECT_EQ(tagged_i32s({(*w.got)[2]}), (std::vector<std::string>{"3:0,0,0"}));
}

// =============================================================================================
// Imports

TEST_P(WasmActorAbi, pd_send_delivers_the_envelope_fields_and_payload_exactly) {
  World w(host);
  AddrHash g = w.spawn("guest", kForger);
  w.engine.run_until_idle();
  ASSERT_TRUE(w.send(g, "payload bytes"));
  w.engine.run_until_idle();
  ASSERT_EQ(w.got->size(), 2u);
  const Got& m = (*w.got)[0];
  EXPECT_EQ(text(m.bytes), "payload bytes");
  EXPECT_EQ(m.envelope.destination, w.sink);
  EXPECT_EQ(m.envelope.type_tag, 0x0123456789abcdefull);
  EXPECT_EQ(m.envelope.payload_len, 13u);  // set from the payload, not the guest's 9999
  EXPECT_EQ(m.envelope.flags, 5u);
  EXPECT_EQ(m.envelope.correlation_id, 777u);
  EXPECT_NE(m.envelope.message_id, (u128(0x1111111111111111ull) << 64) | 0x1111111111111111ull);
  EXPECT_EQ((*w.got)[1].envelope.type_tag, 9u);
  EXPECT_EQ(i32_at((*w.got)[1].bytes, 0), kPdSendOk);
}

TEST_P(WasmActorAbi, pd_send_with_a_spoofed_source_arrives_with_the_guests_own_address) {
  World w(host);
  AddrHash g = w.spawn("guest", kForger);
  w.engine.run_until_idle();
  ASSERT_TRUE(w.send(g, "x"));
  w.engine.run_until_idle();
  ASSERT_EQ(w.got->size(), 2u);
  EXPECT_EQ((*w.got)[0].envelope.source, g);  // the guest wrote the sink's address there
  EXPECT_NE((*w.got)[0].envelope.source, w.sink);
}

TEST_P(WasmActorAbi, pd_now_micros_returns_the_engines_virtual_time) {
  World w(host);
  AddrHash g = w.spawn("guest", kClock);
  w.engine.run_until_idle();
  w.engine.run_for(1234567us);
  ASSERT_TRUE(w.send(g, "now?"));
  w.engine.run_until_idle();
  int64_t first_engine = to_micros(w.engine.now());
  w.engine.run_for(2s);
  ASSERT_TRUE(w.send(g, "now?"));
  w.engine.run_until_idle();
  int64_t second_engine = to_micros(w.engine.now());
  ASSERT_EQ(w.got->size(), 2u);
  EXPECT_EQ(i64_at((*w.got)[0].bytes, 0), first_engine);
  EXPECT_EQ(i64_at((*w.got)[1].bytes, 0), second_engine);
  EXPECT_EQ(i64_at((*w.got)[0].bytes, 0), 1234567);
  EXPECT_EQ(i64_at((*w.got)[1].bytes, 0), 3234567);
}

TEST_P(WasmActorAbi, pd_log_reaches_the_engine_log_with_the_actors_path_level_and_text) {
  World w(host);
  AddrHash g = w.spawn("guest", kLogger);
  w.engine.run_until_idle();
  w.engine.run_for(250ms);
  std::vector<uint8_t> payload = le_i32s({3});
  for (char c : std::string("hello from the guest")) payload.push_back(uint8_t(c));
  ASSERT_TRUE(w.send(g, payload));
  w.engine.run_until_idle();
  std::vector<LogRecord> mine;
  for (const LogRecord& r : *w.logs)
    if (r.path == "/user/guest") mine.push_back(r);
  ASSERT_EQ(mine.size(), 1u);
  EXPECT_EQ(mine[0].level, 3);
  EXPECT_EQ(mine[0].message, "hello from the guest");
  EXPECT_EQ(mine[0].at, Instant{} + 250ms);
}

// =============================================================================================
// Sends from on_start and on_stop (lost by the reference)

TEST_P(WasmActorAbi, a_message_sent_from_on_start_is_delivered_without_any_later_message) {
  World w(host);
  w.spawn("guest", kStartStopSender);
  w.engine.run_until_idle();
  EXPECT_EQ(tagged(*w.got), (std::vector<std::string>{"1:started"}));
}

TEST_P(WasmActorAbi, a_message_sent_from_on_stop_is_delivered) {
  World w(host);
  AddrHash g = w.spawn("guest", kStartStopSender);
  w.engine.run_until_idle();
  ASSERT_TRUE(w.engine.stop_actor(g));
  w.engine.run_until_idle();
  EXPECT_EQ(tagged(*w.got), (std::vector<std::string>{"1:started", "2:stopped"}));
}

// =============================================================================================
// Error mappings

TEST_P(WasmActorAbi, a_trap_on_unreachable_fails_with_WasmTrap_carrying_the_trap_message) {
  World w(host);
  AddrHash g = w.spawn("guest", kMisbehaving, RestartPolicy::Temporary);
  w.engine.run_until_idle();
  ASSERT_TRUE(w.send(g, "u"));
  w.engine.run_until_idle();
  auto f = w.failures("/user/guest");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].kind, ActorError::Kind::WasmTrap);
  EXPECT_EQ(f[0].detail, "pd_actor_on_message: unreachable executed");
  EXPECT_TRUE(w.got->empty());
}

TEST_P(WasmActorAbi, a_division_by_zero_fails_with_WasmTrap_carrying_the_trap_message) {
  World w(host);
  AddrHash g = w.spawn("guest", kMisbehaving, RestartPolicy::Temporary);
  w.engine.run_until_idle();
  ASSERT_TRUE(w.send(g, "d"));
  w.engine.run_until_idle();
  auto f = w.failures("/user/guest");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].kind, ActorError::Kind::WasmTrap);
  EXPECT_EQ(f[0].detail, "pd_actor_on_message: integer divide by zero");
}

TEST_P(WasmActorAbi, a_metered_guest_out_of_fuel_fails_with_ResourceExhausted) {
  World w(host);
  WasmActorConfig c = w.config(w.compile_metered(kMisbehaving));
  c.fuel_per_call = 100'000;
  AddrHash g = w.spawn("guest", c, RestartPolicy::Temporary);
  w.engine.run_until_idle();
  ASSERT_TRUE(w.send(g, "l"));
  w.engine.run_until_idle();
  auto f = w.failures("/user/guest");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].kind, ActorError::Kind::ResourceExhausted);
  EXPECT_EQ(f[0].detail,
            "pd_actor_on_message: fuel exhausted: the budget of 100000 is spent (the guest "
            "trapped with \"unreachable executed\")");
}

TEST_P(WasmActorAbi, a_metered_guest_within_its_fuel_works_normally) {
  World w(host);
  WasmActorConfig c = w.config(w.compile_metered(kMisbehaving));
  c.fuel_per_call = 100'000;
  AddrHash g = w.spawn("guest", c);
  w.engine.run_until_idle();
  ASSERT_TRUE(w.send(g, "a"));
  ASSERT_TRUE(w.send(g, "b"));
  w.engine.run_until_idle();
  EXPECT_EQ(tagged(*w.got), (std::vector<std::string>{"1:a", "1:b"}));
  EXPECT_TRUE(w.failures("/user/guest").empty());
}

TEST_P(WasmActorAbi,
       an_infinite_loop_runs_out_of_fuel_is_restarted_and_another_actor_keeps_being_served) {
  World w(host);
  WasmActorConfig c = w.config(w.compile_metered(kMisbehaving));
  c.fuel_per_call = 100'000;
  AddrHash looper = w.spawn("looper", c);
  AddrHash other = w.spawn("other", c);
  w.engine.run_until_idle();
  ASSERT_TRUE(w.send(other, "x-before"));
  ASSERT_TRUE(w.send(looper, "l"));
  ASSERT_TRUE(w.send(other, "x-during"));
  w.engine.run_until_idle();
  ASSERT_TRUE(w.send(looper.path_address(), "x-looper-after"));
  ASSERT_TRUE(w.send(other, "x-after"));
  w.engine.run_until_idle();
  auto f = w.failures("/user/looper");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].kind, ActorError::Kind::ResourceExhausted);
  EXPECT_EQ(w.count(EngineEvent::Kind::Restarted, "/user/looper"), 1u);
  EXPECT_TRUE(w.failures("/user/other").empty());
  std::vector<std::string> got = tagged(*w.got);
  std::vector<std::string> want = {"1:x-before", "1:x-during", "1:x-looper-after", "1:x-after"};
  std::sort(got.begin(), got.end());
  std::sort(want.begin(), want.end());
  EXPECT_EQ(got, want);
  EXPECT_FALSE(w.engine.failure().has_value());
}

TEST_P(WasmActorAbi, a_memory_grow_bomb_stops_at_max_memory_pages_and_the_guest_sees_minus_1) {
  World w(host);
  WasmActorConfig c = w.config(w.compile(kMisbehaving));
  c.limits.max_memory_pages = 4;
  AddrHash g = w.spawn("guest", c);
  w.engine.run_until_idle();
  ASSERT_TRUE(w.send(g, "g"));
  w.engine.run_until_idle();
  // grown 3 pages (1 -> 4), then memory.grow returned -1, and memory.size is 4
  EXPECT_EQ(tagged_i32s(*w.got), (std::vector<std::string>{"7:3,-1,4"}));
  EXPECT_TRUE(w.failures("/user/guest").empty());
}

TEST_P(WasmActorAbi,
       a_module_whose_initial_memory_exceeds_max_memory_pages_fails_its_start_with_Init) {
  World w(host);
  WasmActorConfig c = w.config(w.compile(kAllocGuest));  // 32 pages
  c.limits.max_memory_pages = 4;
  w.spawn("guest", c, RestartPolicy::Temporary);
  w.engine.run_until_idle();
  auto f = w.failures("/user/guest");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].kind, ActorError::Kind::Init);
  EXPECT_TRUE(f[0].detail.starts_with("instantiation failed: ")) << f[0].detail;
}

TEST_P(WasmActorAbi,
       unbounded_recursion_fails_with_WasmTrap_about_the_call_stack_and_the_engine_goes_on) {
  World w(host);
  AddrHash g = w.spawn("guest", kMisbehaving);
  AddrHash other = w.spawn("other", kEchoToSink);
  w.engine.run_until_idle();
  ASSERT_TRUE(w.send(g, "r"));
  w.engine.run_until_idle();
  ASSERT_TRUE(w.send(g.path_address(), "x-again"));
  ASSERT_TRUE(w.send(other, "other", 1));
  w.engine.run_until_idle();
  auto f = w.failures("/user/guest");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].kind, ActorError::Kind::WasmTrap);
  EXPECT_EQ(f[0].detail, "pd_actor_on_message: call stack exhausted");
  EXPECT_EQ(tagged(*w.got), (std::vector<std::string>{"1:x-again", "1:other"}));
  EXPECT_FALSE(w.engine.failure().has_value());
}

// =============================================================================================
// pd_send checks

struct ProbeCase {
  int32_t env_ptr, env_len, payload_ptr, payload_len;
};
// The messages the sink got after the probe ran one pd_send.
std::vector<Got> probe(std::shared_ptr<const WasmHost> host, ProbeCase c) {
  World w(std::move(host));
  AddrHash g = w.spawn("guest", kProbe);
  w.engine.run_until_idle();
  EXPECT_TRUE(w.send(g, le_i32s({c.env_ptr, c.env_len, c.payload_ptr, c.payload_len})));
  w.engine.run_until_idle();
  EXPECT_TRUE(w.failures("/user/guest").empty());
  return *w.got;
}

TEST_P(WasmActorAbi, pd_send_of_a_payload_ending_exactly_at_the_end_of_memory_is_delivered) {
  auto got = probe(host, {61440, 80, 65526, 10});
  EXPECT_EQ(tagged(got), (std::vector<std::string>{"5:0123456789", std::string("9:\0\0\0\0", 6)}));
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].envelope.payload_len, 10u);
}

TEST_P(WasmActorAbi,
       pd_send_of_a_payload_one_byte_past_memory_returns_OutOfBounds_and_sends_nothing) {
  auto got = probe(host, {61440, 80, 65526, 11});
  EXPECT_EQ(tagged_i32s(got),
            (std::vector<std::string>{"9:" + std::to_string(kPdSendOutOfBounds)}));
}

TEST_P(WasmActorAbi,
       pd_send_with_a_payload_length_of_minus_1_returns_OutOfBounds_and_sends_nothing) {
  auto got = probe(host, {61440, 80, 100, -1});
  EXPECT_EQ(tagged_i32s(got),
            (std::vector<std::string>{"9:" + std::to_string(kPdSendOutOfBounds)}));
}

TEST_P(WasmActorAbi,
       pd_send_with_a_payload_pointer_past_memory_returns_OutOfBounds_and_sends_nothing) {
  auto got = probe(host, {61440, 80, 65537, 0});
  EXPECT_EQ(tagged_i32s(got),
            (std::vector<std::string>{"9:" + std::to_string(kPdSendOutOfBounds)}));
}

TEST_P(WasmActorAbi,
       pd_send_with_an_envelope_reaching_past_memory_returns_OutOfBounds_and_sends_nothing) {
  auto got = probe(host, {65536 - 79, 80, 0, 0});
  EXPECT_EQ(tagged_i32s(got),
            (std::vector<std::string>{"9:" + std::to_string(kPdSendOutOfBounds)}));
}

TEST_P(WasmActorAbi,
       pd_send_with_a_negative_envelope_pointer_returns_OutOfBounds_and_sends_nothing) {
  auto got = probe(host, {-80, 80, 0, 0});
  EXPECT_EQ(tagged_i32s(got),
            (std::vector<std::string>{"9:" + std::to_string(kPdSendOutOfBounds)}));
}

TEST_P(WasmActorAbi, pd_send_with_an_envelope_of_79_bytes_returns_Refused_and_sends_nothing) {
  auto got = probe(host, {61440, 79, 0, 0});
  EXPECT_EQ(tagged_i32s(got), (std::vector<std::string>{"9:" + std::to_string(kPdSendRefused)}));
}

TEST_P(WasmActorAbi, pd_send_with_an_envelope_of_81_bytes_returns_Refused_and_sends_nothing) {
  auto got = probe(host, {61440, 81, 0, 0});
  EXPECT_EQ(tagged_i32s(got), (std::vector<std::string>{"9:" + std::to_string(kPdSendRefused)}));
}

TEST_P(WasmActorAbi, pd_send_to_a_stopped_actor_returns_the_ActorStopped_code) {
  World w(host);
  w.spawn_other("gone");
  AddrHash g = w.spawn("guest", kPolicyGuest);
  w.engine.run_until_idle();
  ASSERT_TRUE(w.engine.stop_actor(w.other));
  w.engine.run_until_idle();
  ASSERT_TRUE(w.send(g, "hi"));
  w.engine.run_until_idle();
  ASSERT_EQ(w.got->size(), 2u);
  EXPECT_EQ(text((*w.got)[0].bytes), "hi");
  EXPECT_EQ(i32_at((*w.got)[1].bytes, 0), kPdSendOk);
  EXPECT_EQ(i32_at((*w.got)[1].bytes, 4), pd_send_code(SendError::ActorStopped));
  EXPECT_TRUE(w.got_other->empty());
}

TEST_P(WasmActorAbi, pd_send_to_a_full_mailbox_returns_the_MailboxFull_code) {
  World w(host);
  w.spawn_other("small", "/user", 1);
  AddrHash g = w.spawn("guest", kPolicyGuest);
  w.engine.run_until_idle();
  ASSERT_TRUE(w.send(g, "m1"));
  ASSERT_TRUE(w.send(g, "m2"));  // handled in the same turn: "small" has not run in between
  w.engine.run_until_idle();
  ASSERT_EQ(w.got->size(), 4u);
  EXPECT_EQ(i32_at((*w.got)[1].bytes, 4), kPdSendOk);
  EXPECT_EQ(i32_at((*w.got)[3].bytes, 4), pd_send_code(SendError::MailboxFull));
  EXPECT_EQ(pd_send_code(SendError::MailboxFull), -16);
  EXPECT_EQ(tagged(*w.got_other), (std::vector<std::string>{"1:m1"}));
}

// =============================================================================================
// NamespacePolicy

TEST_P(WasmActorAbi, a_destination_outside_the_policy_gets_PolicyViolation_and_nothing_is_sent) {
  World w(host, "ok");
  w.spawn_other("no");
  WasmActorConfig c = w.config(w.compile(kPolicyGuest));
  c.policy = NamespacePolicy{{"/user/ok"}, {}};
  AddrHash g = w.spawn("guest", c);
  w.engine.run_until_idle();
  ASSERT_TRUE(w.send(g, "hi"));
  w.engine.run_until_idle();
  ASSERT_EQ(w.got->size(), 2u);
  EXPECT_EQ(text((*w.got)[0].bytes), "hi");  // the allowed one is delivered
  EXPECT_EQ(i32_at((*w.got)[1].bytes, 0), kPdSendOk);
  EXPECT_EQ(i32_at((*w.got)[1].bytes, 4), pd_send_code(SendError::PolicyViolation));
  EXPECT_EQ(pd_send_code(SendError::PolicyViolation), -20);
  EXPECT_TRUE(w.got_other->empty());
}

TEST_P(WasmActorAbi, a_sibling_whose_name_merely_extends_the_allowed_prefix_is_outside_the_policy) {
  World w(host, "ok");
  w.spawn_other("okay");
  WasmActorConfig c = w.config(w.compile(kPolicyGuest));
  c.policy = NamespacePolicy{{"/user/ok"}, {}};
  AddrHash g = w.spawn("guest", c);
  w.engine.run_until_idle();
  ASSERT_TRUE(w.send(g, "hi"));
  w.engine.run_until_idle();
  ASSERT_EQ(w.got->size(), 2u);
  EXPECT_EQ(i32_at((*w.got)[1].bytes, 4), pd_send_code(SendError::PolicyViolation));
  EXPECT_TRUE(w.got_other->empty());
}

TEST_P(WasmActorAbi, a_destination_below_an_allowed_prefix_is_delivered) {
  World w(host, "ok");
  w.spawn_other("kid", "/user/ok");
  WasmActorConfig c = w.config(w.compile(kPolicyGuest));
  c.policy = NamespacePolicy{{"/user/ok"}, {}};
  AddrHash g = w.spawn("guest", c);
  w.engine.run_until_idle();
  ASSERT_TRUE(w.send(g, "hi"));
  w.engine.run_until_idle();
  ASSERT_EQ(w.got->size(), 2u);
  EXPECT_EQ(i32_at((*w.got)[1].bytes, 0), kPdSendOk);
  EXPECT_EQ(i32_at((*w.got)[1].bytes, 4), kPdSendOk);
  EXPECT_EQ(tagged(*w.got_other), (std::vector<std::string>{"1:hi"}));
}

TEST_P(WasmActorAbi, a_denied_prefix_wins_over_an_allowed_one) {
  World w(host, "ok");
  w.spawn_other("kid", "/user/ok");
  WasmActorConfig c = w.config(w.compile(kPolicyGuest));
  c.policy = NamespacePolicy{{"/user/ok"}, {"/user/ok/kid"}};
  AddrHash g = w.spawn("guest", c);
  w.engine.run_until_idle();
  ASSERT_TRUE(w.send(g, "hi"));
  w.engine.run_until_idle();
  ASSERT_EQ(w.got->size(), 2u);
  EXPECT_EQ(i32_at((*w.got)[1].bytes, 0), kPdSendOk);
  EXPECT_EQ(i32_at((*w.got)[1].bytes, 4), pd_send_code(SendError::PolicyViolation));
  EXPECT_TRUE(w.got_other->empty());
}

// =============================================================================================
// Where incoming messages land

std::vector<uint8_t> pattern(size_t n) {
  std::vector<uint8_t> b(n);
  for (size_t i = 0; i < n; ++i) b[i] = uint8_t(i * 7 + 3 + (i >> 8));
  return b;
}

TEST_P(WasmActorAbi,
       without_pd_alloc_a_944_byte_payload_arrives_intact_and_the_guests_data_is_untouched) {
  World w(host);
  AddrHash g = w.spawn("guest", kLegacyGuest);
  w.engine.run_until_idle();
  std::vector<uint8_t> payload = pattern(944);
  ASSERT_TRUE(w.send(g, payload));
  w.engine.run_until_idle();
  ASSERT_EQ(w.got->size(), 2u);
  EXPECT_EQ((*w.got)[0].bytes, payload);
  EXPECT_EQ(text((*w.got)[1].bytes), "SENTINEL");
  EXPECT_TRUE(w.failures("/user/guest").empty());
}

TEST_P(WasmActorAbi,
       without_pd_alloc_a_945_byte_payload_is_refused_naming_pd_alloc_and_nothing_is_written) {
  World w(host);
  AddrHash g = w.spawn("guest", kLegacyGuest, RestartPolicy::Temporary);
  w.engine.run_until_idle();
  ASSERT_TRUE(w.send(g, std::vector<uint8_t>(945, 0xAB)));
  w.engine.run_until_idle();
  auto f = w.failures("/user/guest");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].kind, ActorError::Kind::Handler);
  EXPECT_TRUE(contains(f[0].detail, "945")) << f[0].detail;
  EXPECT_TRUE(contains(f[0].detail, "pd_alloc")) << f[0].detail;
  // on_stop, in the same instance, reads its data at 1024: still the sentinel.
  EXPECT_EQ(tagged(*w.got), (std::vector<std::string>{"3:SENTINEL"}));
}

TEST_P(WasmActorAbi, with_pd_alloc_a_one_mebibyte_payload_arrives_intact_in_the_guests_buffer) {
  World w(host);
  AddrHash g = w.spawn("guest", kAllocGuest);
  w.engine.run_until_idle();
  std::vector<uint8_t> payload = pattern(1 << 20);
  uint64_t want = host_checksum(payload);
  ASSERT_TRUE(w.send(g, payload));
  auto t0 = std::chrono::steady_clock::now();
  w.engine.run_until_idle();
  auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_LT(took, 1s);
  EXPECT_TRUE(w.failures("/user/guest").empty());
  ASSERT_EQ(w.got->size(), 1u);
  const auto& r = (*w.got)[0].bytes;
  ASSERT_EQ(r.size(), 20u);
  EXPECT_EQ(uint64_t(i64_at(r, 0)), want);
  EXPECT_EQ(i32_at(r, 8), 1 << 20);   // payload_len argument
  EXPECT_EQ(i32_at(r, 12), 65536);    // env_ptr: the buffer pd_alloc returned
  EXPECT_EQ(i32_at(r, 16), 1 << 20);  // the envelope's payload_len field
}

TEST_P(WasmActorAbi, with_pd_alloc_successive_messages_each_arrive_intact) {
  World w(host);
  AddrHash g = w.spawn("guest", kAllocGuest);
  w.engine.run_until_idle();
  std::vector<uint8_t> a = pattern(4096), b = pattern(8);
  b[0] = 0x42;
  ASSERT_TRUE(w.send(g, a));
  ASSERT_TRUE(w.send(g, b));
  w.engine.run_until_idle();
  ASSERT_EQ(w.got->size(), 2u);
  EXPECT_EQ(uint64_t(i64_at((*w.got)[0].bytes, 0)), host_checksum(a));
  EXPECT_EQ(uint64_t(i64_at((*w.got)[1].bytes, 0)), host_checksum(b));
  EXPECT_EQ(i32_at((*w.got)[1].bytes, 12), 65536 + 80 + 4096);
}

TEST_P(WasmActorAbi,
       a_pd_alloc_buffer_that_does_not_fit_in_memory_fails_the_message_naming_pd_alloc) {
  World w(host);
  AddrHash g = w.spawn("guest", guest(R"(
    (memory (export "memory") 1)
    (func (export "pd_alloc") (param $size i32) (result i32) (i32.const 65496))
    (func (export "pd_actor_on_message")
          (param $state i32) (param $ctx i32) (param $env i32) (param $p i32) (param $len i32)
          (result i32)
      (drop (call $tell (i64.const 1) (local.get $p) (local.get $len)))
      (i32.const 0)))"),
                       RestartPolicy::Temporary);
  w.engine.run_until_idle();
  ASSERT_TRUE(w.send(g, "x"));  // 81 bytes at 65496: 41 past the end of the one page
  w.engine.run_until_idle();
  auto f = w.failures("/user/guest");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].kind, ActorError::Kind::Handler);
  EXPECT_TRUE(f[0].detail.starts_with("pd_alloc(81) returned 65496")) << f[0].detail;
  EXPECT_TRUE(w.got->empty());
}

// A pd_alloc that logs, as a C allocator with tracing would.
TEST_P(WasmActorAbi, pd_log_called_from_pd_alloc_reaches_the_engine_log) {
  World w(host);
  AddrHash g = w.spawn("guest", guest(R"(
    (memory (export "memory") 2)
    (data (i32.const 2048) "allocating")
    (func (export "pd_alloc") (param $size i32) (result i32)
      (call $pd_log (i32.const 1) (i32.const 2048) (i32.const 10))
      (i32.const 65536))
    (func (export "pd_actor_on_message")
          (param $state i32) (param $ctx i32) (param $env i32) (param $p i32) (param $len i32)
          (result i32)
      (i32.const 0)))"));
  w.engine.run_until_idle();
  ASSERT_TRUE(w.send(g, "x"));
  w.engine.run_until_idle();
  std::vector<std::string> mine;
  for (const LogRecord& r : *w.logs)
    if (r.path == "/user/guest") mine.push_back(std::to_string(r.level) + ":" + r.message);
  EXPECT_EQ(mine, (std::vector<std::string>{"1:allocating"}));
}

// pd_alloc runs guest code too: a metered guest's fuel budget must bound it. This one spins
// 200,000 loop iterations inside pd_alloc (far above a budget of 10,000 fuel) and has no
// pd_actor_create/on_start, so pd_alloc is the first call into the instance.
const std::string kSlowAllocGuest = guest(R"(
  (memory (export "memory") 2)
  (func (export "pd_alloc") (param $size i32) (result i32)
    (local $i i32)
    (block $done
      (loop $spin
        (br_if $done (i32.ge_u (local.get $i) (i32.const 200000)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $spin)))
    (i32.const 65536))
  (func (export "pd_actor_on_message")
        (param $state i32) (param $ctx i32) (param $env i32) (param $p i32) (param $len i32)
        (result i32)
    (drop (call $tell (i64.const 1) (local.get $p) (local.get $len)))
    (i32.const 0))
)");

TEST_P(WasmActorAbi, pd_alloc_runs_under_the_fuel_budget_of_its_message) {
  World w(host);
  WasmActorConfig c = w.config(w.compile_metered(kSlowAllocGuest));
  c.fuel_per_call = 10'000;
  AddrHash g = w.spawn("guest", c, RestartPolicy::Temporary);
  w.engine.run_until_idle();
  ASSERT_TRUE(w.send(g, "x"));
  w.engine.run_until_idle();
  auto f = w.failures("/user/guest");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].kind, ActorError::Kind::ResourceExhausted) << f[0].detail;
  EXPECT_EQ(f[0].detail,
            "pd_alloc: fuel exhausted: the budget of 10000 is spent (the guest trapped with "
            "\"unreachable executed\")");
  EXPECT_TRUE(w.got->empty());
}

// pd_abi_version is guest code as well: it runs under the budget of the start, like
// pd_actor_create. This one spins 200,000 iterations (far above 10,000 fuel) before answering 1.
TEST_P(WasmActorAbi, pd_abi_version_runs_under_the_fuel_budget_of_the_start) {
  World w(host);
  WasmActorConfig c = w.config(w.compile_metered(guest(R"(
    (memory (export "memory") 1)
    (func (export "pd_abi_version") (result i32)
      (local $i i32)
      (block $done
        (loop $spin
          (br_if $done (i32.ge_u (local.get $i) (i32.const 200000)))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $spin)))
      (i32.const 1))
    (func (export "pd_actor_on_message")
          (param $state i32) (param $ctx i32) (param $env i32) (param $p i32) (param $len i32)
          (result i32)
      (i32.const 0)))")));
  c.fuel_per_call = 10'000;
  w.spawn("guest", c, RestartPolicy::Temporary);
  w.engine.run_until_idle();
  auto f = w.failures("/user/guest");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].kind, ActorError::Kind::ResourceExhausted) << f[0].detail;
  EXPECT_EQ(f[0].detail,
            "pd_abi_version: fuel exhausted: the budget of 10000 is spent (the guest trapped with "
            "\"unreachable executed\")");
}

// =============================================================================================
// Load errors

std::shared_ptr<const WasmModule> compile_raw(const WasmHost& host, std::string_view wat) {
  return test::compile_wat(host, wat);
}

constexpr const char* kNoOnMessage = R"((module (memory (export "memory") 1)
  (func (export "pd_actor_on_start") (param i32 i32) (result i32) (i32.const 0))))";
constexpr const char* kWrongOnMessage = R"((module (memory (export "memory") 1)
  (func (export "pd_actor_on_message") (param i32 i32 i32) (result i32) (i32.const 0))))";
constexpr const char* kWrongOnStart = R"((module (memory (export "memory") 1)
  (func (export "pd_actor_on_start") (param i32) (result i32) (i32.const 0))
  (func (export "pd_actor_on_message") (param i32 i32 i32 i32 i32) (result i32) (i32.const 0))))";
constexpr const char* kNoMemory = R"((module
  (func (export "pd_actor_on_message") (param i32 i32 i32 i32 i32) (result i32) (i32.const 0))))";

TEST_P(WasmActorAbi, check_guest_abi_accepts_a_conforming_guest) {
  EXPECT_EQ(check_guest_abi(*compile_raw(*host, R"((module (memory (export "memory") 1)
    (func (export "pd_actor_on_message") (param i32 i32 i32 i32 i32) (result i32) (i32.const 0))))")),
            std::nullopt);
}

TEST_P(WasmActorAbi, check_guest_abi_names_a_missing_pd_actor_on_message_and_its_signature) {
  EXPECT_EQ(check_guest_abi(*compile_raw(*host, kNoOnMessage)),
            std::string("the guest does not export pd_actor_on_message ") + kOnMessageType);
}

TEST_P(WasmActorAbi, check_guest_abi_names_a_wrong_pd_actor_on_message_with_both_signatures) {
  EXPECT_EQ(check_guest_abi(*compile_raw(*host, kWrongOnMessage)),
            std::string("the guest exports pd_actor_on_message as "
                        "(func (param i32 i32 i32) (result i32)), the ABI wants ") +
                kOnMessageType);
}

TEST_P(WasmActorAbi, check_guest_abi_names_a_wrong_pd_actor_on_start_with_both_signatures) {
  EXPECT_EQ(check_guest_abi(*compile_raw(*host, kWrongOnStart)),
            std::string("the guest exports pd_actor_on_start as "
                        "(func (param i32) (result i32)), the ABI wants ") +
                kOnStartType);
}

TEST_P(WasmActorAbi,
       check_guest_abi_names_a_wrong_pd_actor_on_stop_and_pd_alloc_with_both_signatures) {
  EXPECT_EQ(check_guest_abi(*compile_raw(*host, R"((module (memory (export "memory") 1)
    (func (export "pd_actor_on_message") (param i32 i32 i32 i32 i32) (result i32) (i32.const 0))
    (func (export "pd_actor_on_stop") (param i32 i32 i32) (result i32) (i32.const 0))))")),
            std::string("the guest exports pd_actor_on_stop as "
                        "(func (param i32 i32 i32) (result i32)), the ABI wants "
                        "(func (param i32 i32 i32))"));
  EXPECT_EQ(check_guest_abi(*compile_raw(*host, R"((module (memory (export "memory") 1)
    (func (export "pd_actor_on_message") (param i32 i32 i32 i32 i32) (result i32) (i32.const 0))
    (func (export "pd_alloc") (param i64) (result i32) (i32.const 0))))")),
            std::string("the guest exports pd_alloc as (func (param i64) (result i32)), "
                        "the ABI wants (func (param i32) (result i32))"));
}

TEST_P(WasmActorAbi, check_guest_abi_names_a_missing_memory_export) {
  EXPECT_EQ(check_guest_abi(*compile_raw(*host, kNoMemory)),
            std::string("the guest exports no memory named \"memory\""));
}

// Spawning a non-conforming guest: the spawn succeeds, its start fails with Init naming it.
ActorError start_failure_of(std::shared_ptr<const WasmHost> host, const char* wat) {
  World w(host);
  w.spawn("guest", w.config(compile_raw(*host, wat)), RestartPolicy::Temporary);
  w.engine.run_until_idle();
  auto f = w.failures("/user/guest");
  EXPECT_EQ(f.size(), 1u);
  EXPECT_EQ(w.count(EngineEvent::Kind::Started, "/user/guest"), 0u);
  return f.empty() ? ActorError{} : f[0];
}

TEST_P(WasmActorAbi,
       spawning_a_guest_without_pd_actor_on_message_fails_its_start_naming_the_export) {
  EXPECT_EQ(start_failure_of(host, kNoOnMessage),
            ActorError::init(std::string("not a Palladium guest: the guest does not export "
                                         "pd_actor_on_message ") +
                             kOnMessageType));
}

TEST_P(WasmActorAbi,
       spawning_a_guest_with_a_wrong_pd_actor_on_message_fails_its_start_with_both_signatures) {
  EXPECT_EQ(start_failure_of(host, kWrongOnMessage),
            ActorError::init(std::string("not a Palladium guest: the guest exports "
                                         "pd_actor_on_message as (func (param i32 i32 i32) "
                                         "(result i32)), the ABI wants ") +
                             kOnMessageType));
}

TEST_P(WasmActorAbi,
       spawning_a_guest_with_a_wrong_pd_actor_on_start_fails_its_start_with_both_signatures) {
  EXPECT_EQ(start_failure_of(host, kWrongOnStart),
            ActorError::init(std::string("not a Palladium guest: the guest exports "
                                         "pd_actor_on_start as (func (param i32) (result i32)), "
                                         "the ABI wants ") +
                             kOnStartType));
}

TEST_P(WasmActorAbi, spawning_a_guest_without_a_memory_export_fails_its_start_naming_memory) {
  EXPECT_EQ(
      start_failure_of(host, kNoMemory),
      ActorError::init("not a Palladium guest: the guest exports no memory named \"memory\""));
}

TEST_P(WasmActorAbi, corrupt_bytes_are_a_Compile_error_of_the_host) {
  std::vector<uint8_t> bytes = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0xff, 0x03};
  auto m = host->compile(bytes);
  ASSERT_FALSE(m.has_value());
  EXPECT_EQ(m.error().kind, WasmError::Kind::Compile);
  EXPECT_FALSE(m.error().message.empty());
  auto not_wasm = host->compile(test::bytes_of("definitely not wasm"));
  ASSERT_FALSE(not_wasm.has_value());
  EXPECT_EQ(not_wasm.error().kind, WasmError::Kind::Compile);
}

TEST_P(WasmActorAbi, a_factory_without_a_module_is_refused_at_once) {
  WasmActorConfig c;
  c.host = host;
  EXPECT_THROW(wasm_actor_factory(c), std::invalid_argument);
}

TEST_P(WasmActorAbi, fuel_per_call_on_an_unmetered_module_fails_the_start_with_Init_saying_so) {
  World w(host);
  WasmActorConfig c = w.config(w.compile(kEchoToSink));
  c.fuel_per_call = 1000;
  w.spawn("guest", c, RestartPolicy::Temporary);
  w.engine.run_until_idle();
  auto f = w.failures("/user/guest");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].kind, ActorError::Kind::Init);
  EXPECT_TRUE(contains(f[0].detail, "fuel_per_call")) << f[0].detail;
  EXPECT_TRUE(contains(f[0].detail, "not metered")) << f[0].detail;
}

}  // namespace
}  // namespace pd::wasm_actor_abi_test
