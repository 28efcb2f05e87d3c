// `pd run CONFIG.toml`: a single-core engine from a TOML file — plugins loaded, a supervised
// tree of native and WASM actors spawned, initial messages sent on a schedule — with every
// event printed as it happens. The format is in docs/plugins.md and examples/run/demo.toml.
#pragma once

#include <string>

namespace pd::cli {

// 0 when it ran and the engine did not fail; 1 when a root supervisor gave up; 2 for a config
// or plugin that cannot be loaded (the message, naming file and line, on stderr).
// `backend` ("interp", "aot", "auto"; empty: interp) runs the WASM plugins whose manifests
// do not choose one.
int run_config(const std::string& path, const std::string& backend = "");

}  // namespace pd::cli
