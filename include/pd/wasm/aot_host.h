// The ahead-of-time backend: a module goes through WABT's wasm2c, the system C compiler builds
// it into a shared object, and instances run as native code. Behind the same WasmHost
// interface as the interpreter, with the same limits, traps, fuel and guest ABI.
//
//   auto host = pd::make_aot_host();            // cache in $PD_CACHE_DIR or ~/.cache/palladium/aot
//   auto module = host->compile(bytes);         // compiles once per module; later: from the cache
//
// Compiled objects are cached by a key of the module's bytes (metered modules are different
// bytes), the toolchain (compiler and wasm2c versions, flags) and the aot runtime's sources. A
// cache entry is trusted only when its recorded key, size and hash all match; anything else is
// rebuilt. Compiling needs `wasm2c` and a C compiler; compile() says so when they are missing.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "pd/wasm/wasm_host.h"

namespace pd {

struct AotOptions {
  // Where compiled modules are kept. Empty: $PD_CACHE_DIR, else $XDG_CACHE_HOME/palladium/aot,
  // else $HOME/.cache/palladium/aot.
  std::string cache_dir;
  std::string c_compiler = "cc";
  std::string wasm2c = "wasm2c";
  // -falign-loops=32: a hot loop that straddles a 64-byte boundary ran at half speed on the
  // machines we measured (the loop's decoded ops come from two lines a turn).
  std::vector<std::string> c_flags = {"-O2", "-falign-loops=32"};
};

std::unique_ptr<WasmHost> make_aot_host(AotOptions options = {});

// The cache folder `options` resolves to.
std::string aot_cache_dir(const AotOptions& options);

// Compiles `wasm` into the cache now (what compile() does first) and returns the path of its
// shared object: `pd wasm compile` ahead of time, so that later loads are instant.
Expected<std::string, WasmError> aot_compile_to_cache(std::span<const uint8_t> wasm,
                                                      const AotOptions& options = {});

}  // namespace pd
