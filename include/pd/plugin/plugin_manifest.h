// PluginManifest: a plugin described in TOML, next to the file it loads.
//
//   name = "counter"              # required; the registry's key
//   version = "1.0.0"             # required, free-form
//   kind = "wasm"                 # required: "wasm" or "native"
//   file = "guests/counter.wasm"  # required; relative paths are relative to the manifest
//   actor_types = ["counter"]     # wasm: exactly one (default: [name]);
//                                 # native: those to offer (default: all the library lists)
//   fuel = 100000                 # wasm: fuel per call, 0 = unmetered (default 0); the module
//                                 # is metered at load when it is not already
//   max_memory_pages = 16         # wasm: 64 KiB pages an instance may have (default 256)
//   max_call_depth = 1024         # wasm: nested calls before the guest traps (default 1024)
//   backend = "aot"               # wasm: interp, aot or auto (default: the registry's)
//   [namespace]                   # where the plugin's actors may send (default: the
//   allow = ["/user/app"]         #   reference's /plugins/<name> and /system)
//   deny = ["/user/app/admin"]    # deny wins over allow
//
// Unknown keys and values of the wrong type are errors naming the key and its line.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "pd/core/expected.h"
#include "pd/plugin/namespace_policy.h"
#include "pd/plugin/plugin_error.h"
#include "pd/wasm/wasm_backend.h"

namespace pd {

enum class PluginKind : uint8_t { Wasm, Native };
const char* to_string(PluginKind k);

// What a plugin is loaded with, from a manifest or given directly to the registry.
struct PluginOptions {
  std::string name;     // wasm without a manifest: the file's stem when empty
  std::string version;  // wasm: "0" when empty; native: the library's when empty
  std::vector<std::string> actor_types;
  uint64_t fuel_per_call = 0;
  uint32_t max_memory_pages = 256;
  uint32_t max_call_depth = 1024;
  std::optional<NamespacePolicy> policy;  // nullopt: NamespacePolicy::for_plugin(name)
  std::optional<WasmBackend> backend;     // wasm; nullopt: the registry's default
};

struct PluginManifest {
  std::string manifest_file;  // where it was read from
  PluginKind kind = PluginKind::Wasm;
  std::string file;  // resolved against the manifest's folder
  PluginOptions options;

  static Expected<PluginManifest, PluginError> load(const std::string& path);
  // `path` is what errors name and what relative `file`s are resolved against.
  static Expected<PluginManifest, PluginError> parse(const std::string& text,
                                                     const std::string& path);
};

}  // namespace pd
