// The WebAssembly host layer under pressure, on every backend (each test runs once on "interp"
// and once on "aot"): memory and table limits, call depth, the value stack, fuel, instances that
// must not see each other, and threads running WASM at once. Also built into pd-thread-tests
// (the ThreadSanitizer configuration).

#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <latch>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "pd/plugin/wasm_actor.h"
#include "pd/reactor/sim_reactor.h"
#include "pd/runtime/engine.h"
#include "pd/wasm/fuel_meter.h"
#include "pd/wasm/wasm_error.h"
#include "pd/wasm/wasm_host.h"
#include "pd/wasm/wasm_val.h"
#include "wasm_backend_support.h"
#include "wasm_test_support.h"

namespace {

using pd::WasmError;
using pd::WasmLimits;
using pd::WasmVal;
using pd::test::compile_wat;
using pd::test::error_of;
using pd::test::instantiate_wat;
using pd::test::guests::kCounter;
using pd::test::guests::kGrower;
using pd::test::guests::kMetered;
using pd::test::guests::kMisbehavingActor;
using pd::test::guests::kRecursive;
using pd::test::guests::kWorker;

class WasmLimitsTest : public pd::test::WasmBackendTest {};
PD_INSTANTIATE_WASM_BACKENDS(WasmLimitsTest);

// ---------------------------------------------------------------------------------------------
// Memory and tables

TEST_P(WasmLimitsTest, a_memory_grow_bomb_stops_at_max_memory_pages) {
  WasmLimits limits;
  limits.max_memory_pages = 8;
  auto inst = instantiate_wat(*host, kGrower, {}, limits);
  ASSERT_TRUE(inst);
  auto grown = inst->call("grow_until_refused", {});
  ASSERT_TRUE(grown) << pd::to_string(grown.error());
  EXPECT_EQ(grown.value()[0], WasmVal::i32(7));  // 1 page to start with, 7 more
  EXPECT_EQ(inst->memory_size(), 8 * pd::kWasmPageBytes);
  EXPECT_EQ(inst->call("grow", {WasmVal::i32(1)}).value()[0], WasmVal::i32(-1));
  EXPECT_EQ(inst->call("grow", {WasmVal::i32(65535)}).value()[0], WasmVal::i32(-1));
  EXPECT_EQ(inst->call("grow", {WasmVal::i32(0)}).value()[0], WasmVal::i32(8));
  EXPECT_EQ(inst->memory_size(), 8 * pd::kWasmPageBytes);
}

TEST_P(WasmLimitsTest, a_declared_maximum_below_the_limit_still_holds) {
  auto inst = instantiate_wat(*host, R"((module
    (memory 1 2)
    (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))))");
  ASSERT_TRUE(inst);
  EXPECT_EQ(inst->call("grow", {WasmVal::i32(1)}).value()[0], WasmVal::i32(1));
  EXPECT_EQ(inst->call("grow", {WasmVal::i32(1)}).value()[0], WasmVal::i32(-1));
}

TEST_P(WasmLimitsTest, initial_memory_above_the_limit_fails_instantiation) {
  auto module = compile_wat(*host, "(module (memory 300))");
  ASSERT_TRUE(module);
  WasmError e = error_of(host->instantiate(module, {}));  // default limit: 256 pages
  EXPECT_EQ(e.kind, WasmError::Kind::Instantiation);
  EXPECT_EQ(e.message,
            "cannot instantiate the module: memory 0 starts at 300 pages (19660800 bytes), above "
            "max_memory_pages 256");
  WasmLimits roomy;
  roomy.max_memory_pages = 300;
  EXPECT_TRUE(host->instantiate(module, {}, roomy));
}

TEST_P(WasmLimitsTest, tables_are_held_to_max_table_elements) {
  WasmLimits limits;
  limits.max_table_elements = 10;
  auto inst = instantiate_wat(*host, R"((module
    (table $t 4 funcref)
    (func (export "grow") (param i32) (result i32)
      (table.grow $t (ref.null func) (local.get 0)))))",
                              {}, limits);
  ASSERT_TRUE(inst);
  EXPECT_EQ(inst->call("grow", {WasmVal::i32(6)}).value()[0], WasmVal::i32(4));
  EXPECT_EQ(inst->call("grow", {WasmVal::i32(1)}).value()[0], WasmVal::i32(-1));

  auto big = compile_wat(*host, "(module (table 11 funcref))");
  ASSERT_TRUE(big);
  WasmError e = error_of(host->instantiate(big, {}, limits));
  EXPECT_EQ(e.kind, WasmError::Kind::Instantiation);
  EXPECT_EQ(e.message,
            "cannot instantiate the module: table 0 starts at 11 elements, above "
            "max_table_elements 10");
}

constexpr const char* kTableGrower = R"((module
  (table $t 4 funcref)
  (func (export "grow") (param i32) (result i32) (table.grow $t (ref.null func) (local.get 0)))
  (func (export "size") (result i32) (table.size $t))))";

// Each instance keeps the table limit it was instantiated with, whatever was instantiated after
// it (on this thread or another) and whichever thread grows it.
TEST_P(WasmLimitsTest, instances_with_different_table_limits_keep_their_own) {
  auto module = compile_wat(*host, kTableGrower);
  ASSERT_TRUE(module);
  WasmLimits small;
  small.max_table_elements = 10;
  WasmLimits large;
  large.max_table_elements = 1000;
  auto a = host->instantiate(module, {}, small);
  ASSERT_TRUE(a) << pd::to_string(a.error());
  auto b = host->instantiate(module, {}, large);  // instantiated after a, on the same thread
  ASSERT_TRUE(b) << pd::to_string(b.error());
  EXPECT_EQ(a.value()->call("grow", {WasmVal::i32(7)}).value()[0], WasmVal::i32(-1));
  EXPECT_EQ(a.value()->call("grow", {WasmVal::i32(6)}).value()[0], WasmVal::i32(4));
  EXPECT_EQ(a.value()->call("grow", {WasmVal::i32(1)}).value()[0], WasmVal::i32(-1));
  EXPECT_EQ(a.value()->call("size", {}).value()[0], WasmVal::i32(10));
  EXPECT_EQ(b.value()->call("grow", {WasmVal::i32(500)}).value()[0], WasmVal::i32(4));
  EXPECT_EQ(b.value()->call("grow", {WasmVal::i32(497)}).value()[0], WasmVal::i32(-1));
  EXPECT_EQ(b.value()->call("size", {}).value()[0], WasmVal::i32(504));

  // An instance grown on another thread than the one that instantiated it.
  auto c = host->instantiate(module, {}, small);
  ASSERT_TRUE(c) << pd::to_string(c.error());
  int32_t grown_far = 0, grown_near = 0;
  std::thread([&] {
    grown_far = c.value()->call("grow", {WasmVal::i32(100)}).value()[0].as_i32();
    grown_near = c.value()->call("grow", {WasmVal::i32(6)}).value()[0].as_i32();
  }).join();
  EXPECT_EQ(grown_far, -1);
  EXPECT_EQ(grown_near, 4);
  EXPECT_EQ(c.value()->call("size", {}).value()[0], WasmVal::i32(10));
}

TEST_P(WasmLimitsTest, limits_no_instance_could_honour_fail_instantiation) {
  auto module = compile_wat(*host, "(module)");
  ASSERT_TRUE(module);
  WasmLimits no_depth;
  no_depth.max_call_depth = 0;
  EXPECT_EQ(error_of(host->instantiate(module, {}, no_depth)).kind, WasmError::Kind::Instantiation);
  WasmLimits too_many_pages;
  too_many_pages.max_memory_pages = pd::kWasmPagesMax + 1;
  EXPECT_EQ(error_of(host->instantiate(module, {}, too_many_pages)).kind,
            WasmError::Kind::Instantiation);
}

// ---------------------------------------------------------------------------------------------
// Call depth and the value stack

TEST_P(WasmLimitsTest, unbounded_recursion_traps_with_call_stack_exhausted_and_harms_nothing) {
  auto inst = instantiate_wat(*host, kRecursive);
  ASSERT_TRUE(inst);
  WasmError e = error_of(inst->call("forever", {WasmVal::i32(0)}));
  EXPECT_EQ(e.kind, WasmError::Kind::Trap);
  EXPECT_EQ(e.message, "call stack exhausted");

  // The instance, and the host, go on.
  auto shallow = inst->call("depth", {WasmVal::i32(10)});
  ASSERT_TRUE(shallow);
  EXPECT_EQ(shallow.value()[0], WasmVal::i32(10));
  auto other = instantiate_wat(*host, R"((module (func (export "one") (result i32) i32.const 1)))");
  ASSERT_TRUE(other);
  EXPECT_EQ(other->call("one", {}).value()[0], WasmVal::i32(1));
}

// Operands held across a recursive call live in the native frame on aot: 2,000 of them make
// each frame ~16 KiB, so 1,000 frames (within the default depth) are ~16 MiB, more than a
// thread's stack. The native stack's floor traps first, as "call stack exhausted"; before the
// floor, this crashed the process.
TEST_P(WasmLimitsTest, frames_too_large_for_the_native_stack_trap_instead_of_crashing) {
  std::string wat = R"((module (memory 1)
    (func $f (export "f") (param $n i32) (result i64)
      local.get $n
      i32.eqz
      if (result i64)
        i64.const 0
      else
)";
  for (int i = 0; i < 2000; ++i) wat += " i32.const " + std::to_string(i * 8) + " i64.load\n";
  wat += " local.get $n i32.const 1 i32.sub call $f\n";
  for (int i = 0; i < 2000; ++i) wat += " i64.xor\n";
  wat += " end))";
  auto inst = instantiate_wat(*host, wat);
  ASSERT_TRUE(inst);
  auto deep = inst->call("f", {WasmVal::i32(1000)});
  if (is_aot()) {
    WasmError e = error_of(std::move(deep));
    EXPECT_EQ(e.kind, WasmError::Kind::Trap);
    EXPECT_EQ(e.message, "call stack exhausted");
  } else {  // its frames are on its own value stack, which holds them
    ASSERT_TRUE(deep) << pd::to_string(deep.error());
    EXPECT_EQ(deep.value()[0], WasmVal::i64(0));
  }
  // Shallow calls still run.
  auto shallow = inst->call("f", {WasmVal::i32(3)});
  ASSERT_TRUE(shallow) << pd::to_string(shallow.error());
  EXPECT_EQ(shallow.value()[0], WasmVal::i64(0));
}

// WABT's interpreter ignored the failed frame push of a call_indirect and ran on.
TEST_P(WasmLimitsTest, runaway_recursion_through_call_indirect_traps_with_call_stack_exhausted) {
  auto inst = instantiate_wat(*host, R"((module
    (type $t (func))
    (table funcref (elem $runaway))
    (func $runaway (export "runaway") (call_indirect (type $t) (i32.const 0)))))");
  ASSERT_TRUE(inst);
  WasmError e = error_of(inst->call("runaway", {}));
  EXPECT_EQ(e.kind, WasmError::Kind::Trap);
  EXPECT_EQ(e.message, "call stack exhausted");
}

// With a result to use, WABT's interpreter ran on with the callee's result missing and
// aborted the process on an assertion; the guard (indirect_call_guard.h) stops it first.
TEST_P(WasmLimitsTest, runaway_recursion_through_call_indirect_with_results_traps_not_aborts) {
  auto inst = instantiate_wat(*host, R"((module
    (type $t (func (param i32) (result i32)))
    (table funcref (elem $runaway))
    (func $runaway (export "runaway") (param i32) (result i32)
      (i32.add (call_indirect (type $t) (local.get 0) (i32.const 0)) (i32.const 1)))))");
  ASSERT_TRUE(inst);
  WasmError e = error_of(inst->call("runaway", {WasmVal::i32(5)}));
  EXPECT_EQ(e.kind, WasmError::Kind::Trap);
  EXPECT_EQ(e.message, "call stack exhausted");
}

// The guard's extra call does not count: an indirect recursion reaches exactly the limit.
TEST_P(WasmLimitsTest, indirect_recursion_reaches_exactly_max_call_depth) {
  WasmLimits limits;
  limits.max_call_depth = 40;
  auto inst = instantiate_wat(*host, R"((module
    (type $t (func (param i32) (result i32)))
    (table funcref (elem $depth))
    (func $depth (export "depth") (param $n i32) (result i32)
      (if (result i32) (i32.eqz (local.get $n)) (then (i32.const 0))
        (else (i32.add (i32.const 1)
          (call_indirect (type $t) (i32.sub (local.get $n) (i32.const 1)) (i32.const 0))))))))",
                              {}, limits);
  ASSERT_TRUE(inst);
  auto deepest = inst->call("depth", {WasmVal::i32(39)});  // 40 frames
  ASSERT_TRUE(deepest) << pd::to_string(deepest.error());
  EXPECT_EQ(deepest.value()[0], WasmVal::i32(39));
  WasmError e = error_of(inst->call("depth", {WasmVal::i32(40)}));  // 41 frames
  EXPECT_EQ(e.kind, WasmError::Kind::Trap);
  EXPECT_EQ(e.message, "call stack exhausted");
}

// A caught exception skips the epilogues of the frames it unwinds; their depth must not stay
// counted (on aot, 50 catches used to leave every later call "call stack exhausted").
TEST_P(WasmLimitsTest, caught_exceptions_give_back_the_depth_of_the_frames_they_unwind) {
  const std::string wat = R"((module
    (tag $oops)
    (func $deep (param $n i32)
      (if (i32.eqz (local.get $n)) (then (throw $oops)))
      (call $deep (i32.sub (local.get $n) (i32.const 1))))
    (func (export "catch_many") (param $times i32) (result i32)
      (local $caught i32)
      (block $done
        (loop $again
          (br_if $done (i32.eqz (local.get $times)))
          (try (do (call $deep (i32.const 5))) (catch $oops
            (local.set $caught (i32.add (local.get $caught) (i32.const 1)))))
          (local.set $times (i32.sub (local.get $times) (i32.const 1)))
          (br $again)))
      (local.get $caught))))";
  if (!is_aot()) {  // a catching frame with locals: see interp_workarounds.h
    WasmError e = error_of(host->compile(pd::test::wat_to_wasm(wat)));
    EXPECT_EQ(e.kind, WasmError::Kind::Compile);
    EXPECT_NE(e.message.find("has parameters or locals and an exception handler"),
              std::string::npos)
        << e.message;
    return;
  }
  WasmLimits limits;
  limits.max_call_depth = 50;
  auto inst = instantiate_wat(*host, wat, {}, limits);
  ASSERT_TRUE(inst);
  auto r = inst->call("catch_many", {WasmVal::i32(200)});
  ASSERT_TRUE(r) << pd::to_string(r.error());
  EXPECT_EQ(r.value()[0], WasmVal::i32(200));
}

TEST_P(WasmLimitsTest, max_call_depth_counts_every_frame_exactly) {
  WasmLimits limits;
  limits.max_call_depth = 50;
  auto inst = instantiate_wat(*host, kRecursive, {}, limits);
  ASSERT_TRUE(inst);
  auto deepest = inst->call("depth", {WasmVal::i32(49)});  // 50 frames
  ASSERT_TRUE(deepest) << pd::to_string(deepest.error());
  EXPECT_EQ(deepest.value()[0], WasmVal::i32(49));
  WasmError e = error_of(inst->call("depth", {WasmVal::i32(50)}));  // 51 frames
  EXPECT_EQ(e.kind, WasmError::Kind::Trap);
  EXPECT_EQ(e.message, "call stack exhausted");
}

TEST_P(WasmLimitsTest, the_default_call_depth_allows_1024_frames) {
  auto inst = instantiate_wat(*host, kRecursive);
  ASSERT_TRUE(inst);
  EXPECT_TRUE(inst->call("depth", {WasmVal::i32(1023)}));
  EXPECT_FALSE(inst->call("depth", {WasmVal::i32(1024)}));
}

TEST_P(WasmLimitsTest, instances_with_different_call_depths_keep_their_own_on_one_thread) {
  WasmLimits shallow;
  shallow.max_call_depth = 50;
  auto a = instantiate_wat(*host, kRecursive, {}, shallow);
  auto b = instantiate_wat(*host, kRecursive);
  ASSERT_TRUE(a && b);
  for (int round = 0; round < 3; ++round) {
    EXPECT_FALSE(a->call("depth", {WasmVal::i32(50)}));
    EXPECT_TRUE(b->call("depth", {WasmVal::i32(500)}));
    EXPECT_TRUE(a->call("depth", {WasmVal::i32(49)}));
  }
}

TEST_P(WasmLimitsTest, a_host_function_may_call_into_another_instance) {
  auto inner = instantiate_wat(*host, kRecursive);
  ASSERT_TRUE(inner);
  pd::WasmImports imports;
  imports.pd_now_micros = [&] {
    auto r = inner->call("depth", {WasmVal::i32(100)});
    return r ? int64_t{r.value()[0].as_i32()} : int64_t{-1};
  };
  auto outer = instantiate_wat(*host, R"((module
    (import "env" "pd_now_micros" (func $now (result i64)))
    (func $deep (export "deep") (param i32) (result i64)
      (if (result i64) (i32.eqz (local.get 0))
        (then (call $now))
        (else (call $deep (i32.sub (local.get 0) (i32.const 1))))))))",
                               std::move(imports));
  ASSERT_TRUE(outer);
  auto r = outer->call("deep", {WasmVal::i32(20)});
  ASSERT_TRUE(r) << pd::to_string(r.error());
  EXPECT_EQ(r.value()[0], WasmVal::i64(100));
}

// A trap in an instance called from a host function ends that inner call only: the outer
// guest goes on (and its own trap, later, is its own).
TEST_P(WasmLimitsTest, a_trap_in_an_instance_called_from_a_host_function_ends_only_that_call) {
  auto inner = instantiate_wat(*host, kRecursive);
  ASSERT_TRUE(inner);
  WasmLimits shallow;
  shallow.max_call_depth = 10;
  auto limited = host->instantiate(compile_wat(*host, kRecursive), {}, shallow);
  ASSERT_TRUE(limited) << pd::to_string(limited.error());
  std::vector<std::string> seen;
  pd::WasmImports imports;
  imports.pd_now_micros = [&] {
    auto deep = limited.value()->call("depth", {WasmVal::i32(50)});  // traps: 51 frames > 10
    seen.push_back(deep ? "returned" : pd::to_string(deep.error()));
    auto ok = inner->call("depth", {WasmVal::i32(30)});
    seen.push_back(ok ? pd::to_string(ok.value()[0]) : pd::to_string(ok.error()));
    return int64_t{5};
  };
  auto outer = instantiate_wat(*host, R"((module
    (import "env" "pd_now_micros" (func $now (result i64)))
    (func $deep (export "deep") (param i32) (result i64)
      (if (result i64) (i32.eqz (local.get 0))
        (then (call $now))
        (else (i64.add (call $deep (i32.sub (local.get 0) (i32.const 1))) (i64.const 1)))))
    (func (export "now_then_trap") (result i64) (drop (call $now)) unreachable)))",
                               std::move(imports));
  ASSERT_TRUE(outer);
  auto r = outer->call("deep", {WasmVal::i32(20)});
  ASSERT_TRUE(r) << pd::to_string(r.error());
  EXPECT_EQ(r.value()[0], WasmVal::i64(25));
  WasmError e = error_of(outer->call("now_then_trap", {}));
  EXPECT_EQ(e.kind, WasmError::Kind::Trap);
  EXPECT_EQ(e.message, "unreachable executed");
  EXPECT_EQ(seen, (std::vector<std::string>{"Trap: call stack exhausted", "i32:30",
                                            "Trap: call stack exhausted", "i32:30"}));
  // All three still work.
  EXPECT_EQ(limited.value()->call("depth", {WasmVal::i32(9)}).value()[0], WasmVal::i32(9));
  EXPECT_EQ(inner->call("depth", {WasmVal::i32(3)}).value()[0], WasmVal::i32(3));
  EXPECT_EQ(outer->call("deep", {WasmVal::i32(0)}).value()[0], WasmVal::i64(5));
}

std::string function_with_locals(int count) {
  std::string wat = "(module (func (export \"big\") (local";
  for (int i = 0; i < count; ++i) wat += " i64";
  return wat + ")))";
}

TEST_P(WasmLimitsTest, a_frame_too_large_to_recurse_within_value_stack_slots_fails_instantiation) {
  auto module = compile_wat(*host, function_with_locals(2000));
  ASSERT_TRUE(module);
  WasmError e = error_of(host->instantiate(module, {}));  // 2000 * 1024 > 1 Mi slots
  EXPECT_EQ(e.kind, WasmError::Kind::Instantiation);
  EXPECT_NE(e.message.find("function 0 has 2000 params and locals"), std::string::npos)
      << e.message;
  EXPECT_NE(e.message.find("value_stack_slots 1048576"), std::string::npos) << e.message;

  WasmLimits shallow;
  shallow.max_call_depth = 100;
  auto inst = host->instantiate(module, {}, shallow);
  ASSERT_TRUE(inst) << pd::to_string(inst.error());
  EXPECT_TRUE(inst.value()->call("big", {}));
}

// ---------------------------------------------------------------------------------------------
// Fuel

TEST_P(WasmLimitsTest, a_metered_module_reports_its_fuel) {
  auto inst = instantiate_wat(*host, kMetered);
  ASSERT_TRUE(inst);
  EXPECT_TRUE(inst->module().is_metered());
  EXPECT_EQ(inst->fuel_remaining(), 1000u);  // the module's initial budget
  EXPECT_EQ(inst->fuel_consumed(), 0u);
  ASSERT_TRUE(inst->call("spin", {WasmVal::i32(3)}));
  EXPECT_EQ(inst->fuel_consumed(), 30u);  // counted against the initial budget

  ASSERT_TRUE(inst->set_fuel(500));
  EXPECT_EQ(inst->fuel_consumed(), 0u);
  auto spun = inst->call("spin", {WasmVal::i32(20)});
  ASSERT_TRUE(spun) << pd::to_string(spun.error());
  EXPECT_EQ(spun.value()[0], WasmVal::i32(20));
  EXPECT_EQ(inst->fuel_remaining(), 300u);
  EXPECT_EQ(inst->fuel_consumed(), 200u);
}

TEST_P(WasmLimitsTest, running_out_of_fuel_is_fuel_exhausted_and_a_new_budget_runs_again) {
  auto inst = instantiate_wat(*host, kMetered);
  ASSERT_TRUE(inst);
  ASSERT_TRUE(inst->set_fuel(100));
  WasmError e = error_of(inst->call("spin", {WasmVal::i32(20)}));
  EXPECT_EQ(e.kind, WasmError::Kind::FuelExhausted);
  EXPECT_EQ(e.message,
            "fuel exhausted: the budget of 100 is spent (the guest trapped with \"unreachable "
            "executed\")");
  EXPECT_EQ(inst->fuel_remaining(), 0u);
  EXPECT_EQ(inst->fuel_consumed(), 100u);

  ASSERT_TRUE(inst->set_fuel(1000));
  auto again = inst->call("spin", {WasmVal::i32(5)});
  ASSERT_TRUE(again) << pd::to_string(again.error());
  EXPECT_EQ(inst->fuel_consumed(), 50u);
}

TEST_P(WasmLimitsTest, another_trap_of_a_metered_module_is_a_trap_not_fuel_exhaustion) {
  auto inst = instantiate_wat(*host, kMetered);
  ASSERT_TRUE(inst);
  ASSERT_TRUE(inst->set_fuel(100));
  WasmError e = error_of(inst->call("boom", {}));
  EXPECT_EQ(e.kind, WasmError::Kind::Trap);
  EXPECT_EQ(e.message, "unreachable executed");
  EXPECT_EQ(inst->fuel_remaining(), 99u);
}

TEST_P(WasmLimitsTest, a_budget_above_int64_max_is_clamped) {
  auto inst = instantiate_wat(*host, kMetered);
  ASSERT_TRUE(inst);
  ASSERT_TRUE(inst->set_fuel(UINT64_MAX));
  EXPECT_EQ(inst->fuel_remaining(), static_cast<uint64_t>(INT64_MAX));
}

TEST_P(WasmLimitsTest, set_fuel_on_an_unmetered_module_is_a_call_error_and_calls_run_unmetered) {
  // Not metered: no "pd_fuel", or a "pd_fuel" that is not a mutable i64 global. The globals
  // next to the lookalikes must keep their values (set_fuel writes nothing).
  const std::vector<std::string> cases = {
      R"((module (func (export "one") (result i32) i32.const 1)))",
      R"((module
        (global $f (export "pd_fuel") i32 (i32.const 5))
        (global $next (mut i32) (i32.const 7))
        (func (export "one") (result i32) i32.const 1)
        (func (export "globals") (result i64 i32) (i64.extend_i32_s (global.get $f)) (global.get $next))))",
      R"((module
        (global $f (export "pd_fuel") (mut i32) (i32.const 5))
        (global $next (mut i32) (i32.const 7))
        (func (export "one") (result i32) i32.const 1)
        (func (export "globals") (result i64 i32) (i64.extend_i32_s (global.get $f)) (global.get $next))))",
      R"((module
        (global $f (export "pd_fuel") i64 (i64.const 5))
        (global $next (mut i32) (i32.const 7))
        (func (export "one") (result i32) i32.const 1)
        (func (export "globals") (result i64 i32) (global.get $f) (global.get $next))))",
      R"((module
        (func (export "pd_fuel") (result i64) i64.const 5)
        (func (export "one") (result i32) i32.const 1)))",
  };
  for (const std::string& wat : cases) {
    SCOPED_TRACE(wat);
    auto inst = instantiate_wat(*host, wat);
    ASSERT_TRUE(inst);
    EXPECT_FALSE(inst->module().is_metered());
    WasmError e = error_of(inst->set_fuel(10));
    EXPECT_EQ(e.kind, WasmError::Kind::Call);
    EXPECT_NE(e.message.find("module is not metered"), std::string::npos) << e.message;
    EXPECT_EQ(inst->fuel_remaining(), 0u);
    EXPECT_EQ(inst->fuel_consumed(), 0u);
    EXPECT_TRUE(inst->call("one", {}));
    if (inst->module().has_export("globals")) {
      auto globals = inst->call("globals", {});
      ASSERT_TRUE(globals) << pd::to_string(globals.error());
      EXPECT_EQ(globals.value(), (std::vector<WasmVal>{WasmVal::i64(5), WasmVal::i32(7)}));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Instances

TEST_P(WasmLimitsTest, instances_of_one_module_have_their_own_memory_and_globals) {
  auto module = compile_wat(*host, kCounter);
  ASSERT_TRUE(module);
  auto a = host->instantiate(module, {});
  auto b = host->instantiate(module, {});
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(a.value()->call("bump", {}));
  ASSERT_TRUE(a.value()->call("bump", {}));
  EXPECT_EQ(b.value()->call("bump", {}).value()[0], WasmVal::i32(1));
  std::array<uint8_t, 1> first_a{}, first_b{};
  ASSERT_TRUE(a.value()->memory_read(0, first_a));
  ASSERT_TRUE(b.value()->memory_read(0, first_b));
  EXPECT_EQ(first_a[0], 2);
  EXPECT_EQ(first_b[0], 1);
}

TEST_P(WasmLimitsTest, one_module_runs_on_many_threads_at_once) {
  auto module = compile_wat(*host, kCounter);
  ASSERT_TRUE(module);
  constexpr int kThreads = 4;
  constexpr int kCalls = 500;
  std::atomic<int> correct{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      auto inst = host->instantiate(module, {});
      if (!inst) return;
      for (int i = 1; i <= kCalls; ++i) {
        auto r = inst.value()->call("bump", {});
        if (r && r.value()[0] == WasmVal::i32(i)) ++correct;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(correct.load(), kThreads * kCalls);
}

// ---------------------------------------------------------------------------------------------
// Two cores running WASM at once (the ThreadSanitizer configuration runs these too)

uint64_t worker_hash(uint32_t n, uint64_t x) {
  for (uint32_t i = 0; i < n; ++i) x = (x ^ i) * 0x100000001b3ull;
  return x;
}

std::shared_ptr<const pd::WasmModule> compile_metered_wat(const pd::WasmHost& host,
                                                          std::string_view wat) {
  auto metered = pd::meter_module(pd::test::wat_to_wasm(wat));
  if (!metered) {
    ADD_FAILURE() << "meter_module: " << metered.error().message;
    return nullptr;
  }
  auto module = host.compile(*metered);
  if (!module) {
    ADD_FAILURE() << "the metered module does not compile: " << pd::to_string(module.error());
    return nullptr;
  }
  return module.value();
}

// Each thread its own instance of one shared module (and a module it compiled itself, from the
// same bytes): calls that return, traps of every kind, exhausted fuel and host functions, all at
// once on two threads, each checked exactly against a run on one thread.
TEST_P(WasmLimitsTest, two_threads_run_instances_with_traps_and_fuel_exhaustion_at_once) {
  auto module = compile_metered_wat(*host, kWorker);
  ASSERT_TRUE(module);
  constexpr int kIterations = 300;
  auto size_of = [](int i) { return uint32_t(50 + (i * 37) % 400); };

  // The reference: the fuel of every call, measured on this thread first.
  std::map<uint32_t, uint64_t> work_fuel;
  uint64_t boom_fuel = 0, div_fuel = 0, deep_fuel = 0;
  {
    pd::WasmImports imports;
    imports.pd_send = [](std::span<const uint8_t>, std::span<const uint8_t>) { return 0; };
    imports.pd_log = [](int32_t, std::span<const uint8_t>) {};
    auto ref = host->instantiate(module, std::move(imports));
    ASSERT_TRUE(ref) << pd::to_string(ref.error());
    for (int i = 0; i < kIterations; ++i) {
      if (work_fuel.count(size_of(i))) continue;
      ASSERT_TRUE(ref.value()->set_fuel(1'000'000));
      ASSERT_TRUE(ref.value()->call("work", {WasmVal::i32(int32_t(size_of(i))), WasmVal::i64(0)}));
      work_fuel[size_of(i)] = ref.value()->fuel_consumed();
    }
    ASSERT_TRUE(ref.value()->set_fuel(1'000'000));
    ASSERT_FALSE(ref.value()->call("boom", {}));
    boom_fuel = ref.value()->fuel_consumed();
    ASSERT_TRUE(ref.value()->set_fuel(1'000'000));
    ASSERT_FALSE(ref.value()->call("div", {WasmVal::i32(1), WasmVal::i32(0)}));
    div_fuel = ref.value()->fuel_consumed();
    ASSERT_TRUE(ref.value()->set_fuel(1'000'000));
    ASSERT_FALSE(ref.value()->call("deep", {WasmVal::i32(2000)}));
    deep_fuel = ref.value()->fuel_consumed();
  }
  ASSERT_GT(boom_fuel, 0u);
  ASSERT_GT(deep_fuel, 1000u);

  struct Outcome {
    std::vector<std::string> mismatches;
    int calls = 0, traps = 0, exhausted = 0, sends = 0, logs = 0;
  };
  Outcome outcomes[2];
  std::latch start(2);
  auto run = [&](int t) {
    Outcome& out = outcomes[t];
    auto mismatch = [&](int i, const std::string& what) {
      if (out.mismatches.size() < 20)
        out.mismatches.push_back("thread " + std::to_string(t) + " iteration " + std::to_string(i) +
                                 ": " + what);
    };
    std::vector<uint8_t> last_payload;
    pd::WasmImports imports;
    imports.pd_send = [&](std::span<const uint8_t> envelope, std::span<const uint8_t> payload) {
      ++out.sends;
      if (envelope.size() != 80) mismatch(-1, "an envelope of " + std::to_string(envelope.size()));
      last_payload.assign(payload.begin(), payload.end());
      return t == 0 ? 0 : -1;
    };
    imports.pd_log = [&](int32_t level, std::span<const uint8_t> message) {
      ++out.logs;
      if (level != 1 || pd::test::text_of(message) != "worked") mismatch(-1, "a wrong log");
    };
    // Thread 0 uses the shared module; thread 1 compiles the same bytes itself.
    std::shared_ptr<const pd::WasmModule> mine = module;
    if (t == 1) {
      auto again = host->compile(module->bytes());
      if (!again) {
        mismatch(-1, "compile: " + pd::to_string(again.error()));
        return;
      }
      mine = again.value();
    }
    auto inst = host->instantiate(mine, std::move(imports));
    if (!inst) {
      mismatch(-1, "instantiate: " + pd::to_string(inst.error()));
      return;
    }
    pd::WasmInstance& w = *inst.value();
    start.arrive_and_wait();
    auto expect_error = [&](int i, const pd::Expected<std::vector<WasmVal>, WasmError>& r,
                            WasmError::Kind kind, const std::string& message, uint64_t fuel) {
      if (r) return mismatch(i, "no error (expected " + message + ")");
      if (r.error().kind != kind || r.error().message != message)
        mismatch(i, pd::to_string(r.error()) + " (expected " + message + ")");
      if (w.fuel_consumed() != fuel)
        mismatch(i, "fuel " + std::to_string(w.fuel_consumed()) + " (expected " +
                        std::to_string(fuel) + ")");
      ++(kind == WasmError::Kind::FuelExhausted ? out.exhausted : out.traps);
    };
    auto refuel = [&](int i, uint64_t budget) {
      if (!w.set_fuel(budget)) mismatch(i, "set_fuel");
    };
    for (int i = 0; i < kIterations; ++i) {
      const uint32_t n = size_of(i);
      const uint64_t seed = uint64_t(t) << 32 | uint64_t(i);
      if (!w.set_fuel(1'000'000)) return mismatch(i, "set_fuel");
      auto r = w.call("work", {WasmVal::i32(int32_t(n)), WasmVal::i64(int64_t(seed))});
      ++out.calls;
      const uint64_t want = worker_hash(n, seed);
      if (!r) {
        mismatch(i, "work: " + pd::to_string(r.error()));
        continue;
      }
      if (r.value() != std::vector<WasmVal>{WasmVal::i64(int64_t(want))})
        mismatch(i, "a wrong hash");
      if (w.fuel_consumed() != work_fuel[n])
        mismatch(i, "work fuel " + std::to_string(w.fuel_consumed()) + ", expected " +
                        std::to_string(work_fuel[n]));
      uint8_t want_bytes[8];
      std::memcpy(want_bytes, &want, 8);
      if (last_payload != std::vector<uint8_t>(want_bytes, want_bytes + 8))
        mismatch(i, "pd_send got other bytes");
      switch (i % 5) {
        case 0:
          refuel(i, 1'000'000);
          expect_error(i, w.call("boom", {}), WasmError::Kind::Trap, "unreachable executed",
                       boom_fuel);
          break;
        case 1:
          refuel(i, 1'000'000);
          expect_error(i, w.call("div", {WasmVal::i32(1), WasmVal::i32(0)}), WasmError::Kind::Trap,
                       "integer divide by zero", div_fuel);
          break;
        case 2:
          refuel(i, 1'000'000);
          expect_error(i, w.call("deep", {WasmVal::i32(2000)}), WasmError::Kind::Trap,
                       "call stack exhausted", deep_fuel);
          break;
        case 3: {
          const uint64_t budget = 3000 + uint64_t(i);
          refuel(i, budget);
          expect_error(i, w.call("spin", {}), WasmError::Kind::FuelExhausted,
                       "fuel exhausted: the budget of " + std::to_string(budget) +
                           " is spent (the guest trapped with \"unreachable executed\")",
                       budget);
          if (w.fuel_remaining() != 0) mismatch(i, "fuel left after exhaustion");
          break;
        }
        default: {
          refuel(i, 1'000'000);
          auto d = w.call("deep", {WasmVal::i32(1000)});  // 1001 frames: within the limit
          if (!d || d.value() != std::vector<WasmVal>{WasmVal::i32(1000)})
            mismatch(i, "deep(1000) did not return 1000");
        }
      }
    }
  };
  std::thread second(run, 1);
  run(0);
  second.join();
  for (int t = 0; t < 2; ++t) {
    SCOPED_TRACE("thread " + std::to_string(t));
    EXPECT_EQ(outcomes[t].mismatches, std::vector<std::string>{});
    EXPECT_EQ(outcomes[t].calls, kIterations);
    EXPECT_EQ(outcomes[t].traps, kIterations / 5 * 3);
    EXPECT_EQ(outcomes[t].exhausted, kIterations / 5);
    EXPECT_EQ(outcomes[t].sends, kIterations);
    EXPECT_EQ(outcomes[t].logs, kIterations);
  }
}

// Records what it receives (host side): "payload" for every message.
class Recorder final : public pd::Actor {
 public:
  explicit Recorder(std::shared_ptr<std::vector<std::string>> got) : got_(std::move(got)) {}
  pd::HandlerResult on_message(pd::ActorContext&, const pd::Envelope&,
                               pd::MessagePayload& p) override {
    auto b = p.bytes();
    got_->push_back(std::string(b.begin(), b.end()));
    return {};
  }

 private:
  std::shared_ptr<std::vector<std::string>> got_;
};

// Two engines, one per thread, each with its own WASM actors on one shared module: replies,
// traps, exhausted fuel and restarts on both cores at once, with exactly the events and replies
// of the order the messages were sent in.
TEST_P(WasmLimitsTest, two_engines_on_two_threads_run_wasm_actors_that_trap_and_run_out_of_fuel) {
  auto module = compile_metered_wat(*host, kMisbehavingActor);
  ASSERT_TRUE(module);
  constexpr int kMessages = 150;
  constexpr uint64_t kFuel = 20'000;
  struct Outcome {
    std::vector<std::string> replies, want_replies;
    std::vector<std::string> failures, want_failures;
    size_t restarts = 0;
    bool engine_failed = false;
  };
  Outcome outcomes[2];
  std::latch start(2);
  auto run = [&](int t) {
    Outcome& out = outcomes[t];
    pd::EngineConfig config;
    config.name = "core" + std::to_string(t);
    config.core_id = uint32_t(t);
    config.root_intensity = {1'000'000, std::chrono::seconds(1)};
    config.log = [](const pd::LogRecord&) {};
    pd::Engine engine(config, std::make_unique<pd::SimReactor>(uint64_t(t) + 1));
    size_t restarts = 0;
    std::vector<std::string> failures;
    engine.set_event_listener([&](const pd::EngineEvent& e) {
      if (e.path != "/user/guest") return;
      if (e.kind == pd::EngineEvent::Kind::Failed)
        failures.push_back(std::string(pd::to_string(e.reason.error.kind)) + ": " +
                           e.reason.error.detail);
      if (e.kind == pd::EngineEvent::Kind::Restarted) ++restarts;
    });
    auto got = std::make_shared<std::vector<std::string>>();
    pd::AddrHash sink =
        *engine.spawn(pd::ChildSpec("sink", [got] { return std::make_unique<Recorder>(got); }));
    pd::WasmActorConfig c;
    c.host = host;
    c.module = module;
    c.fuel_per_call = kFuel;
    pd::AddrHash guest =
        engine.spawn(pd::ChildSpec("guest", pd::wasm_actor_factory(c))).value().path_address();
    engine.run_until_idle();
    start.arrive_and_wait();
    for (int i = 0; i < kMessages; ++i) {
      std::string payload;
      switch (i % 10) {
        case 2:
          payload = "u";
          out.want_failures.push_back("WasmTrap: pd_actor_on_message: unreachable executed");
          break;
        case 4:
          payload = "l";
          out.want_failures.push_back(
              "ResourceExhausted: pd_actor_on_message: fuel exhausted: the budget of 20000 is "
              "spent (the guest trapped with \"unreachable executed\")");
          break;
        case 6:
          payload = "d";
          out.want_failures.push_back("WasmTrap: pd_actor_on_message: integer divide by zero");
          break;
        case 8:
          payload = "r";
          out.want_failures.push_back("WasmTrap: pd_actor_on_message: call stack exhausted");
          break;
        default:
          payload = "x" + std::to_string(t) + "-" + std::to_string(i);
          out.want_replies.push_back(payload);
      }
      std::vector<uint8_t> bytes(payload.begin(), payload.end());
      auto sent = engine.send_raw(pd::Envelope::make(sink, guest, 1, uint32_t(bytes.size())),
                                  pd::MessagePayload::serialized(std::move(bytes)));
      if (!sent) out.failures.push_back("send " + std::to_string(i) + " refused");
      if (i % 25 == 24) engine.run_until_idle();  // let both mailboxes drain now and then
    }
    engine.run_until_idle();
    out.replies = *got;
    out.failures.insert(out.failures.end(), failures.begin(), failures.end());
    out.restarts = restarts;
    out.engine_failed = engine.failure().has_value();
  };
  std::thread second(run, 1);
  run(0);
  second.join();
  for (int t = 0; t < 2; ++t) {
    SCOPED_TRACE("thread " + std::to_string(t));
    EXPECT_EQ(outcomes[t].replies, outcomes[t].want_replies);
    EXPECT_EQ(outcomes[t].failures, outcomes[t].want_failures);
    EXPECT_EQ(outcomes[t].restarts, outcomes[t].want_failures.size());
    EXPECT_EQ(outcomes[t].want_failures.size(), size_t(kMessages / 10 * 4));
    EXPECT_FALSE(outcomes[t].engine_failed);
  }
}

// Compiled on the other backend, instantiated on this one.
TEST_P(WasmLimitsTest, a_module_compiled_by_another_host_does_not_instantiate) {
  const std::string other = pd::test::other_backend(backend());
  auto module = compile_wat(*pd::test::host_for(other), kCounter);
  ASSERT_TRUE(module);
  EXPECT_EQ(module->host_name(), other);
  WasmError e = error_of(host->instantiate(module, {}));
  EXPECT_EQ(e.kind, WasmError::Kind::Instantiation);
  EXPECT_EQ(e.message, "the module was compiled by the '" + other +
                           "' host; compile it with this one ('" + backend() + "')");
  EXPECT_EQ(error_of(host->instantiate(nullptr, {})).message, "no module to instantiate");
}

class ForeignModule final : public pd::WasmModule {
 public:
  ForeignModule() : WasmModule({}, {}, {}) {}
  std::string_view host_name() const override { return "elsewhere"; }
};

TEST_P(WasmLimitsTest, a_module_of_a_host_that_is_neither_backend_does_not_instantiate) {
  WasmError e = error_of(host->instantiate(std::make_shared<ForeignModule>(), {}));
  EXPECT_EQ(e.kind, WasmError::Kind::Instantiation);
  EXPECT_EQ(e.message,
            "the module was compiled by the 'elsewhere' host; compile it with this one ('" +
                backend() + "')");
}

}  // namespace
