// Private to the interpreter backend: a narrow C++17 face over WABT's interpreter.
//
// Why a separate layer: WABT 1.0.32's interp-inl.h defines `FreeList<T>::~FreeList<T>()`, a
// destructor named by a template-id, which C++20 forbids (DR 2237) and g++ 12 rejects with a
// hard error. So wabt_interp.cpp, the one file that includes WABT's interpreter headers, is
// compiled as C++17 (see CMakeLists.txt), and this header - shared with the C++20 code - uses
// only C++17 and standard types. Policy (error kinds, the guest ABI, fuel) lives in
// interp_host.cpp; this layer decodes, instantiates, runs and reports what WABT said.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace pd::detail::wabt_interp {

enum class ValType : uint8_t { I32, I64, F32, F64, V128, FuncRef, ExternRef };
enum class ExternKind : uint8_t { Func, Table, Memory, Global, Tag };

struct Signature {
  std::vector<ValType> params;
  std::vector<ValType> results;
};

struct ExternInfo {
  std::string module;  // imports only
  std::string name;
  ExternKind kind = ExternKind::Func;
  Signature signature;                // Func, Tag
  ValType value_type = ValType::I32;  // Global type, Table element type
  bool is_mutable = false;            // Global
};

// A number value as bits: i32 and f32 in the low 32 bits.
struct Val {
  ValType type = ValType::I32;
  uint64_t bits = 0;
};

struct Diagnostic {
  std::string message;
  bool has_offset = false;
  uint64_t offset = 0;  // byte offset into the module, when has_offset
};

struct ModuleData;

// A decoded and validated module; immutable, shareable across threads.
class Module {
 public:
  // Decodes and validates (WABT's default features plus exceptions, tail calls and extended
  // constant expressions). nullptr with *error set when the bytes are not a valid module.
  static std::shared_ptr<const Module> compile(const uint8_t* data, size_t size, Diagnostic* error);
  ~Module();
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  const std::vector<ExternInfo>& imports() const;
  const std::vector<ExternInfo>& exports() const;
  // The largest params + locals among the functions the module defines (0 if none), and the
  // index (in the function index space) of the first function that has it.
  uint64_t largest_frame_slots() const;
  uint32_t largest_frame_function() const;
  // Initial sizes of the memories (pages) and tables (elements) the module defines or imports.
  std::vector<uint64_t> memory_initial_pages() const;
  std::vector<uint64_t> table_initial_elements() const;

 private:
  friend class Instance;
  Module();
  std::unique_ptr<ModuleData> data_;
};

struct Limits {
  uint32_t memory_pages_max = 0;
  uint32_t call_depth_max = 0;
  uint32_t table_elements_max = 0;
};

struct MemoryView {
  uint8_t* data = nullptr;
  uint64_t size = 0;
};

// A host function behind an import. `args` has one Val per parameter of the import's
// signature, `results` room for one per result (types to be set by the callee). Returns true,
// or false with *trap set to the message the guest traps with. Must not throw.
using HostFunction =
    std::function<bool(const Val* args, Val* results, MemoryView memory, std::string* trap)>;

struct InstanceState;

// One instance with its own WABT store: independent of every other instance, so instances may
// run on different threads at once.
class Instance {
 public:
  // `imports` holds one function per import of `module`, in import order; every import must be
  // a function. nullptr with *error set when WABT refuses (data segment out of bounds, start
  // function trapped, ...) or a memory or table starts above `limits`.
  static std::unique_ptr<Instance> create(std::shared_ptr<const Module> module,
                                          std::vector<HostFunction> imports, const Limits& limits,
                                          std::string* error);
  ~Instance();
  Instance(const Instance&) = delete;
  Instance& operator=(const Instance&) = delete;

  // Calls the function exported at `export_index` (index into module.exports()) with `args`,
  // which must match its parameters. True with *results filled, or false with *trap set.
  bool call(size_t export_index, const std::vector<Val>& args, std::vector<Val>* results,
            std::string* trap);

  // Memory 0 as it is now; {nullptr, 0} for a module without memory. Invalidated by any call.
  MemoryView memory() const;

  // The i64 global exported at `export_index`.
  int64_t global_i64(size_t export_index) const;
  void set_global_i64(size_t export_index, int64_t value);

 private:
  Instance();
  std::unique_ptr<InstanceState> state_;
};

}  // namespace pd::detail::wabt_interp
