// Private to the wasm module: what any backend needs to know about a module before it runs
// it, decoded and fully validated by WABT (the interpreter's decoder), so that every backend
// refuses the same modules with the same words.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "pd/core/expected.h"
#include "pd/wasm/wasm_error.h"
#include "pd/wasm/wasm_host.h"

namespace pd::detail {

struct ModuleInfo {
  std::vector<WasmImport> imports;
  std::vector<WasmExport> exports;
  std::vector<uint64_t> memory_initial_pages;
  std::vector<uint64_t> table_initial_elements;
  uint64_t largest_frame_slots = 0;
  uint32_t largest_frame_function = 0;
};

// Compile error (with section and offset) when `wasm` does not decode or validate.
Expected<ModuleInfo, WasmError> decode_module(std::span<const uint8_t> wasm);

}  // namespace pd::detail
