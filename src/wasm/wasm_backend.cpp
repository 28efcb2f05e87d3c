#include "pd/wasm/wasm_backend.h"

namespace pd {

const char* to_string(WasmBackend b) {
  switch (b) {
    case WasmBackend::Interp: return "interp";
    case WasmBackend::Aot: return "aot";
    case WasmBackend::Auto: return "auto";
  }
  return "?";
}

Expected<WasmBackend, std::string> parse_wasm_backend(std::string_view name) {
  if (name == "interp") return WasmBackend::Interp;
  if (name == "aot") return WasmBackend::Aot;
  if (name == "auto") return WasmBackend::Auto;
  return Unexpected{"unknown backend '" + std::string(name) + "' (interp, aot or auto)"};
}

Expected<CompiledModule, WasmError> compile_on(WasmBackend backend, std::span<const uint8_t> wasm,
                                               const AotOptions& aot) {
  CompiledModule out;
  if (backend != WasmBackend::Interp) {
    out.host = make_aot_host(aot);
    auto module = out.host->compile(wasm);
    if (module) {
      out.module = std::move(module).value();
      out.note = "backend aot";
      return out;
    }
    // An invalid module is invalid everywhere: no point trying the interpreter.
    if (backend == WasmBackend::Aot || module.error().kind != WasmError::Kind::Compile)
      return Unexpected{module.error()};
    out.note = "backend interp (aot could not compile it: " + module.error().message + ")";
  } else {
    out.note = "backend interp";
  }
  out.host = make_interp_host();
  auto module = out.host->compile(wasm);
  if (!module) return Unexpected{module.error()};
  out.module = std::move(module).value();
  return out;
}

}  // namespace pd
