// Private to the aot backend: turning a module into a shared object (wasm2c, then the C
// compiler), and the cache of shared objects keyed by module and toolchain.
#pragma once

#include <cstdint>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "module_info.h"
#include "pd/wasm/aot_host.h"

namespace pd::detail {

// The runtime's sources, embedded at build time (aot_runtime_sources.cpp, generated).
extern const char* const kAotRuntimeC;
extern const char* const kAotRuntimeH;
extern const char* const kAotWasmRtH;
extern const char* const kAotGlueSourceHash;  // SHA-256 of aot_glue.cpp + aot_c_names.cpp

class AotToolchain {
 public:
  explicit AotToolchain(AotOptions options);

  // The path of a shared object for `wasm`: from the cache when a sound entry exists, else
  // built now and stored. A Compile error says which step failed and shows its output.
  Expected<std::string, WasmError> shared_object(std::span<const uint8_t> wasm,
                                                 const ModuleInfo& info) const;
  const std::string& cache_dir() const { return cache_dir_; }

 private:
  Expected<std::string, WasmError> identity() const;  // compiler + wasm2c + runtime, once
  // The C compiler with the configured and the fixed flags, before the step's own.
  std::vector<std::string> compiler_command() const;
  // The runtime compiled for this toolchain (`id`): from the cache, or built now.
  Expected<std::string, WasmError> runtime_object(const std::string& id) const;
  Expected<void, WasmError> build(std::span<const uint8_t> wasm, const ModuleInfo& info,
                                  const std::string& so_path) const;

  AotOptions options_;
  std::string cache_dir_;
  mutable std::string identity_;  // guarded by identity_mu_
  mutable std::mutex identity_mu_;
};

}  // namespace pd::detail
