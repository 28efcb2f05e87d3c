// WAT (the WebAssembly text format) to binary, with WABT's parser: for tools, benchmarks and
// tests that write guests as text. The bytes are not validated (WasmHost::compile does that).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "pd/core/expected.h"

namespace pd {

// The binary of the one module in `wat`, or WABT's messages (with line:column) when it does
// not parse. `name` names the text in those messages.
Expected<std::vector<uint8_t>, std::string> wat_to_wasm(std::string_view wat,
                                                        std::string_view name = "guest.wat");

}  // namespace pd
