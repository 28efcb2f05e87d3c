// Test support for the wasm module: modules written as WAT inside the tests, turned into bytes
// with libwabt's text parser, then compiled and instantiated on a WasmHost; and the guests
// several suites share (pd::test::guests).
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "pd/wasm/wasm_host.h"
#include "pd/wasm/wat.h"

namespace pd::test {

// The bytes of the one module in `wat`. Not validated - tests of invalid modules need their
// bytes too. A WAT syntax error fails the current test with WABT's messages and returns {}.
inline std::vector<uint8_t> wat_to_wasm(std::string_view wat) {
  auto bytes = pd::wat_to_wasm(wat, "test.wat");
  if (!bytes) {
    ADD_FAILURE() << "the WAT does not parse:\n" << bytes.error() << "in:\n" << wat;
    return {};
  }
  return std::move(bytes).value();
}

// The WAT compiled on `host`; nullptr (and a failed test) when it does not compile.
inline std::shared_ptr<const WasmModule> compile_wat(const WasmHost& host, std::string_view wat) {
  auto module = host.compile(wat_to_wasm(wat));
  if (!module) {
    ADD_FAILURE() << "does not compile: " << to_string(module.error());
    return nullptr;
  }
  return module.value();
}

// The WAT compiled and instantiated on `host`; nullptr (and a failed test) on any error.
inline std::unique_ptr<WasmInstance> instantiate_wat(const WasmHost& host, std::string_view wat,
                                                     WasmImports imports = {},
                                                     const WasmLimits& limits = {}) {
  auto module = compile_wat(host, wat);
  if (!module) return nullptr;
  auto instance = host.instantiate(module, std::move(imports), limits);
  if (!instance) {
    ADD_FAILURE() << "does not instantiate: " << to_string(instance.error());
    return nullptr;
  }
  return std::move(instance).value();
}

// The error of an Expected that should hold one ({} and a failed test when it holds a value).
template <class T>
WasmError error_of(const Expected<T, WasmError>& result) {
  if (result) {
    ADD_FAILURE() << "expected an error, got a value";
    return {};
  }
  return result.error();
}

inline std::vector<uint8_t> bytes_of(std::string_view s) {
  return std::vector<uint8_t>(s.begin(), s.end());
}

inline std::string text_of(std::span<const uint8_t> bytes) {
  return std::string(bytes.begin(), bytes.end());
}

// ---------------------------------------------------------------------------------------------
// Guests shared by the suites (host, limits, actor) and the differential test, which runs them
// all on both backends.
namespace guests {

// Numbers of every type in and out: add_i32, mul_i64, half_f32, sqrt_f64, swap (two results),
// nothing (none); memory exported.
inline constexpr const char* kArithmetic = R"((module
  (func (export "add_i32") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func (export "mul_i64") (param i64 i64) (result i64) (i64.mul (local.get 0) (local.get 1)))
  (func (export "half_f32") (param f32) (result f32) (f32.div (local.get 0) (f32.const 2)))
  (func (export "sqrt_f64") (param f64) (result f64) (f64.sqrt (local.get 0)))
  (func (export "swap") (param i32 f64) (result f64 i32) (local.get 1) (local.get 0))
  (func (export "nothing"))
  (memory (export "memory") 1)))";

// One exported page: load_u8(addr) and store_u8(addr, value).
inline constexpr const char* kMemory = R"((module
  (memory (export "memory") 1)
  (func (export "load_u8") (param i32) (result i32) (i32.load8_u (local.get 0)))
  (func (export "store_u8") (param i32 i32) (i32.store8 (local.get 0) (local.get 1)))))";

// The three imports of the guest ABI behind exports of the same shape: send(env_ptr, env_len,
// payload_ptr, payload_len), log(level, ptr, len), now(). Data: "ENVELOPE-BYTES" at 16, "hello
// payload" at 64, "log line" at 128.
inline constexpr const char* kAbiGuest = R"((module
  (import "env" "pd_send" (func $send (param i32 i32 i32 i32) (result i32)))
  (import "env" "pd_log" (func $log (param i32 i32 i32)))
  (import "env" "pd_now_micros" (func $now (result i64)))
  (memory (export "memory") 1)
  (data (i32.const 16) "ENVELOPE-BYTES")
  (data (i32.const 64) "hello payload")
  (data (i32.const 128) "log line")
  (func (export "send") (param i32 i32 i32 i32) (result i32)
    (call $send (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
  (func (export "log") (param i32 i32 i32) (call $log (local.get 0) (local.get 1) (local.get 2)))
  (func (export "now") (result i64) (call $now))))";

// div(a, b) = a / b, boom() unreachable, load(addr) an i32 load (memory not exported).
inline constexpr const char* kTrapping = R"((module
  (memory 1)
  (func (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
  (func (export "boom") unreachable)
  (func (export "load") (param i32) (result i32) (i32.load (local.get 0)))))";

// A trap of every other kind on demand: div_overflow(a, b) (INT_MIN / -1), rem_by_zero(x),
// trunc(f32) and trunc_u64(f64) (NaN, out of range), call(index, x) through a table of 3 whose
// slot 1 has another signature and slot 2 is null, store64(addr) and fill(addr, len) on one
// unexported page.
inline constexpr const char* kMoreTraps = R"((module
  (type $ii (func (param i32) (result i32)))
  (type $v (func))
  (table 3 funcref)
  (elem (i32.const 0) $inc $nothing)
  (func $inc (type $ii) (i32.add (local.get 0) (i32.const 1)))
  (func $nothing (type $v))
  (func (export "div_overflow") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
  (func (export "rem_by_zero") (param i64) (result i64) (i64.rem_u (local.get 0) (i64.const 0)))
  (func (export "trunc") (param f32) (result i32) (i32.trunc_f32_s (local.get 0)))
  (func (export "trunc_u64") (param f64) (result i64) (i64.trunc_f64_u (local.get 0)))
  (func (export "call") (param i32 i32) (result i32)
    (call_indirect (type $ii) (local.get 1) (local.get 0)))
  (memory 1)
  (func (export "store64") (param i32) (i64.store (local.get 0) (i64.const -1)))
  (func (export "fill") (param i32 i32) (memory.fill (local.get 0) (i32.const 7) (local.get 1)))))";

// grow(pages) = memory.grow; grow_until_refused() grows a page at a time until -1 and returns
// how many it grew.
inline constexpr const char* kGrower = R"((module
  (memory (export "memory") 1)
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "grow_until_refused") (result i32)
    (local $grown i32)
    (block $done
      (loop $again
        (br_if $done (i32.eq (memory.grow (i32.const 1)) (i32.const -1)))
        (local.set $grown (i32.add (local.get $grown) (i32.const 1)))
        (br $again)))
    (local.get $grown))))";

// forever(n) recurses without end; depth(n) recurses n deep and returns n.
inline constexpr const char* kRecursive = R"((module
  (func $forever (export "forever") (param i32) (result i32)
    (call $forever (i32.add (local.get 0) (i32.const 1))))
  ;; depth(n) makes n nested calls below itself: n + 1 frames in all.
  (func $depth (export "depth") (param i32) (result i32)
    (if (result i32) (i32.eqz (local.get 0))
      (then (i32.const 0))
      (else (i32.add (call $depth (i32.sub (local.get 0) (i32.const 1))) (i32.const 1)))))))";

// Metered by hand the way the metering pass meters: an exported mutable i64 "pd_fuel", charged
// as the code runs, and `unreachable` once it is negative.
inline constexpr const char* kMetered = R"((module
  (global $fuel (export "pd_fuel") (mut i64) (i64.const 1000))
  (func $charge (param i64)
    (global.set $fuel (i64.sub (global.get $fuel) (local.get 0)))
    (if (i64.lt_s (global.get $fuel) (i64.const 0)) (then unreachable)))
  ;; spin(n) loops n times and costs 10 per loop.
  (func (export "spin") (param i32) (result i32)
    (local $i i32)
    (block $done
      (loop $again
        (br_if $done (i32.ge_u (local.get $i) (local.get 0)))
        (call $charge (i64.const 10))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $again)))
    (local.get $i))
  (func (export "boom") (call $charge (i64.const 1)) unreachable)))";

// bump(): increments a global, stores it (low byte) at 0 and returns it.
inline constexpr const char* kCounter = R"((module
  (memory (export "memory") 1)
  (global $n (mut i32) (i32.const 0))
  (func (export "bump") (result i32)
    (global.set $n (i32.add (global.get $n) (i32.const 1)))
    (i32.store8 (i32.const 0) (global.get $n))
    (global.get $n))))";

// Meant to be metered with pd::meter_module. work(n, seed) hashes n rounds, stores the hash at 0,
// sends it (envelope at 100, 8 bytes of payload) and logs "worked"; the others trap on demand.
inline constexpr const char* kWorker = R"((module
  (import "env" "pd_send" (func $send (param i32 i32 i32 i32) (result i32)))
  (import "env" "pd_log" (func $log (param i32 i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 200) "worked")
  (func $hash (param $n i32) (param $x i64) (result i64)
    (local $i i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $x (i64.mul (i64.xor (local.get $x) (i64.extend_i32_u (local.get $i)))
                               (i64.const 0x100000001b3)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (local.get $x))
  (func (export "work") (param $n i32) (param $seed i64) (result i64)
    (local $h i64)
    (local.set $h (call $hash (local.get $n) (local.get $seed)))
    (i64.store (i32.const 0) (local.get $h))
    (drop (call $send (i32.const 100) (i32.const 80) (i32.const 0) (i32.const 8)))
    (call $log (i32.const 1) (i32.const 200) (i32.const 6))
    (local.get $h))
  (func (export "boom") unreachable)
  (func (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
  (func $deep (export "deep") (param i32) (result i32)
    (if (result i32) (i32.eqz (local.get 0))
      (then (i32.const 0))
      (else (i32.add (call $deep (i32.sub (local.get 0) (i32.const 1))) (i32.const 1)))))
  (func (export "spin") (loop $forever (br $forever)))))";

// Misbehaves by the first byte of its payload: 'u' unreachable, 'd' division by zero,
// 'r' unbounded recursion, 'l' an infinite loop; anything else is sent back to its source.
inline constexpr const char* kMisbehavingActor = R"((module
  (import "env" "pd_send" (func $send (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func $recurse (param i32) (result i32) (i32.add (i32.const 1) (call $recurse (local.get 0))))
  (func (export "pd_actor_on_message")
        (param $state i32) (param $ctx i32) (param $env i32) (param $p i32) (param $len i32)
        (result i32)
    (local $op i32)
    (if (local.get $len) (then (local.set $op (i32.load8_u (local.get $p)))))
    (if (i32.eq (local.get $op) (i32.const 117)) (then unreachable))
    (if (i32.eq (local.get $op) (i32.const 100))
      (then (drop (i32.div_s (i32.const 1) (i32.sub (local.get $len) (local.get $len))))))
    (if (i32.eq (local.get $op) (i32.const 114)) (then (drop (call $recurse (i32.const 0)))))
    (if (i32.eq (local.get $op) (i32.const 108)) (then (loop $forever (br $forever))))
    (memory.copy (i32.const 2048) (local.get $env) (i32.const 80))
    (i64.store (i32.const 2080) (i64.load offset=16 (local.get $env)))
    (i64.store (i32.const 2088) (i64.load offset=24 (local.get $env)))
    (call $send (i32.const 2048) (i32.const 80) (local.get $p) (local.get $len))))
)";

// Replies to every message with its own payload: copies the envelope to 2048, sets the
// destination to the original source, and sends it with the same payload.
inline constexpr const char* kEchoGuest = R"((module
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

}  // namespace guests

}  // namespace pd::test
