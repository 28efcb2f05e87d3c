// Private to the aot backend: the C glue compiled next to a module's wasm2c output. It gives
// the module the guest ABI's imports (calling back into the host through a table of function
// pointers), one thunk per exported function (arguments and results as 64-bit patterns, so
// the host can call any number signature), a stub per other imported function (calling the
// host's call_function), and the entry points the host resolves with dlsym:
// pd_aot_glue_version, pd_aot_instance_size, pd_aot_export_count, pd_aot_export_name,
// pd_aot_instantiate, pd_aot_call, pd_aot_free, pd_aot_memory, pd_aot_fuel.
#pragma once

#include <cstdint>
#include <string>

#include "module_info.h"

namespace pd::detail {

inline constexpr uint32_t kAotGlueVersion = 4;
// The name wasm2c is given for every module (its symbols are hidden in each shared object).
inline constexpr const char* kAotModuleName = "pdm";
// The trap code of a host function that failed (its message is the host's).
inline constexpr int kAotTrapHost = 64;

// The callbacks the glue's imports call; layout shared with the generated C.
struct AotHostTable {
  uint32_t (*send)(void* user, uint32_t env_ptr, uint32_t env_len, uint32_t payload_ptr,
                   uint32_t payload_len, int* trapped);
  uint64_t (*now_micros)(void* user, int* trapped);
  void (*log)(void* user, uint32_t level, uint32_t msg_ptr, uint32_t msg_len, int* trapped);
  // Any other imported function: the import's position among the module's imports, its
  // arguments and results as 64-bit patterns (f32 and i32 in the low half).
  void (*call_function)(void* user, uint32_t import_index, const uint64_t* args, uint64_t* results,
                        int* trapped);
};

// The glue for a module whose wasm2c header (generated with -n pdm) is `header`. `c_info` is
// `info` with the names wasm2c was given (aot_c_names.h): declarations are found by those, the
// host is told the originals. An error names what in the header it could not read.
Expected<std::string, std::string> generate_aot_glue(const std::string& header,
                                                     const ModuleInfo& info,
                                                     const ModuleInfo& c_info);

}  // namespace pd::detail
