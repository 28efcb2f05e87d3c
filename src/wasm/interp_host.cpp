// The interpreter backend: WasmHost / WasmModule / WasmInstance on WABT's interpreter.
//
// This file holds the policy (the guest ABI, limits, fuel, error kinds) and speaks to WABT only
// through wabt_interp.h, the C++17 layer that includes WABT's interpreter headers.
//
// How limits are enforced here
//   - Memory: each instance's copy of the module has every memory's maximum lowered to
//     max_memory_pages (and tables' to max_table_elements). WABT's memory.grow checks the
//     maximum before it resizes, so growth past the limit returns -1 to the guest and allocates
//     nothing; an initial size above the limit refuses to instantiate.
//   - Call depth: each call runs with a WABT call-frame vector of exactly max_call_depth frames
//     (lent for the call, see wabt_interp.cpp); WABT traps with "call stack exhausted" when it
//     is full.
//   - Value stack: checked before instantiation (check_value_stack in guest_abi.h).
//   - Fuel: read from and written to the module's exported "pd_fuel" global (fuel_meter.h).
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "guest_abi.h"
#include "interp_workarounds.h"
#include "module_info.h"
#include "pd/wasm/fuel_meter.h"
#include "pd/wasm/wasm_host.h"
#include "wabt_interp.h"

namespace pd {
namespace {

namespace wi = detail::wabt_interp;

constexpr std::string_view kHostName = "interp";

WasmValType to_public(wi::ValType t) {
  switch (t) {
    case wi::ValType::I32: return WasmValType::I32;
    case wi::ValType::I64: return WasmValType::I64;
    case wi::ValType::F32: return WasmValType::F32;
    case wi::ValType::F64: return WasmValType::F64;
    case wi::ValType::V128: return WasmValType::V128;
    case wi::ValType::FuncRef: return WasmValType::FuncRef;
    case wi::ValType::ExternRef: return WasmValType::ExternRef;
  }
  return WasmValType::I32;
}

wi::ValType to_bridge(WasmValType t) {
  switch (t) {
    case WasmValType::I32: return wi::ValType::I32;
    case WasmValType::I64: return wi::ValType::I64;
    case WasmValType::F32: return wi::ValType::F32;
    case WasmValType::F64: return wi::ValType::F64;
    default: break;
  }
  PD_ASSERT(false, "only number values cross the host boundary");
  return wi::ValType::I32;
}

WasmExternType to_public(const wi::ExternInfo& info) {
  WasmExternType t;
  switch (info.kind) {
    case wi::ExternKind::Func: t.kind = WasmExternKind::Func; break;
    case wi::ExternKind::Table: t.kind = WasmExternKind::Table; break;
    case wi::ExternKind::Memory: t.kind = WasmExternKind::Memory; break;
    case wi::ExternKind::Global: t.kind = WasmExternKind::Global; break;
    case wi::ExternKind::Tag: t.kind = WasmExternKind::Tag; break;
  }
  for (wi::ValType v : info.signature.params) t.func.params.push_back(to_public(v));
  for (wi::ValType v : info.signature.results) t.func.results.push_back(to_public(v));
  t.value = to_public(info.value_type);
  t.is_mutable = info.is_mutable;
  return t;
}

std::vector<WasmImport> public_imports(const wi::Module& m) {
  std::vector<WasmImport> out;
  for (const wi::ExternInfo& i : m.imports()) out.push_back({i.module, i.name, to_public(i)});
  return out;
}

std::vector<WasmExport> public_exports(const wi::Module& m) {
  std::vector<WasmExport> out;
  for (const wi::ExternInfo& e : m.exports()) out.push_back({e.name, to_public(e)});
  return out;
}

// Decoded and validated by WABT, or a Compile error naming the section and offset.
Expected<std::shared_ptr<const wi::Module>, WasmError> decode(std::span<const uint8_t> wasm) {
  wi::Diagnostic diagnostic;
  auto compiled = wi::Module::compile(wasm.data(), wasm.size(), &diagnostic);
  if (!compiled) {
    std::optional<uint64_t> offset;
    if (diagnostic.has_offset) offset = diagnostic.offset;
    return Unexpected{
        WasmError::compile(detail::describe_compile_error(wasm, diagnostic.message, offset))};
  }
  return compiled;
}

class InterpModule final : public WasmModule {
 public:
  InterpModule(std::vector<uint8_t> bytes, std::shared_ptr<const wi::Module> compiled)
      : WasmModule(std::move(bytes), public_imports(*compiled), public_exports(*compiled)),
        compiled_(std::move(compiled)) {}

  std::string_view host_name() const override { return kHostName; }
  const std::shared_ptr<const wi::Module>& compiled() const { return compiled_; }

 private:
  std::shared_ptr<const wi::Module> compiled_;
};

std::span<const uint8_t> view(wi::MemoryView m) {
  return {m.data, static_cast<size_t>(m.size)};
}

uint32_t u32_arg(const wi::Val& v) {
  return static_cast<uint32_t>(v.bits);
}

// The engine-side function behind one import: bounds checks and the callback (guest_abi.h).
wi::HostFunction host_function(detail::GuestFunction f,
                               std::shared_ptr<const WasmImports> imports) {
  switch (f) {
    case detail::GuestFunction::PdSend:
      return [imports](const wi::Val* args, wi::Val* results, wi::MemoryView memory,
                       std::string* trap) {
        auto r = detail::guest_pd_send(*imports, view(memory), u32_arg(args[0]), u32_arg(args[1]),
                                       u32_arg(args[2]), u32_arg(args[3]));
        if (!r) {
          *trap = r.error();
          return false;
        }
        results[0] = {wi::ValType::I32, static_cast<uint32_t>(r.value())};
        return true;
      };
    case detail::GuestFunction::PdNowMicros:
      return [imports](const wi::Val*, wi::Val* results, wi::MemoryView, std::string* trap) {
        auto r = detail::guest_pd_now_micros(*imports);
        if (!r) {
          *trap = r.error();
          return false;
        }
        results[0] = {wi::ValType::I64, static_cast<uint64_t>(r.value())};
        return true;
      };
    case detail::GuestFunction::PdLog:
      return [imports](const wi::Val* args, wi::Val*, wi::MemoryView memory, std::string* trap) {
        auto r = detail::guest_pd_log(*imports, view(memory), static_cast<int32_t>(args[0].bits),
                                      u32_arg(args[1]), u32_arg(args[2]));
        if (!r) {
          *trap = r.error();
          return false;
        }
        return true;
      };
  }
  PD_ASSERT(false, "every guest function has a host function");
  return {};
}

// The engine-side function behind an import bound to WasmImports::functions[index].
wi::HostFunction host_function(size_t index, std::shared_ptr<const WasmImports> imports) {
  return
      [imports, index](const wi::Val* args, wi::Val* results, wi::MemoryView, std::string* trap) {
        const WasmHostFunction& f = imports->functions[index];
        auto r = detail::call_host_function_bits(
            f, [args](size_t i) { return args[i].bits; },
            [&f, results](size_t i, uint64_t bits) {
              results[i] = {to_bridge(f.type.results[i]), bits};
            });
        if (!r) {
          *trap = r.error();
          return false;
        }
        return true;
      };
}

class InterpInstance final : public WasmInstance {
 public:
  InterpInstance(std::shared_ptr<const InterpModule> module,
                 std::shared_ptr<const WasmImports> imports, std::unique_ptr<wi::Instance> instance,
                 std::optional<size_t> fuel_export)
      : module_(std::move(module)),
        imports_(std::move(imports)),
        instance_(std::move(instance)),
        fuel_export_(fuel_export) {
    // Until the first set_fuel, consumption counts against the budget the module starts with.
    if (fuel_export_) budget_ = fuel_remaining();
  }

  const WasmModule& module() const override { return *module_; }

  std::span<uint8_t> guest_memory() const override {
    const wi::MemoryView m = instance_->memory();
    return {m.data, size_t(m.size)};
  }

  Expected<void, WasmError> set_fuel(uint64_t fuel) override {
    if (!fuel_export_) {
      return Unexpected{WasmError::call(
          "module is not metered: it exports no mutable i64 global \"" +
          std::string(fuel_export_name) + "\" (run it through the metering pass, pd wasm meter)")};
    }
    const uint64_t budget = std::min<uint64_t>(fuel, INT64_MAX);
    instance_->set_global_i64(*fuel_export_, static_cast<int64_t>(budget));
    budget_ = budget;
    return {};
  }

  uint64_t fuel_remaining() const override {
    if (!fuel_export_) return 0;
    const int64_t fuel = instance_->global_i64(*fuel_export_);
    return fuel < 0 ? 0 : static_cast<uint64_t>(fuel);
  }

  uint64_t fuel_consumed() const override {
    if (!fuel_export_) return 0;
    const uint64_t remaining = fuel_remaining();
    return remaining >= budget_ ? 0 : budget_ - remaining;
  }

 protected:
  Expected<std::vector<WasmVal>, WasmError> invoke(size_t export_index,
                                                   std::span<const WasmVal> args) override {
    std::vector<wi::Val> in;
    in.reserve(args.size());
    for (const WasmVal& a : args) in.push_back({to_bridge(a.type()), a.bits()});
    std::vector<wi::Val> out;
    std::string trap;
    if (!instance_->call(export_index, in, &out, &trap)) {
      const int64_t fuel = fuel_export_ ? instance_->global_i64(*fuel_export_) : 0;
      return Unexpected{detail::classify_trap(trap, fuel_export_.has_value(), fuel, budget_)};
    }
    std::vector<WasmVal> results;
    results.reserve(out.size());
    for (const wi::Val& v : out) results.push_back(WasmVal::from_bits(to_public(v.type), v.bits));
    return results;
  }

 private:
  std::shared_ptr<const InterpModule> module_;
  // Declared before instance_: the host functions inside it use the imports until it is gone.
  std::shared_ptr<const WasmImports> imports_;
  std::unique_ptr<wi::Instance> instance_;
  std::optional<size_t> fuel_export_;  // index of "pd_fuel" among the exports, if metered
  uint64_t budget_ = 0;                // the last budget set (or the initial one)
};

class InterpHost final : public WasmHost {
 public:
  std::string_view name() const override { return kHostName; }

  Expected<std::shared_ptr<const WasmModule>, WasmError> compile(
      std::span<const uint8_t> wasm) const override {
    auto compiled = decode(wasm);
    if (!compiled) return Unexpected{compiled.error()};
    // Valid as given (errors name offsets in `wasm`); what runs works around two defects of
    // WABT's interpreter (interp_workarounds.h).
    auto prepared = detail::prepare_for_interpreter(wasm);
    if (!prepared)
      return Unexpected{
          WasmError::compile("the interp backend cannot run this module: " + prepared.error())};
    if (!prepared->empty()) {
      compiled = decode(*prepared);
      PD_ASSERT(compiled.has_value(), "a guarded valid module is valid");
    }
    return std::shared_ptr<const WasmModule>(std::make_shared<const InterpModule>(
        std::vector<uint8_t>(wasm.begin(), wasm.end()), std::move(compiled).value()));
  }

  Expected<std::unique_ptr<WasmInstance>, WasmError> instantiate(
      std::shared_ptr<const WasmModule> module, WasmImports imports,
      const WasmLimits& limits) const override {
    if (!module) return Unexpected{WasmError::instantiation("no module to instantiate")};
    auto interp = std::dynamic_pointer_cast<const InterpModule>(module);
    if (!interp) {
      return Unexpected{WasmError::instantiation(
          "the module was compiled by the '" + std::string(module->host_name()) +
          "' host; compile it with this one ('" + std::string(kHostName) + "')")};
    }
    if (auto ok = detail::check_limits(limits); !ok) return Unexpected{ok.error()};
    const wi::Module& compiled = *interp->compiled();
    if (auto ok = detail::check_value_stack(compiled.largest_frame_slots(),
                                            compiled.largest_frame_function(), limits);
        !ok) {
      return Unexpected{ok.error()};
    }
    auto resolved = detail::resolve_imports(*interp, imports);
    if (!resolved) return Unexpected{resolved.error()};

    auto shared_imports = std::make_shared<const WasmImports>(std::move(imports));
    std::vector<wi::HostFunction> functions;
    for (const detail::ImportBinding& b : resolved.value()) {
      functions.push_back(b.is_abi ? host_function(b.abi, shared_imports)
                                   : host_function(b.host_function, shared_imports));
    }
    const wi::Limits engine_limits{limits.max_memory_pages, limits.max_call_depth,
                                   limits.max_table_elements};
    std::string error;
    auto instance =
        wi::Instance::create(interp->compiled(), std::move(functions), engine_limits, &error);
    if (!instance) {
      return Unexpected{WasmError::instantiation("cannot instantiate the module: " + error)};
    }

    std::optional<size_t> fuel_export;
    if (interp->is_metered()) {
      const auto exports = interp->exports();
      for (size_t i = 0; i < exports.size(); ++i) {
        if (exports[i].name == fuel_export_name) fuel_export = i;
      }
    }
    return std::unique_ptr<WasmInstance>(std::make_unique<InterpInstance>(
        std::move(interp), std::move(shared_imports), std::move(instance), fuel_export));
  }
};

}  // namespace

namespace detail {

Expected<ModuleInfo, WasmError> decode_module(std::span<const uint8_t> wasm) {
  auto decoded = decode(wasm);
  if (!decoded) return Unexpected{decoded.error()};
  const std::shared_ptr<const wi::Module>& compiled = *decoded;
  ModuleInfo info;
  info.imports = public_imports(*compiled);
  info.exports = public_exports(*compiled);
  info.memory_initial_pages = compiled->memory_initial_pages();
  info.table_initial_elements = compiled->table_initial_elements();
  info.largest_frame_slots = compiled->largest_frame_slots();
  info.largest_frame_function = compiled->largest_frame_function();
  return info;
}

}  // namespace detail

std::unique_ptr<WasmHost> make_interp_host() {
  return std::make_unique<InterpHost>();
}

}  // namespace pd
