// Differential specs: the same guest, the same calls or messages and the same budgets give the
// same outcome on the interpreter ("interp") and on the ahead-of-time backend ("aot"): results,
// errors, what reached pd_send and pd_log, the engine's events and, for metered modules, the
// same fuel to the unit (fuel_consumed() after each call, WasmActor::last_call_fuel() after each
// lifecycle step).
//
// Each run writes a transcript (one line per observable thing, in order); the two transcripts
// must be equal once the interpreter's trap messages are put in the aot backend's words, the
// one difference allowed (see in_aot_words). Guests: the WAT guests of the other suites
// (wasm_test_support.h's pd::test::guests), guests written here (compute-heavy ones among them),
// and the C guests built into <build>/guests and <build>/examples/guests (targets
// pd-test-guests and pd-example-guests), all metered with pd::meter_module.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <functional>
#include <iterator>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pd/core/fnv.h"
#include "pd/plugin/wasm_actor.h"
#include "pd/reactor/sim_reactor.h"
#include "pd/runtime/engine.h"
#include "pd/wasm/fuel_meter.h"
#include "wasm_backend_support.h"
#include "wasm_test_support.h"

namespace pd::wasm_differential_test {
namespace {

using namespace std::chrono_literals;
using Transcript = std::vector<std::string>;

// ---------------------------------------------------------------------------------------------
// Transcripts

std::string hex(std::span<const uint8_t> bytes) {
  static const char* digits = "0123456789abcdef";
  std::string s;
  for (uint8_t b : bytes) {
    s += digits[b >> 4];
    s += digits[b & 15];
  }
  return s;
}

// Text when it is printable, else hex; long payloads by length and hash.
std::string describe_bytes(std::span<const uint8_t> bytes) {
  if (bytes.size() > 64) {
    return std::to_string(bytes.size()) + " bytes, fnv " +
           std::to_string(fnv1a64(
               std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size())));
  }
  bool printable = true;
  for (uint8_t b : bytes) printable = printable && b >= 0x20 && b < 0x7f && b != '"';
  if (printable) return "\"" + std::string(bytes.begin(), bytes.end()) + "\"";
  return "0x" + hex(bytes);
}

// Values as to_string() prints them, except NaNs: which NaN an arithmetic operation returns is
// left open by WebAssembly (any quiet NaN for a NaN operand, a canonical NaN of either sign
// otherwise), and the backends do differ there: WABT's interpreter returns the positive
// canonical NaN, native x86 code quiets the operand's payload (f32 0x7fa00001 / 2 ->
// 0x7fe00001) and makes its default NaN negative (sqrt(-1) -> 0xfff8000000000000). NaN bits
// that only cross the boundary are unchanged on both (wasm_host_test.cpp).
std::string describe(const std::vector<WasmVal>& values) {
  std::string s;
  for (const WasmVal& v : values) {
    const bool nan = (v.type() == WasmValType::F32 && std::isnan(v.as_f32())) ||
                     (v.type() == WasmValType::F64 && std::isnan(v.as_f64()));
    s += (s.empty() ? "" : ", ") + (nan ? std::string(to_string(v.type())) + ":nan" : to_string(v));
  }
  return s;
}

std::string describe(const WasmError& e) {
  return std::string(to_string(e.kind)) + " \"" + e.message + "\"";
}

// Where `pattern` matches `s` at `at`, the end of the match (else npos). In the pattern '#' is
// one or more digits and '%' one or more lowercase letters or '_'; the rest is literal.
size_t match_at(std::string_view s, size_t at, std::string_view pattern) {
  for (char p : pattern) {
    if (p == '#' || p == '%') {
      auto in_class = [p](char c) {
        return p == '#' ? (c >= '0' && c <= '9') : ((c >= 'a' && c <= 'z') || c == '_');
      };
      if (at >= s.size() || !in_class(s[at])) return std::string_view::npos;
      while (at < s.size() && in_class(s[at])) ++at;
    } else {
      if (at >= s.size() || s[at] != p) return std::string_view::npos;
      ++at;
    }
  }
  return at;
}

// The interpreter's line in the aot backend's words. The native code's trap messages carry no
// details (aot_host.cpp's trap_message()): WABT's "out of bounds memory access: access at
// 65529+8 >= max value 65536" is "out of bounds memory access" there, and its three messages of
// a failed call_indirect are one. These are the only differences allowed.
std::string in_aot_words(std::string line) {
  constexpr std::string_view kOob = "out of bounds memory access";
  constexpr std::string_view kDetails[] = {
      ": access at #+# >= max value #", ": memory.% out of bounds",
      ": data segment is out of bounds: [#, #) >= max value #"};
  for (size_t at = line.find(kOob); at != std::string::npos; at = line.find(kOob, at + 1)) {
    const size_t after = at + kOob.size();
    for (std::string_view details : kDetails) {
      const size_t end = match_at(line, after, details);
      if (end != std::string_view::npos) {
        line.erase(after, end - after);
        break;
      }
    }
  }
  constexpr std::string_view kIndirect = "indirect call signature mismatch or null entry";
  for (std::string_view wabt : {"indirect call signature mismatch", "uninitialized table element",
                                "undefined table index"}) {
    for (size_t at = line.find(wabt); at != std::string::npos;
         at = line.find(wabt, at + kIndirect.size())) {
      line.replace(at, wabt.size(), kIndirect);
    }
  }
  return line;
}

std::string joined(const Transcript& t) {
  std::string s;
  for (const std::string& line : t) s += "    " + line + "\n";
  return s;
}

// Fails the test, naming the first line that differs, unless the transcripts are the same.
void expect_same(const Transcript& interp, const Transcript& aot) {
  Transcript mapped;
  for (const std::string& line : interp) mapped.push_back(in_aot_words(line));
  if (mapped == aot) return;
  size_t i = 0;
  while (i < mapped.size() && i < aot.size() && mapped[i] == aot[i]) ++i;
  ADD_FAILURE() << "the backends differ at line " << i + 1
                << ":\n  interp: " << (i < interp.size() ? interp[i] : "(no more lines)")
                << "\n  aot:    " << (i < aot.size() ? aot[i] : "(no more lines)")
                << "\ninterp's transcript:\n"
                << joined(interp) << "aot's transcript:\n"
                << joined(aot);
}

bool has_line(const Transcript& t, const std::string& line) {
  return std::find(t.begin(), t.end(), line) != t.end();
}

size_t count_containing(const Transcript& t, const std::string& part) {
  return size_t(std::count_if(t.begin(), t.end(), [&](const std::string& line) {
    return line.find(part) != std::string::npos;
  }));
}

// ---------------------------------------------------------------------------------------------
// Modules

std::vector<uint8_t> metered(std::span<const uint8_t> wasm) {
  auto m = meter_module(wasm);
  if (!m) {
    ADD_FAILURE() << "meter_module: " << m.error().message;
    return {};
  }
  return std::move(m).value();
}

// A guest built by CMake: <build>/<relative>.
std::vector<uint8_t> built_guest(const std::string& relative) {
  const std::string path = std::string(PD_BINARY_DIR) + "/" + relative;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    ADD_FAILURE() << "no " << path << " (build the targets pd-test-guests and pd-example-guests)";
    return {};
  }
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

// ---------------------------------------------------------------------------------------------
// Host level: calls on one instance

struct Call {
  std::string name;
  std::vector<WasmVal> args;
  uint64_t budget = 0;        // metered modules: set_fuel(budget) first (0: kDefaultBudget)
  bool metered_only = false;  // a call that only fuel ends: skipped when the module is not metered
};
constexpr uint64_t kDefaultBudget = 50'000'000;

std::vector<WasmVal> i32s(std::initializer_list<int32_t> values) {
  std::vector<WasmVal> out;
  for (int32_t v : values) out.push_back(WasmVal::i32(v));
  return out;
}

// Compiles `wasm` on `backend`, instantiates it with imports that write to the transcript, and
// makes the calls; metered modules get a budget before each. An exported memory is described
// (size and hash) at the end.
Transcript run_calls(const std::string& backend, std::span<const uint8_t> wasm,
                     const std::vector<Call>& calls, const WasmLimits& limits = {}) {
  Transcript t;
  auto host = test::host_for(backend);
  auto module = host->compile(wasm);
  if (!module) {
    t.push_back("compile: " + describe(module.error()));
    return t;
  }
  const bool is_metered = module.value()->is_metered();
  int64_t clock = 1'000;
  WasmImports imports;
  imports.pd_send = [&t](std::span<const uint8_t> envelope, std::span<const uint8_t> payload) {
    t.push_back("  pd_send envelope " + describe_bytes(envelope) + " payload " +
                describe_bytes(payload));
    return int32_t(payload.size());
  };
  imports.pd_log = [&t](int32_t level, std::span<const uint8_t> message) {
    t.push_back("  pd_log " + std::to_string(level) + " " + describe_bytes(message));
  };
  imports.pd_now_micros = [&t, &clock] {
    t.push_back("  pd_now_micros " + std::to_string(clock));
    return clock += 250;
  };
  auto inst = host->instantiate(module.value(), std::move(imports), limits);
  if (!inst) {
    t.push_back("instantiate: " + describe(inst.error()));
    return t;
  }
  WasmInstance& w = *inst.value();
  for (const Call& c : calls) {
    if (c.metered_only && !is_metered) continue;
    std::string line = c.name + "(" + describe(c.args) + ")";
    if (is_metered) {
      const uint64_t budget = c.budget ? c.budget : kDefaultBudget;
      if (auto ok = w.set_fuel(budget); !ok) t.push_back("set_fuel: " + describe(ok.error()));
      line += " with " + std::to_string(budget);
    }
    auto r = w.call(c.name, c.args);
    line += r ? " -> " + describe(r.value()) : " -> " + describe(r.error());
    if (is_metered) {
      line += "; fuel consumed " + std::to_string(w.fuel_consumed()) + ", remaining " +
              std::to_string(w.fuel_remaining());
    }
    t.push_back(line);
  }
  for (const WasmExport& e : w.module().exports()) {
    if (e.type.kind != WasmExternKind::Memory) continue;
    std::vector<uint8_t> bytes(w.memory_size());
    if (auto ok = w.memory_read(0, bytes); !ok) t.push_back("memory_read: " + describe(ok.error()));
    t.push_back("memory " + describe_bytes(bytes));
    break;
  }
  return t;
}

// The calls on both backends, the module as it is and metered: the same transcripts. Returns
// the metered transcript (interp's) for further checks.
Transcript expect_same_calls(std::span<const uint8_t> wasm, const std::vector<Call>& calls,
                             const WasmLimits& limits = {}) {
  {
    SCOPED_TRACE("unmetered");
    expect_same(run_calls("interp", wasm, calls, limits), run_calls("aot", wasm, calls, limits));
  }
  SCOPED_TRACE("metered");
  const std::vector<uint8_t> m = metered(wasm);
  Transcript interp = run_calls("interp", m, calls, limits);
  expect_same(interp, run_calls("aot", m, calls, limits));
  return interp;
}

Transcript expect_same_calls(std::string_view wat, const std::vector<Call>& calls,
                             const WasmLimits& limits = {}) {
  return expect_same_calls(test::wat_to_wasm(wat), calls, limits);
}

TEST(WasmDifferential, numbers_of_every_type_cross_alike) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  Transcript t = expect_same_calls(
      test::guests::kArithmetic, {{"add_i32", i32s({INT32_MAX, 1})},
                                  {"mul_i64", {WasmVal::i64(int64_t{1} << 40), WasmVal::i64(-3)}},
                                  {"half_f32", {WasmVal::f32(3.0f)}},
                                  {"half_f32", {WasmVal::f32(nan)}},
                                  {"half_f32", {WasmVal::from_bits(WasmValType::F32, 0x7fa00001)}},
                                  {"sqrt_f64", {WasmVal::f64(2.25)}},
                                  {"sqrt_f64", {WasmVal::f64(-0.0)}},
                                  {"sqrt_f64", {WasmVal::f64(-1.0)}},
                                  {"swap", {WasmVal::i32(7), WasmVal::f64(0.5)}},
                                  {"nothing", {}},
                                  {"add_i32", {WasmVal::i64(1), WasmVal::i32(2)}}});
  EXPECT_TRUE(has_line(t,
                       "add_i32(i32:2147483647, i32:1) with 50000000 -> i32:-2147483648; fuel "
                       "consumed 3, remaining 49999997"))
      << joined(t);
}

TEST(WasmDifferential, memory_and_its_bounds_alike) {
  expect_same_calls(test::guests::kMemory, {{"store_u8", i32s({65535, 0xab})},
                                            {"load_u8", i32s({65535})},
                                            {"store_u8", i32s({100, 0x1ff})},
                                            {"load_u8", i32s({100})},
                                            {"load_u8", i32s({65536})},
                                            {"store_u8", i32s({-1, 1})},
                                            {"load_u8", i32s({0})}});
}

TEST(WasmDifferential, every_kind_of_trap_alike_with_the_same_fuel) {
  Transcript t = expect_same_calls(
      test::guests::kMoreTraps, {{"div_overflow", i32s({INT32_MIN, -1})},
                                 {"div_overflow", i32s({-9, 3})},
                                 {"rem_by_zero", {WasmVal::i64(5)}},
                                 {"trunc", {WasmVal::f32(std::numeric_limits<float>::quiet_NaN())}},
                                 {"trunc", {WasmVal::f32(3e9f)}},
                                 {"trunc", {WasmVal::f32(-2.5f)}},
                                 {"trunc_u64", {WasmVal::f64(-1.0)}},
                                 {"trunc_u64", {WasmVal::f64(1e19)}},
                                 {"call", i32s({0, 41})},
                                 {"call", i32s({1, 5})},
                                 {"call", i32s({2, 5})},
                                 {"call", i32s({3, 5})},
                                 {"store64", i32s({65529})},
                                 {"store64", i32s({65528})},
                                 {"fill", i32s({65000, 537})},
                                 {"fill", i32s({65000, 536})}});
  EXPECT_EQ(count_containing(t, "-> Trap"), 10u) << joined(t);
  const Transcript traps = expect_same_calls(
      test::guests::kTrapping,
      {{"div", i32s({1, 0})}, {"boom", {}}, {"load", i32s({65534})}, {"div", i32s({6, 3})}});
  EXPECT_EQ(count_containing(traps, "-> Trap"), 3u) << joined(traps);
}

TEST(WasmDifferential, call_depth_is_counted_alike_so_recursion_costs_the_same_fuel) {
  WasmLimits limits;
  limits.max_call_depth = 50;
  Transcript t = expect_same_calls(
      test::guests::kRecursive,
      {{"depth", i32s({49})}, {"depth", i32s({50})}, {"forever", i32s({0})}, {"depth", i32s({10})}},
      limits);
  EXPECT_EQ(count_containing(t, "Trap \"call stack exhausted\""), 2u) << joined(t);
  // The default depth, 1024 frames.
  expect_same_calls(test::guests::kRecursive,
                    {{"depth", i32s({1023})}, {"depth", i32s({1024})}, {"forever", i32s({7})}});
}

TEST(WasmDifferential, memory_growth_stops_alike_at_the_limit) {
  WasmLimits limits;
  limits.max_memory_pages = 8;
  expect_same_calls(test::guests::kGrower,
                    {{"grow", i32s({2})},
                     {"grow_until_refused", {}},
                     {"grow", i32s({1})},
                     {"grow", i32s({0})},
                     {"grow", i32s({65535})}},
                    limits);
}

TEST(WasmDifferential, the_guest_abi_imports_see_and_answer_alike) {
  Transcript t =
      expect_same_calls(test::guests::kAbiGuest, {{"send", i32s({16, 14, 64, 13})},
                                                  {"send", i32s({65536 - 80, 80, 65536, 0})},
                                                  {"send", i32s({65536 - 79, 80, 0, 0})},
                                                  {"send", i32s({0, 80, -16, 32})},
                                                  {"log", i32s({2, 128, 8})},
                                                  {"log", i32s({1, 65530, 100})},
                                                  {"now", {}},
                                                  {"now", {}}});
  EXPECT_EQ(count_containing(t, "pd_send envelope"), 2u) << joined(t);
}

TEST(WasmDifferential, the_hand_metered_module_and_the_worker_spend_the_same_fuel) {
  // kMetered is metered by hand: it runs as it is (the pass refuses it, it exports pd_fuel).
  const std::vector<uint8_t> hand = test::wat_to_wasm(test::guests::kMetered);
  const std::vector<Call> spins = {
      {"spin", i32s({3})}, {"spin", i32s({20}), 100}, {"spin", i32s({5}), 1000}, {"boom", {}, 100}};
  expect_same(run_calls("interp", hand, spins), run_calls("aot", hand, spins));

  Transcript t = expect_same_calls(test::guests::kWorker,
                                   {{"work", {WasmVal::i32(1000), WasmVal::i64(12345)}},
                                    {"work", {WasmVal::i32(1000), WasmVal::i64(12345)}, 5000},
                                    {"boom", {}},
                                    {"div", i32s({1, 0})},
                                    {"deep", i32s({2000})},
                                    {"deep", i32s({1000})},
                                    {"spin", {}, 77'777, true}});
  EXPECT_EQ(count_containing(t, "FuelExhausted"), 2u) << joined(t);
}

// A compute-heavy function: indirect calls picked by br_table, floats, memory and recursion.
constexpr const char* kHeavy = R"((module
  (type $op (func (param i64 i64) (result i64)))
  (table 4 funcref)
  (elem (i32.const 0) $add $xor $mul $rot)
  (memory (export "memory") 1)
  (func $add (type $op) (i64.add (local.get 0) (local.get 1)))
  (func $xor (type $op) (i64.xor (local.get 0) (local.get 1)))
  (func $mul (type $op) (i64.mul (local.get 0) (i64.or (local.get 1) (i64.const 1))))
  (func $rot (type $op) (i64.rotl (local.get 0) (local.get 1)))
  (func $fib (param i32) (result i32)
    (if (result i32) (i32.lt_u (local.get 0) (i32.const 2))
      (then (local.get 0))
      (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1)))
                     (call $fib (i32.sub (local.get 0) (i32.const 2)))))))
  (func (export "mix") (param $n i32) (result i64)
    (local $i i32) (local $h i64) (local $f f64) (local $k i32) (local $a i32)
    (local.set $h (i64.const 0x9e3779b97f4a7c15))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (block $end
          (block $c3 (block $c2 (block $c1 (block $c0
            (br_table $c0 $c1 $c2 $c3 (i32.and (local.get $i) (i32.const 3))))
            (local.set $k (i32.const 2)) (br $end))
            (local.set $k (i32.const 0)) (br $end))
            (local.set $k (i32.const 3)) (br $end))
          (local.set $k (i32.const 1)))
        (local.set $h (call_indirect (type $op) (local.get $h) (i64.extend_i32_u (local.get $i))
                                                (local.get $k)))
        (local.set $f (f64.add (local.get $f) (f64.sqrt (f64.convert_i32_u (local.get $i)))))
        (local.set $a (i32.and (i32.shl (local.get $i) (i32.const 2)) (i32.const 65532)))
        (i32.store (local.get $a) (i32.add (i32.load (local.get $a)) (i32.wrap_i64 (local.get $h))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (i64.add (local.get $h)
             (i64.add (i64.extend_i32_u (call $fib (i32.const 20)))
                      (i64.trunc_f64_u (local.get $f))))))
)";

TEST(WasmDifferential, a_compute_heavy_loop_gives_the_same_result_and_fuel_and_runs_out_alike) {
  Transcript t = expect_same_calls(
      kHeavy,
      {{"mix", i32s({200'000})}, {"mix", i32s({3})}, {"mix", i32s({10'000'000}), 1'000'000, true}});
  // It is heavy: millions of units of fuel, and the last call runs out.
  ASSERT_EQ(t.size(), 4u) << joined(t);
  const std::string& heavy = t[0];
  const size_t at = heavy.find("fuel consumed ");
  ASSERT_NE(at, std::string::npos) << heavy;
  EXPECT_GT(std::stoull(heavy.substr(at + 14)), 5'000'000u) << heavy;
  EXPECT_NE(t[2].find("FuelExhausted \"fuel exhausted: the budget of 1000000 is spent"),
            std::string::npos)
      << t[2];
  EXPECT_NE(t[2].find("fuel consumed 1000000, remaining 0"), std::string::npos) << t[2];
}

// The start function runs during instantiation: its calls to the host, its traps and its fuel
// (the module's initial budget) come out alike.
TEST(WasmDifferential, start_functions_call_the_host_trap_and_run_out_of_fuel_alike) {
  const char* sends = R"((module
    (import "env" "pd_send" (func $send (param i32 i32 i32 i32) (result i32)))
    (memory (export "memory") 1)
    (data (i32.const 0) "started")
    (global $code (mut i32) (i32.const 0))
    (func $s (global.set $code (call $send (i32.const 0) (i32.const 7) (i32.const 0) (i32.const 3))))
    (start $s)
    (func (export "code") (result i32) (global.get $code))))";
  const char* logs_out_of_bounds = R"((module
    (import "env" "pd_log" (func $log (param i32 i32 i32)))
    (memory (export "memory") 1)
    (func $s (call $log (i32.const 1) (i32.const 65530) (i32.const 10)))
    (start $s)))";
  const char* spins = R"((module
    (memory (export "memory") 1)
    (func $s (loop $l (br $l)))
    (start $s)))";
  const char* traps = R"((module
    (memory (export "memory") 1)
    (func $s (i32.store (i32.const 65535) (i32.const 1)))
    (start $s)))";
  MeterOptions small;
  small.initial_fuel = 1000;
  for (const char* wat : {sends, logs_out_of_bounds, spins, traps}) {
    SCOPED_TRACE(wat);
    const std::vector<uint8_t> bytes = test::wat_to_wasm(wat);
    auto m = meter_module(bytes, small);
    ASSERT_TRUE(m) << m.error().message;
    const std::vector<Call> calls = {{"code", {}}};
    if (wat != spins)
      expect_same(run_calls("interp", bytes, calls), run_calls("aot", bytes, calls));
    Transcript t = run_calls("interp", *m, calls);
    expect_same(t, run_calls("aot", *m, calls));
    if (wat == spins) {
      ASSERT_EQ(t.size(), 1u);
      EXPECT_TRUE(t[0].starts_with("instantiate: Instantiation \"cannot instantiate the module: "))
          << t[0];
    }
  }
}

// The catching functions have no parameters or locals: with them, WABT 1.0.32's interpreter
// loses the frame's locals when it catches, so the interp backend refuses such a module
// (interp_workarounds.h; WasmLimitsTest.caught_exceptions_... covers that case on aot).
constexpr const char* kExceptions = R"((module
  (tag $t (param i32))
  (func $thrower (param i32) (throw $t (local.get 0)))
  (func (export "f41") (result i32)
    (try (result i32) (do (call $thrower (i32.const 41)) (i32.const -1))
      (catch $t (i32.add (i32.const 1)))))
  (func (export "f1") (result i32)
    (try (result i32) (do (call $thrower (i32.const 1)) (i32.const -1))
      (catch $t (i32.add (i32.const 1)))))
  (func (export "uncaught") (call $thrower (i32.const 1)))))";

// Exception handling is a feature both the interpreter and the metering pass accept.
TEST(WasmDifferential, exception_handling_runs_alike) {
  Transcript t = expect_same_calls(kExceptions, {{"f41", {}}, {"uncaught", {}}, {"f1", {}}});
  EXPECT_EQ(t,
            (Transcript{"f41() with 50000000 -> i32:42; fuel consumed 7, remaining 49999993",
                        "uncaught() with 50000000 -> Trap \"uncaught exception\"; fuel consumed 4, "
                        "remaining 49999996",
                        "f1() with 50000000 -> i32:2; fuel consumed 7, remaining 49999993"}));
}

// ---------------------------------------------------------------------------------------------
// Actor level: guests as WasmActors in an engine

// Wraps a WasmActor to write the fuel of every lifecycle step into the transcript.
class FuelTap final : public Actor {
 public:
  FuelTap(std::unique_ptr<WasmActor> inner, std::shared_ptr<Transcript> t, std::string name)
      : inner_(std::move(inner)), t_(std::move(t)), name_(std::move(name)) {}
  HandlerResult on_start(ActorContext& ctx) override {
    HandlerResult r = inner_->on_start(ctx);
    note("on_start", r);
    return r;
  }
  HandlerResult on_message(ActorContext& ctx, const Envelope& e, MessagePayload& p) override {
    HandlerResult r = inner_->on_message(ctx, e, p);
    note("on_message", r);
    return r;
  }
  void on_stop(ActorContext& ctx, const StopReason& reason) override {
    inner_->on_stop(ctx, reason);
    t_->push_back(name_ + " on_stop: fuel " + std::to_string(inner_->last_call_fuel()));
  }

 private:
  void note(const char* step, const HandlerResult& r) {
    t_->push_back(name_ + " " + step + ": fuel " + std::to_string(inner_->last_call_fuel()) +
                  (r ? "" : ", failed: " + to_string(r.error())));
  }
  std::unique_ptr<WasmActor> inner_;
  std::shared_ptr<Transcript> t_;
  std::string name_;
};

// Records every message it receives into the transcript.
class Recorder final : public Actor {
 public:
  Recorder(std::shared_ptr<Transcript> t, std::string name)
      : t_(std::move(t)), name_(std::move(name)) {}
  HandlerResult on_message(ActorContext&, const Envelope& e, MessagePayload& p) override {
    t_->push_back(name_ + " got tag " + std::to_string(e.type_tag) + " flags " +
                  std::to_string(e.flags) + " correlation " + std::to_string(e.correlation_id) +
                  " from " + e.source.to_string() + " id " +
                  std::to_string(uint64_t(e.message_id >> 64)) + ":" +
                  std::to_string(uint64_t(e.message_id)) + " len " + std::to_string(e.payload_len) +
                  " " + describe_bytes(p.bytes()));
    return {};
  }

 private:
  std::shared_ptr<Transcript> t_;
  std::string name_;
};

// One engine on a SimReactor with two recorders, /user/sink and /user/other, on one backend.
struct World {
  std::shared_ptr<Transcript> t = std::make_shared<Transcript>();
  Engine engine;
  std::shared_ptr<const WasmHost> host;
  AddrHash sink, other;

  static EngineConfig config(std::shared_ptr<Transcript> t) {
    EngineConfig c;
    c.log = [t](const LogRecord& r) {
      t->push_back("log " + r.path + " " + std::to_string(r.level) + " at " +
                   std::to_string(to_micros(r.at)) + ": " + r.message);
    };
    return c;
  }

  explicit World(const std::string& backend)
      : engine(config(t), std::make_unique<SimReactor>(42)), host(test::host_for(backend)) {
    engine.set_event_listener([t = t](const EngineEvent& e) {
      if (e.kind == EngineEvent::Kind::Spawned || e.kind == EngineEvent::Kind::Started) return;
      t->push_back(std::string("event ") + to_string(e.kind) + " " + e.path +
                   (e.kind == EngineEvent::Kind::Failed || e.kind == EngineEvent::Kind::Stopped
                        ? " " + to_string(e.reason)
                        : ""));
    });
    sink =
        *engine.spawn(ChildSpec("sink", [t = t] { return std::make_unique<Recorder>(t, "sink"); }));
    other = *engine.spawn(
        ChildSpec("other", [t = t] { return std::make_unique<Recorder>(t, "other"); }));
    engine.run_until_idle();
  }

  // The guest at /user/<name>, metered, `fuel_per_call` before every call into it.
  AddrHash spawn(const std::string& name, std::span<const uint8_t> wasm, uint64_t fuel_per_call,
                 const NamespacePolicy& policy = {}) {
    auto module = host->compile(metered(wasm));
    if (!module) {
      t->push_back("compile " + name + ": " + describe(module.error()));
      return {};
    }
    if (auto wrong = check_guest_abi(*module.value())) {
      ADD_FAILURE() << name << ": " << *wrong;
      return {};
    }
    WasmActorConfig c;
    c.host = host;
    c.module = module.value();
    c.fuel_per_call = fuel_per_call;
    c.policy = policy;
    auto a = engine.spawn(ChildSpec(name, [c, t = t, name] {
      return std::make_unique<FuelTap>(std::make_unique<WasmActor>(c), t, name);
    }));
    EXPECT_TRUE(a.has_value());
    engine.run_until_idle();
    return a ? a->path_address() : AddrHash{};
  }

  // A message from the sink (so replies go there).
  void send(AddrHash to, uint64_t tag, std::string_view payload, uint32_t flags = 0) {
    send(to, tag, std::vector<uint8_t>(payload.begin(), payload.end()), flags);
  }
  void send(AddrHash to, uint64_t tag, std::vector<uint8_t> payload, uint32_t flags = 0) {
    Envelope e = Envelope::make(sink, to, tag, uint32_t(payload.size()));
    e.flags = flags;
    e.correlation_id = 1000 + tag;
    auto sent = engine.send_raw(e, MessagePayload::serialized(std::move(payload)));
    if (!sent) t->push_back("send refused: " + std::string(to_string(sent.error())));
  }
};

Transcript run_world(const std::string& backend, const std::function<void(World&)>& scenario) {
  World w(backend);
  scenario(w);
  w.engine.run_until_idle();
  w.engine.shutdown();
  w.engine.run_until_idle();
  return *w.t;
}

// The scenario on both backends: the same transcripts. Returns interp's.
Transcript expect_same_world(const std::function<void(World&)>& scenario) {
  Transcript interp = run_world("interp", scenario);
  expect_same(interp, run_world("aot", scenario));
  return interp;
}

uint64_t tag_of(std::string_view name) {
  return fnv1a64(name);
}

std::vector<uint8_t> le_u32(uint32_t v) {
  std::vector<uint8_t> b(4);
  std::memcpy(b.data(), &v, 4);
  return b;
}

TEST(WasmDifferential, the_counter_example_guest_counts_traps_runs_out_of_fuel_and_stops_alike) {
  const std::vector<uint8_t> counter = built_guest("examples/guests/counter.wasm");
  ASSERT_FALSE(counter.empty());
  Transcript t = expect_same_world([&](World& w) {
    AddrHash g = w.spawn("counter", counter, 200'000);
    w.send(g, tag_of("counter.add"), "5");
    w.send(g, tag_of("counter.add"), "10");
    w.send(g, tag_of("counter.get"), "");
    w.send(g, 99, "what?");
    w.engine.run_until_idle();
    w.send(g, tag_of("counter.crash"), "");
    w.send(g, tag_of("counter.add"), "7");
    w.engine.run_until_idle();
    w.send(g, tag_of("counter.spin"), "");
    w.send(g, tag_of("counter.get"), "");
    w.engine.run_until_idle();
    ASSERT_TRUE(w.engine.stop_actor(g));
  });
  EXPECT_EQ(count_containing(t, "\"count=15\""), 2u) << joined(t);
  EXPECT_EQ(count_containing(t, "\"count=7\""), 1u) << joined(t);
  EXPECT_EQ(count_containing(t, "event failed /user/counter Error(WasmTrap("), 1u) << joined(t);
  EXPECT_EQ(count_containing(t, "event failed /user/counter Error(ResourceExhausted("), 1u)
      << joined(t);
  EXPECT_EQ(count_containing(t, "counter on_message: fuel 200000, failed: ResourceExhausted"), 1u)
      << joined(t);
}

TEST(WasmDifferential, the_echo_and_router_example_guests_reply_and_fan_out_alike) {
  const std::vector<uint8_t> echo = built_guest("examples/guests/echo.wasm");
  const std::vector<uint8_t> router = built_guest("examples/guests/router.wasm");
  ASSERT_FALSE(echo.empty());
  ASSERT_FALSE(router.empty());
  Transcript t = expect_same_world([&](World& w) {
    AddrHash e = w.spawn("echo", echo, 1'000'000);
    AddrHash r = w.spawn("router", router, 1'000'000);
    w.send(e, 7, "hello");
    w.send(e, 8, "");
    std::vector<uint8_t> big(100'000);
    for (size_t i = 0; i < big.size(); ++i) big[i] = uint8_t(i * 31 + 7);
    w.send(e, 9, big);
    w.send(e, 10, "a response", Envelope::kFlagResponse);
    w.engine.run_until_idle();
    w.send(r, tag_of("router.subscribe"), "/user/sink");
    w.send(r, tag_of("router.subscribe"), "/user/other");
    w.send(r, tag_of("router.subscribe"), "");
    w.send(r, 5, "fan me out");
    w.send(r, 6, "an answer", Envelope::kFlagResponse);
  });
  EXPECT_EQ(count_containing(t, "sink got tag 9"), 1u) << joined(t);
  EXPECT_EQ(count_containing(t, "\"fan me out\""), 2u) << joined(t);
}

TEST(WasmDifferential, the_sdk_guests_and_the_wat_echo_and_spin_guests_behave_alike) {
  const std::vector<uint8_t> sdk_echo = built_guest("guests/sdk_echo.wasm");
  const std::vector<uint8_t> sdk_probe = built_guest("guests/sdk_probe.wasm");
  const std::vector<uint8_t> wat_echo = built_guest("guests/echo.wasm");
  const std::vector<uint8_t> spin = built_guest("guests/spin.wasm");
  for (const auto* g : {&sdk_echo, &sdk_probe, &wat_echo, &spin}) ASSERT_FALSE(g->empty());
  Transcript t = expect_same_world([&](World& w) {
    AddrHash se = w.spawn("sdk_echo", sdk_echo, 1'000'000);
    AddrHash sp = w.spawn("sdk_probe", sdk_probe, 1'000'000);
    AddrHash we = w.spawn("echo", wat_echo, 1'000'000);
    AddrHash s = w.spawn("spin", spin, 50'000);
    w.send(se, 3, std::vector<uint8_t>(5000, 0x5a));
    w.engine.run_for(1500us);
    w.send(sp, 1, "probe");
    w.engine.run_for(2s);
    w.send(sp, 2, "probe");
    w.send(we, 4, "wat echo");
    w.send(s, 1, "aa");
    w.engine.run_until_idle();
    w.send(s, 1, "again");
  });
  EXPECT_EQ(count_containing(t, "event failed /user/spin Error(ResourceExhausted("), 2u)
      << joined(t);
  EXPECT_EQ(count_containing(t, "sink got tag " + std::to_string(tag_of("probe.report"))), 2u)
      << joined(t);
}

// kMisbehavingActor (wasm_test_support.h): replies, then each kind of trap, then exhausted fuel.
TEST(WasmDifferential, a_misbehaving_guest_fails_alike_with_the_same_fuel_each_time) {
  const std::vector<uint8_t> wasm = test::wat_to_wasm(test::guests::kMisbehavingActor);
  Transcript t = expect_same_world([&](World& w) {
    AddrHash g = w.spawn("guest", wasm, 30'000);
    for (const char* p : {"x-first", "u", "x-after-u", "d", "r", "l", "x-last"}) w.send(g, 1, p);
  });
  EXPECT_EQ(count_containing(t, "event restarted /user/guest"), 4u) << joined(t);
  EXPECT_EQ(count_containing(t, "guest on_message: fuel 30000, failed: ResourceExhausted"), 1u)
      << joined(t);
}

// A compute-heavy guest: the sieve of Eratosthenes below n (the payload's u32), answered with
// the count of primes; logs "sieved". Below 100,000: 9592 primes. n past its 2 pages traps in
// memory.fill; a small budget runs out.
constexpr const char* kSieveGuest = R"((module
  (import "env" "pd_send" (func $send (param i32 i32 i32 i32) (result i32)))
  (import "env" "pd_log" (func $log (param i32 i32 i32)))
  (memory (export "memory") 2)
  (data (i32.const 3000) "sieved")
  (func $sieve (param $n i32) (result i32)
    (local $i i32) (local $j i32) (local $count i32)
    (memory.fill (i32.const 4096) (i32.const 0) (local.get $n))
    (local.set $i (i32.const 2))
    (block $done
      (loop $outer
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (if (i32.eqz (i32.load8_u offset=4096 (local.get $i)))
          (then
            (local.set $count (i32.add (local.get $count) (i32.const 1)))
            (if (i32.le_u (local.get $i) (i32.const 46340))
              (then
                (local.set $j (i32.mul (local.get $i) (local.get $i)))
                (block $marked
                  (loop $mark
                    (br_if $marked (i32.ge_u (local.get $j) (local.get $n)))
                    (i32.store8 offset=4096 (local.get $j) (i32.const 1))
                    (local.set $j (i32.add (local.get $j) (local.get $i)))
                    (br $mark)))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $outer)))
    (local.get $count))
  (func (export "pd_actor_on_message")
        (param $state i32) (param $ctx i32) (param $env i32) (param $p i32) (param $len i32)
        (result i32)
    (i32.store (i32.const 3100) (call $sieve (i32.load (local.get $p))))
    (call $log (i32.const 2) (i32.const 3000) (i32.const 6))
    (memory.copy (i32.const 2048) (local.get $env) (i32.const 80))
    (i64.store (i32.const 2080) (i64.load offset=16 (local.get $env)))
    (i64.store (i32.const 2088) (i64.load offset=24 (local.get $env)))
    (call $send (i32.const 2048) (i32.const 80) (i32.const 3100) (i32.const 4))))
)";

TEST(WasmDifferential, a_compute_heavy_guest_spends_the_same_fuel_traps_and_runs_out_alike) {
  const std::vector<uint8_t> wasm = test::wat_to_wasm(kSieveGuest);
  Transcript t = expect_same_world([&](World& w) {
    AddrHash big = w.spawn("sieve", wasm, 20'000'000);
    AddrHash small = w.spawn("small", wasm, 1'000'000);
    w.send(big, 1, le_u32(100'000));
    w.send(big, 2, le_u32(200'000));  // past memory: traps in memory.fill
    w.send(big, 3, le_u32(1'000));
    w.send(small, 4, le_u32(100'000));  // runs out
  });
  EXPECT_EQ(count_containing(t, "sink got tag 1 "), 1u) << joined(t);
  EXPECT_EQ(count_containing(t, "len 4 0x78250000"), 1u) << joined(t);  // 9592 primes
  EXPECT_EQ(count_containing(t, "sieve on_message: fuel 20000000"), 0u) << joined(t);
  EXPECT_EQ(count_containing(t, "small on_message: fuel 1000000, failed: ResourceExhausted"), 1u)
      << joined(t);
  // The trap, in the failed step, its event and the stop that follows.
  EXPECT_EQ(count_containing(t, "WasmTrap(pd_actor_on_message: out of bounds memory access"), 3u)
      << joined(t);
}

}  // namespace
}  // namespace pd::wasm_differential_test
