// Backend-independent parts of the wasm module: printing, the module/instance base classes, the
// guest ABI's imports and bounds checks (guest_abi.h).
#include <charconv>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <exception>
#include <ostream>
#include <string>
#include <type_traits>

#include <cstring>

#include "guest_abi.h"
#include "pd/wasm/fuel_meter.h"
#include "pd/wasm/wasm_error.h"
#include "pd/wasm/wasm_host.h"
#include "pd/wasm/wasm_val.h"

namespace pd {

namespace {

std::string hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%" PRIx64, v);
  return buf;
}

template <class F>
std::string float_text(F v, uint64_t bits) {
  if (std::isnan(v)) return "nan(" + hex(bits) + ")";
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return ec == std::errc() ? std::string(buf, end) : std::string("?");
}

std::string quoted(std::string_view name) {
  return "'" + std::string(name) + "'";
}

}  // namespace

// --- Printing --------------------------------------------------------------------------------

const char* to_string(WasmValType t) {
  switch (t) {
    case WasmValType::I32: return "i32";
    case WasmValType::I64: return "i64";
    case WasmValType::F32: return "f32";
    case WasmValType::F64: return "f64";
    case WasmValType::V128: return "v128";
    case WasmValType::FuncRef: return "funcref";
    case WasmValType::ExternRef: return "externref";
  }
  return "?";
}

WasmVal WasmVal::from_bits(WasmValType type, uint64_t bits) {
  switch (type) {
    case WasmValType::I32:
    case WasmValType::F32: return WasmVal(type, bits & 0xffff'ffffu);
    case WasmValType::I64:
    case WasmValType::F64: return WasmVal(type, bits);
    default: break;
  }
  PD_ASSERT(false, "WasmVal carries i32, i64, f32 and f64 only");
  return WasmVal(0);
}

std::string to_string(const WasmVal& v) {
  switch (v.type()) {
    case WasmValType::I32: return "i32:" + std::to_string(v.as_i32());
    case WasmValType::I64: return "i64:" + std::to_string(v.as_i64());
    case WasmValType::F32: return "f32:" + float_text(v.as_f32(), v.bits());
    case WasmValType::F64: return "f64:" + float_text(v.as_f64(), v.bits());
    default: return "?";
  }
}

std::ostream& operator<<(std::ostream& os, const WasmVal& v) {
  return os << to_string(v);
}

const char* to_string(WasmError::Kind k) {
  switch (k) {
    case WasmError::Kind::Compile: return "Compile";
    case WasmError::Kind::Instantiation: return "Instantiation";
    case WasmError::Kind::Call: return "Call";
    case WasmError::Kind::MemoryAccess: return "MemoryAccess";
    case WasmError::Kind::FuelExhausted: return "FuelExhausted";
    case WasmError::Kind::Trap: return "Trap";
  }
  return "?";
}

std::string to_string(const WasmError& e) {
  std::string s = to_string(e.kind);
  if (!e.message.empty()) s += ": " + e.message;
  return s;
}

const char* to_string(WasmExternKind k) {
  switch (k) {
    case WasmExternKind::Func: return "func";
    case WasmExternKind::Table: return "table";
    case WasmExternKind::Memory: return "memory";
    case WasmExternKind::Global: return "global";
    case WasmExternKind::Tag: return "tag";
  }
  return "?";
}

namespace {
std::string type_list(const char* keyword, const std::vector<WasmValType>& types) {
  if (types.empty()) return "";
  std::string s = std::string(" (") + keyword;
  for (WasmValType t : types) s += std::string(" ") + to_string(t);
  return s + ")";
}
}  // namespace

std::string to_string(const WasmFuncType& t) {
  return "(func" + type_list("param", t.params) + type_list("result", t.results) + ")";
}

std::string to_string(const WasmExternType& t) {
  switch (t.kind) {
    case WasmExternKind::Func: return to_string(t.func);
    case WasmExternKind::Table: return std::string("(table ") + to_string(t.value) + ")";
    case WasmExternKind::Memory: return "(memory)";
    case WasmExternKind::Global:
      return t.is_mutable ? std::string("(global (mut ") + to_string(t.value) + "))"
                          : std::string("(global ") + to_string(t.value) + ")";
    case WasmExternKind::Tag: return "(tag" + type_list("param", t.func.params) + ")";
  }
  return "?";
}

std::string to_string(const WasmImport& i) {
  return i.module + "." + i.name + " " + to_string(i.type);
}
std::string to_string(const WasmExport& e) {
  return e.name + " " + to_string(e.type);
}

// --- WasmModule, WasmInstance ----------------------------------------------------------------

const WasmExport* WasmModule::find_export(std::string_view name) const {
  for (const WasmExport& e : exports_) {
    if (e.name == name) return &e;
  }
  return nullptr;
}

namespace {
bool is_number(WasmValType t);
}

WasmModule::WasmModule(std::vector<uint8_t> bytes, std::vector<WasmImport> imports,
                       std::vector<WasmExport> exports)
    : bytes_(std::move(bytes)), imports_(std::move(imports)), exports_(std::move(exports)) {
  for (const WasmExport& e : exports_) {
    bool numbers = e.type.kind == WasmExternKind::Func;
    for (WasmValType t : e.type.func.params) numbers = numbers && is_number(t);
    for (WasmValType t : e.type.func.results) numbers = numbers && is_number(t);
    bool i32s = numbers && e.type.func.results.size() <= 1;
    for (WasmValType t : e.type.func.params) i32s = i32s && t == WasmValType::I32;
    for (WasmValType t : e.type.func.results) i32s = i32s && t == WasmValType::I32;
    callable_.push_back(i32s ? 2 : numbers ? 1 : 0);
  }
}

std::optional<size_t> WasmModule::export_index(std::string_view name) const {
  for (size_t i = 0; i < exports_.size(); ++i)
    if (exports_[i].name == name) return i;
  return std::nullopt;
}

bool WasmModule::is_metered() const {
  const WasmExport* fuel = find_export(fuel_export_name);
  return fuel != nullptr && fuel->type.kind == WasmExternKind::Global &&
         fuel->type.value == WasmValType::I64 && fuel->type.is_mutable;
}

namespace {

bool is_number(WasmValType t) {
  return t == WasmValType::I32 || t == WasmValType::I64 || t == WasmValType::F32 ||
         t == WasmValType::F64;
}

// "add, sub, mul" - the exported functions, to say what could have been meant.
std::string function_exports(const WasmModule& module) {
  std::string names;
  size_t listed = 0;
  constexpr size_t kListedMax = 10;
  for (const WasmExport& e : module.exports()) {
    if (e.type.kind != WasmExternKind::Func) continue;
    if (listed == kListedMax) return names + ", ...";
    names += (listed++ == 0 ? "" : ", ") + e.name;
  }
  return names.empty() ? "none" : names;
}

Expected<void, WasmError> check_call(const WasmExport& e, std::span<const WasmVal> args) {
  if (e.type.kind != WasmExternKind::Func) {
    return Unexpected{WasmError::call("export " + quoted(e.name) + " is a " +
                                      to_string(e.type.kind) + ", not a function")};
  }
  const WasmFuncType& ft = e.type.func;
  for (const auto* types : {&ft.params, &ft.results}) {
    for (WasmValType t : *types) {
      if (is_number(t)) continue;
      return Unexpected{WasmError::call("export " + quoted(e.name) + " has type " + to_string(ft) +
                                        ": WasmVal cannot carry a " + to_string(t))};
    }
  }
  if (args.size() != ft.params.size()) {
    return Unexpected{WasmError::call(quoted(e.name) + " " + to_string(ft) + " takes " +
                                      std::to_string(ft.params.size()) + " argument(s), got " +
                                      std::to_string(args.size()))};
  }
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i].type() == ft.params[i]) continue;
    return Unexpected{WasmError::call("argument " + std::to_string(i) + " of " + quoted(e.name) +
                                      " " + to_string(ft) + " is " + to_string(args[i]) +
                                      ", expected " + to_string(ft.params[i]))};
  }
  return {};
}

}  // namespace

Expected<std::vector<WasmVal>, WasmError> WasmInstance::call(std::string_view name,
                                                             std::span<const WasmVal> args) {
  if (in_call_) {
    return Unexpected{WasmError::call("re-entrant call of " + quoted(name) +
                                      ": a host function may not call into the instance that "
                                      "called it")};
  }
  const WasmModule& m = module();
  const auto exports = m.exports();
  size_t index = 0;
  while (index < exports.size() && exports[index].name != name) ++index;
  if (index == exports.size()) {
    return Unexpected{WasmError::call("no export named " + quoted(name) +
                                      " (exported functions: " + function_exports(m) + ")")};
  }
  if (auto ok = check_call(exports[index], args); !ok) return Unexpected{ok.error()};

  struct Guard {
    bool& flag;
    ~Guard() { flag = false; }
  } guard{in_call_};
  in_call_ = true;
  return invoke(index, args);
}

const WasmExport* WasmInstance::export_to_call(size_t export_index) const {
  const auto exports = module().exports();
  return export_index < exports.size() && !in_call_ ? &exports[export_index] : nullptr;
}

WasmError WasmInstance::refusal_to_call(size_t export_index) const {
  const auto exports = module().exports();
  if (export_index >= exports.size()) {
    return WasmError::call("no export at index " + std::to_string(export_index) +
                           " (the module has " + std::to_string(exports.size()) + ")");
  }
  return WasmError::call("re-entrant call of " + quoted(exports[export_index].name) +
                         ": a host function may not call into the instance that called it");
}

Expected<void, WasmError> WasmInstance::call_export(size_t export_index,
                                                    std::span<const WasmVal> args,
                                                    std::span<WasmVal> results) {
  const WasmExport* found = export_to_call(export_index);
  if (found == nullptr) return Unexpected{refusal_to_call(export_index)};
  const WasmExport& e = *found;
  // The full check (with its messages) only when the quick one fails.
  bool quick =
      module().callable_with_numbers(export_index) && args.size() == e.type.func.params.size();
  for (size_t i = 0; quick && i < args.size(); ++i) quick = args[i].type() == e.type.func.params[i];
  if (!quick) {
    if (auto ok = check_call(e, args); !ok) return Unexpected{ok.error()};
  }
  if (results.size() != e.type.func.results.size()) {
    return Unexpected{WasmError::call(quoted(e.name) + " " + to_string(e.type.func) + " returns " +
                                      std::to_string(e.type.func.results.size()) +
                                      " value(s); room was given for " +
                                      std::to_string(results.size()))};
  }
  struct Guard {
    bool& flag;
    ~Guard() { flag = false; }
  } guard{in_call_};
  in_call_ = true;
  return invoke_into(export_index, args, results);
}

Expected<int32_t, WasmError> WasmInstance::call_i32(size_t export_index,
                                                    std::span<const int32_t> args) {
  const WasmExport* found = export_to_call(export_index);
  if (found == nullptr) return Unexpected{refusal_to_call(export_index)};
  const WasmExport& e = *found;
  if (!module().callable_with_i32s(export_index) || args.size() != e.type.func.params.size()) {
    return Unexpected{WasmError::call(
        quoted(e.name) + " " + to_string(e.type) + " cannot be called with " +
        std::to_string(args.size()) +
        " i32 argument(s): call_i32 calls functions of i32 parameters returning one i32 or "
        "nothing (call_export calls any other)")};
  }
  struct Guard {
    bool& flag;
    ~Guard() { flag = false; }
  } guard{in_call_};
  in_call_ = true;
  return invoke_i32(export_index, args);
}

Expected<int32_t, WasmError> WasmInstance::invoke_i32(size_t export_index,
                                                      std::span<const int32_t> args) {
  constexpr size_t kInline = 8;
  WasmVal inline_values[kInline];
  std::vector<WasmVal> big;
  std::span<WasmVal> values(inline_values, std::min(kInline, args.size()));
  if (args.size() > kInline) {
    big.resize(args.size());
    values = big;
  }
  for (size_t i = 0; i < args.size(); ++i) values[i] = WasmVal::i32(args[i]);
  WasmVal result = WasmVal::i32(0);
  const size_t results = module().exports()[export_index].type.func.results.size();
  if (auto ok = invoke_into(export_index, values, std::span<WasmVal>(&result, results)); !ok)
    return Unexpected{ok.error()};
  return result.as_i32();
}

Expected<void, WasmError> WasmInstance::memory_read(uint64_t offset, std::span<uint8_t> out) const {
  std::span<uint8_t> m = guest_memory();
  if (auto e = detail::check_memory_range("memory_read", offset, out.size(), m.size()))
    return Unexpected{*e};
  if (!out.empty()) std::memcpy(out.data(), m.data() + offset, out.size());
  return {};
}

Expected<void, WasmError> WasmInstance::memory_write(uint64_t offset,
                                                     std::span<const uint8_t> bytes) {
  std::span<uint8_t> m = guest_memory();
  if (auto e = detail::check_memory_range("memory_write", offset, bytes.size(), m.size()))
    return Unexpected{*e};
  if (!bytes.empty()) std::memcpy(m.data() + offset, bytes.data(), bytes.size());
  return {};
}

Expected<void, WasmError> WasmInstance::invoke_into(size_t export_index,
                                                    std::span<const WasmVal> args,
                                                    std::span<WasmVal> results) {
  auto r = invoke(export_index, args);
  if (!r) return Unexpected{r.error()};
  for (size_t i = 0; i < results.size() && i < r->size(); ++i) results[i] = (*r)[i];
  return {};
}

// --- The guest ABI ---------------------------------------------------------------------------

namespace detail {

const char* guest_function_name(GuestFunction f) {
  switch (f) {
    case GuestFunction::PdSend: return "pd_send";
    case GuestFunction::PdNowMicros: return "pd_now_micros";
    case GuestFunction::PdLog: return "pd_log";
  }
  return "?";
}

const WasmFuncType& guest_function_type(GuestFunction f) {
  using T = WasmValType;
  static const WasmFuncType kSend{{T::I32, T::I32, T::I32, T::I32}, {T::I32}};
  static const WasmFuncType kNow{{}, {T::I64}};
  static const WasmFuncType kLog{{T::I32, T::I32, T::I32}, {}};
  switch (f) {
    case GuestFunction::PdSend: return kSend;
    case GuestFunction::PdNowMicros: return kNow;
    case GuestFunction::PdLog: return kLog;
  }
  return kLog;
}

namespace {

constexpr GuestFunction kGuestFunctions[] = {GuestFunction::PdSend, GuestFunction::PdNowMicros,
                                             GuestFunction::PdLog};

std::string guest_abi_summary() {
  std::string s;
  for (GuestFunction f : kGuestFunctions) {
    s += (s.empty() ? "" : ", ") + std::string("env.") + guest_function_name(f) + " " +
         to_string(guest_function_type(f));
  }
  return s;
}

bool has_callback(const WasmImports& imports, GuestFunction f) {
  switch (f) {
    case GuestFunction::PdSend: return static_cast<bool>(imports.pd_send);
    case GuestFunction::PdNowMicros: return static_cast<bool>(imports.pd_now_micros);
    case GuestFunction::PdLog: return static_cast<bool>(imports.pd_log);
  }
  return false;
}

// The message a guest traps with when the callback of `f` threw `e` (off the hot path).
[[gnu::cold, gnu::noinline]] std::string callback_threw(GuestFunction f, std::exception_ptr e) {
  std::string why;
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& x) {
    why = x.what();
  } catch (...) {
    why = "an exception that is not a std::exception";
  }
  return std::string("host function env.") + guest_function_name(f) + " threw: " + why;
}

// Runs a user callback; an exception becomes the message the guest traps with.
template <class Fn>
auto run_callback(GuestFunction f, Fn&& fn) -> Expected<decltype(fn()), std::string> {
  try {
    if constexpr (std::is_void_v<decltype(fn())>) {
      fn();
      return {};
    } else {
      return fn();
    }
  } catch (...) {
    return Unexpected{callback_threw(f, std::current_exception())};
  }
}

}  // namespace

Expected<std::vector<ImportBinding>, WasmError> resolve_imports(const WasmModule& module,
                                                                const WasmImports& imports) {
  std::vector<ImportBinding> bindings;
  for (const WasmImport& import : module.imports()) {
    const GuestFunction* abi = nullptr;
    for (const GuestFunction& f : kGuestFunctions) {
      if (import.module == "env" && import.name == guest_function_name(f)) abi = &f;
    }
    if (abi != nullptr) {
      const WasmFuncType& expected = guest_function_type(*abi);
      if (import.type.kind != WasmExternKind::Func || import.type.func != expected) {
        return Unexpected{WasmError::instantiation(
            "import " + to_string(import) + " has the wrong type: the guest ABI defines env." +
            guest_function_name(*abi) + " " + to_string(expected))};
      }
      if (!has_callback(imports, *abi)) {
        return Unexpected{WasmError::instantiation(
            "the module imports env." + std::string(guest_function_name(*abi)) +
            " but WasmImports::" + guest_function_name(*abi) + " is empty")};
      }
      bindings.push_back({true, *abi, 0});
      continue;
    }
    const WasmHostFunction* host = nullptr;
    size_t index = 0;
    for (size_t i = 0; i < imports.functions.size() && host == nullptr; ++i) {
      const WasmHostFunction& f = imports.functions[i];
      if (f.module == import.module && f.name == import.name) {
        host = &f;
        index = i;
      }
    }
    if (host == nullptr) {
      std::string offered;
      for (const WasmHostFunction& f : imports.functions)
        offered += ", " + f.module + "." + f.name + " " + to_string(f.type);
      return Unexpected{WasmError::instantiation(
          "unknown import " + to_string(import) + ": the guest ABI provides only " +
          guest_abi_summary() + (offered.empty() ? "" : "; the host adds") +
          (offered.empty() ? "" : offered.substr(1)))};
    }
    if (import.type.kind != WasmExternKind::Func || import.type.func != host->type) {
      return Unexpected{WasmError::instantiation(
          "import " + to_string(import) + " has the wrong type: the host defines " + host->module +
          "." + host->name + " " + to_string(host->type))};
    }
    for (WasmValType t : host->type.params)
      if (!is_number(t))
        return Unexpected{WasmError::instantiation("host function " + host->module + "." +
                                                   host->name + " " + to_string(host->type) +
                                                   ": host functions take numbers only")};
    for (WasmValType t : host->type.results)
      if (!is_number(t))
        return Unexpected{WasmError::instantiation("host function " + host->module + "." +
                                                   host->name + " " + to_string(host->type) +
                                                   ": host functions return numbers only")};
    if (!host->call) {
      return Unexpected{WasmError::instantiation("the module imports " + host->module + "." +
                                                 host->name + " but its WasmHostFunction::call " +
                                                 "is empty")};
    }
    bindings.push_back({false, GuestFunction::PdSend, index});
  }
  return bindings;
}

Expected<void, std::string> call_host_function(const WasmHostFunction& f,
                                               std::span<const WasmVal> args,
                                               std::span<WasmVal> results) {
  std::string why;
  try {
    if (auto r = f.call(args, results); !r) {
      why = r.error();
    } else {
      for (size_t i = 0; i < results.size(); ++i) {
        if (results[i].type() != f.type.results[i])
          return Unexpected{"host function " + f.module + "." + f.name + " returned a " +
                            to_string(results[i].type()) + " as result " + std::to_string(i) +
                            " of " + to_string(f.type)};
      }
      return {};
    }
  } catch (const std::exception& e) {
    why = std::string("threw: ") + e.what();
  } catch (...) {
    why = "threw an exception that is not a std::exception";
  }
  return Unexpected{"host function " + f.module + "." + f.name + " failed: " + why};
}

std::optional<std::span<const uint8_t>> guest_range(std::span<const uint8_t> memory, uint32_t ptr,
                                                    uint32_t len) {
  // 64-bit arithmetic: ptr + len cannot wrap.
  if (uint64_t{ptr} + uint64_t{len} > memory.size()) return std::nullopt;
  return memory.subspan(ptr, len);
}

Expected<int32_t, std::string> guest_pd_send(const WasmImports& imports,
                                             std::span<const uint8_t> memory, uint32_t env_ptr,
                                             uint32_t env_len, uint32_t payload_ptr,
                                             uint32_t payload_len) {
  // Checked in registers (64-bit sums cannot wrap); spans made only for the callback. An
  // optional<span> per range here cost two store-forwarding stalls on every send.
  const uint64_t size = memory.size();
  if (uint64_t{env_ptr} + env_len > size || uint64_t{payload_ptr} + payload_len > size)
    return kPdSendOutOfBounds;
  const uint8_t* base = memory.data();
  return run_callback(GuestFunction::PdSend, [&] {
    return imports.pd_send(std::span<const uint8_t>(base + env_ptr, env_len),
                           std::span<const uint8_t>(base + payload_ptr, payload_len));
  });
}

Expected<int64_t, std::string> guest_pd_now_micros(const WasmImports& imports) {
  return run_callback(GuestFunction::PdNowMicros, [&] { return imports.pd_now_micros(); });
}

Expected<void, std::string> guest_pd_log(const WasmImports& imports,
                                         std::span<const uint8_t> memory, int32_t level,
                                         uint32_t msg_ptr, uint32_t msg_len) {
  const auto message = guest_range(memory, msg_ptr, msg_len);
  if (!message) {
    return Unexpected{"pd_log: message [" + std::to_string(msg_ptr) + ", " +
                      std::to_string(uint64_t{msg_ptr} + msg_len) +
                      ") is out of bounds of memory (" + std::to_string(memory.size()) + " bytes)"};
  }
  return run_callback(GuestFunction::PdLog, [&] { imports.pd_log(level, *message); });
}

Expected<void, WasmError> check_limits(const WasmLimits& limits) {
  if (limits.max_call_depth == 0) {
    return Unexpected{WasmError::instantiation("WasmLimits::max_call_depth must be at least 1")};
  }
  if (limits.max_memory_pages > kWasmPagesMax) {
    return Unexpected{WasmError::instantiation(
        "WasmLimits::max_memory_pages " + std::to_string(limits.max_memory_pages) +
        " is above the wasm32 maximum of " + std::to_string(kWasmPagesMax) + " pages")};
  }
  return {};
}

Expected<void, WasmError> check_value_stack(uint64_t largest_frame_slots, uint32_t function_index,
                                            const WasmLimits& limits) {
  const uint64_t worst = largest_frame_slots * limits.max_call_depth;  // < 2^32 * 2^32
  if (worst <= limits.value_stack_slots) return {};
  return Unexpected{WasmError::instantiation(
      "function " + std::to_string(function_index) + " has " + std::to_string(largest_frame_slots) +
      " params and locals: recursing to max_call_depth " + std::to_string(limits.max_call_depth) +
      " could take " + std::to_string(worst) + " value-stack slots, above value_stack_slots " +
      std::to_string(limits.value_stack_slots))};
}

Expected<void, WasmError> check_initial_sizes(std::span<const uint64_t> memory_pages,
                                              std::span<const uint64_t> table_elements,
                                              const WasmLimits& limits) {
  for (size_t i = 0; i < memory_pages.size(); ++i)
    if (memory_pages[i] > limits.max_memory_pages)
      return Unexpected{WasmError::instantiation(
          "cannot instantiate the module: memory " + std::to_string(i) + " starts at " +
          std::to_string(memory_pages[i]) + " pages (" + std::to_string(memory_pages[i] * 65536) +
          " bytes), above max_memory_pages " + std::to_string(limits.max_memory_pages))};
  for (size_t i = 0; i < table_elements.size(); ++i)
    if (table_elements[i] > limits.max_table_elements)
      return Unexpected{WasmError::instantiation(
          "cannot instantiate the module: table " + std::to_string(i) + " starts at " +
          std::to_string(table_elements[i]) + " elements, above max_table_elements " +
          std::to_string(limits.max_table_elements))};
  return {};
}

std::optional<WasmError> check_memory_range(std::string_view op, uint64_t offset, uint64_t length,
                                            uint64_t memory_size) {
  if (offset <= memory_size && length <= memory_size - offset) return std::nullopt;
  return WasmError::memory_access(std::string(op) + " of " + std::to_string(length) +
                                  " bytes at offset " + std::to_string(offset) +
                                  " is out of bounds of memory (" + std::to_string(memory_size) +
                                  " bytes)");
}

namespace {

const char* section_name(uint8_t id) {
  static constexpr const char* kNames[] = {"custom", "type",   "import",    "function", "table",
                                           "memory", "global", "export",    "start",    "element",
                                           "code",   "data",   "datacount", "tag"};
  return id < std::size(kNames) ? kNames[id] : "unknown";
}

// Reads an unsigned LEB128 of at most 5 bytes at wasm[*pos]; false if malformed or truncated.
bool read_u32(std::span<const uint8_t> wasm, size_t* pos, uint32_t* out) {
  uint64_t value = 0;
  for (int shift = 0; shift < 35; shift += 7) {
    if (*pos >= wasm.size()) return false;
    const uint8_t byte = wasm[(*pos)++];
    value |= uint64_t{byte & 0x7fu} << shift;
    if ((byte & 0x80) == 0) {
      if (value > UINT32_MAX) return false;
      *out = static_cast<uint32_t>(value);
      return true;
    }
  }
  return false;
}

// "section 10 (code)", "custom section \"name\"", "module header", or "" when the offset is
// in no section the headers describe.
std::string section_at(std::span<const uint8_t> wasm, uint64_t offset) {
  constexpr size_t kHeaderBytes = 8;  // magic and version
  if (offset < kHeaderBytes) return "module header";
  size_t pos = kHeaderBytes;
  while (pos < wasm.size()) {
    const size_t start = pos;
    const uint8_t id = wasm[pos++];
    uint32_t size = 0;
    const bool header_ok = read_u32(wasm, &pos, &size);
    const size_t payload = pos;
    const bool truncated = !header_ok || size > wasm.size() - payload;
    const uint64_t end = uint64_t{payload} + size;
    if (offset >= start && (offset < end || truncated)) {
      if (id != 0 || !header_ok)
        return "section " + std::to_string(id) + " (" + section_name(id) + ")";
      uint32_t name_len = 0;
      size_t name_pos = payload;
      if (!read_u32(wasm, &name_pos, &name_len) || name_len > wasm.size() - name_pos) {
        return "custom section";
      }
      std::string name;
      for (size_t i = 0; i < name_len && i < 64; ++i) {
        const char c = static_cast<char>(wasm[name_pos + i]);
        name += (c >= 0x20 && c < 0x7f) ? c : '?';
      }
      return "custom section \"" + name + "\"";
    }
    if (truncated) return "";
    pos = static_cast<size_t>(end);
  }
  return "";
}

}  // namespace

std::string describe_compile_error(std::span<const uint8_t> wasm, std::string_view diagnostic,
                                   std::optional<uint64_t> offset) {
  if (!offset) return std::string(diagnostic);
  std::string where = section_at(wasm, *offset);
  where += (where.empty() ? "at offset " : " at offset ") + hex(*offset);
  if (*offset >= wasm.size()) where += " (end of module)";
  return where + ": " + std::string(diagnostic);
}

WasmError classify_trap(std::string_view trap_message, bool metered, int64_t fuel_after,
                        uint64_t budget) {
  if (metered && fuel_after < 0) {
    return WasmError::fuel_exhausted("fuel exhausted: the budget of " + std::to_string(budget) +
                                     " is spent (the guest trapped with \"" +
                                     std::string(trap_message) + "\")");
  }
  return WasmError::trap(std::string(trap_message));
}

}  // namespace detail
}  // namespace pd
