// The WebAssembly host layer on WABT's interpreter: values, compiling, describing a module,
// calling exports, guest memory, the guest ABI's imports, traps.
// (Limits, fuel and independence of instances: wasm_limits_test.cpp.)

#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "pd/wasm/wasm_error.h"
#include "pd/wasm/wasm_host.h"
#include "pd/wasm/wasm_val.h"
#include "wasm_test_support.h"

namespace {

using pd::WasmError;
using pd::WasmExternKind;
using pd::WasmImports;
using pd::WasmVal;
using pd::WasmValType;
using pd::test::error_of;
using pd::test::instantiate_wat;
using pd::test::wat_to_wasm;

class WasmHostTest : public ::testing::Test {
 protected:
  std::unique_ptr<pd::WasmHost> host = pd::make_interp_host();
};

// ---------------------------------------------------------------------------------------------
// WasmVal, WasmError

TEST(WasmVal, typed_constructors_keep_type_and_value) {
  EXPECT_EQ(WasmVal(int32_t{-5}).type(), WasmValType::I32);
  EXPECT_EQ(WasmVal(int32_t{-5}).as_i32(), -5);
  EXPECT_EQ(WasmVal(int64_t{1} << 40).as_i64(), int64_t{1} << 40);
  EXPECT_EQ(WasmVal(1.5f).as_f32(), 1.5f);
  EXPECT_EQ(WasmVal(0.25).as_f64(), 0.25);
  EXPECT_EQ(WasmVal::i64(7).type(), WasmValType::I64);
  EXPECT_EQ(WasmVal::f32(2.0f).type(), WasmValType::F32);
}

TEST(WasmVal, equality_is_by_type_and_bits) {
  EXPECT_EQ(WasmVal::i32(1), WasmVal::i32(1));
  EXPECT_NE(WasmVal::i32(1), WasmVal::i64(1));
  EXPECT_NE(WasmVal::f64(0.0), WasmVal::f64(-0.0));
  const float nan = std::numeric_limits<float>::quiet_NaN();
  EXPECT_EQ(WasmVal::f32(nan), WasmVal::f32(nan));
  EXPECT_EQ(WasmVal::from_bits(WasmValType::I32, 0x1'0000'0002), WasmVal::i32(2));
}

TEST(WasmVal, prints_type_and_value) {
  EXPECT_EQ(pd::to_string(WasmVal::i32(-3)), "i32:-3");
  EXPECT_EQ(pd::to_string(WasmVal::i64(42)), "i64:42");
  EXPECT_EQ(pd::to_string(WasmVal::f32(1.5f)), "f32:1.5");
  EXPECT_EQ(pd::to_string(WasmVal::f64(0.25)), "f64:0.25");
}

TEST(WasmError, prints_kind_then_message) {
  EXPECT_EQ(pd::to_string(WasmError::trap("unreachable executed")), "Trap: unreachable executed");
  EXPECT_EQ(pd::to_string(WasmError::fuel_exhausted("")), "FuelExhausted");
  EXPECT_STREQ(pd::to_string(WasmError::Kind::MemoryAccess), "MemoryAccess");
  EXPECT_STREQ(pd::to_string(WasmError::Kind::Instantiation), "Instantiation");
}

// ---------------------------------------------------------------------------------------------
// Compiling

TEST_F(WasmHostTest, the_interpreter_host_is_named_interp) {
  EXPECT_EQ(host->name(), "interp");
}

TEST_F(WasmHostTest, bytes_that_are_not_wasm_are_a_compile_error_naming_the_header) {
  const std::vector<uint8_t> garbage = {'n', 'o', 't', ' ', 'w', 'a', 's', 'm'};
  WasmError e = error_of(host->compile(garbage));
  EXPECT_EQ(e.kind, WasmError::Kind::Compile);
  EXPECT_EQ(e.message, "module header at offset 0x4: bad magic value");
}

TEST_F(WasmHostTest, empty_input_is_a_compile_error) {
  WasmError e = error_of(host->compile({}));
  EXPECT_EQ(e.kind, WasmError::Kind::Compile);
  EXPECT_FALSE(e.message.empty());
}

TEST_F(WasmHostTest, a_truncated_section_is_a_compile_error_naming_the_section) {
  std::vector<uint8_t> bytes =
      wat_to_wasm(R"((module (func (export "f") (result i32) i32.const 7)))");
  ASSERT_GT(bytes.size(), 12u);
  bytes.resize(bytes.size() - 3);  // cuts into the code section
  WasmError e = error_of(host->compile(bytes));
  EXPECT_EQ(e.kind, WasmError::Kind::Compile);
  EXPECT_NE(e.message.find("section 10 (code)"), std::string::npos) << e.message;
}

TEST_F(WasmHostTest, a_type_error_is_a_compile_error_with_section_offset_and_wabt_diagnostic) {
  auto bytes = wat_to_wasm(R"((module
    (func (export "f") (result i32) (i32.add (i64.const 1) (i32.const 2)))))");
  WasmError e = error_of(host->compile(bytes));
  EXPECT_EQ(e.kind, WasmError::Kind::Compile);
  EXPECT_NE(e.message.find("section 10 (code) at offset 0x"), std::string::npos) << e.message;
  EXPECT_NE(e.message.find("type mismatch in i32.add"), std::string::npos) << e.message;
}

TEST_F(WasmHostTest, a_module_keeps_the_bytes_it_was_compiled_from) {
  auto bytes = wat_to_wasm("(module)");
  auto module = host->compile(bytes);
  ASSERT_TRUE(module) << pd::to_string(module.error());
  EXPECT_EQ(std::vector<uint8_t>(module.value()->bytes().begin(), module.value()->bytes().end()),
            bytes);
  EXPECT_EQ(module.value()->host_name(), "interp");
}

// ---------------------------------------------------------------------------------------------
// Describing a module

TEST_F(WasmHostTest, imports_and_exports_are_listed_with_kinds_and_signatures) {
  auto module = pd::test::compile_wat(*host, R"((module
    (import "env" "pd_send" (func (param i32 i32 i32 i32) (result i32)))
    (import "env" "pd_now_micros" (func (result i64)))
    (memory (export "memory") 1)
    (global (export "counter") (mut i64) (i64.const 0))
    (table (export "table") 1 funcref)
    (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))))");
  ASSERT_TRUE(module);

  ASSERT_EQ(module->imports().size(), 2u);
  EXPECT_EQ(pd::to_string(module->imports()[0]),
            "env.pd_send (func (param i32 i32 i32 i32) (result i32))");
  EXPECT_EQ(module->imports()[1].name, "pd_now_micros");
  EXPECT_EQ(module->imports()[1].type.func.results, std::vector<WasmValType>{WasmValType::I64});

  ASSERT_EQ(module->exports().size(), 4u);
  EXPECT_EQ(module->exports()[0].name, "memory");
  EXPECT_EQ(module->exports()[0].type.kind, WasmExternKind::Memory);
  EXPECT_EQ(pd::to_string(module->exports()[1]), "counter (global (mut i64))");
  EXPECT_EQ(pd::to_string(module->exports()[2]), "table (table funcref)");
  EXPECT_EQ(pd::to_string(module->exports()[3]), "add (func (param i32 i32) (result i32))");

  EXPECT_TRUE(module->has_export("add"));
  EXPECT_FALSE(module->has_export("sub"));
  EXPECT_FALSE(module->is_metered());
}

// ---------------------------------------------------------------------------------------------
// Calling exports

constexpr const char* kArithmetic = R"((module
  (func (export "add_i32") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func (export "mul_i64") (param i64 i64) (result i64) (i64.mul (local.get 0) (local.get 1)))
  (func (export "half_f32") (param f32) (result f32) (f32.div (local.get 0) (f32.const 2)))
  (func (export "sqrt_f64") (param f64) (result f64) (f64.sqrt (local.get 0)))
  (func (export "swap") (param i32 f64) (result f64 i32) (local.get 1) (local.get 0))
  (func (export "nothing"))
  (func (export "splat") (param i32) (result v128) (i32x4.splat (local.get 0)))
  (memory (export "memory") 1)))";

TEST_F(WasmHostTest, calls_pass_and_return_every_number_type) {
  auto inst = instantiate_wat(*host, kArithmetic);
  ASSERT_TRUE(inst);
  auto sum = inst->call("add_i32", {WasmVal::i32(INT32_MAX), WasmVal::i32(1)});
  ASSERT_TRUE(sum) << pd::to_string(sum.error());
  EXPECT_EQ(sum.value(), std::vector<WasmVal>{WasmVal::i32(INT32_MIN)});  // wraps

  auto product = inst->call("mul_i64", {WasmVal::i64(int64_t{1} << 40), WasmVal::i64(3)});
  ASSERT_TRUE(product);
  EXPECT_EQ(product.value(), std::vector<WasmVal>{WasmVal::i64(int64_t{3} << 40)});

  auto half = inst->call("half_f32", {WasmVal::f32(3.0f)});
  ASSERT_TRUE(half);
  EXPECT_EQ(half.value(), std::vector<WasmVal>{WasmVal::f32(1.5f)});

  auto root = inst->call("sqrt_f64", {WasmVal::f64(2.25)});
  ASSERT_TRUE(root);
  EXPECT_EQ(root.value(), std::vector<WasmVal>{WasmVal::f64(1.5)});
}

TEST_F(WasmHostTest, calls_return_several_results_or_none) {
  auto inst = instantiate_wat(*host, kArithmetic);
  ASSERT_TRUE(inst);
  auto swapped = inst->call("swap", {WasmVal::i32(7), WasmVal::f64(0.5)});
  ASSERT_TRUE(swapped) << pd::to_string(swapped.error());
  EXPECT_EQ(swapped.value(), (std::vector<WasmVal>{WasmVal::f64(0.5), WasmVal::i32(7)}));
  auto nothing = inst->call("nothing", {});
  ASSERT_TRUE(nothing);
  EXPECT_TRUE(nothing.value().empty());
}

TEST_F(WasmHostTest, calling_a_missing_export_is_a_call_error_listing_the_functions) {
  auto inst = instantiate_wat(*host, kArithmetic);
  ASSERT_TRUE(inst);
  WasmError e = error_of(inst->call("sub_i32", {WasmVal::i32(1), WasmVal::i32(2)}));
  EXPECT_EQ(e.kind, WasmError::Kind::Call);
  EXPECT_NE(e.message.find("no export named 'sub_i32'"), std::string::npos) << e.message;
  EXPECT_NE(e.message.find("add_i32"), std::string::npos) << e.message;
}

TEST_F(WasmHostTest, arguments_of_the_wrong_type_or_number_are_a_call_error) {
  auto inst = instantiate_wat(*host, kArithmetic);
  ASSERT_TRUE(inst);
  WasmError wrong_type = error_of(inst->call("add_i32", {WasmVal::i64(1), WasmVal::i32(2)}));
  EXPECT_EQ(wrong_type.kind, WasmError::Kind::Call);
  EXPECT_NE(wrong_type.message.find("argument 0 of 'add_i32'"), std::string::npos)
      << wrong_type.message;
  EXPECT_NE(wrong_type.message.find("expected i32"), std::string::npos) << wrong_type.message;

  WasmError too_few = error_of(inst->call("add_i32", {WasmVal::i32(1)}));
  EXPECT_EQ(too_few.kind, WasmError::Kind::Call);
  EXPECT_NE(too_few.message.find("takes 2 argument(s), got 1"), std::string::npos)
      << too_few.message;
}

TEST_F(WasmHostTest, exports_that_are_not_callable_with_numbers_are_a_call_error) {
  auto inst = instantiate_wat(*host, kArithmetic);
  ASSERT_TRUE(inst);
  WasmError memory = error_of(inst->call("memory", {}));
  EXPECT_EQ(memory.kind, WasmError::Kind::Call);
  EXPECT_NE(memory.message.find("is a memory, not a function"), std::string::npos);
  WasmError vector = error_of(inst->call("splat", {WasmVal::i32(1)}));
  EXPECT_EQ(vector.kind, WasmError::Kind::Call);
  EXPECT_NE(vector.message.find("cannot carry a v128"), std::string::npos) << vector.message;
}

// ---------------------------------------------------------------------------------------------
// Guest memory

constexpr const char* kMemory = R"((module
  (memory (export "memory") 1)
  (func (export "load_u8") (param i32) (result i32) (i32.load8_u (local.get 0)))
  (func (export "store_u8") (param i32 i32) (i32.store8 (local.get 0) (local.get 1)))))";

TEST_F(WasmHostTest, bytes_written_by_the_host_are_read_back_and_seen_by_the_guest) {
  auto inst = instantiate_wat(*host, kMemory);
  ASSERT_TRUE(inst);
  EXPECT_EQ(inst->memory_size(), pd::kWasmPageBytes);
  const std::array<uint8_t, 4> in = {1, 2, 3, 4};
  ASSERT_TRUE(inst->memory_write(100, in));
  std::array<uint8_t, 4> out{};
  ASSERT_TRUE(inst->memory_read(100, out));
  EXPECT_EQ(out, in);
  auto loaded = inst->call("load_u8", {WasmVal::i32(102)});
  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded.value()[0], WasmVal::i32(3));
}

TEST_F(WasmHostTest, bytes_stored_by_the_guest_are_read_by_the_host) {
  auto inst = instantiate_wat(*host, kMemory);
  ASSERT_TRUE(inst);
  ASSERT_TRUE(inst->call("store_u8", {WasmVal::i32(65535), WasmVal::i32(0xab)}));
  std::array<uint8_t, 1> last{};
  ASSERT_TRUE(inst->memory_read(65535, last));
  EXPECT_EQ(last[0], 0xab);
}

TEST_F(WasmHostTest, memory_accesses_past_the_end_are_memory_access_errors_naming_the_range) {
  auto inst = instantiate_wat(*host, kMemory);
  ASSERT_TRUE(inst);
  std::array<uint8_t, 16> buf{};
  WasmError read = error_of(inst->memory_read(65530, buf));
  EXPECT_EQ(read.kind, WasmError::Kind::MemoryAccess);
  EXPECT_EQ(read.message,
            "memory_read of 16 bytes at offset 65530 is out of bounds of memory (65536 bytes)");
  WasmError write = error_of(inst->memory_write(UINT64_MAX, buf));  // offset + length wraps
  EXPECT_EQ(write.kind, WasmError::Kind::MemoryAccess);
  EXPECT_NE(write.message.find("memory_write of 16 bytes"), std::string::npos) << write.message;
  // Nothing was written by the refused write: the last bytes are still zero.
  std::array<uint8_t, 6> tail{1, 1, 1, 1, 1, 1};
  ASSERT_TRUE(inst->memory_read(65530, tail));
  EXPECT_EQ(tail, (std::array<uint8_t, 6>{}));
  EXPECT_TRUE(inst->memory_read(65536, std::span<uint8_t>()));  // empty, at the very end
}

TEST_F(WasmHostTest, a_module_without_memory_has_size_zero_and_refuses_accesses) {
  auto inst = instantiate_wat(*host, R"((module (func (export "f"))))");
  ASSERT_TRUE(inst);
  EXPECT_EQ(inst->memory_size(), 0u);
  const std::array<uint8_t, 1> one = {7};
  EXPECT_EQ(error_of(inst->memory_write(0, one)).kind, WasmError::Kind::MemoryAccess);
}

// ---------------------------------------------------------------------------------------------
// The guest ABI's imports

constexpr const char* kAbiGuest = R"((module
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

struct Recorded {
  int sends = 0;
  std::string envelope;
  std::string payload;
  int logs = 0;
  int32_t level = 0;
  std::string message;
};

WasmImports recording_imports(Recorded& r, int32_t send_result = 0) {
  WasmImports imports;
  imports.pd_send = [&r, send_result](std::span<const uint8_t> env,
                                      std::span<const uint8_t> payload) {
    ++r.sends;
    r.envelope = pd::test::text_of(env);
    r.payload = pd::test::text_of(payload);
    return send_result;
  };
  imports.pd_log = [&r](int32_t level, std::span<const uint8_t> msg) {
    ++r.logs;
    r.level = level;
    r.message = pd::test::text_of(msg);
  };
  imports.pd_now_micros = [] { return int64_t{123'456'789}; };
  return imports;
}

std::vector<WasmVal> i32s(std::initializer_list<int32_t> values) {
  std::vector<WasmVal> out;
  for (int32_t v : values) out.push_back(WasmVal::i32(v));
  return out;
}

TEST_F(WasmHostTest, pd_send_receives_exactly_the_guests_bytes_and_its_result_reaches_the_guest) {
  Recorded r;
  auto inst = instantiate_wat(*host, kAbiGuest, recording_imports(r, 7));
  ASSERT_TRUE(inst);
  auto result = inst->call("send", i32s({16, 14, 64, 13}));
  ASSERT_TRUE(result) << pd::to_string(result.error());
  EXPECT_EQ(result.value()[0], WasmVal::i32(7));
  EXPECT_EQ(r.sends, 1);
  EXPECT_EQ(r.envelope, "ENVELOPE-BYTES");
  EXPECT_EQ(r.payload, "hello payload");
}

TEST_F(WasmHostTest, pd_log_and_pd_now_micros_reach_their_callbacks) {
  Recorded r;
  auto inst = instantiate_wat(*host, kAbiGuest, recording_imports(r));
  ASSERT_TRUE(inst);
  ASSERT_TRUE(inst->call("log", i32s({2, 128, 8})));
  EXPECT_EQ(r.logs, 1);
  EXPECT_EQ(r.level, 2);
  EXPECT_EQ(r.message, "log line");
  auto now = inst->call("now", {});
  ASSERT_TRUE(now);
  EXPECT_EQ(now.value()[0], WasmVal::i64(123'456'789));
}

TEST_F(WasmHostTest, pd_send_outside_guest_memory_returns_out_of_bounds_without_the_callback) {
  Recorded r;
  auto inst = instantiate_wat(*host, kAbiGuest, recording_imports(r));
  ASSERT_TRUE(inst);
  const std::vector<std::vector<WasmVal>> out_of_bounds = {
      i32s({-1, 80, 0, 0}),          // negative envelope pointer
      i32s({0, -1, 0, 0}),           // negative envelope length
      i32s({0, 80, 65530, 100}),     // payload runs past the end
      i32s({0, 80, -16, 32}),        // pointer + length overflows 32 bits
      i32s({65536 - 79, 80, 0, 0}),  // envelope one byte past the end
  };
  for (const auto& args : out_of_bounds) {
    auto result = inst->call("send", args);
    ASSERT_TRUE(result) << pd::to_string(result.error());
    EXPECT_EQ(result.value()[0], WasmVal::i32(pd::kPdSendOutOfBounds))
        << pd::to_string(args[0]) << " " << pd::to_string(args[1]) << " " << pd::to_string(args[2])
        << " " << pd::to_string(args[3]);
  }
  EXPECT_EQ(r.sends, 0);
  // The last 80 bytes and an empty payload at the very end are inside.
  auto edge = inst->call("send", i32s({65536 - 80, 80, 65536, 0}));
  ASSERT_TRUE(edge);
  EXPECT_EQ(edge.value()[0], WasmVal::i32(pd::kPdSendOk));
  EXPECT_EQ(r.sends, 1);
}

TEST_F(WasmHostTest, pd_log_outside_guest_memory_traps_without_the_callback) {
  Recorded r;
  auto inst = instantiate_wat(*host, kAbiGuest, recording_imports(r));
  ASSERT_TRUE(inst);
  WasmError e = error_of(inst->call("log", i32s({1, 65530, 100})));
  EXPECT_EQ(e.kind, WasmError::Kind::Trap);
  EXPECT_NE(e.message.find("pd_log: message [65530, 65630) is out of bounds"), std::string::npos)
      << e.message;
  EXPECT_EQ(r.logs, 0);
}

TEST_F(WasmHostTest, a_callback_that_throws_traps_the_guest_and_the_instance_goes_on) {
  Recorded r;
  WasmImports imports = recording_imports(r);
  bool fail = true;
  imports.pd_send = [&fail](std::span<const uint8_t>, std::span<const uint8_t>) -> int32_t {
    if (fail) throw std::runtime_error("boom");
    return 0;
  };
  auto inst = instantiate_wat(*host, kAbiGuest, std::move(imports));
  ASSERT_TRUE(inst);
  WasmError e = error_of(inst->call("send", i32s({16, 14, 64, 13})));
  EXPECT_EQ(e.kind, WasmError::Kind::Trap);
  EXPECT_NE(e.message.find("host function env.pd_send threw: boom"), std::string::npos)
      << e.message;
  fail = false;
  EXPECT_TRUE(inst->call("send", i32s({16, 14, 64, 13})));
}

TEST_F(WasmHostTest, a_callback_cannot_call_back_into_its_instance) {
  pd::WasmInstance* self = nullptr;
  WasmError inner;
  Recorded r;
  WasmImports imports = recording_imports(r);
  imports.pd_now_micros = [&] {
    inner = error_of(self->call("now", {}));
    return int64_t{1};
  };
  auto inst = instantiate_wat(*host, kAbiGuest, std::move(imports));
  ASSERT_TRUE(inst);
  self = inst.get();
  ASSERT_TRUE(inst->call("now", {}));
  EXPECT_EQ(inner.kind, WasmError::Kind::Call);
  EXPECT_NE(inner.message.find("re-entrant"), std::string::npos) << inner.message;
}

TEST_F(WasmHostTest, an_import_outside_the_guest_abi_fails_instantiation_naming_it) {
  const std::vector<std::pair<const char*, const char*>> cases = {
      {R"((module (import "env" "pd_sned" (func (param i32) (result i32)))))",
       "unknown import env.pd_sned (func (param i32) (result i32))"},
      {R"((module (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))))",
       "unknown import wasi_snapshot_preview1.fd_write (func (param i32 i32 i32 i32) (result "
       "i32))"},
      {R"((module (import "env" "memory" (memory 1))))", "unknown import env.memory (memory)"},
      {R"((module (import "env" "pd_send" (func (param i32) (result i32)))))",
       "import env.pd_send (func (param i32) (result i32)) has the wrong type"},
  };
  for (const auto& [wat, expected] : cases) {
    Recorded r;
    auto module = pd::test::compile_wat(*host, wat);
    ASSERT_TRUE(module);
    WasmError e = error_of(host->instantiate(module, recording_imports(r)));
    EXPECT_EQ(e.kind, WasmError::Kind::Instantiation);
    EXPECT_NE(e.message.find(expected), std::string::npos) << e.message;
  }
}

TEST_F(WasmHostTest, an_imported_function_without_a_callback_fails_instantiation) {
  auto module = pd::test::compile_wat(*host, kAbiGuest);
  ASSERT_TRUE(module);
  Recorded r;
  WasmImports imports = recording_imports(r);
  imports.pd_log = nullptr;
  WasmError e = error_of(host->instantiate(module, std::move(imports)));
  EXPECT_EQ(e.kind, WasmError::Kind::Instantiation);
  EXPECT_NE(e.message.find("WasmImports::pd_log is empty"), std::string::npos) << e.message;
}

// ---------------------------------------------------------------------------------------------
// Traps

constexpr const char* kTrapping = R"((module
  (memory 1)
  (func (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
  (func (export "boom") unreachable)
  (func (export "load") (param i32) (result i32) (i32.load (local.get 0)))))";

TEST_F(WasmHostTest, traps_are_trap_errors_with_wabts_message_and_the_instance_goes_on) {
  auto inst = instantiate_wat(*host, kTrapping);
  ASSERT_TRUE(inst);
  WasmError div = error_of(inst->call("div", i32s({1, 0})));
  EXPECT_EQ(div.kind, WasmError::Kind::Trap);
  EXPECT_EQ(div.message, "integer divide by zero");
  WasmError boom = error_of(inst->call("boom", {}));
  EXPECT_EQ(boom.kind, WasmError::Kind::Trap);
  EXPECT_EQ(boom.message, "unreachable executed");
  WasmError load = error_of(inst->call("load", i32s({65534})));
  EXPECT_EQ(load.kind, WasmError::Kind::Trap);
  EXPECT_NE(load.message.find("out of bounds memory access"), std::string::npos) << load.message;

  auto ok = inst->call("div", i32s({6, 3}));
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok.value()[0], WasmVal::i32(2));
}

TEST_F(WasmHostTest, a_start_function_that_traps_fails_instantiation) {
  auto module = pd::test::compile_wat(*host, R"((module (func $s unreachable) (start $s)))");
  ASSERT_TRUE(module);
  WasmError e = error_of(host->instantiate(module, {}));
  EXPECT_EQ(e.kind, WasmError::Kind::Instantiation);
  EXPECT_NE(e.message.find("unreachable executed"), std::string::npos) << e.message;
}

TEST_F(WasmHostTest, a_data_segment_outside_memory_fails_instantiation) {
  auto module =
      pd::test::compile_wat(*host, R"((module (memory 1) (data (i32.const 65535) "xy")))");
  ASSERT_TRUE(module);
  WasmError e = error_of(host->instantiate(module, {}));
  EXPECT_EQ(e.kind, WasmError::Kind::Instantiation);
  EXPECT_NE(e.message.find("out of bounds"), std::string::npos) << e.message;
}

}  // namespace
