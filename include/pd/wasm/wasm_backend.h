// Choosing a WASM backend by name: "interp" (WABT's interpreter: instant load), "aot" (wasm2c
// and the C compiler: native speed, compiled once and cached) or "auto" (aot when the module
// compiles there, otherwise the interpreter, and it says which).
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "pd/core/expected.h"
#include "pd/wasm/aot_host.h"
#include "pd/wasm/wasm_host.h"

namespace pd {

enum class WasmBackend : uint8_t { Interp, Aot, Auto };
const char* to_string(WasmBackend b);
// "interp", "aot" or "auto"; an error naming the three otherwise.
Expected<WasmBackend, std::string> parse_wasm_backend(std::string_view name);

struct CompiledModule {
  std::shared_ptr<const WasmHost> host;  // the backend that compiled it (instantiate there)
  std::shared_ptr<const WasmModule> module;
  std::string note;  // for auto: which backend, and why when it fell back
};

Expected<CompiledModule, WasmError> compile_on(WasmBackend backend, std::span<const uint8_t> wasm,
                                               const AotOptions& aot = {});

}  // namespace pd
