// `pd wasm meter` and `pd wasm run`.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace pd::cli {

// Compiles IN with the aot backend into its cache (and copies the result to OUT when given);
// prints where it is and how long it took.
int wasm_compile(const std::string& in, const std::string& out);

int wasm_meter(const std::string& in, const std::string& out, std::optional<uint64_t> fuel);

struct WasmRunArgs {
  std::string guest;
  std::optional<uint64_t> fuel;  // meter the guest and grant this much per call
  std::optional<uint32_t> max_pages;
  std::string restart = "transient";
  std::string backend = "interp";  // interp | aot | auto
  // In command-line order: "TAG:HEX" (send) or "TAG:PATH" (send-file, is_file).
  struct Send {
    std::string spec;
    bool is_file = false;
  };
  std::vector<Send> sends;
};
int wasm_run(const WasmRunArgs& args);

}  // namespace pd::cli
