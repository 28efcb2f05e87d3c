// Private to the wasm module: what every backend does the same way, whatever engine runs the
// code - the guest ABI's imports (which a module may have, how a guest's (pointer, length)
// pairs become spans), the checks on limits and host memory accesses, and the wording of
// errors. A backend only moves values and bytes between these functions and its engine.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "pd/core/expected.h"
#include "pd/wasm/wasm_error.h"
#include "pd/wasm/wasm_host.h"

namespace pd::detail {

// The functions of the guest ABI, version 1 (module "env").
enum class GuestFunction : uint8_t { PdSend, PdNowMicros, PdLog };
const char* guest_function_name(GuestFunction f);  // "pd_send", ...
const WasmFuncType& guest_function_type(GuestFunction f);

// What one import of a module is bound to: a function of the guest ABI, or
// WasmImports::functions[host_function].
struct ImportBinding {
  bool is_abi = true;
  GuestFunction abi = GuestFunction::PdSend;
  size_t host_function = 0;
};

// The binding of each import of `module`, in import order. An Instantiation error naming the
// first import that is neither an ABI function nor a host function of `imports` (module.field
// and its type), has the wrong type, or has no callback.
Expected<std::vector<ImportBinding>, WasmError> resolve_imports(const WasmModule& module,
                                                                const WasmImports& imports);

// Runs a host function (`args` of its parameter types, `results` sized to its results). An
// error - the callback's, a result of the wrong type, an exception - is the message the guest
// traps with, naming the function.
Expected<void, std::string> call_host_function(const WasmHostFunction& f,
                                               std::span<const WasmVal> args,
                                               std::span<WasmVal> results);

// The same for a backend that keeps values as 64-bit patterns: arg_bits(i) is argument i's,
// set_result_bits(i, bits) takes result i's. No allocation for up to 16 of each.
template <class ArgBits, class SetResultBits>
Expected<void, std::string> call_host_function_bits(const WasmHostFunction& f, ArgBits arg_bits,
                                                    SetResultBits set_result_bits) {
  constexpr size_t kInline = 16;
  WasmVal in_inline[kInline], out_inline[kInline];
  std::vector<WasmVal> in_big, out_big;
  const size_t params = f.type.params.size(), results = f.type.results.size();
  std::span<WasmVal> in(in_inline, params < kInline ? params : kInline);
  std::span<WasmVal> out(out_inline, results < kInline ? results : kInline);
  if (params > kInline) {
    in_big.resize(params);
    in = in_big;
  }
  if (results > kInline) {
    out_big.resize(results);
    out = out_big;
  }
  for (size_t i = 0; i < params; ++i) in[i] = WasmVal::from_bits(f.type.params[i], arg_bits(i));
  if (auto r = call_host_function(f, in, out); !r) return r;
  for (size_t i = 0; i < results; ++i) set_result_bits(i, out[i].bits());
  return {};
}

// [ptr, ptr + len) as a span of `memory`, or nothing when any byte of it is outside.
std::optional<std::span<const uint8_t>> guest_range(std::span<const uint8_t> memory, uint32_t ptr,
                                                    uint32_t len);

// The host side of each import, given the guest's memory as it is during the call. An error
// is the message the guest traps with (a callback that threw, pd_log out of bounds).
Expected<int32_t, std::string> guest_pd_send(const WasmImports& imports,
                                             std::span<const uint8_t> memory, uint32_t env_ptr,
                                             uint32_t env_len, uint32_t payload_ptr,
                                             uint32_t payload_len);
Expected<int64_t, std::string> guest_pd_now_micros(const WasmImports& imports);
Expected<void, std::string> guest_pd_log(const WasmImports& imports,
                                         std::span<const uint8_t> memory, int32_t level,
                                         uint32_t msg_ptr, uint32_t msg_len);

// Instantiation error for limits no instance could honour (zero call depth, more pages than
// wasm32 has, ...).
Expected<void, WasmError> check_limits(const WasmLimits& limits);

// Instantiation error when a function's params + locals, at every level of the deepest
// allowed recursion, would need more than limits.value_stack_slots.
Expected<void, WasmError> check_value_stack(uint64_t largest_frame_slots, uint32_t function_index,
                                            const WasmLimits& limits);

// Instantiation error when a memory's initial pages or a table's initial elements exceed the
// limits (the same words in every backend).
Expected<void, WasmError> check_initial_sizes(std::span<const uint64_t> memory_pages,
                                              std::span<const uint64_t> table_elements,
                                              const WasmLimits& limits);

// MemoryAccess error when [offset, offset + length) is not inside a memory of memory_size
// bytes. `op` names the access ("memory_read").
std::optional<WasmError> check_memory_range(std::string_view op, uint64_t offset, uint64_t length,
                                            uint64_t memory_size);

// "section 10 (code) at offset 0x4f: <diagnostic>": where in `wasm` the engine's diagnostic
// points, found by walking the section headers (bounds-checked: `wasm` is untrusted).
std::string describe_compile_error(std::span<const uint8_t> wasm, std::string_view diagnostic,
                                   std::optional<uint64_t> offset);

// The error for a trap: FuelExhausted when the module is metered and pd_fuel is negative
// (the metering pass traps that way), Trap with the engine's message otherwise.
WasmError classify_trap(std::string_view trap_message, bool metered, int64_t fuel_after,
                        uint64_t budget);

}  // namespace pd::detail
