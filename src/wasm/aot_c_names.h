// Private to the aot backend: names wasm2c can write. WABT 1.0.32's wasm2c copies every import
// and export name into a C comment, so a name holding "*/" or a control character makes its
// output invalid C. Such a module is compiled from a copy whose unsafe names are replaced by
// plain ones (exports "pd_export_<index>", imports "pd_import_<index>"."f"); the glue keeps
// the original names for the host, which binds and calls by position.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "module_info.h"

namespace pd::detail {

// True when wasm2c can write `name` into a C comment.
bool c_comment_safe(const std::string& name);

// `wasm` with its unsafe import and export names replaced, and `c_info` (a copy of `info`)
// renamed the same way; an empty vector when every name is safe (compile `wasm` as it is).
Expected<std::vector<uint8_t>, std::string> rename_for_c(std::span<const uint8_t> wasm,
                                                         const ModuleInfo& info,
                                                         ModuleInfo* c_info);

}  // namespace pd::detail
