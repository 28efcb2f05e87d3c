// The C++17 layer over WABT's interpreter (see wabt_interp.h for why it is C++17).
//
// One wabt::interp::Store per instance: a Store is not thread-safe, and actors on different
// cores must not share one. Each instance copies the decoded module into its own store, with
// memory and table maxima lowered to the WasmLimits, so WABT's own memory.grow / table.grow
// checks refuse (-1 to the guest) before anything past the limit is allocated. (Within the
// limit WABT grows a std::vector: its capacity may run ahead of the size, up to twice the old
// size, but that is untouched address space; only the size is ever written.)
#include "wabt_interp.h"

#include <algorithm>
#include <cstring>
#include <exception>
#include <string>
#include <utility>

#include "pd/core/assert.h"
#include "wabt/binary-reader.h"
#include "wabt/common.h"
#include "wabt/error.h"
#include "wabt/feature.h"
#include "wabt/interp/binary-reader-interp.h"
#include "wabt/interp/interp.h"

namespace pd::detail::wabt_interp {

namespace wi = wabt::interp;

struct ModuleData {
  wi::ModuleDesc desc;
  std::vector<ExternInfo> imports;
  std::vector<ExternInfo> exports;
  uint64_t largest_frame_slots = 0;
  uint32_t largest_frame_function = 0;
};

struct InstanceState {
  // Declared first so it is destroyed last: every RefPtr below holds a root in it.
  std::unique_ptr<wi::Store> store;
  std::shared_ptr<const Module> module;
  Limits limits;
  std::vector<wi::HostFunc::Ptr> host_functions;
  wi::Module::Ptr interp_module;
  wi::Instance::Ptr instance;
  wi::Memory::Ptr memory;  // memory 0, empty when the module has none
  // Runs every call; stackless between calls (see StackLoan). Unregisters from the store in its
  // destructor, so it goes before the store.
  std::unique_ptr<wi::Thread> thread;
};

namespace {

// A host function of the guest ABI has at most 4 parameters and 1 result; the C++20 side only
// wires ABI functions, and create() checks against these bounds.
constexpr size_t kHostParamsMax = 8;
constexpr size_t kHostResultsMax = 4;

wabt::Features features() {
  wabt::Features f;  // WABT's defaults: mutable globals, SIMD, multi-value, bulk memory, ...
  f.enable_exceptions();
  f.enable_tail_call();
  f.enable_extended_const();
  return f;
}

ValType to_val_type(wabt::Type t) {
  switch (static_cast<wabt::Type::Enum>(t)) {
    case wabt::Type::I32: return ValType::I32;
    case wabt::Type::I64: return ValType::I64;
    case wabt::Type::F32: return ValType::F32;
    case wabt::Type::F64: return ValType::F64;
    case wabt::Type::V128: return ValType::V128;
    case wabt::Type::FuncRef: return ValType::FuncRef;
    case wabt::Type::ExternRef: return ValType::ExternRef;
    default: break;
  }
  PD_ASSERT(false, "a value type outside the features the interp backend enables");
  return ValType::I32;
}

std::vector<ValType> to_val_types(const wi::ValueTypes& types) {
  std::vector<ValType> out;
  out.reserve(types.size());
  for (wabt::Type t : types) out.push_back(to_val_type(t));
  return out;
}

ExternInfo describe(const wi::ExternType& type) {
  ExternInfo info;
  switch (type.kind) {
    case wabt::ExternalKind::Func: {
      const auto& f = static_cast<const wi::FuncType&>(type);
      info.kind = ExternKind::Func;
      info.signature = {to_val_types(f.params), to_val_types(f.results)};
      break;
    }
    case wabt::ExternalKind::Table:
      info.kind = ExternKind::Table;
      info.value_type = to_val_type(static_cast<const wi::TableType&>(type).element);
      break;
    case wabt::ExternalKind::Memory: info.kind = ExternKind::Memory; break;
    case wabt::ExternalKind::Global: {
      const auto& g = static_cast<const wi::GlobalType&>(type);
      info.kind = ExternKind::Global;
      info.value_type = to_val_type(g.type);
      info.is_mutable = g.mut == wi::Mutability::Var;
      break;
    }
    case wabt::ExternalKind::Tag:
      info.kind = ExternKind::Tag;
      info.signature.params = to_val_types(static_cast<const wi::TagType&>(type).signature);
      break;
  }
  return info;
}

wi::Value to_value(const Val& v) {
  switch (v.type) {
    case ValType::I32: return wi::Value::Make(static_cast<wi::u32>(v.bits));
    case ValType::I64: return wi::Value::Make(static_cast<wi::u64>(v.bits));
    case ValType::F32: {
      uint32_t b = static_cast<uint32_t>(v.bits);
      float f;
      std::memcpy(&f, &b, sizeof f);
      return wi::Value::Make(f);
    }
    case ValType::F64: {
      double d;
      std::memcpy(&d, &v.bits, sizeof d);
      return wi::Value::Make(d);
    }
    default: break;
  }
  PD_ASSERT(false, "only number values cross the host boundary");
  return {};
}

Val from_value(wabt::Type type, const wi::Value& v) {
  switch (static_cast<wabt::Type::Enum>(type)) {
    case wabt::Type::I32: return {ValType::I32, v.Get<wi::u32>()};
    case wabt::Type::I64: return {ValType::I64, v.Get<wi::u64>()};
    case wabt::Type::F32: {
      float f = v.Get<wi::f32>();
      uint32_t b;
      std::memcpy(&b, &f, sizeof b);
      return {ValType::F32, b};
    }
    case wabt::Type::F64: {
      double d = v.Get<wi::f64>();
      uint64_t b;
      std::memcpy(&b, &d, sizeof b);
      return {ValType::F64, b};
    }
    default: break;
  }
  PD_ASSERT(false, "only number values cross the host boundary");
  return {};
}

// --- Call stacks and call depth --------------------------------------------------------------
// WABT 1.0.32's Thread ignores Thread::Options: its constructor always reserves 64 KiB of call
// frames (1638 of them) and 64 KiB of values, and Thread::PushCall traps with "call stack
// exhausted" exactly when the frame vector is full (size == capacity). So:
//   - the capacity of the frame vector *is* the depth limit: a call runs with a frame vector of
//     exactly max_call_depth frames;
//   - an idle instance should not own 128 KiB of stacks, and a call should not allocate them
//     (freeing 128 KiB per call makes glibc trim and re-fault the heap top: ~9 us a call). So
//     each instance keeps one Thread whose stacks are empty between calls; a call borrows
//     stacks from a pool owned by the OS thread and returns them, emptied, when it ends.
// The stacks are private members of Thread. The one standard way to name a private member
// from outside is an explicit template instantiation, which is exempt from access checking
// ([temp.explicit] in C++17: "the usual access checking rules do not apply to names used to
// specify explicit instantiations"). The member types are checked by the compiler and the
// frame capacity by PD_ASSERT, so a WABT whose Thread differs fails loudly, not silently.
template <auto Member, class Tag>
struct PrivateMember {
  friend constexpr auto member_pointer(Tag) { return Member; }
};
struct ThreadFrames {
  friend constexpr auto member_pointer(ThreadFrames);
};
struct ThreadValues {
  friend constexpr auto member_pointer(ThreadValues);
};
struct ThreadRefs {
  friend constexpr auto member_pointer(ThreadRefs);
};
struct ThreadExceptions {
  friend constexpr auto member_pointer(ThreadExceptions);
};
template struct PrivateMember<&wi::Thread::frames_, ThreadFrames>;
template struct PrivateMember<&wi::Thread::values_, ThreadValues>;
template struct PrivateMember<&wi::Thread::refs_, ThreadRefs>;
template struct PrivateMember<&wi::Thread::exceptions_, ThreadExceptions>;

struct Stacks {
  std::vector<wi::Frame> frames;
  std::vector<wi::Value> values;
};

// A value stack that grew past this is freed rather than pooled, so one deep call does not pin
// its peak for the life of the OS thread.
constexpr size_t kPooledValuesMax = 64 * 1024;  // 1 MiB of 16-byte values

// Stacks not lent out, per OS thread. More than one only while calls nest across instances
// (a host function of one instance calling another instance on the same thread).
thread_local std::vector<Stacks> t_stack_pool;

// Makes `thread` stackless: what an instance's Thread is between calls.
void strip_stacks(wi::Thread& thread) {
  std::vector<wi::Frame>().swap(thread.*member_pointer(ThreadFrames{}));
  std::vector<wi::Value>().swap(thread.*member_pointer(ThreadValues{}));
}

// Lends pooled stacks to an instance's Thread for one call, the frame vector sized to the call
// depth limit; takes them back, emptied, when the call is over (returned or trapped), together
// with anything an aborted call left on the Thread.
class StackLoan {
 public:
  StackLoan(wi::Thread& thread, uint32_t call_depth_max) : thread_(thread) {
    Stacks stacks;
    if (!t_stack_pool.empty()) {
      stacks = std::move(t_stack_pool.back());
      t_stack_pool.pop_back();
    }
    if (stacks.frames.capacity() != call_depth_max) {
      std::vector<wi::Frame> sized;
      sized.reserve(call_depth_max);
      stacks.frames.swap(sized);
    }
    PD_ASSERT(stacks.frames.capacity() == call_depth_max, "frame capacity is the depth limit");
    PD_ASSERT(frames().empty() && values().empty(), "an idle Thread has no stacks");
    frames().swap(stacks.frames);
    values().swap(stacks.values);
  }

  ~StackLoan() {
    Stacks stacks;
    frames().swap(stacks.frames);
    values().swap(stacks.values);
    stacks.frames.clear();
    stacks.values.clear();
    (thread_.*member_pointer(ThreadRefs{})).clear();
    (thread_.*member_pointer(ThreadExceptions{})).clear();
    if (stacks.values.capacity() > kPooledValuesMax) std::vector<wi::Value>().swap(stacks.values);
    t_stack_pool.push_back(std::move(stacks));
  }

  StackLoan(const StackLoan&) = delete;
  StackLoan& operator=(const StackLoan&) = delete;

 private:
  std::vector<wi::Frame>& frames() { return thread_.*member_pointer(ThreadFrames{}); }
  std::vector<wi::Value>& values() { return thread_.*member_pointer(ThreadValues{}); }
  wi::Thread& thread_;
};

// The memory of the guest that called a host function: the caller's instance, found through
// the thread (this also works while the start function runs, before create() returns).
MemoryView caller_memory(wi::Thread& thread) {
  wi::Instance* inst = thread.GetCallerInstance();
  if (inst == nullptr || inst->memories().empty()) return {};
  wi::Memory::Ptr memory = thread.store().UnsafeGet<wi::Memory>(inst->memories()[0]);
  return {memory->UnsafeData(), memory->ByteSize()};
}

wi::HostFunc::Ptr make_host_function(wi::Store& store, const wi::FuncType& type, HostFunction fn) {
  PD_ASSERT(type.params.size() <= kHostParamsMax && type.results.size() <= kHostResultsMax,
            "host functions of the guest ABI are small");
  auto callback = [fn = std::move(fn), type](wi::Thread& thread, const wi::Values& params,
                                             wi::Values& results,
                                             wi::Trap::Ptr* out_trap) -> wabt::Result {
    Val args[kHostParamsMax];
    Val outs[kHostResultsMax];
    // Bounded again here (create() asserts it) so the compiler can see the arrays suffice.
    const size_t n_params = std::min(type.params.size(), kHostParamsMax);
    const size_t n_results = std::min(type.results.size(), kHostResultsMax);
    for (size_t i = 0; i < n_params; ++i) args[i] = from_value(type.params[i], params[i]);
    std::string trap;
    bool ok = false;
    try {
      ok = fn(args, outs, caller_memory(thread), &trap);
    } catch (...) {
      // HostFunction must not throw; unwinding through WABT's interpreter loop is never safe.
      ok = false;
      trap = "host function threw an exception";
    }
    if (!ok) {
      *out_trap = wi::Trap::New(thread.store(), trap);
      return wabt::Result::Error;
    }
    results.resize(n_results);
    for (size_t i = 0; i < n_results; ++i) results[i] = to_value(outs[i]);
    return wabt::Result::Ok;
  };
  return wi::HostFunc::New(store, type, std::move(callback));
}

// Lowers a memory's or table's maximum to `limit`. False when its initial size is already above.
bool clamp_limits(wabt::Limits& limits, uint64_t limit) {
  if (limits.initial > limit) return false;
  limits.max = limits.has_max ? std::min<uint64_t>(limits.max, limit) : limit;
  limits.has_max = true;
  return true;
}

}  // namespace

// --- Module ----------------------------------------------------------------------------------

Module::Module() : data_(std::make_unique<ModuleData>()) {}
Module::~Module() = default;

std::shared_ptr<const Module> Module::compile(const uint8_t* data, size_t size, Diagnostic* error) {
  static const uint8_t kNoBytes = 0;
  if (data == nullptr) data = &kNoBytes;  // WABT reads nothing when size is 0
  std::shared_ptr<Module> module(new Module());
  ModuleData& d = *module->data_;

  wabt::Errors errors;
  const wabt::ReadBinaryOptions options(features(), /*log_stream=*/nullptr,
                                        /*read_debug_names=*/false,
                                        /*stop_on_first_error=*/true,
                                        // A malformed custom section (name, size) is a
                                        // malformed module, as the spec suite requires.
                                        /*fail_on_custom_section_error=*/true);
  const wabt::Result read =
      wi::ReadBinaryInterp("module.wasm", data, size, options, &errors, &d.desc);
  if (wabt::Failed(read)) {
    *error = {};
    for (const wabt::Error& e : errors) {
      if (e.error_level != wabt::ErrorLevel::Error) continue;
      *error = {e.message, true, static_cast<uint64_t>(e.loc.offset)};
      break;
    }
    if (error->message.empty()) error->message = "not a valid WebAssembly module";
    return nullptr;
  }

  uint32_t imported_functions = 0;
  for (const wi::ImportDesc& import : d.desc.imports) {
    ExternInfo info = describe(*import.type.type);
    info.module = import.type.module;
    info.name = import.type.name;
    if (info.kind == ExternKind::Func) ++imported_functions;
    d.imports.push_back(std::move(info));
  }
  for (const wi::ExportDesc& exp : d.desc.exports) {
    ExternInfo info = describe(*exp.type.type);
    info.name = exp.type.name;
    d.exports.push_back(std::move(info));
  }
  for (size_t i = 0; i < d.desc.funcs.size(); ++i) {
    const wi::FuncDesc& f = d.desc.funcs[i];
    uint64_t slots = f.type.params.size();
    for (const wi::LocalDesc& l : f.locals) slots += l.count;
    if (slots > d.largest_frame_slots) {
      d.largest_frame_slots = slots;
      d.largest_frame_function = imported_functions + static_cast<uint32_t>(i);
    }
  }
  return module;
}

const std::vector<ExternInfo>& Module::imports() const {
  return data_->imports;
}
const std::vector<ExternInfo>& Module::exports() const {
  return data_->exports;
}
uint64_t Module::largest_frame_slots() const {
  return data_->largest_frame_slots;
}
uint32_t Module::largest_frame_function() const {
  return data_->largest_frame_function;
}

// --- Instance --------------------------------------------------------------------------------

Instance::Instance() : state_(std::make_unique<InstanceState>()) {}

// InstanceState declares the store first, so every RefPtr unroots itself before it goes.
Instance::~Instance() = default;

std::unique_ptr<Instance> Instance::create(std::shared_ptr<const Module> module,
                                           std::vector<HostFunction> imports, const Limits& limits,
                                           std::string* error) {
  PD_ASSERT(limits.call_depth_max > 0, "checked by the caller");
  const ModuleData& md = *module->data_;
  PD_ASSERT(imports.size() == md.desc.imports.size(), "one host function per import");

  wi::ModuleDesc desc = md.desc;  // this instance's copy, with its own limits
  for (size_t i = 0; i < desc.memories.size(); ++i) {
    wabt::Limits& l = desc.memories[i].type.limits;
    if (!clamp_limits(l, limits.memory_pages_max)) {
      *error = "memory " + std::to_string(i) + " starts at " + std::to_string(l.initial) +
               " pages (" + std::to_string(l.initial * WABT_PAGE_SIZE) +
               " bytes), above max_memory_pages " + std::to_string(limits.memory_pages_max);
      return nullptr;
    }
  }
  for (size_t i = 0; i < desc.tables.size(); ++i) {
    wabt::Limits& l = desc.tables[i].type.limits;
    if (!clamp_limits(l, limits.table_elements_max)) {
      *error = "table " + std::to_string(i) + " starts at " + std::to_string(l.initial) +
               " elements, above max_table_elements " + std::to_string(limits.table_elements_max);
      return nullptr;
    }
  }

  std::unique_ptr<Instance> out(new Instance());
  InstanceState& s = *out->state_;
  s.store = std::make_unique<wi::Store>(features());
  s.module = std::move(module);
  s.limits = limits;

  wi::RefVec import_refs;
  for (size_t i = 0; i < desc.imports.size(); ++i) {
    const wi::ExternType& type = *desc.imports[i].type.type;
    PD_ASSERT(type.kind == wabt::ExternalKind::Func, "only function imports are wired");
    s.host_functions.push_back(make_host_function(*s.store, static_cast<const wi::FuncType&>(type),
                                                  std::move(imports[i])));
    import_refs.push_back(s.host_functions.back().ref());
  }

  s.interp_module = wi::Module::New(*s.store, std::move(desc));
  wi::Trap::Ptr trap;
  s.instance = wi::Instance::Instantiate(*s.store, s.interp_module.ref(), import_refs, &trap);
  if (!s.instance) {
    *error = trap ? trap->message() : std::string("instantiation failed");
    return nullptr;
  }
  if (!s.instance->memories().empty()) {
    s.memory = s.store->UnsafeGet<wi::Memory>(s.instance->memories()[0]);
  }
  s.thread = std::make_unique<wi::Thread>(*s.store);
  strip_stacks(*s.thread);
  return out;
}

bool Instance::call(size_t export_index, const std::vector<Val>& args, std::vector<Val>* results,
                    std::string* trap_message) {
  InstanceState& s = *state_;
  PD_ASSERT(export_index < s.instance->exports().size(), "export index in range");
  wi::Func::Ptr func = s.store->UnsafeGet<wi::Func>(s.instance->exports()[export_index]);
  const wi::FuncType& type = func->type();
  PD_ASSERT(args.size() == type.params.size(), "arguments checked by the caller");

  wi::Values params;
  params.reserve(args.size());
  for (const Val& a : args) params.push_back(to_value(a));
  wi::Values outs;
  // A re-exported import is a HostFunc, which writes into results it expects to be sized.
  if (func->kind() == wi::ObjectKind::HostFunc) outs.resize(type.results.size());

  wi::Trap::Ptr trap;
  bool ok;
  {
    StackLoan loan(*s.thread, s.limits.call_depth_max);
    ok = wabt::Succeeded(func->Call(*s.thread, params, outs, &trap));
    // WABT 1.0.32 ignores a failed frame push in call_indirect (Thread::DoCall): the trap is
    // recorded but the caller runs on as if the call had returned. Any recorded trap fails
    // the call. (A callee with results then underflows the value stack inside WABT first:
    // see docs/wasm.md, known limits.)
    ok = ok && !trap;
  }
  if (!ok) {
    *trap_message = trap ? trap->message() : std::string("trap");
    trap.reset();
    s.store->Collect();  // the Trap object (and anything the aborted call allocated)
    return false;
  }
  results->clear();
  for (size_t i = 0; i < type.results.size(); ++i) {
    results->push_back(from_value(type.results[i], outs[i]));
  }
  return true;
}

std::vector<uint64_t> Module::memory_initial_pages() const {
  std::vector<uint64_t> out;
  for (const auto& m : data_->desc.memories) out.push_back(m.type.limits.initial);
  return out;
}

std::vector<uint64_t> Module::table_initial_elements() const {
  std::vector<uint64_t> out;
  for (const auto& t : data_->desc.tables) out.push_back(t.type.limits.initial);
  return out;
}

MemoryView Instance::memory() const {
  const InstanceState& s = *state_;
  if (!s.memory) return {};
  return {s.memory->UnsafeData(), s.memory->ByteSize()};
}

int64_t Instance::global_i64(size_t export_index) const {
  InstanceState& s = *state_;
  wi::Global::Ptr g = s.store->UnsafeGet<wi::Global>(s.instance->exports()[export_index]);
  return g->Get().Get<wi::s64>();
}

void Instance::set_global_i64(size_t export_index, int64_t value) {
  InstanceState& s = *state_;
  wi::Global::Ptr g = s.store->UnsafeGet<wi::Global>(s.instance->exports()[export_index]);
  const wabt::Result set = g->Set(static_cast<wi::s64>(value));
  PD_ASSERT(wabt::Succeeded(set), "the caller checked the global is a mutable i64");
}

}  // namespace pd::detail::wabt_interp
