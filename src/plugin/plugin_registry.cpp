#include "pd/plugin/plugin_registry.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>

#include "native_library.h"
#include "pd/plugin/wasm_actor.h"
#include "pd/wasm/fuel_meter.h"

namespace pd {

namespace detail {

// One loaded plugin. Immutable once loaded; factories and actors share it.
struct LoadedPlugin {
  PluginInfo info;                               // live_actors filled in from `live` when asked
  std::shared_ptr<const NativeLibrary> library;  // native
  WasmActorConfig wasm;                          // wasm (host, module, fuel, limits, policy)
  std::shared_ptr<LiveCount> live = std::make_shared<LiveCount>();

  PluginInfo snapshot() const {
    PluginInfo i = info;
    i.live_actors = live->n.load(std::memory_order_relaxed);
    return i;
  }
};

struct RegistryState {
  std::shared_ptr<const WasmHost> host;  // set: every WASM plugin runs there
  WasmBackend default_backend = WasmBackend::Interp;
  AotOptions aot;
  mutable std::mutex mu;
  std::map<std::string, std::shared_ptr<const LoadedPlugin>> by_name;
  std::map<std::string, std::shared_ptr<const LoadedPlugin>> by_type;
  // Names of plugins unloaded, by the types they provided: for errors that say why.
  std::map<std::string, std::string> unloaded_types;
};

namespace {

// A WasmActor that counts itself among its plugin's live actors.
class CountedWasmActor final : public Actor {
 public:
  CountedWasmActor(const WasmActorConfig& config, std::shared_ptr<LiveCount> live)
      : inner_(config), live_(std::move(live)) {
    live_->n.fetch_add(1, std::memory_order_relaxed);
  }
  ~CountedWasmActor() override { live_->n.fetch_sub(1, std::memory_order_relaxed); }
  HandlerResult on_start(ActorContext& ctx) override { return inner_.on_start(ctx); }
  HandlerResult on_message(ActorContext& ctx, const Envelope& e, MessagePayload& p) override {
    return inner_.on_message(ctx, e, p);
  }
  void on_stop(ActorContext& ctx, const StopReason& r) override { inner_.on_stop(ctx, r); }

 private:
  WasmActor inner_;
  std::shared_ptr<LiveCount> live_;
};

// What a factory makes when its type is gone: an actor whose start fails, saying why.
class UnavailableActor final : public Actor {
 public:
  explicit UnavailableActor(std::string why) : why_(std::move(why)) {}
  HandlerResult on_start(ActorContext&) override { return Unexpected{ActorError::init(why_)}; }
  HandlerResult on_message(ActorContext&, const Envelope&, MessagePayload&) override { return {}; }

 private:
  std::string why_;
};

PluginError error(PluginError::Kind kind, std::string file, std::string message) {
  return PluginError{kind, std::move(file), std::move(message)};
}

std::string joined(const std::vector<std::string>& names) {
  std::string s;
  for (const auto& n : names) s += (s.empty() ? "" : ", ") + n;
  return s.empty() ? "none" : s;
}

Expected<std::vector<uint8_t>, PluginError> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in)
    return Unexpected{error(PluginError::Kind::LoadFailed, path,
                            std::string("cannot open: ") + std::strerror(errno))};
  std::streamoff size = in.tellg();
  constexpr std::streamoff kModuleBytesMax = std::streamoff(256) << 20;
  if (size < 0 || size > kModuleBytesMax)
    return Unexpected{error(PluginError::Kind::LoadFailed, path, "size unknown or above 256 MiB")};
  std::vector<uint8_t> bytes(static_cast<size_t>(size));
  in.seekg(0);
  if (!in.read(reinterpret_cast<char*>(bytes.data()), size))
    return Unexpected{error(PluginError::Kind::LoadFailed, path, "cannot read")};
  return bytes;
}

// The error for a type no plugin provides now.
PluginError unknown_type(const RegistryState& s, const std::string& type) {
  auto gone = s.unloaded_types.find(type);
  if (gone != s.unloaded_types.end())
    return error(PluginError::Kind::UnknownType, "",
                 "actor type '" + type + "' belonged to plugin '" + gone->second +
                     "', which was unloaded; load it again to spawn its actors");
  std::vector<std::string> known;
  for (const auto& [t, p] : s.by_type) known.push_back(t);
  return error(
      PluginError::Kind::UnknownType, "",
      "no loaded plugin provides actor type '" + type + "' (loaded types: " + joined(known) + ")");
}

Expected<void, PluginError> check_config(const LoadedPlugin& p, const std::string& type,
                                         std::span<const uint8_t> config) {
  if (p.info.kind == PluginKind::Wasm && !config.empty())
    return Unexpected{error(PluginError::Kind::BadConfig, p.info.file,
                            "actor type '" + type + "' is a WASM guest, and guest ABI v1 has " +
                                "no way to hand it a config (" + std::to_string(config.size()) +
                                " bytes given): send the config as its first message")};
  return {};
}

std::unique_ptr<Actor> make_actor(const std::shared_ptr<const LoadedPlugin>& p,
                                  const std::string& type, std::span<const uint8_t> config) {
  if (p->info.kind == PluginKind::Wasm) return std::make_unique<CountedWasmActor>(p->wasm, p->live);
  return std::make_unique<NativeActor>(p->library, type,
                                       std::vector<uint8_t>(config.begin(), config.end()),
                                       p->info.policy, p->live);
}

}  // namespace
}  // namespace detail

using detail::LoadedPlugin;

PluginRegistry::PluginRegistry(std::shared_ptr<const WasmHost> host, WasmBackend default_backend,
                               AotOptions aot)
    : state_(std::make_shared<detail::RegistryState>()) {
  state_->host = std::move(host);
  state_->default_backend = default_backend;
  state_->aot = std::move(aot);
}

PluginRegistry::~PluginRegistry() = default;

Expected<PluginInfo, PluginError> PluginRegistry::load_manifest(const std::string& path) {
  auto m = PluginManifest::load(path);
  if (!m) return Unexpected{m.error()};
  return load(*m);
}

Expected<PluginInfo, PluginError> PluginRegistry::load(const PluginManifest& manifest) {
  return manifest.kind == PluginKind::Wasm ? load_wasm(manifest.file, manifest.options)
                                           : load_native(manifest.file, manifest.options);
}

namespace {

// Adds `p` under its name and types, unless one of them is taken. Called with the lock held;
// the caller keeps `p`, so a refused plugin is let go (its library shut down) after the lock
// is released.
Expected<PluginInfo, PluginError> add(detail::RegistryState& s,
                                      const std::shared_ptr<const LoadedPlugin>& p) {
  const PluginInfo& info = p->info;
  if (s.by_name.count(info.name))
    return Unexpected{detail::error(PluginError::Kind::AlreadyLoaded, info.file,
                                    "a plugin named '" + info.name + "' is loaded already (from " +
                                        s.by_name[info.name]->info.file + "); unload it first")};
  for (const std::string& t : info.actor_types) {
    auto other = s.by_type.find(t);
    if (other != s.by_type.end())
      return Unexpected{detail::error(PluginError::Kind::AlreadyLoaded, info.file,
                                      "actor type '" + t + "' is provided already by plugin '" +
                                          other->second->info.name + "'")};
  }
  s.by_name[info.name] = p;
  for (const std::string& t : info.actor_types) {
    s.by_type[t] = p;
    s.unloaded_types.erase(t);
  }
  return p->snapshot();
}

}  // namespace

Expected<PluginInfo, PluginError> PluginRegistry::load_wasm(const std::string& path,
                                                            PluginOptions options) {
  auto bytes = detail::read_file(path);
  if (!bytes) return Unexpected{bytes.error()};
  auto p = std::make_shared<LoadedPlugin>();
  PluginInfo& info = p->info;
  info.kind = PluginKind::Wasm;
  info.file = path;
  info.name = options.name.empty() ? std::filesystem::path(path).stem().string() : options.name;
  if (!ActorPath::valid_segment(info.name))
    return Unexpected{detail::error(
        PluginError::Kind::ManifestInvalid, path,
        "'" + info.name + "' cannot name a plugin: use letters, " + "digits and . _ : -")};
  info.version = options.version.empty() ? "0" : options.version;
  if (options.actor_types.size() > 1)
    return Unexpected{detail::error(PluginError::Kind::ManifestInvalid, path,
                                    "a WASM plugin is one module, one actor type; " +
                                        std::to_string(options.actor_types.size()) + " given")};
  info.actor_types = {options.actor_types.empty() ? info.name : options.actor_types[0]};
  if (options.max_memory_pages < 1 || options.max_memory_pages > kWasmPagesMax ||
      options.max_call_depth < 1)
    return Unexpected{detail::error(
        PluginError::Kind::ManifestInvalid, path,
        "max_memory_pages must be between 1 and " + std::to_string(kWasmPagesMax) +
            " and max_call_depth at least 1 (got " + std::to_string(options.max_memory_pages) +
            " and " + std::to_string(options.max_call_depth) + ")")};
  info.fuel_per_call = options.fuel_per_call;
  info.max_memory_pages = options.max_memory_pages;
  info.policy = options.policy ? *options.policy : NamespacePolicy::for_plugin(info.name);

  // Metered first (fuel is a property of the module), then compiled where it will run.
  if (options.fuel_per_call > 0) {
    auto metered = meter_module(*bytes);
    if (metered) {
      *bytes = std::move(*metered);
    } else if (metered.error().kind != MeterError::Kind::AlreadyMetered) {
      return Unexpected{detail::error(PluginError::Kind::WasmError, path,
                                      std::string("cannot meter it for fuel: ") +
                                          to_string(metered.error().kind) + ": " +
                                          metered.error().message)};
    }
  }
  std::shared_ptr<const WasmHost> host;
  std::shared_ptr<const WasmModule> module;
  if (state_->host) {
    host = state_->host;
    auto compiled = host->compile(*bytes);
    if (!compiled)
      return Unexpected{
          detail::error(PluginError::Kind::WasmError, path, to_string(compiled.error()))};
    module = std::move(compiled).value();
    info.backend = std::string(host->name());
  } else {
    auto compiled =
        compile_on(options.backend.value_or(state_->default_backend), *bytes, state_->aot);
    if (!compiled)
      return Unexpected{
          detail::error(PluginError::Kind::WasmError, path, to_string(compiled.error()))};
    host = compiled->host;
    module = compiled->module;
    info.backend = std::string(host->name());
    info.backend_note = compiled->note;
  }
  if (auto what = check_guest_abi(*module))
    return Unexpected{
        detail::error(PluginError::Kind::AbiMismatch, path, "not a Palladium guest: " + *what)};
  p->wasm.host = host;
  p->wasm.module = module;
  p->wasm.fuel_per_call = options.fuel_per_call;
  p->wasm.limits.max_memory_pages = options.max_memory_pages;
  p->wasm.limits.max_call_depth = options.max_call_depth;
  p->wasm.policy = info.policy;

  std::lock_guard<std::mutex> lock(state_->mu);
  return add(*state_, p);
}

Expected<PluginInfo, PluginError> PluginRegistry::load_native(const std::string& path,
                                                              PluginOptions options) {
  if (options.fuel_per_call != 0 || options.max_memory_pages != PluginOptions{}.max_memory_pages ||
      options.max_call_depth != PluginOptions{}.max_call_depth || options.backend)
    return Unexpected{detail::error(PluginError::Kind::ManifestInvalid, path,
                                    "fuel, max_memory_pages, max_call_depth and backend apply to "
                                    "WASM plugins; a native plugin runs unsandboxed")};
  std::error_code ec;
  std::string canonical = std::filesystem::weakly_canonical(path, ec).string();
  if (ec) canonical = path;
  {
    // dlopen of a library that is open already returns the same one: its pd_plugin_init would
    // run a second time over the state the first load set up.
    std::lock_guard<std::mutex> lock(state_->mu);
    for (const auto& [name, p] : state_->by_name)
      if (p->library && p->library->path() == canonical)
        return Unexpected{
            detail::error(PluginError::Kind::AlreadyLoaded, path,
                          "this library is loaded already, as plugin '" + name + "'")};
  }
  if (!std::filesystem::exists(canonical, ec))
    return Unexpected{detail::error(PluginError::Kind::LoadFailed, path, "no such file")};
  auto lib = detail::NativeLibrary::open(canonical);
  if (!lib) {
    PluginError e = lib.error();
    e.file = path;
    return Unexpected{std::move(e)};
  }
  auto p = std::make_shared<LoadedPlugin>();
  PluginInfo& info = p->info;
  info.kind = PluginKind::Native;
  info.file = path;
  info.name = (*lib)->name();
  info.abi_version = (*lib)->abi_version();
  if (!options.name.empty() && options.name != info.name)
    return Unexpected{detail::error(PluginError::Kind::ManifestInvalid, path,
                                    "the manifest names the plugin '" + options.name +
                                        "' but the library calls itself '" + info.name + "'")};
  info.version = (*lib)->version();
  if (!options.version.empty() && !info.version.empty() && options.version != info.version)
    return Unexpected{detail::error(PluginError::Kind::ManifestInvalid, path,
                                    "the manifest says version " + options.version +
                                        " but the library is version " + info.version)};
  if (info.version.empty()) info.version = options.version;
  const std::vector<std::string>& offered = (*lib)->actor_types();
  if (options.actor_types.empty()) {
    info.actor_types = offered;
  } else {
    for (const std::string& t : options.actor_types)
      if (std::find(offered.begin(), offered.end(), t) == offered.end())
        return Unexpected{detail::error(
            PluginError::Kind::UnknownType, path,
            "the manifest lists actor type '" + t +
                "', which the library does not provide (it has: " + detail::joined(offered) + ")")};
    info.actor_types = options.actor_types;
  }
  info.policy = options.policy ? *options.policy : NamespacePolicy::for_plugin(info.name);
  p->library = *lib;
  std::lock_guard<std::mutex> lock(state_->mu);
  return add(*state_, p);
}

std::vector<PluginInfo> PluginRegistry::list() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  std::vector<PluginInfo> out;
  for (const auto& [name, p] : state_->by_name) out.push_back(p->snapshot());
  return out;
}

std::optional<PluginInfo> PluginRegistry::info(const std::string& name) const {
  std::lock_guard<std::mutex> lock(state_->mu);
  auto it = state_->by_name.find(name);
  if (it == state_->by_name.end()) return std::nullopt;
  return it->second->snapshot();
}

namespace {

// The plugin providing `type`, if it can take `config`.
Expected<std::shared_ptr<const LoadedPlugin>, PluginError> resolve(
    const detail::RegistryState& s, const std::string& type, std::span<const uint8_t> config) {
  std::shared_ptr<const LoadedPlugin> p;
  {
    std::lock_guard<std::mutex> lock(s.mu);
    auto it = s.by_type.find(type);
    if (it == s.by_type.end()) return Unexpected{detail::unknown_type(s, type)};
    p = it->second;
  }
  if (auto ok = detail::check_config(*p, type, config); !ok) return Unexpected{ok.error()};
  return p;
}

}  // namespace

Expected<std::unique_ptr<Actor>, PluginError> PluginRegistry::create_actor(
    const std::string& type_name, std::span<const uint8_t> config) const {
  auto p = resolve(*state_, type_name, config);
  if (!p) return Unexpected{p.error()};
  return detail::make_actor(*p, type_name, config);
}

Expected<ActorFactory, PluginError> PluginRegistry::actor_factory(
    const std::string& type_name, std::vector<uint8_t> config) const {
  if (auto now = resolve(*state_, type_name, config); !now) return Unexpected{now.error()};
  std::shared_ptr<detail::RegistryState> state = state_;
  return ActorFactory([state, type_name, config]() -> std::unique_ptr<Actor> {
    auto p = resolve(*state, type_name, config);
    if (!p) return std::make_unique<detail::UnavailableActor>(p.error().to_string());
    return detail::make_actor(*p, type_name, config);
  });
}

Expected<UnloadReport, PluginError> PluginRegistry::unload(const std::string& name) {
  std::shared_ptr<const LoadedPlugin> p;  // let go after the lock: shutdown may take a while
  std::lock_guard<std::mutex> lock(state_->mu);
  auto it = state_->by_name.find(name);
  if (it == state_->by_name.end()) {
    std::vector<std::string> loaded;
    for (const auto& [n, p] : state_->by_name) loaded.push_back(n);
    return Unexpected{detail::error(
        PluginError::Kind::NotLoaded, "",
        "no plugin named '" + name + "' is loaded (loaded: " + detail::joined(loaded) + ")")};
  }
  p = it->second;
  state_->by_name.erase(it);
  for (const std::string& t : p->info.actor_types) {
    state_->by_type.erase(t);
    state_->unloaded_types[t] = name;
  }
  return UnloadReport{name, p->live->n.load(std::memory_order_relaxed)};
}

}  // namespace pd
