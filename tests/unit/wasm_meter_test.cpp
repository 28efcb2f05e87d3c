// The fuel metering pass (pd/wasm/fuel_meter.h): what a metered module looks like, that it
// means what the original meant, what it charges, how it runs out, and what it refuses.
// Modules run under WABT's interpreter (see wasm_meter_support.h).

#include "pd/wasm/fuel_meter.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "wasm_meter_support.h"

namespace {

using pd::MeterError;
using pd::test::Arg;
using pd::test::Bytes;
using pd::test::custom_section;
using pd::test::Interp;
using pd::test::nested_blocks;
using pd::test::Outcome;
using pd::test::section_names;
using pd::test::wat_to_wasm;

constexpr uint64_t plenty = 1'000'000'000;

// Meters `wasm`, expecting success and an output WABT validates on its own.
Bytes meter_ok(const Bytes& wasm, uint64_t fuel = INT64_MAX) {
  auto metered = pd::meter_module(wasm, pd::MeterOptions{fuel});
  if (!metered) {
    ADD_FAILURE() << "meter_module failed: " << metered.error().message;
    return {};
  }
  EXPECT_EQ(pd::test::validation_errors(*metered), "");
  return std::move(metered).value();
}

// The fuel each call consumes: pd_fuel read before and after every call of `func`.
std::vector<int64_t> fuel_used(const Bytes& metered, const std::string& func,
                               const std::vector<std::vector<Arg>>& calls) {
  Interp interp;
  interp.instantiate("m", metered);
  for (const auto& args : calls) {
    interp.read_i64("m");
    interp.call("m", func, args);
  }
  interp.read_i64("m");
  std::vector<Outcome> out = interp.run();
  std::vector<int64_t> used;
  for (size_t i = 0; i + 2 < out.size(); i += 2) {
    EXPECT_FALSE(out[i + 1].trapped) << out[i + 1];
    used.push_back(out[i].i64() - out[i + 2].i64());
  }
  return used;
}

// ---------------------------------------------------------------------------------------------
// Cost model examples. count(n) is, in the binary: block, loop, [local.get, local.get, i32.ge_u,
// br_if] [local.get, i32.const, i32.add, local.set, br] end end [local.get]:
// entry 2, each iteration 4 + 5, the last test 4, the tail 1: 9n + 7.
constexpr const char* calc_wat = R"((module
  (func $add (export "add") (param i32 i32) (result i32)
    (i32.add (local.get 0) (local.get 1)))
  (func (export "count") (param $n i32) (result i32)
    (local $i i32)
    (block $done
      (loop $top
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $top)))
    (local.get $i))
  (func (export "pick") (param i32) (result i32)
    (if (result i32) (local.get 0)
      (then (i32.const 10))
      (else (i32.add (i32.const 20) (i32.const 1)))))
  (func (export "twice") (param i32) (result i32)
    (call $add (local.get 0) (local.get 0)))
  (func (export "early") (result i32)
    (return (i32.const 1))
    (i32.add)
    (loop (br 0)))
  (func (export "empty"))
  (tag $e)
  (func $throw (throw $e))
  (func (export "caught") (result i32)
    (try (result i32)
      (do (call $throw) (i32.const 1))
      (catch $e (i32.const 2)))))
)";

int64_t count_cost(int64_t n) {
  return 9 * n + 7;
}

TEST(WasmMeterOutput, validates_and_exports_a_mutable_i64_pd_fuel_holding_the_budget) {
  Bytes metered = meter_ok(wat_to_wasm(calc_wat), 12345);
  auto module = pd::test::read_ir(metered);
  ASSERT_NE(module, nullptr);
  const wabt::Export* fuel = module->GetExport("pd_fuel");
  ASSERT_NE(fuel, nullptr);
  EXPECT_EQ(fuel->kind, wabt::ExternalKind::Global);
  const wabt::Global* global = module->GetGlobal(fuel->var);
  ASSERT_NE(global, nullptr);
  EXPECT_EQ(global->type, wabt::Type::I64);
  EXPECT_TRUE(global->mutable_);
  ASSERT_EQ(global->init_expr.size(), 1u);
  ASSERT_EQ(global->init_expr.front().type(), wabt::ExprType::Const);
  EXPECT_EQ(static_cast<const wabt::ConstExpr&>(global->init_expr.front()).const_.u64(), 12345u);

  Interp interp;
  interp.instantiate("m", metered);
  interp.read_i64("m");
  EXPECT_EQ(interp.run().at(0).i64(), 12345);
}

TEST(WasmMeterOutput, default_budget_is_the_largest) {
  Interp interp;
  interp.instantiate("m", meter_ok(wat_to_wasm(calc_wat)));
  interp.read_i64("m");
  EXPECT_EQ(interp.run().at(0).i64(), INT64_MAX);
}

constexpr const char* linked_wat = R"((module
  (import "spectest" "print_i32" (func $print (param i32)))
  (import "spectest" "table" (table 10 funcref))
  (import "spectest" "memory" (memory 1))
  (import "spectest" "global_i32" (global $g0 i32))
  (import "spectest" "global_i64" (global $g1 i64))
  (global $g2 (mut i32) (i32.const 5))
  (func (export "imported") (result i32) (global.get $g0))
  (func (export "imported64") (result i64) (global.get $g1))
  (func (export "bump") (result i32)
    (global.set $g2 (i32.add (global.get $g2) (i32.const 1)))
    (global.get $g2))
  (func (export "poke") (param i32) (result i32)
    (i32.store (i32.const 8) (local.get 0)) (i32.load (i32.const 8)))
  (export "g2" (global $g2))
  (export "mem" (memory 0))
  (export "tab" (table 0))
  (export "print" (func $print)))
)";

TEST(WasmMeterOutput, keeps_every_import_and_export_and_adds_only_pd_fuel) {
  Bytes original = wat_to_wasm(linked_wat);
  auto before = pd::test::read_ir(original);
  auto after = pd::test::read_ir(meter_ok(original));
  ASSERT_NE(before, nullptr);
  ASSERT_NE(after, nullptr);
  ASSERT_EQ(after->imports.size(), before->imports.size());
  for (size_t i = 0; i < before->imports.size(); ++i) {
    EXPECT_EQ(after->imports[i]->module_name, before->imports[i]->module_name);
    EXPECT_EQ(after->imports[i]->field_name, before->imports[i]->field_name);
    EXPECT_EQ(after->imports[i]->kind(), before->imports[i]->kind());
  }
  ASSERT_EQ(after->exports.size(), before->exports.size() + 1);
  for (size_t i = 0; i < before->exports.size(); ++i) {
    EXPECT_EQ(after->exports[i]->name, before->exports[i]->name);
    EXPECT_EQ(after->exports[i]->kind, before->exports[i]->kind);
    EXPECT_EQ(after->exports[i]->var.index(), before->exports[i]->var.index());
  }
  EXPECT_EQ(after->exports.back()->name, "pd_fuel");
  EXPECT_EQ(after->funcs.size(), before->funcs.size());
  EXPECT_EQ(after->types.size(), before->types.size());
}

TEST(WasmMeterOutput, fuel_global_comes_after_imported_and_defined_globals) {
  Bytes original = wat_to_wasm(linked_wat);
  Bytes metered = meter_ok(original);
  auto module = pd::test::read_ir(metered);
  ASSERT_NE(module, nullptr);
  EXPECT_EQ(module->num_global_imports, 2u);
  ASSERT_EQ(module->globals.size(), 4u);
  EXPECT_EQ(module->GetExport("pd_fuel")->var.index(), 3u);
  EXPECT_EQ(module->GetExport("g2")->var.index(), 2u);

  // Same answers from the globals that were there: no index moved.
  for (const Bytes* wasm : {&original, &metered}) {
    Interp interp;
    interp.instantiate("m", *wasm);
    interp.call("m", "imported");
    interp.call("m", "imported64");
    interp.call("m", "bump");
    interp.call("m", "bump");
    interp.call("m", "poke", {Arg::i32(77)});
    std::vector<Outcome> out = interp.run();
    EXPECT_EQ(out[0].str(), "i32:666");
    EXPECT_EQ(out[1].str(), "i64:666");
    EXPECT_EQ(out[2].str(), "i32:6");
    EXPECT_EQ(out[3].str(), "i32:7");
    EXPECT_EQ(out[4].str(), "i32:77");
  }
}

TEST(WasmMeterOutput, keeps_custom_sections_in_place_except_those_about_code_offsets) {
  Bytes original = wat_to_wasm(calc_wat, /*names=*/true);
  Bytes first = custom_section("first", "abc");
  Bytes debug = custom_section(".debug_info", "xyz");
  Bytes abi = custom_section("pd_abi_version", "\x01");
  original.insert(original.begin() + 8, first.begin(), first.end());
  original.insert(original.end(), debug.begin(), debug.end());
  original.insert(original.end(), abi.begin(), abi.end());

  Bytes metered = meter_ok(original);
  std::vector<std::string> names = section_names(metered);
  ASSERT_GE(names.size(), 3u);
  EXPECT_EQ(names.front(), "first");
  EXPECT_EQ(names[names.size() - 2], "name");
  EXPECT_EQ(names.back(), "pd_abi_version");
  for (const std::string& n : names) EXPECT_NE(n, ".debug_info");

  auto module = pd::test::read_ir(metered);  // reads the name section
  ASSERT_NE(module, nullptr);
  EXPECT_EQ(module->funcs.at(0)->name, "$add");
}

// ---------------------------------------------------------------------------------------------
// Meaning: a metered module computes what the original computes, traps where it traps.

constexpr const char* rich_wat = R"((module
  (import "spectest" "global_i32" (global $imported i32))
  (type $binop (func (param i32 i32) (result i32)))
  (table 2 funcref)
  (elem (i32.const 0) $add $sub)
  (memory 1)
  (global $counter (mut i32) (i32.const 0))
  (tag $e (param i32))
  (func $add (type $binop) (i32.add (local.get 0) (local.get 1)))
  (func $sub (type $binop) (i32.sub (local.get 0) (local.get 1)))
  (func $fac (export "fac") (param i64) (result i64)
    (if (result i64) (i64.eqz (local.get 0))
      (then (i64.const 1))
      (else (i64.mul (local.get 0) (call $fac (i64.sub (local.get 0) (i64.const 1)))))))
  (func (export "swap") (param i32 i32) (result i32 i32)
    (local.get 0) (local.get 1)
    (block (param i32 i32) (result i32 i32) (local.set 0) (local.set 1) (local.get 0) (local.get 1)))
  (func (export "countdown") (param i32) (result i32)
    (local.get 0)
    (loop $l (param i32) (result i32)
      (i32.sub (i32.const 1))
      (local.tee 0)
      (br_if $l (i32.gt_s (local.get 0) (i32.const 0)))))
  (func (export "choose") (param i32 i32 i32) (result i32)
    (local.get 1) (local.get 2)
    (if (param i32 i32) (result i32) (local.get 0)
      (then (i32.add))
      (else (i32.mul))))
  (func (export "switch") (param i32) (result i32)
    (block $d (block $c (block $b (block $a
      (br_table $a $b $c $d (local.get 0)))
      (return (i32.const 10)))
      (return (i32.const 20)))
      (return (i32.const 30)))
    (i32.const 40))
  (func (export "switch_value") (param i32) (result i32)
    (block $out (result i32)
      (i32.add (block $inner (result i32)
        (br_table $inner $out (i32.const 7) (local.get 0))) (i32.const 100))))
  (func (export "apply") (param i32 i32 i32) (result i32)
    (call_indirect (type $binop) (local.get 1) (local.get 2) (local.get 0)))
  (func (export "tail_apply") (param i32 i32 i32) (result i32)
    (return_call_indirect (type $binop) (local.get 1) (local.get 2) (local.get 0)))
  (func $even (export "even") (param i64) (result i32)
    (if (result i32) (i64.eqz (local.get 0))
      (then (i32.const 1))
      (else (return_call $odd (i64.sub (local.get 0) (i64.const 1))))))
  (func $odd (param i64) (result i32)
    (if (result i32) (i64.eqz (local.get 0))
      (then (i32.const 0))
      (else (return_call $even (i64.sub (local.get 0) (i64.const 1))))))
  (func (export "mem") (param i32) (result i32)
    (i32.store (local.get 0) (i32.const 42)) (i32.load (local.get 0)))
  (func (export "grow") (result i32) (memory.grow (i32.const 1)))
  (func (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
  (func (export "bump") (result i32)
    (global.set $counter (i32.add (global.get $counter) (global.get $imported)))
    (global.get $counter))
  (func (export "pick") (param i32) (result i32) (select (i32.const 3) (i32.const 4) (local.get 0)))
  (func (export "nested") (param i32) (result i32)
    (local $i i32) (local $j i32) (local $sum i32)
    (loop $outer
      (local.set $j (i32.const 0))
      (loop $inner
        (local.set $sum (i32.add (local.get $sum) (i32.mul (local.get $i) (local.get $j))))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br_if $inner (i32.lt_u (local.get $j) (local.get 0))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $outer (i32.lt_u (local.get $i) (local.get 0))))
    (local.get $sum))
  (func $thrower (param i32) (throw $e (local.get 0)))
  (func (export "catch") (param i32) (result i32)
    (try (result i32)
      (do (call $thrower (local.get 0)) (i32.const 0))
      (catch $e (i32.add (i32.const 100)))
      (catch_all (i32.const -1))))
  (func (export "delegate") (param i32) (result i32)
    (try (result i32)
      (do (try (result i32) (do (call $thrower (local.get 0)) (i32.const 0)) (delegate 0)))
      (catch $e (i32.add (i32.const 7)))))
  (func (export "rethrow") (param i32) (result i32)
    (try (result i32)
      (do (try (result i32)
            (do (call $thrower (local.get 0)) (i32.const 0))
            (catch $e (drop) (rethrow 0))))
      (catch $e (i32.add (i32.const 1000)))))
  (func (export "uncaught") (param i32) (result i32) (call $thrower (local.get 0)) (i32.const 0))
  (func (export "dead") (result i32) (return (i32.const 1)) (i32.add) (loop (br 0))))
)";

struct Call {
  std::string func;
  std::vector<Arg> args;
};

std::vector<Call> rich_calls() {
  using A = Arg;
  return {
      {"fac", {A::i64(0)}},
      {"fac", {A::i64(20)}},
      {"swap", {A::i32(1), A::i32(2)}},
      {"countdown", {A::i32(5)}},
      {"countdown", {A::i32(-3)}},
      {"choose", {A::i32(1), A::i32(6), A::i32(7)}},
      {"choose", {A::i32(0), A::i32(6), A::i32(7)}},
      {"switch", {A::i32(0)}},
      {"switch", {A::i32(2)}},
      {"switch", {A::i32(99)}},
      {"switch_value", {A::i32(0)}},
      {"switch_value", {A::i32(1)}},
      {"apply", {A::i32(0), A::i32(9), A::i32(4)}},
      {"apply", {A::i32(1), A::i32(9), A::i32(4)}},
      {"apply", {A::i32(5), A::i32(9), A::i32(4)}},
      {"tail_apply", {A::i32(1), A::i32(9), A::i32(4)}},
      {"even", {A::i64(100'001)}},
      {"even", {A::i64(200'000)}},
      {"mem", {A::i32(100)}},
      {"mem", {A::i32(70'000)}},
      {"grow", {}},
      {"grow", {}},
      {"div", {A::i32(7), A::i32(2)}},
      {"div", {A::i32(7), A::i32(0)}},
      {"div", {A::i32(INT32_MIN), A::i32(-1)}},
      {"bump", {}},
      {"bump", {}},
      {"pick", {A::i32(0)}},
      {"pick", {A::i32(1)}},
      {"nested", {A::i32(0)}},
      {"nested", {A::i32(7)}},
      {"catch", {A::i32(5)}},
      {"delegate", {A::i32(5)}},
      {"rethrow", {A::i32(5)}},
      {"uncaught", {A::i32(5)}},
      {"dead", {}},
  };
}

std::vector<Outcome> run_calls(const Bytes& wasm, const std::vector<Call>& calls) {
  Interp interp;
  interp.instantiate("m", wasm);
  for (const Call& c : calls) interp.call("m", c.func, c.args);
  return interp.run();
}

TEST(WasmMeterMeaning, metered_module_returns_and_traps_as_the_original) {
  Bytes original = wat_to_wasm(rich_wat);
  std::vector<Call> calls = rich_calls();
  std::vector<Outcome> expected = run_calls(original, calls);
  std::vector<Outcome> actual = run_calls(meter_ok(original), calls);
  ASSERT_EQ(actual.size(), calls.size());
  for (size_t i = 0; i < calls.size(); ++i) {
    EXPECT_EQ(actual[i], expected[i]) << "call " << i << ": " << calls[i].func;
  }
  // The table above covers results and traps alike.
  EXPECT_EQ(expected[1].str(), "i64:2432902008176640000");
  EXPECT_EQ(expected[2].str(), "i32:2, i32:1");
  EXPECT_TRUE(expected[14].trapped);
  EXPECT_EQ(expected[16].str(), "i32:0");
  EXPECT_TRUE(expected[23].trapped);
  EXPECT_EQ(expected[33].str(), "i32:1005");
}

// ---------------------------------------------------------------------------------------------
// What it charges.

TEST(WasmMeterCost, fuel_grows_with_loop_iterations_exactly_as_the_cost_model_says) {
  Bytes metered = meter_ok(wat_to_wasm(calc_wat), plenty);
  std::vector<int64_t> used =
      fuel_used(metered, "count", {{Arg::i32(0)}, {Arg::i32(1)}, {Arg::i32(10)}, {Arg::i32(1000)}});
  EXPECT_EQ(used,
            (std::vector<int64_t>{count_cost(0), count_cost(1), count_cost(10), count_cost(1000)}));
}

TEST(WasmMeterCost, each_instruction_run_costs_one) {
  Bytes metered = meter_ok(wat_to_wasm(calc_wat), plenty);
  // add: local.get, local.get, i32.add.
  EXPECT_EQ(fuel_used(metered, "add", {{Arg::i32(1), Arg::i32(2)}}), std::vector<int64_t>{3});
  // pick: local.get, if, then i32.const (3) or else i32.const, i32.const, i32.add (5).
  EXPECT_EQ(fuel_used(metered, "pick", {{Arg::i32(1)}, {Arg::i32(0)}}),
            (std::vector<int64_t>{3, 5}));
  // twice: local.get, local.get, call, then add's 3.
  EXPECT_EQ(fuel_used(metered, "twice", {{Arg::i32(4)}}), std::vector<int64_t>{6});
  // early: i32.const, return; the unreachable rest is free.
  EXPECT_EQ(fuel_used(metered, "early", {std::vector<Arg>{}}), std::vector<int64_t>{2});
  EXPECT_EQ(fuel_used(metered, "empty", {std::vector<Arg>{}}), std::vector<int64_t>{0});
  // caught: try, call, throw (in $throw), then the handler's i32.const; the i32.const after
  // the call never runs and is not charged.
  EXPECT_EQ(fuel_used(metered, "caught", {std::vector<Arg>{}}), std::vector<int64_t>{4});
}

TEST(WasmMeterCost, same_module_input_and_budget_consume_the_same_fuel_every_run) {
  Bytes metered = meter_ok(wat_to_wasm(rich_wat), plenty);
  auto one_run = [&] {
    Interp interp;
    interp.instantiate("m", metered);
    for (const Call& c : rich_calls()) {
      interp.call("m", c.func, c.args);
      interp.read_i64("m");
    }
    return interp.run();
  };
  std::vector<Outcome> first = one_run();
  EXPECT_EQ(one_run(), first);
  EXPECT_LT(first.back().i64(), int64_t(plenty));  // it did charge
  // Metering the same bytes twice gives the same bytes.
  EXPECT_EQ(meter_ok(wat_to_wasm(rich_wat), plenty), metered);
  // And the same call in the same instance costs the same each time.
  std::vector<int64_t> used =
      fuel_used(metered, "nested", {{Arg::i32(9)}, {Arg::i32(9)}, {Arg::i32(9)}});
  EXPECT_EQ(used[0], used[1]);
  EXPECT_EQ(used[1], used[2]);
}

TEST(WasmMeterCost, start_function_spends_from_the_initial_budget) {
  Bytes metered = meter_ok(wat_to_wasm(R"((module
    (global $ran (mut i32) (i32.const 0))
    (func $start (global.set $ran (i32.const 1)))
    (start $start)
    (func (export "ran") (result i32) (global.get $ran))))"),
                           1000);
  Interp interp;
  interp.instantiate("m", metered);
  interp.read_i64("m");
  EXPECT_EQ(interp.run().at(0).i64(), 1000 - 2);  // i32.const, global.set
}

// ---------------------------------------------------------------------------------------------
// Running out.

constexpr const char* spin_wat = R"((module
  (func (export "spin") (loop (br 0)))
  (func $recurse (export "recurse") (call $recurse))
  (func (export "mutual") (return_call $ping))
  (func $ping (return_call $pong))
  (func $pong (return_call $ping))
  (func (export "boom") unreachable)
  (func (export "div0") (result i32) (i32.div_u (i32.const 1) (i32.const 0)))
  (func (export "nothing")))
)";

// The outcome of `func` on a freshly instantiated module with `budget`, and pd_fuel after it.
std::pair<Outcome, int64_t> run_with_budget(const char* wat, const std::string& func,
                                            uint64_t budget, const std::vector<Arg>& args = {}) {
  Interp interp;
  interp.instantiate("m", meter_ok(wat_to_wasm(wat), budget));
  interp.call("m", func, args);
  interp.read_i64("m");
  std::vector<Outcome> out = interp.run();
  return {out.at(0), out.at(1).i64()};
}

TEST(WasmMeterExhaustion, infinite_loop_traps_with_pd_fuel_negative) {
  auto [outcome, fuel] = run_with_budget(spin_wat, "spin", 100);
  EXPECT_TRUE(outcome.trapped);
  EXPECT_EQ(outcome.trap, "unreachable executed");
  EXPECT_LT(fuel, 0);
  EXPECT_EQ(fuel, -1);  // the loop header's check fires on the first unit over budget
}

TEST(WasmMeterExhaustion, unbounded_recursion_and_tail_calls_trap_on_fuel) {
  for (const char* func : {"recurse", "mutual"}) {
    auto [outcome, fuel] = run_with_budget(spin_wat, func, 500);
    EXPECT_TRUE(outcome.trapped) << func;
    EXPECT_EQ(outcome.trap, "unreachable executed") << func;  // not "call stack exhausted"
    EXPECT_EQ(fuel, -1) << func;
  }
}

TEST(WasmMeterExhaustion, other_traps_leave_pd_fuel_non_negative) {
  for (const char* func : {"boom", "div0"}) {
    auto [outcome, fuel] = run_with_budget(spin_wat, func, 100);
    EXPECT_TRUE(outcome.trapped) << func;
    EXPECT_GE(fuel, 0) << func;
  }
}

TEST(WasmMeterExhaustion, a_spent_module_traps_at_the_entry_of_any_call) {
  Interp interp;
  interp.instantiate("m", meter_ok(wat_to_wasm(spin_wat), 10));
  interp.call("m", "spin");
  interp.call("m", "nothing");
  interp.read_i64("m");
  std::vector<Outcome> out = interp.run();
  EXPECT_TRUE(out[0].trapped);
  EXPECT_TRUE(out[1].trapped);
  EXPECT_EQ(out[1].trap, "unreachable executed");
  EXPECT_EQ(out[2].i64(), -1);
}

// count's loop head pays for its exit test (4) and the block after it (5) together, and the
// exit gives the 5 back: the last head needs 9 even though only 4 of them stay spent.
TEST(WasmMeterExhaustion, a_loop_head_needs_fuel_for_its_exit_test_and_the_block_after_it) {
  const int64_t n = 5;
  // Enough for the last head: runs, and is charged exactly its cost.
  auto [enough, left] =
      run_with_budget(calc_wat, "count", uint64_t(count_cost(n) + 4), {Arg::i32(n)});
  EXPECT_EQ(enough.str(), "i32:5");
  EXPECT_EQ(left, 4);
  // One less: the last head's check traps.
  auto [short1, left1] =
      run_with_budget(calc_wat, "count", uint64_t(count_cost(n) + 3), {Arg::i32(n)});
  EXPECT_TRUE(short1.trapped);
  EXPECT_EQ(short1.trap, "unreachable executed");
  EXPECT_EQ(left1, -1);
}

// A block after a call is charged without a check: the budget can run out there, the call
// returns with pd_fuel negative (a bounded overrun, see the header), and the next call traps.
TEST(WasmMeterExhaustion, a_budget_spent_in_straight_line_code_after_the_last_check_overruns_it) {
  constexpr const char* wat = R"((module
    (func $add (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
    (func (export "tail") (result i32)
      (call $add (i32.const 1) (i32.const 2))
      (i32.const 1)
      (i32.add))))";
  // tail: i32.const, i32.const, call (3, checked); add's 3 (checked); i32.const, i32.add (2).
  Interp interp;
  interp.instantiate("m", meter_ok(wat_to_wasm(wat), 7));
  interp.call("m", "tail");
  interp.read_i64("m");
  interp.call("m", "tail");
  std::vector<Outcome> out = interp.run();
  EXPECT_EQ(out[0].str(), "i32:4");
  EXPECT_EQ(out[1].i64(), -1);
  EXPECT_TRUE(out[2].trapped);
}

// One charge and one check per turn of count's loop: the head's, covering the exit test and
// the block after it; the exit branch gives that block's cost back.
TEST(WasmMeterOutput, a_loop_exit_test_and_the_block_after_it_are_charged_once_per_turn) {
  Bytes metered = meter_ok(wat_to_wasm(calc_wat), plenty);
  auto module = pd::test::read_ir(metered);
  ASSERT_NE(module, nullptr);
  const wabt::Func* count = module->GetFunc(module->GetExport("count")->var);
  ASSERT_NE(count, nullptr);
  const wabt::LoopExpr* loop = nullptr;
  for (const wabt::Expr& e : count->exprs) {
    if (e.type() != wabt::ExprType::Block) continue;
    for (const wabt::Expr& inner : static_cast<const wabt::BlockExpr&>(e).block.exprs)
      if (inner.type() == wabt::ExprType::Loop) loop = static_cast<const wabt::LoopExpr*>(&inner);
  }
  ASSERT_NE(loop, nullptr);
  int charges = 0;
  std::vector<uint64_t> constants;
  const wabt::IfExpr* exit = nullptr;
  for (const wabt::Expr& e : loop->block.exprs) {
    if (e.type() == wabt::ExprType::GlobalSet) ++charges;
    if (e.type() == wabt::ExprType::Const)
      constants.push_back(static_cast<const wabt::ConstExpr&>(e).const_.u64());
    if (e.type() == wabt::ExprType::If &&
        !static_cast<const wabt::IfExpr&>(e).true_.exprs.empty() &&
        static_cast<const wabt::IfExpr&>(e).true_.exprs.back().type() == wabt::ExprType::Br)
      exit = static_cast<const wabt::IfExpr*>(&e);
  }
  EXPECT_EQ(charges, 1);
  ASSERT_FALSE(constants.empty());
  EXPECT_EQ(constants.front(), 9u);  // 4 for the exit test, 5 for the block after it
  ASSERT_NE(exit, nullptr);
  std::vector<uint64_t> refund;
  for (const wabt::Expr& e : exit->true_.exprs)
    if (e.type() == wabt::ExprType::Const)
      refund.push_back(static_cast<const wabt::ConstExpr&>(e).const_.u64());
  EXPECT_EQ(refund, std::vector<uint64_t>{5});
}

TEST(WasmMeterExhaustion, zero_budget_runs_only_what_costs_nothing) {
  EXPECT_FALSE(run_with_budget(spin_wat, "nothing", 0).first.trapped);
  EXPECT_TRUE(run_with_budget(spin_wat, "boom", 0).first.trapped);
  EXPECT_EQ(run_with_budget(calc_wat, "add", 0, {Arg::i32(1), Arg::i32(2)}).second, -3);
}

// ---------------------------------------------------------------------------------------------
// What it refuses.

TEST(WasmMeterErrors, a_module_that_already_exports_pd_fuel_is_refused) {
  Bytes once = meter_ok(wat_to_wasm(calc_wat));
  auto twice = pd::meter_module(once, {});
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().kind, MeterError::Kind::AlreadyMetered);
  EXPECT_NE(twice.error().message.find("pd_fuel"), std::string::npos);

  auto named = pd::meter_module(wat_to_wasm(R"((module (func (export "pd_fuel"))))"), {});
  ASSERT_FALSE(named);
  EXPECT_EQ(named.error().kind, MeterError::Kind::AlreadyMetered);
}

TEST(WasmMeterErrors, corrupt_bytes_are_refused_with_a_message) {
  Bytes good = wat_to_wasm(calc_wat);
  Bytes truncated(good.begin(), good.begin() + good.size() / 2);
  Bytes bad_magic = good;
  bad_magic[0] = 'x';
  for (const Bytes& bytes : {Bytes{}, Bytes{1, 2, 3}, truncated, bad_magic}) {
    auto result = pd::meter_module(bytes, {});
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().kind, MeterError::Kind::Unreadable);
    EXPECT_NE(result.error().message.find("not a readable WebAssembly"), std::string::npos)
        << result.error().message;
    EXPECT_GT(result.error().message.size(), 40u) << result.error().message;
  }
}

TEST(WasmMeterErrors, a_module_that_does_not_validate_is_refused) {
  // (func (result i32) i64.const 0): decodes, but returns the wrong type.
  Bytes invalid = {0,  'a', 's', 'm',  1, 0,    0,    0,      // header
                   1,  5,   1,   0x60, 0, 1,    0x7f,         // type: () -> i32
                   3,  2,   1,   0,                           // function 0: type 0
                   10, 6,   1,   4,    0, 0x42, 0,    0x0b};  // code: i64.const 0
  auto result = pd::meter_module(invalid, {});
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind, MeterError::Kind::Invalid);
  EXPECT_NE(result.error().message.find("invalid WebAssembly module"), std::string::npos);
  EXPECT_NE(result.error().message.find("type mismatch"), std::string::npos)
      << result.error().message;
}

TEST(WasmMeterErrors, a_budget_above_int64_max_is_refused) {
  auto result = pd::meter_module(wat_to_wasm(calc_wat), pd::MeterOptions{uint64_t(INT64_MAX) + 1});
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind, MeterError::Kind::BadOptions);
}

TEST(WasmMeterErrors, nesting_beyond_the_limit_is_refused_without_exhausting_the_stack) {
  meter_ok(nested_blocks(1000));
  auto result = pd::meter_module(nested_blocks(1'000'000), {});
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind, MeterError::Kind::TooComplex);
  EXPECT_NE(result.error().message.find("deeper than"), std::string::npos);
}

TEST(WasmMeterErrors, every_kind_prints_as_its_name) {
  EXPECT_STREQ(pd::to_string(MeterError::Kind::Unreadable), "Unreadable");
  EXPECT_STREQ(pd::to_string(MeterError::Kind::Invalid), "Invalid");
  EXPECT_STREQ(pd::to_string(MeterError::Kind::AlreadyMetered), "AlreadyMetered");
  EXPECT_STREQ(pd::to_string(MeterError::Kind::BadOptions), "BadOptions");
  EXPECT_STREQ(pd::to_string(MeterError::Kind::TooComplex), "TooComplex");
}

}  // namespace
