// PluginRegistry: the plugins a node has loaded (WASM modules and native shared libraries with
// the C ABI v1 of sdk/pd_plugin.h), and the actor types they provide.
//
// Actors are made by type name: actor_factory(type) gives a ChildSpec factory that looks the
// type up each time it runs, so a supervisor restarting a child after the plugin was unloaded
// and loaded again (a newer version, say) starts it on the new code.
//
// Unload: the plugin leaves the registry at once (its name and types are free for a new load;
// factories that ask for its types now start actors that fail with Init naming the unloaded
// plugin). Actors already running keep running on the code they started with; a native
// library is shut down (pd_plugin_shutdown) and closed when its last actor is destroyed, a
// WASM module freed with its last instance. docs/plugins.md has the whole story.
//
// Thread-safe: loads, unloads and lookups take a mutex (none of them is on a message path).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "pd/actor/actor.h"
#include "pd/actor/child_spec.h"
#include "pd/core/expected.h"
#include "pd/plugin/plugin_error.h"
#include "pd/plugin/plugin_manifest.h"
#include "pd/wasm/wasm_host.h"

namespace pd {

struct PluginInfo {
  std::string name;
  std::string version;
  PluginKind kind = PluginKind::Wasm;
  std::string file;
  uint32_t abi_version = 1;
  std::vector<std::string> actor_types;
  std::string backend;            // wasm: the backend that runs it ("interp", "aot")
  std::string backend_note;       // wasm: how it was chosen ("aot could not compile ...")
  uint64_t fuel_per_call = 0;     // wasm
  uint32_t max_memory_pages = 0;  // wasm
  NamespacePolicy policy;
  uint64_t live_actors = 0;  // actors of this plugin that exist now
};

struct UnloadReport {
  std::string name;
  uint64_t live_actors = 0;  // still running on the unloaded code
};

namespace detail {
struct RegistryState;
}

class PluginRegistry {
 public:
  // WASM plugins compile and run on `host` when one is given (whatever their manifests say);
  // otherwise on the backend each one asks for, `default_backend` when it asks for none.
  explicit PluginRegistry(std::shared_ptr<const WasmHost> host = nullptr,
                          WasmBackend default_backend = WasmBackend::Interp, AotOptions aot = {});
  ~PluginRegistry();
  PluginRegistry(const PluginRegistry&) = delete;
  PluginRegistry& operator=(const PluginRegistry&) = delete;

  Expected<PluginInfo, PluginError> load_manifest(const std::string& path);
  Expected<PluginInfo, PluginError> load(const PluginManifest& manifest);
  Expected<PluginInfo, PluginError> load_wasm(const std::string& path, PluginOptions options = {});
  Expected<PluginInfo, PluginError> load_native(const std::string& path,
                                                PluginOptions options = {});

  std::vector<PluginInfo> list() const;  // by name
  std::optional<PluginInfo> info(const std::string& name) const;

  // A factory for ChildSpec: each call makes one actor of `type_name` with `config` (bytes
  // for pd_actor_create; WASM guests take none). Fails now if the type is unknown or the
  // config does not suit it; later calls resolve the type again (see above).
  Expected<ActorFactory, PluginError> actor_factory(const std::string& type_name,
                                                    std::vector<uint8_t> config = {}) const;
  // One actor, now: what the factory makes. Native plugins create their actor object in
  // on_start (pd_actor_create), so a NULL from it fails the start with Init.
  Expected<std::unique_ptr<Actor>, PluginError> create_actor(
      const std::string& type_name, std::span<const uint8_t> config = {}) const;

  Expected<UnloadReport, PluginError> unload(const std::string& name);

 private:
  std::shared_ptr<detail::RegistryState> state_;
};

}  // namespace pd
