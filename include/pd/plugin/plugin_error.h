// PluginError: why a plugin could not be loaded, unloaded or asked for an actor. Every error
// names the file it is about (a manifest, a .wasm or a shared library) and the cause.
#pragma once

#include <cstdint>
#include <string>

namespace pd {

struct PluginError {
  enum class Kind : uint8_t {
    ManifestInvalid,  // a manifest that does not parse, or a key/value that is not allowed
    LoadFailed,       // the file cannot be read or dlopen refused it
    AbiMismatch,      // another ABI version, a missing export, an export of the wrong type
    InitFailed,       // pd_plugin_init returned NULL
    WasmError,        // the module does not compile (or cannot be metered)
    UnknownType,      // no loaded plugin provides that actor type
    AlreadyLoaded,    // a plugin of that name, library or actor type is loaded already
    NotLoaded,        // unload of a plugin that is not loaded
    BadConfig,        // a config the actor type cannot take
  };
  Kind kind;
  std::string file;  // empty when no file is involved (UnknownType, NotLoaded)
  std::string message;

  // "AbiMismatch: plugins/x.so: built against plugin ABI version 2; this host speaks 1"
  std::string to_string() const;
};
const char* to_string(PluginError::Kind k);

}  // namespace pd
