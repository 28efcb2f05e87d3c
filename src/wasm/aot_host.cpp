// The aot backend: WasmHost / WasmModule / WasmInstance over shared objects built by
// aot_toolchain (wasm2c + the C compiler) and run with the runtime of aot_runtime/.
//
// How limits are enforced here
//   - Memory: the runtime clamps each memory's maximum to max_memory_pages when the instance
//     allocates it; memory.grow past it returns -1. Memory is mapped to its current size and
//     committed page by page as the guest touches it (no guard regions; aot_runtime/), and
//     every access is bounds-checked by the generated code. An initial
//     size above the limit refuses to instantiate, as in the interpreter.
//   - Call depth: the generated code counts frames in the instance (aot_runtime/wasm-rt.h) and
//     traps at the instance's max_call_depth; host functions count as frames, as in the
//     interpreter. It also traps once the native stack is down to its floor: operands held
//     across a call live in the C frame, so the frame count alone does not bound the stack.
//   - Value stack: the interpreter's check, before instantiation, so both backends refuse the
//     same modules.
//   - Fuel: the metered module's exported pd_fuel global, read and written in place.
#include <dlfcn.h>
#include <wasm-rt.h>  // WABT: the layout of wasm_rt_memory_t, the trap codes

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <type_traits>

#include "aot_glue.h"
#include "aot_toolchain.h"
#include "guest_abi.h"
#include "pd/wasm/aot_host.h"
#include "pd/wasm/fuel_meter.h"

namespace pd {
namespace {

constexpr std::string_view kHostName = "aot";

// The entry points of a compiled module (see aot_glue.h).
struct AotEntries {
  size_t (*instance_size)();
  uint32_t (*export_count)();
  const char* (*export_name)(uint32_t, size_t*);
  int (*instantiate)(void*, const detail::AotHostTable*, void*, uint32_t, uint32_t, uint32_t);
  int (*call)(void*, uint32_t, const uint64_t*, uint64_t*, uint32_t);
  void (*free)(void*);
  wasm_rt_memory_t* (*memory)(void*);
  uint64_t* (*fuel)(void*);
};

// One shared object, opened once per process and kept (a module's code must outlive every
// instance; the cache of them is small: one entry per distinct module).
class AotLibrary {
 public:
  static Expected<std::shared_ptr<const AotLibrary>, WasmError> open(const std::string& path) {
    static std::mutex mu;
    static std::map<std::string, std::weak_ptr<const AotLibrary>> open_libraries;
    std::lock_guard<std::mutex> lock(mu);
    if (auto it = open_libraries.find(path); it != open_libraries.end())
      if (auto lib = it->second.lock()) return lib;
    void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
      const char* why = dlerror();
      return Unexpected{WasmError::compile("cannot load the compiled module " + path + ": " +
                                           (why ? why : "dlopen failed"))};
    }
    std::shared_ptr<AotLibrary> lib(new AotLibrary(handle));
    auto version = reinterpret_cast<uint32_t (*)()>(dlsym(handle, "pd_aot_glue_version"));
    AotEntries& e = lib->entries_;
    e.instance_size = reinterpret_cast<size_t (*)()>(dlsym(handle, "pd_aot_instance_size"));
    e.export_count = reinterpret_cast<uint32_t (*)()>(dlsym(handle, "pd_aot_export_count"));
    e.export_name =
        reinterpret_cast<const char* (*)(uint32_t, size_t*)>(dlsym(handle, "pd_aot_export_name"));
    e.instantiate = reinterpret_cast<decltype(e.instantiate)>(dlsym(handle, "pd_aot_instantiate"));
    e.call = reinterpret_cast<decltype(e.call)>(dlsym(handle, "pd_aot_call"));
    e.free = reinterpret_cast<void (*)(void*)>(dlsym(handle, "pd_aot_free"));
    e.memory = reinterpret_cast<decltype(e.memory)>(dlsym(handle, "pd_aot_memory"));
    e.fuel = reinterpret_cast<uint64_t* (*)(void*)>(dlsym(handle, "pd_aot_fuel"));
    if (!version || version() != detail::kAotGlueVersion || !e.instance_size || !e.export_count ||
        !e.export_name || !e.instantiate || !e.call || !e.free || !e.memory || !e.fuel)
      return Unexpected{WasmError::compile(path + " is not a module compiled by this version "
                                                  "of the aot backend (remove it to rebuild)")};
    open_libraries[path] = lib;
    return std::shared_ptr<const AotLibrary>(lib);
  }
  ~AotLibrary() { dlclose(handle_); }
  const AotEntries& entries() const { return entries_; }

 private:
  explicit AotLibrary(void* handle) : handle_(handle) {}
  void* handle_;
  AotEntries entries_{};
};

class AotModule final : public WasmModule {
 public:
  AotModule(std::vector<uint8_t> bytes, detail::ModuleInfo info,
            std::shared_ptr<const AotLibrary> library)
      : WasmModule(std::move(bytes), info.imports, info.exports),
        info_(std::move(info)),
        library_(std::move(library)) {
    // Which glue thunk runs each export (by name; exports the host cannot call have none).
    const AotEntries& e = library_->entries();
    std::map<std::string, uint32_t> by_name;
    for (uint32_t i = 0; i < e.export_count(); ++i) {
      size_t length = 0;
      const char* name = e.export_name(i, &length);
      by_name[std::string(name, length)] = i;
    }
    for (const WasmExport& x : exports()) {
      auto it = by_name.find(x.name);
      thunk_of_export_.push_back(it == by_name.end() ? UINT32_MAX : it->second);
    }
  }
  std::string_view host_name() const override { return kHostName; }
  const detail::ModuleInfo& info() const { return info_; }
  const std::shared_ptr<const AotLibrary>& library() const { return library_; }
  uint32_t thunk(size_t export_index) const { return thunk_of_export_[export_index]; }

 private:
  detail::ModuleInfo info_;
  std::shared_ptr<const AotLibrary> library_;
  std::vector<uint32_t> thunk_of_export_;
};

std::string trap_message(int code) {
  switch (code) {
    case WASM_RT_TRAP_OOB: return "out of bounds memory access";
    case WASM_RT_TRAP_INT_OVERFLOW: return "integer overflow";
    case WASM_RT_TRAP_DIV_BY_ZERO: return "integer divide by zero";
    case WASM_RT_TRAP_INVALID_CONVERSION: return "invalid conversion to integer";
    case WASM_RT_TRAP_UNREACHABLE: return "unreachable executed";
    case WASM_RT_TRAP_CALL_INDIRECT: return "indirect call signature mismatch or null entry";
    case WASM_RT_TRAP_UNCAUGHT_EXCEPTION: return "uncaught exception";
    case WASM_RT_TRAP_EXHAUSTION: return "call stack exhausted";
  }
  return "trap " + std::to_string(code);
}

class AotInstance final : public WasmInstance {
 public:
  AotInstance(std::shared_ptr<const AotModule> module, WasmImports imports,
              std::vector<detail::ImportBinding> bindings, WasmLimits limits)
      : module_(std::move(module)),
        imports_(std::move(imports)),
        bindings_(std::move(bindings)),
        limits_(limits) {
    size_t size = module_->library()->entries().instance_size();
    storage_.reset(static_cast<std::byte*>(std::aligned_alloc(64, (size + 63) / 64 * 64)));
  }
  ~AotInstance() override {
    if (instantiated_) entries().free(storage_.get());
  }

  Expected<void, WasmError> instantiate() {
    static const detail::AotHostTable table = {&host_send, &host_now_micros, &host_log,
                                               &host_call_function};
    // Both live inside the instance struct (host functions of the start function read the
    // memory already): their addresses never change.
    call_entry_ = entries().call;
    memory_ = entries().memory(storage_.get());
    fuel_ = entries().fuel(storage_.get());
    int code = entries().instantiate(storage_.get(), &table, this, limits_.max_memory_pages,
                                     limits_.max_table_elements, limits_.max_call_depth);
    // As on the interpreter: the trap's own message (fuel is not told apart while the start
    // function runs, before any budget was set).
    if (code != 0)
      return Unexpected{WasmError::instantiation(
          "cannot instantiate the module: " +
          (code == detail::kAotTrapHost ? host_trap_ : trap_message(code)))};
    instantiated_ = true;
    if (fuel_) budget_ = *fuel_ > INT64_MAX ? 0 : *fuel_;
    return {};
  }

  const WasmModule& module() const override { return *module_; }

  Expected<void, WasmError> set_fuel(uint64_t fuel) override {
    uint64_t* f = fuel_;
    if (!f)
      return Unexpected{WasmError::call(
          "module is not metered: it exports no mutable i64 global \"" +
          std::string(fuel_export_name) + "\" (run it through the metering pass, pd wasm meter)")};
    budget_ = std::min<uint64_t>(fuel, INT64_MAX);
    *f = budget_;
    return {};
  }
  uint64_t fuel_remaining() const override {
    if (!fuel_) return 0;
    int64_t v = int64_t(*fuel_);
    return v < 0 ? 0 : uint64_t(v);
  }
  uint64_t fuel_consumed() const override {
    if (!fuel_) return 0;
    uint64_t remaining = fuel_remaining();
    return remaining >= budget_ ? 0 : budget_ - remaining;
  }

 protected:
  Expected<std::vector<WasmVal>, WasmError> invoke(size_t export_index,
                                                   std::span<const WasmVal> args) override {
    std::vector<WasmVal> results(module_->exports()[export_index].type.func.results.size());
    if (auto ok = invoke_into(export_index, args, results); !ok) return Unexpected{ok.error()};
    return results;
  }

  Expected<void, WasmError> invoke_into(size_t export_index, std::span<const WasmVal> args,
                                        std::span<WasmVal> results) override {
    uint32_t thunk = module_->thunk(export_index);
    if (thunk == UINT32_MAX)
      return Unexpected{WasmError::call("export \"" + module_->exports()[export_index].name +
                                        "\" cannot be called on the aot backend")};
    const WasmFuncType& type = module_->exports()[export_index].type.func;
    constexpr size_t kInline = 16;
    uint64_t in[kInline], out[kInline];
    std::vector<uint64_t> big_in, big_out;
    uint64_t* a = in;
    uint64_t* r = out;
    if (args.size() > kInline) {
      big_in.resize(args.size());
      a = big_in.data();
    }
    if (results.size() > kInline) {
      big_out.resize(results.size());
      r = big_out.data();
    }
    for (size_t i = 0; i < args.size(); ++i) a[i] = args[i].bits();
    int code = entries().call(storage_.get(), thunk, a, r, limits_.max_call_depth);
    if (code != 0) return Unexpected{failure(code)};
    for (size_t i = 0; i < results.size(); ++i) {
      WasmValType t = type.results[i];
      bool narrow = t == WasmValType::I32 || t == WasmValType::F32;
      results[i] = WasmVal::from_bits(t, narrow ? uint64_t(uint32_t(r[i])) : r[i]);
    }
    return {};
  }

  Expected<int32_t, WasmError> invoke_i32(size_t export_index,
                                          std::span<const int32_t> args) override {
    constexpr size_t kInline = 16;
    uint32_t thunk = module_->thunk(export_index);
    if (thunk == UINT32_MAX || args.size() > kInline)
      return WasmInstance::invoke_i32(export_index, args);
    uint64_t a[kInline], r[1] = {0};
    for (size_t i = 0; i < args.size(); ++i) a[i] = uint32_t(args[i]);
    int code = call_entry_(storage_.get(), thunk, a, r, limits_.max_call_depth);
    if (code != 0) return Unexpected{failure(code)};
    return int32_t(uint32_t(r[0]));
  }

 private:
  struct Free {
    void operator()(std::byte* p) const { std::free(p); }
  };
  const AotEntries& entries() const { return module_->library()->entries(); }

  std::span<uint8_t> guest_memory() const override {
    if (!memory_ || !memory_->data) return {};
    return {memory_->data, memory_->size};
  }

  WasmError failure(int code) {
    std::string message = code == detail::kAotTrapHost ? host_trap_ : trap_message(code);
    return detail::classify_trap(message, fuel_ != nullptr, fuel_ ? int64_t(*fuel_) : 0, budget_);
  }

  // The host side of the imports: called by the glue with this instance as `user`. Nothing
  // may unwind into the generated C code (it would skip the guarded call's restores), so
  // everything that can throw (an allocation) runs inside host_side(), and a failure traps.
  template <class R, class Fn>
  static R host_side(void* user, int* trapped, Fn&& fn) noexcept {
    auto* self = static_cast<AotInstance*>(user);
    try {
      auto r = fn(*self);
      if (r) {
        if constexpr (std::is_void_v<R>) {
          return;
        } else {
          return R(*r);
        }
      }
      self->host_trap_ = std::move(r.error());
    } catch (...) {
      try {
        self->host_trap_ = "a host function failed: out of memory";
      } catch (...) {
        self->host_trap_.clear();
      }
    }
    *trapped = 1;
    return R();
  }
  static uint32_t host_send(void* user, uint32_t env_ptr, uint32_t env_len, uint32_t payload_ptr,
                            uint32_t payload_len, int* trapped) noexcept {
    return host_side<uint32_t>(user, trapped, [&](AotInstance& self) {
      return detail::guest_pd_send(self.imports_, self.guest_memory(), env_ptr, env_len,
                                   payload_ptr, payload_len);
    });
  }
  static uint64_t host_now_micros(void* user, int* trapped) noexcept {
    return host_side<uint64_t>(user, trapped, [](AotInstance& self) {
      return detail::guest_pd_now_micros(self.imports_);
    });
  }
  static void host_log(void* user, uint32_t level, uint32_t msg_ptr, uint32_t msg_len,
                       int* trapped) noexcept {
    host_side<void>(user, trapped, [&](AotInstance& self) {
      return detail::guest_pd_log(self.imports_, self.guest_memory(), int32_t(level), msg_ptr,
                                  msg_len);
    });
  }
  static void host_call_function(void* user, uint32_t import_index, const uint64_t* args,
                                 uint64_t* results, int* trapped) noexcept {
    host_side<void>(user, trapped, [&](AotInstance& self) {
      return self.call_function(import_index, args, results);
    });
  }
  Expected<void, std::string> call_function(uint32_t import_index, const uint64_t* args,
                                            uint64_t* results) {
    const WasmImport& import = module_->imports()[import_index];
    const detail::ImportBinding& b = bindings_[import_index];
    // The glue calls the ABI's functions directly; only a mistyped one could land here, and
    // such a module was refused at instantiation.
    if (b.is_abi) return Unexpected{"import " + to_string(import) + " is not a host function"};
    return detail::call_host_function_bits(
        imports_.functions[b.host_function], [args](size_t i) { return args[i]; },
        [results](size_t i, uint64_t bits) { results[i] = bits; });
  }

  std::shared_ptr<const AotModule> module_;
  WasmImports imports_;
  std::vector<detail::ImportBinding> bindings_;  // one per import, in import order
  WasmLimits limits_;
  std::unique_ptr<std::byte, Free> storage_;  // the glue's pd_aot_instance
  int (*call_entry_)(void*, uint32_t, const uint64_t*, uint64_t*, uint32_t) = nullptr;
  wasm_rt_memory_t* memory_ = nullptr;  // memory 0 inside storage_, if it has one
  uint64_t* fuel_ = nullptr;            // pd_fuel inside storage_, if metered
  bool instantiated_ = false;
  uint64_t budget_ = 0;
  std::string host_trap_;  // the message of the last host function that failed
};

class AotHost final : public WasmHost {
 public:
  explicit AotHost(AotOptions options) : toolchain_(std::move(options)) {}
  std::string_view name() const override { return kHostName; }

  Expected<std::shared_ptr<const WasmModule>, WasmError> compile(
      std::span<const uint8_t> wasm) const override {
    auto info = detail::decode_module(wasm);
    if (!info) return Unexpected{info.error()};
    for (const WasmImport& i : info->imports)
      if (i.type.kind != WasmExternKind::Func)
        return Unexpected{WasmError::compile(
            "the aot backend runs modules whose imports are functions; this one imports " +
            to_string(i))};
    auto so = toolchain_.shared_object(wasm, *info);
    if (!so) return Unexpected{so.error()};
    auto library = AotLibrary::open(*so);
    if (!library) return Unexpected{library.error()};
    return std::shared_ptr<const WasmModule>(
        std::make_shared<const AotModule>(std::vector<uint8_t>(wasm.begin(), wasm.end()),
                                          std::move(info).value(), std::move(library).value()));
  }

  Expected<std::unique_ptr<WasmInstance>, WasmError> instantiate(
      std::shared_ptr<const WasmModule> module, WasmImports imports,
      const WasmLimits& limits) const override {
    if (!module) return Unexpected{WasmError::instantiation("no module to instantiate")};
    auto aot = std::dynamic_pointer_cast<const AotModule>(module);
    if (!aot)
      return Unexpected{WasmError::instantiation(
          "the module was compiled by the '" + std::string(module->host_name()) +
          "' host; compile it with this one ('" + std::string(kHostName) + "')")};
    if (auto ok = detail::check_limits(limits); !ok) return Unexpected{ok.error()};
    const detail::ModuleInfo& info = aot->info();
    if (auto ok = detail::check_value_stack(info.largest_frame_slots, info.largest_frame_function,
                                            limits);
        !ok)
      return Unexpected{ok.error()};
    if (auto ok = detail::check_initial_sizes(info.memory_initial_pages,
                                              info.table_initial_elements, limits);
        !ok)
      return Unexpected{ok.error()};
    auto resolved = detail::resolve_imports(*aot, imports);
    if (!resolved) return Unexpected{resolved.error()};
    auto instance = std::make_unique<AotInstance>(std::move(aot), std::move(imports),
                                                  std::move(resolved).value(), limits);
    if (auto ok = instance->instantiate(); !ok) return Unexpected{ok.error()};
    return std::unique_ptr<WasmInstance>(std::move(instance));
  }

 private:
  detail::AotToolchain toolchain_;
};

}  // namespace

Expected<std::string, WasmError> aot_compile_to_cache(std::span<const uint8_t> wasm,
                                                      const AotOptions& options) {
  auto info = detail::decode_module(wasm);
  if (!info) return Unexpected{info.error()};
  return detail::AotToolchain(options).shared_object(wasm, *info);
}

std::unique_ptr<WasmHost> make_aot_host(AotOptions options) {
  return std::make_unique<AotHost>(std::move(options));
}

}  // namespace pd
