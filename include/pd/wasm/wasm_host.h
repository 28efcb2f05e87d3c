// The WebAssembly host layer: compile a module once, instantiate it once per actor, call its
// exports, move bytes in and out of its linear memory, and run it under a fuel budget.
//
//   auto host = pd::make_interp_host();
//   auto module = host->compile(bytes);                       // validates fully
//   auto inst = host->instantiate(*module, imports, limits);  // one per actor
//   inst.value()->set_fuel(10'000);                           // metered modules only
//   auto out = inst.value()->call("add", {WasmVal(1), WasmVal(2)});
//
// Backends. WasmHost is the one interface. make_interp_host() runs modules on WABT's
// interpreter (instant to load, portable); an ahead-of-time backend (wasm2c) implements the same
// three classes. A module instantiates only on the host that compiled it.
//
// What every backend guarantees
//   - Nothing a guest does escapes as a C++ exception or harms the host: traps, exhausted fuel,
//     runaway recursion and memory bombs come back as WasmError values, and the host (and every
//     other instance) keeps working.
//   - Imports are the guest ABI (module "env": pd_send, pd_now_micros, pd_log with the exact
//     signatures of ARCHITECTURE.md) and the host functions an embedder adds by name
//     (WasmImports::functions). A module asking for anything else does not instantiate, and
//     the error names the import and its signature.
//   - Every (pointer, length) a guest passes to an import is checked against its memory before
//     the C++ callback runs; callbacks see std::span views of guest memory, never raw pointers.
//   - WasmLimits hold: memory and tables never grow past them, calls never nest deeper.
//   - Guest memory is allocated to its current size (no address-space reservations per
//     instance), so many thousands of instances fit on one node.
//   - Fuel is a property of the module (see fuel_meter.h): a metered module exports a mutable
//     i64 global "pd_fuel" that it charges and traps on when negative. The host only reads and
//     writes that global, so every backend meters identically.
//
// Threads. WasmHost and WasmModule are immutable: use them from any number of threads at once.
// A WasmInstance is used by one thread at a time (its actor); distinct instances are independent.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "pd/core/expected.h"
#include "pd/wasm/wasm_error.h"
#include "pd/wasm/wasm_val.h"

namespace pd {

inline constexpr uint64_t kWasmPageBytes = 65536;
inline constexpr uint32_t kWasmPagesMax = 65536;  // wasm32: 4 GiB

// Per-instance limits. Defaults suit one actor; all are checked at instantiation.
struct WasmLimits {
  // Linear memory in 64 KiB pages (default 16 MiB). A module whose initial memory is larger
  // does not instantiate; memory.grow past it returns -1 to the guest and allocates nothing.
  // At most kWasmPagesMax.
  uint32_t max_memory_pages = 256;
  // Frames on the call stack during one call: the export called, every nested call and a host
  // function each take one. One frame more traps with "call stack exhausted". At least 1.
  uint32_t max_call_depth = 1024;
  // Value-stack slots one call may need for locals. A module in which some function's
  // params + locals, times max_call_depth, exceed this does not instantiate: the worst case a
  // recursion can reach is known before anything runs. (The operand stack on top of the
  // locals is bounded by the size of the code.) Default: 1 Mi slots.
  uint32_t value_stack_slots = 1u << 20;
  // Elements per table: like memory, for tables (initial above it refuses to instantiate;
  // table.grow past it returns -1).
  uint32_t max_table_elements = 65536;
};

// Return codes of env.pd_send as the guest sees them (0 ok, negative error).
inline constexpr int32_t kPdSendOk = 0;
// Returned by a pd_send callback that refuses the message (e.g. an envelope that is not
// 80 bytes, or a send the engine could not make).
inline constexpr int32_t kPdSendRefused = -1;
// Returned by the host layer itself when (env_ptr, env_len) or (payload_ptr, payload_len) is
// not inside the guest's memory; the callback is not called. Pointers and lengths are the
// unsigned 32-bit numbers WebAssembly defines, so a negative i32 reads as >= 2 GiB.
inline constexpr int32_t kPdSendOutOfBounds = -2;

// The host functions behind the guest ABI. Spans point into guest memory and are valid only
// during the callback (copy what you keep). A callback must not call back into the instance
// that called it (that call fails with a Call error). An exception thrown by a callback
// becomes a Trap of the guest; it does not propagate.
// A module that imports one of these functions needs the callback to be set (else it does not
// instantiate); callbacks the module does not import may stay empty.
struct WasmHostFunction;  // below, with the types it uses
struct WasmImports {
  // env.pd_send(i32 env_ptr, i32 env_len, i32 payload_ptr, i32 payload_len) -> i32
  std::function<int32_t(std::span<const uint8_t> envelope, std::span<const uint8_t> payload)>
      pd_send;
  // env.pd_now_micros() -> i64: engine time (virtual under simulation).
  std::function<int64_t()> pd_now_micros;
  // env.pd_log(i32 level, i32 msg_ptr, i32 msg_len). It returns nothing to the guest, so a
  // message outside guest memory traps ("pd_log: message ... out of bounds") instead of
  // returning a code; the callback is not called.
  std::function<void(int32_t level, std::span<const uint8_t> message)> pd_log;
  // Host functions beyond the guest ABI (e.g. the spec suite's "spectest" module), matched by
  // module and name; an import of the guest ABI's names in "env" is always the ABI's.
  std::vector<WasmHostFunction> functions;
};

// ---------------------------------------------------------------------------------------------
// What a module declares

enum class WasmExternKind : uint8_t { Func, Table, Memory, Global, Tag };
const char* to_string(WasmExternKind k);  // "func", "table", "memory", "global", "tag"

struct WasmFuncType {
  std::vector<WasmValType> params;
  std::vector<WasmValType> results;
  bool operator==(const WasmFuncType&) const = default;
};
// WAT spelling: "(func (param i32 i32) (result i32))", "(func)".
std::string to_string(const WasmFuncType& t);

// A function the host gives a guest by name: a module importing module.name with exactly this
// type calls `call`, whose `args` match type.params and which writes type.results (the
// results span has room for exactly that many, of those types). An error, a result of the
// wrong type, or an exception traps the guest with a message naming the function; the host
// goes on. Types are numbers only (i32, i64, f32, f64). Like the ABI callbacks, `call` must not
// call back into the instance that called it.
struct WasmHostFunction {
  std::string module;
  std::string name;
  WasmFuncType type;
  std::function<Expected<void, std::string>(std::span<const WasmVal> args,
                                            std::span<WasmVal> results)>
      call;
};

struct WasmExternType {
  WasmExternKind kind = WasmExternKind::Func;
  WasmFuncType func;                     // Func; Tag (its params)
  WasmValType value = WasmValType::I32;  // Global: its type; Table: its element type
  bool is_mutable = false;               // Global
  bool operator==(const WasmExternType&) const = default;
};
// "(func (param i32) (result i32))", "(global (mut i64))", "(memory)", "(table funcref)".
std::string to_string(const WasmExternType& t);

struct WasmImport {
  std::string module;
  std::string name;
  WasmExternType type;
};
struct WasmExport {
  std::string name;
  WasmExternType type;
};
// "env.pd_send (func (param i32 i32 i32 i32) (result i32))", "add (func ...)".
std::string to_string(const WasmImport& i);
std::string to_string(const WasmExport& e);

// ---------------------------------------------------------------------------------------------

// A compiled, validated module: immutable, shared by all its instances, on any thread.
class WasmModule {
 public:
  virtual ~WasmModule() = default;
  WasmModule(const WasmModule&) = delete;
  WasmModule& operator=(const WasmModule&) = delete;

  // The name of the host that compiled it (WasmHost::name()).
  virtual std::string_view host_name() const = 0;

  std::span<const WasmImport> imports() const { return imports_; }
  std::span<const WasmExport> exports() const { return exports_; }
  const WasmExport* find_export(std::string_view name) const;
  // The position of export `name` in exports(), for WasmInstance::call_export.
  std::optional<size_t> export_index(std::string_view name) const;
  bool has_export(std::string_view name) const { return find_export(name) != nullptr; }
  // True when it exports "pd_fuel" as a mutable i64 global (the metering pass's output).
  bool is_metered() const;
  // The bytes it was compiled from.
  std::span<const uint8_t> bytes() const { return bytes_; }
  // True when exports()[i] is a function whose parameters and results are all numbers (what
  // WasmInstance can call), computed once.
  bool callable_with_numbers(size_t i) const { return callable_[i] != 0; }
  // True when exports()[i] is a function of i32 parameters only that returns one i32 or
  // nothing (what WasmInstance::call_i32 can call): the guest ABI's lifecycle functions.
  bool callable_with_i32s(size_t i) const { return callable_[i] == 2; }

 protected:
  WasmModule(std::vector<uint8_t> bytes, std::vector<WasmImport> imports,
             std::vector<WasmExport> exports);

 private:
  std::vector<uint8_t> bytes_;
  std::vector<WasmImport> imports_;
  std::vector<WasmExport> exports_;
  std::vector<uint8_t> callable_;
};

// One live instance of a module: its own memory, globals and fuel. One thread at a time.
class WasmInstance {
 public:
  virtual ~WasmInstance() = default;
  WasmInstance(const WasmInstance&) = delete;
  WasmInstance& operator=(const WasmInstance&) = delete;

  virtual const WasmModule& module() const = 0;

  // Calls an exported function. A Call error, before anything runs, when there is no such
  // export, it is not a function, the arguments do not match its parameters in number and type,
  // its signature has a type WasmVal cannot carry, or the call is re-entrant. Traps come back
  // as Trap or (for a metered module out of fuel) FuelExhausted. The instance stays usable
  // after a trap, with whatever the guest had written before it.
  Expected<std::vector<WasmVal>, WasmError> call(std::string_view name,
                                                 std::span<const WasmVal> args);
  Expected<std::vector<WasmVal>, WasmError> call(std::string_view name,
                                                 std::initializer_list<WasmVal> args) {
    return call(name, std::span<const WasmVal>(args.begin(), args.size()));
  }

  // The same call by export index (module().exports()), with the results written into
  // `results`, which must hold exactly as many as the function returns (else a Call error).
  // For calls made over and over: no name lookup, and no allocation on the aot backend.
  Expected<void, WasmError> call_export(size_t export_index, std::span<const WasmVal> args,
                                        std::span<WasmVal> results);

  // The calls a host makes per message, with less work than call_export: export
  // `export_index` must take exactly args.size() i32 parameters and return one i32 (the
  // result) or nothing (the result is 0); a Call error otherwise, and in every case where
  // call_export fails. No WasmVal conversions, and no allocation on the aot backend.
  Expected<int32_t, WasmError> call_i32(size_t export_index, std::span<const int32_t> args);

  // The guest's memory as it is now, for hosts that place bytes in it without a copy (bounds
  // are theirs to check; memory_write checks them). Valid until the guest runs again (a call
  // may grow and move its memory) or the instance is destroyed; empty without a memory.
  std::span<uint8_t> memory_view() { return guest_memory(); }

  // Copies guest memory [offset, offset + out.size()) into `out`, or fails with MemoryAccess
  // naming the offset, the length and the memory size, copying nothing.
  Expected<void, WasmError> memory_read(uint64_t offset, std::span<uint8_t> out) const;
  // Copies `bytes` into guest memory at `offset`, all or nothing, like memory_read.
  Expected<void, WasmError> memory_write(uint64_t offset, std::span<const uint8_t> bytes);
  // Current size of the guest's memory in bytes (0 for a module without memory).
  uint64_t memory_size() const { return guest_memory().size(); }

  // Fuel (metered modules only). set_fuel writes the budget into pd_fuel (values above
  // INT64_MAX are clamped to it); for an unmetered module it is a Call error ("module is not
  // metered") and calls run unmetered. fuel_remaining() is what pd_fuel holds (0 once spent);
  // fuel_consumed() is what was spent since the last set_fuel (or since instantiation, against
  // the module's initial budget), at most that budget. Both are 0 for an unmetered module.
  virtual Expected<void, WasmError> set_fuel(uint64_t fuel) = 0;
  virtual uint64_t fuel_remaining() const = 0;
  virtual uint64_t fuel_consumed() const = 0;

 protected:
  WasmInstance() = default;
  // Runs exports()[export_index], a function whose signature `args` already matches.
  virtual Expected<std::vector<WasmVal>, WasmError> invoke(size_t export_index,
                                                           std::span<const WasmVal> args) = 0;
  // The guest's memory 0 as it is now (empty when it has none); valid until the guest runs.
  virtual std::span<uint8_t> guest_memory() const = 0;
  // invoke() into caller-provided room (results.size() is the function's result count). The
  // default copies what invoke() returns; a backend overrides it to avoid the vector.
  virtual Expected<void, WasmError> invoke_into(size_t export_index, std::span<const WasmVal> args,
                                                std::span<WasmVal> results);
  // call_i32's call, its signature checked (callable_with_i32s, args.size() parameters). The
  // default goes through invoke_into.
  virtual Expected<int32_t, WasmError> invoke_i32(size_t export_index,
                                                  std::span<const int32_t> args);

 private:
  // exports()[export_index], or nullptr for an index out of range or a re-entrant call, whose
  // Call error refusal_to_call() words (off the per-message path).
  const WasmExport* export_to_call(size_t export_index) const;
  WasmError refusal_to_call(size_t export_index) const;

  bool in_call_ = false;  // re-entrancy guard: host callbacks must not call back in
};

// A WebAssembly engine. Stateless from the caller's point of view and safe to share.
class WasmHost {
 public:
  virtual ~WasmHost() = default;

  // "interp", "aot", ...
  virtual std::string_view name() const = 0;

  // Decodes and fully validates `wasm`. Compile error otherwise, with WABT's diagnostic and
  // the section and byte offset it refers to. The module keeps a copy of the bytes.
  virtual Expected<std::shared_ptr<const WasmModule>, WasmError> compile(
      std::span<const uint8_t> wasm) const = 0;

  // A new, independent instance (memory initialised, start function run). Instantiation
  // error when the module needs an import the guest ABI does not provide (or whose callback
  // is empty), exceeds `limits`, was compiled by another host, or its start function traps.
  virtual Expected<std::unique_ptr<WasmInstance>, WasmError> instantiate(
      std::shared_ptr<const WasmModule> module, WasmImports imports,
      const WasmLimits& limits = {}) const = 0;
};

// The backend on WABT's interpreter.
std::unique_ptr<WasmHost> make_interp_host();

}  // namespace pd
