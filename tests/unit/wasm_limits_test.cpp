// The WebAssembly host layer under pressure: memory and table limits, call depth, the value
// stack, fuel, and instances that must not see each other.

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "pd/wasm/wasm_error.h"
#include "pd/wasm/wasm_host.h"
#include "pd/wasm/wasm_val.h"
#include "wasm_test_support.h"

namespace {

using pd::WasmError;
using pd::WasmLimits;
using pd::WasmVal;
using pd::test::compile_wat;
using pd::test::error_of;
using pd::test::instantiate_wat;

class WasmLimitsTest : public ::testing::Test {
 protected:
  std::unique_ptr<pd::WasmHost> host = pd::make_interp_host();
};

// ---------------------------------------------------------------------------------------------
// Memory and tables

constexpr const char* kGrower = R"((module
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

TEST_F(WasmLimitsTest, a_memory_grow_bomb_stops_at_max_memory_pages) {
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

TEST_F(WasmLimitsTest, a_declared_maximum_below_the_limit_still_holds) {
  auto inst = instantiate_wat(*host, R"((module
    (memory 1 2)
    (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))))");
  ASSERT_TRUE(inst);
  EXPECT_EQ(inst->call("grow", {WasmVal::i32(1)}).value()[0], WasmVal::i32(1));
  EXPECT_EQ(inst->call("grow", {WasmVal::i32(1)}).value()[0], WasmVal::i32(-1));
}

TEST_F(WasmLimitsTest, initial_memory_above_the_limit_fails_instantiation) {
  auto module = compile_wat(*host, "(module (memory 300))");
  ASSERT_TRUE(module);
  WasmError e = error_of(host->instantiate(module, {}));  // default limit: 256 pages
  EXPECT_EQ(e.kind, WasmError::Kind::Instantiation);
  EXPECT_NE(e.message.find("memory 0 starts at 300 pages"), std::string::npos) << e.message;
  EXPECT_NE(e.message.find("above max_memory_pages 256"), std::string::npos) << e.message;
  WasmLimits roomy;
  roomy.max_memory_pages = 300;
  EXPECT_TRUE(host->instantiate(module, {}, roomy));
}

TEST_F(WasmLimitsTest, tables_are_held_to_max_table_elements) {
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
  EXPECT_NE(e.message.find("above max_table_elements 10"), std::string::npos) << e.message;
}

TEST_F(WasmLimitsTest, limits_no_instance_could_honour_fail_instantiation) {
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

constexpr const char* kRecursive = R"((module
  (func $forever (export "forever") (param i32) (result i32)
    (call $forever (i32.add (local.get 0) (i32.const 1))))
  ;; depth(n) makes n nested calls below itself: n + 1 frames in all.
  (func $depth (export "depth") (param i32) (result i32)
    (if (result i32) (i32.eqz (local.get 0))
      (then (i32.const 0))
      (else (i32.add (call $depth (i32.sub (local.get 0) (i32.const 1))) (i32.const 1)))))))";

TEST_F(WasmLimitsTest, unbounded_recursion_traps_with_call_stack_exhausted_and_harms_nothing) {
  auto inst = instantiate_wat(*host, kRecursive);
  ASSERT_TRUE(inst);
  WasmError e = error_of(inst->call("forever", {WasmVal::i32(0)}));
  EXPECT_EQ(e.kind, WasmError::Kind::Trap);
  EXPECT_NE(e.message.find("call stack exhausted"), std::string::npos) << e.message;

  // The instance, and the host, go on.
  auto shallow = inst->call("depth", {WasmVal::i32(10)});
  ASSERT_TRUE(shallow);
  EXPECT_EQ(shallow.value()[0], WasmVal::i32(10));
  auto other = instantiate_wat(*host, R"((module (func (export "one") (result i32) i32.const 1)))");
  ASSERT_TRUE(other);
  EXPECT_EQ(other->call("one", {}).value()[0], WasmVal::i32(1));
}

TEST_F(WasmLimitsTest, max_call_depth_counts_every_frame_exactly) {
  WasmLimits limits;
  limits.max_call_depth = 50;
  auto inst = instantiate_wat(*host, kRecursive, {}, limits);
  ASSERT_TRUE(inst);
  auto deepest = inst->call("depth", {WasmVal::i32(49)});  // 50 frames
  ASSERT_TRUE(deepest) << pd::to_string(deepest.error());
  EXPECT_EQ(deepest.value()[0], WasmVal::i32(49));
  WasmError e = error_of(inst->call("depth", {WasmVal::i32(50)}));  // 51 frames
  EXPECT_EQ(e.kind, WasmError::Kind::Trap);
  EXPECT_NE(e.message.find("call stack exhausted"), std::string::npos) << e.message;
}

TEST_F(WasmLimitsTest, the_default_call_depth_allows_1024_frames) {
  auto inst = instantiate_wat(*host, kRecursive);
  ASSERT_TRUE(inst);
  EXPECT_TRUE(inst->call("depth", {WasmVal::i32(1023)}));
  EXPECT_FALSE(inst->call("depth", {WasmVal::i32(1024)}));
}

TEST_F(WasmLimitsTest, instances_with_different_call_depths_keep_their_own_on_one_thread) {
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

TEST_F(WasmLimitsTest, a_host_function_may_call_into_another_instance) {
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

std::string function_with_locals(int count) {
  std::string wat = "(module (func (export \"big\") (local";
  for (int i = 0; i < count; ++i) wat += " i64";
  return wat + ")))";
}

TEST_F(WasmLimitsTest, a_frame_too_large_to_recurse_within_value_stack_slots_fails_instantiation) {
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

// Metered by hand the way the metering pass meters: an exported mutable i64 "pd_fuel", charged
// as the code runs, and `unreachable` once it is negative.
constexpr const char* kMetered = R"((module
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

TEST_F(WasmLimitsTest, a_metered_module_reports_its_fuel) {
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

TEST_F(WasmLimitsTest, running_out_of_fuel_is_fuel_exhausted_and_a_new_budget_runs_again) {
  auto inst = instantiate_wat(*host, kMetered);
  ASSERT_TRUE(inst);
  ASSERT_TRUE(inst->set_fuel(100));
  WasmError e = error_of(inst->call("spin", {WasmVal::i32(20)}));
  EXPECT_EQ(e.kind, WasmError::Kind::FuelExhausted);
  EXPECT_NE(e.message.find("budget of 100"), std::string::npos) << e.message;
  EXPECT_EQ(inst->fuel_remaining(), 0u);
  EXPECT_EQ(inst->fuel_consumed(), 100u);

  ASSERT_TRUE(inst->set_fuel(1000));
  auto again = inst->call("spin", {WasmVal::i32(5)});
  ASSERT_TRUE(again) << pd::to_string(again.error());
  EXPECT_EQ(inst->fuel_consumed(), 50u);
}

TEST_F(WasmLimitsTest, another_trap_of_a_metered_module_is_a_trap_not_fuel_exhaustion) {
  auto inst = instantiate_wat(*host, kMetered);
  ASSERT_TRUE(inst);
  ASSERT_TRUE(inst->set_fuel(100));
  WasmError e = error_of(inst->call("boom", {}));
  EXPECT_EQ(e.kind, WasmError::Kind::Trap);
  EXPECT_EQ(e.message, "unreachable executed");
  EXPECT_EQ(inst->fuel_remaining(), 99u);
}

TEST_F(WasmLimitsTest, a_budget_above_int64_max_is_clamped) {
  auto inst = instantiate_wat(*host, kMetered);
  ASSERT_TRUE(inst);
  ASSERT_TRUE(inst->set_fuel(UINT64_MAX));
  EXPECT_EQ(inst->fuel_remaining(), static_cast<uint64_t>(INT64_MAX));
}

TEST_F(WasmLimitsTest, set_fuel_on_an_unmetered_module_is_a_call_error_and_calls_run_unmetered) {
  const char* lookalike = R"((module
    (global (export "pd_fuel") i32 (i32.const 5))
    (func (export "one") (result i32) i32.const 1)))";
  for (const char* wat :
       {R"((module (func (export "one") (result i32) i32.const 1)))", lookalike}) {
    auto inst = instantiate_wat(*host, wat);
    ASSERT_TRUE(inst);
    EXPECT_FALSE(inst->module().is_metered());
    WasmError e = error_of(inst->set_fuel(10));
    EXPECT_EQ(e.kind, WasmError::Kind::Call);
    EXPECT_NE(e.message.find("module is not metered"), std::string::npos) << e.message;
    EXPECT_EQ(inst->fuel_remaining(), 0u);
    EXPECT_EQ(inst->fuel_consumed(), 0u);
    EXPECT_TRUE(inst->call("one", {}));
  }
}

// ---------------------------------------------------------------------------------------------
// Instances

constexpr const char* kCounter = R"((module
  (memory (export "memory") 1)
  (global $n (mut i32) (i32.const 0))
  (func (export "bump") (result i32)
    (global.set $n (i32.add (global.get $n) (i32.const 1)))
    (i32.store8 (i32.const 0) (global.get $n))
    (global.get $n))))";

TEST_F(WasmLimitsTest, instances_of_one_module_have_their_own_memory_and_globals) {
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

TEST_F(WasmLimitsTest, one_module_runs_on_many_threads_at_once) {
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

class ForeignModule final : public pd::WasmModule {
 public:
  ForeignModule() : WasmModule({}, {}, {}) {}
  std::string_view host_name() const override { return "aot"; }
};

TEST_F(WasmLimitsTest, a_module_compiled_by_another_host_does_not_instantiate) {
  WasmError e = error_of(host->instantiate(std::make_shared<ForeignModule>(), {}));
  EXPECT_EQ(e.kind, WasmError::Kind::Instantiation);
  EXPECT_NE(e.message.find("compiled by the 'aot' host"), std::string::npos) << e.message;
}

}  // namespace
