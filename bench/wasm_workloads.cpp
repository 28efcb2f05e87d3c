// The WASM workloads of pd-bench: the same shapes as the native ones, with WasmActor guests
// written in WAT (assembled at start-up with WABT's parser) on the chosen backend.
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <stdexcept>

#include "bench_support.h"
#include "pd/plugin/wasm_actor.h"
#include "pd/runtime/engine.h"
#include "pd/wasm/aot_host.h"
#include "pd/wasm/fuel_meter.h"
#include "pd/wasm/wat.h"
#include "workloads.h"

namespace pd::bench {

namespace {

using Clock = std::chrono::steady_clock;

// Bounces a u64 counter: replies to the sender with counter - 1 until it reaches 0.
constexpr const char* kPingPongGuest = R"((module
  (import "env" "pd_send" (func $send (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "pd_actor_on_message")
        (param $state i32) (param $ctx i32) (param $env i32) (param $p i32) (param $len i32)
        (result i32)
    (local $n i64)
    (local.set $n (i64.load (local.get $p)))
    (if (i64.eqz (local.get $n)) (then (return (i32.const 0))))
    (memory.copy (i32.const 2048) (local.get $env) (i32.const 80))
    (i64.store (i32.const 2080) (i64.load (i32.add (local.get $env) (i32.const 16))))
    (i64.store (i32.const 2088) (i64.load (i32.add (local.get $env) (i32.const 24))))
    (i64.store (i32.const 2128) (i64.sub (local.get $n) (i64.const 1)))
    (call $send (i32.const 2048) (i32.const 80) (i32.const 2128) (i32.const 8))))
)";

// Touches its one page on start, then idles.
constexpr const char* kIdleGuest = R"((module
  (memory (export "memory") 1)
  (func (export "pd_actor_on_start") (param i32 i32) (result i32)
    (i32.store (i32.const 60000) (i32.const 1))
    (i32.const 0))
  (func (export "pd_actor_on_message") (param i32 i32 i32 i32 i32) (result i32)
    (i32.const 0)))
)";

// Per message: sums 0..iterations-1 (iterations = the u32 payload) and keeps the result.
constexpr const char* kComputeGuest = R"((module
  (memory (export "memory") 1)
  (func (export "pd_actor_on_message")
        (param $state i32) (param $ctx i32) (param $env i32) (param $p i32) (param $len i32)
        (result i32)
    (local $i i32) (local $n i32) (local $sum i64)
    (local.set $n (i32.load (local.get $p)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $sum (i64.add (local.get $sum) (i64.extend_i32_u (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (i64.store (i32.const 4096) (local.get $sum))
    (i32.const 0)))
)";

std::shared_ptr<const WasmHost> host_for(const std::string& backend) {
  if (backend == "interp") return make_interp_host();
  if (backend == "aot") return make_aot_host();
  throw std::invalid_argument("--backend " + backend + ": interp or aot");
}

WasmActorConfig guest(const std::shared_ptr<const WasmHost>& host, const char* wat, bool metered) {
  auto bytes = wat_to_wasm(wat, "bench.wat");
  if (!bytes) throw std::runtime_error("bench guest does not parse: " + bytes.error());
  std::vector<uint8_t> code = std::move(bytes).value();
  if (metered) {
    auto m = meter_module(code, MeterOptions{});
    if (!m) throw std::runtime_error("metering the bench guest failed: " + m.error().message);
    code = std::move(*m);
  }
  auto module = host->compile(code);
  if (!module)
    throw std::runtime_error("bench guest does not compile: " + to_string(module.error()));
  WasmActorConfig c;
  c.host = host;
  c.module = *module;
  if (metered) c.fuel_per_call = uint64_t(1) << 40;
  return c;
}

MessagePayload u64_payload(uint64_t v) {
  std::vector<uint8_t> b(8);
  for (int i = 0; i < 8; ++i) b[i] = uint8_t(v >> (8 * i));
  return MessagePayload::serialized(std::move(b));
}

}  // namespace

Figures wasm_pingpong(uint64_t round_trips, const std::string& backend) {
  auto host = host_for(backend);
  WasmActorConfig c = guest(host, kPingPongGuest, false);
  Engine engine(bench_config());
  AddrHash a = must(engine.spawn(spec("ping", wasm_actor_factory(c))), "ping");
  AddrHash b = must(engine.spawn(spec("pong", wasm_actor_factory(c))), "pong");
  engine.run_until_idle();
  auto t0 = Clock::now();
  Envelope first = Envelope::make(a, b, 1, 8);
  if (!engine.send_raw(first, u64_payload(2 * round_trips - 1)))
    throw std::runtime_error("wasm-pingpong: first send failed");
  engine.run_until_idle();
  double s = std::chrono::duration<double>(Clock::now() - t0).count();
  uint64_t delivered = engine.stats().messages_delivered;
  if (delivered != 2 * round_trips || engine.stats().failures != 0)
    throw std::runtime_error("wasm-pingpong: delivered " + std::to_string(delivered) +
                             " messages, " + std::to_string(engine.stats().failures) + " failures");
  return {{"backend", "\"" + backend + "\""},
          {"round_trips", std::to_string(round_trips)},
          {"seconds", num(s)},
          {"msgs_per_s", num(double(2 * round_trips) / s)},
          {"ns_per_msg", num(s * 1e9 / double(2 * round_trips))}};
}

Figures wasm_spawn(uint64_t actors, const std::string& backend) {
  auto host = host_for(backend);
  WasmActorConfig c = guest(host, kIdleGuest, false);
  Engine engine(bench_config());
  engine.run_until_idle();
  uint64_t rss0 = rss_bytes();
  auto t0 = Clock::now();
  ActorFactory factory = wasm_actor_factory(c);
  for (uint64_t i = 0; i < actors; ++i)
    must(engine.spawn(spec(std::to_string(i), factory)), "guest");
  engine.run_until_idle();  // every guest instantiated and started
  double s = std::chrono::duration<double>(Clock::now() - t0).count();
  uint64_t rss1 = rss_bytes();
  if (engine.stats().live_actors != actors || engine.stats().failures != 0)
    throw std::runtime_error("wasm-spawn: not every guest started");
  return {{"backend", "\"" + backend + "\""},
          {"actors", std::to_string(actors)},
          {"seconds", num(s)},
          {"us_per_spawn", num(s * 1e6 / double(actors))},
          {"bytes_per_actor", num(double(rss1 - rss0) / double(actors))}};
}

Figures wasm_compute(uint64_t messages, bool fuel, const std::string& backend) {
  constexpr uint32_t kIterations = 10000;
  auto host = host_for(backend);
  WasmActorConfig c = guest(host, kComputeGuest, fuel);
  Engine engine(bench_config());
  AddrHash w =
      must(engine.spawn(spec("worker", wasm_actor_factory(c), kMailboxCapacityMax)), "worker");
  engine.run_until_idle();
  auto t0 = Clock::now();
  for (uint64_t i = 0; i < messages; ++i) {
    std::vector<uint8_t> b = {uint8_t(kIterations), uint8_t(kIterations >> 8), 0, 0};
    if (!engine.send_raw(Envelope::make(AddrHash{}, w, 1, 4), MessagePayload::serialized(b)))
      engine.run_until_idle();  // mailbox full: let the worker catch up, then go on
  }
  engine.run_until_idle();
  double s = std::chrono::duration<double>(Clock::now() - t0).count();
  if (engine.stats().failures != 0) throw std::runtime_error("wasm-compute: the guest failed");
  uint64_t done = engine.stats().messages_delivered;
  return {{"backend", "\"" + backend + "\""},
          {"fuel", fuel ? "true" : "false"},
          {"messages", std::to_string(done)},
          {"iterations_per_message", std::to_string(kIterations)},
          {"seconds", num(s)},
          {"msgs_per_s", num(double(done) / s)},
          {"iterations_per_s", num(double(done) * kIterations / s)}};
}

}  // namespace pd::bench
