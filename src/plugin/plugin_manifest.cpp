// Plugin manifests: TOML in, PluginManifest out; every key checked (include/pd/plugin/
// plugin_manifest.h lists them).
#include "pd/plugin/plugin_manifest.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "../config/toml_reader.h"
#include "pd/wasm/wasm_host.h"

namespace pd {

namespace {

NamespacePolicy read_policy(const config::Reader& r, const toml::table& t) {
  r.only_keys(t, {"allow", "deny"}, "[namespace]");
  NamespacePolicy p;
  auto prefixes = [&](const char* key, std::vector<std::string>& out) {
    out = r.strings(t, key);
    for (const std::string& prefix : out) {
      auto parsed = ActorPath::parse(prefix);
      if (!parsed)
        r.fail(t.get(key), std::string("'") + key + "' holds \"" + prefix +
                               "\", which is not an actor path (" + pd::to_string(parsed.error()) +
                               ")");
    }
  };
  prefixes("allow", p.allowed);
  prefixes("deny", p.denied);
  return p;
}

}  // namespace

const char* to_string(PluginKind k) {
  return k == PluginKind::Wasm ? "wasm" : "native";
}

Expected<PluginManifest, PluginError> PluginManifest::parse(const std::string& text,
                                                            const std::string& path) {
  config::Reader r(path);
  try {
    toml::table root = toml::parse(text, path);
    r.only_keys(root,
                {"name", "version", "kind", "file", "actor_types", "fuel", "max_memory_pages",
                 "max_call_depth", "backend", "namespace"},
                "a plugin manifest");
    PluginManifest m;
    m.manifest_file = path;
    auto required = [&](const char* key) {
      std::string v = r.string(root, key, "");
      if (v.empty()) r.fail(root.get(key), std::string("a plugin manifest needs '") + key + "'");
      return v;
    };
    m.options.name = required("name");
    if (!ActorPath::valid_segment(m.options.name))
      r.fail(root.get("name"),
             "'name' must be made of letters, digits and . _ : - (got '" + m.options.name + "')");
    m.options.version = required("version");
    std::string kind = required("kind");
    if (kind == "wasm")
      m.kind = PluginKind::Wasm;
    else if (kind == "native")
      m.kind = PluginKind::Native;
    else
      r.fail(root.get("kind"), "'kind' must be \"wasm\" or \"native\", not \"" + kind + "\"");
    std::filesystem::path file = required("file");
    if (file.is_relative()) file = std::filesystem::path(path).parent_path() / file;
    m.file = file.lexically_normal().string();
    m.options.actor_types = r.strings(root, "actor_types");
    for (const std::string& t : m.options.actor_types)
      if (t.empty()) r.fail(root.get("actor_types"), "'actor_types' holds an empty name");
    bool wasm = m.kind == PluginKind::Wasm;
    for (const char* key : {"fuel", "max_memory_pages", "max_call_depth", "backend"})
      if (!wasm && root.get(key))
        r.fail(root.get(key), std::string("'") + key + "' applies to WASM plugins only");
    if (wasm && m.options.actor_types.size() > 1)
      r.fail(root.get("actor_types"),
             "a WASM plugin is one module, one actor type: list one name (or none, for '" +
                 m.options.name + "')");
    m.options.fuel_per_call = uint64_t(r.non_negative(root, "fuel", 0));
    int64_t pages = r.integer(root, "max_memory_pages", m.options.max_memory_pages);
    if (pages < 1 || pages > int64_t(kWasmPagesMax))
      r.fail(root.get("max_memory_pages"),
             "'max_memory_pages' must be between 1 and " + std::to_string(kWasmPagesMax));
    m.options.max_memory_pages = uint32_t(pages);
    int64_t depth = r.integer(root, "max_call_depth", m.options.max_call_depth);
    if (depth < 1 || depth > 1'000'000)
      r.fail(root.get("max_call_depth"), "'max_call_depth' must be between 1 and 1000000");
    m.options.max_call_depth = uint32_t(depth);
    if (root.get("backend")) {
      auto b = parse_wasm_backend(r.string(root, "backend", ""));
      if (!b) r.fail(root.get("backend"), "'backend': " + b.error());
      m.options.backend = *b;
    }
    if (const toml::table* ns = r.table(root, "namespace")) m.options.policy = read_policy(r, *ns);
    return m;
  } catch (const toml::parse_error& e) {
    return Unexpected{PluginError{PluginError::Kind::ManifestInvalid,
                                  path + ":" + std::to_string(e.source().begin.line),
                                  std::string(e.description())}};
  } catch (const config::Bad& b) {
    return Unexpected{PluginError{PluginError::Kind::ManifestInvalid,
                                  b.line > 0 ? b.file + ":" + std::to_string(b.line) : b.file,
                                  b.message}};
  }
}

Expected<PluginManifest, PluginError> PluginManifest::load(const std::string& path) {
  std::ifstream in(path);
  if (!in)
    return Unexpected{
        PluginError{PluginError::Kind::LoadFailed, path,
                    "cannot open the manifest: " + std::string(std::strerror(errno))}};
  std::stringstream text;
  text << in.rdbuf();
  return parse(text.str(), path);
}

const char* to_string(PluginError::Kind k) {
  switch (k) {
    case PluginError::Kind::ManifestInvalid: return "ManifestInvalid";
    case PluginError::Kind::LoadFailed: return "LoadFailed";
    case PluginError::Kind::AbiMismatch: return "AbiMismatch";
    case PluginError::Kind::InitFailed: return "InitFailed";
    case PluginError::Kind::WasmError: return "WasmError";
    case PluginError::Kind::UnknownType: return "UnknownType";
    case PluginError::Kind::AlreadyLoaded: return "AlreadyLoaded";
    case PluginError::Kind::NotLoaded: return "NotLoaded";
    case PluginError::Kind::BadConfig: return "BadConfig";
  }
  return "?";
}

std::string PluginError::to_string() const {
  std::string s = pd::to_string(kind);
  s += ": ";
  if (!file.empty()) s += file + ": ";
  return s + message;
}

}  // namespace pd
