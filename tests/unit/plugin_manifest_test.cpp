// PluginManifest specs: TOML text in, a PluginManifest or a ManifestInvalid error out that
// names the key and its "file:line". Manifests are parsed from text with a made-up path (the
// parser never reads it: it only names it in errors and resolves relative `file`s against its
// folder); PluginManifest::load is the one spec that touches the file system.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "pd/plugin/plugin_manifest.h"
#include "plugin_test_support.h"

namespace pd::plugin_manifest_test {
namespace {

using test::contains;
using test::error_of;

constexpr const char* kPath = "/etc/pd/plugins/counter.toml";

// A minimal valid manifest of `kind`, with `extra` lines appended.
std::string manifest(const std::string& kind, const std::string& extra = "") {
  return "name = \"counter\"\n"
         "version = \"1.2.0\"\n"
         "kind = \"" +
         kind +
         "\"\n"
         "file = \"counter.bin\"\n" +
         extra;
}

// =============================================================================================
// Valid manifests

TEST(PluginManifest, a_full_wasm_manifest_sets_every_field) {
  auto m = PluginManifest::parse(R"(
name = "counter"
version = "1.2.0"
kind = "wasm"
file = "guests/counter.wasm"
actor_types = ["tally"]
fuel = 100000
max_memory_pages = 16
max_call_depth = 512
[namespace]
allow = ["/user/app", "/system"]
deny = ["/user/app/admin"]
)",
                                 kPath);
  ASSERT_TRUE(m.has_value()) << m.error().to_string();
  EXPECT_EQ(m->manifest_file, kPath);
  EXPECT_EQ(m->kind, PluginKind::Wasm);
  EXPECT_EQ(m->file, "/etc/pd/plugins/guests/counter.wasm");
  EXPECT_EQ(m->options.name, "counter");
  EXPECT_EQ(m->options.version, "1.2.0");
  EXPECT_EQ(m->options.actor_types, (std::vector<std::string>{"tally"}));
  EXPECT_EQ(m->options.fuel_per_call, 100000u);
  EXPECT_EQ(m->options.max_memory_pages, 16u);
  EXPECT_EQ(m->options.max_call_depth, 512u);
  ASSERT_TRUE(m->options.policy.has_value());
  EXPECT_EQ(m->options.policy->allowed, (std::vector<std::string>{"/user/app", "/system"}));
  EXPECT_EQ(m->options.policy->denied, (std::vector<std::string>{"/user/app/admin"}));
}

TEST(PluginManifest, a_minimal_wasm_manifest_takes_the_documented_defaults) {
  auto m = PluginManifest::parse(manifest("wasm"), kPath);
  ASSERT_TRUE(m.has_value()) << m.error().to_string();
  EXPECT_TRUE(m->options.actor_types.empty());  // the registry makes it [name]
  EXPECT_EQ(m->options.fuel_per_call, 0u);
  EXPECT_EQ(m->options.max_memory_pages, 256u);
  EXPECT_EQ(m->options.max_call_depth, 1024u);
  EXPECT_FALSE(m->options.policy.has_value());  // the registry makes it for_plugin(name)
}

TEST(PluginManifest, a_native_manifest_may_list_several_actor_types) {
  auto m = PluginManifest::parse(manifest("native", "actor_types = [\"a\", \"b\"]\n"), kPath);
  ASSERT_TRUE(m.has_value()) << m.error().to_string();
  EXPECT_EQ(m->kind, PluginKind::Native);
  EXPECT_EQ(m->options.actor_types, (std::vector<std::string>{"a", "b"}));
}

TEST(PluginManifest, a_relative_file_is_resolved_against_the_manifests_folder_and_normalized) {
  std::string text = manifest("native");
  text.replace(text.find("counter.bin"), 11, "../lib/./libcounter.so");
  auto m = PluginManifest::parse(text, kPath);
  ASSERT_TRUE(m.has_value()) << m.error().to_string();
  EXPECT_EQ(m->file, "/etc/pd/lib/libcounter.so");
}

TEST(PluginManifest, an_absolute_file_is_kept_as_it_is) {
  std::string text = manifest("wasm");
  text.replace(text.find("counter.bin"), 11, "/opt/guests/counter.wasm");
  auto m = PluginManifest::parse(text, kPath);
  ASSERT_TRUE(m.has_value()) << m.error().to_string();
  EXPECT_EQ(m->file, "/opt/guests/counter.wasm");
}

TEST(PluginManifest, an_empty_namespace_table_is_a_policy_that_allows_everything) {
  auto m = PluginManifest::parse(manifest("wasm", "[namespace]\n"), kPath);
  ASSERT_TRUE(m.has_value()) << m.error().to_string();
  ASSERT_TRUE(m->options.policy.has_value());
  EXPECT_TRUE(m->options.policy->allowed.empty());
  EXPECT_TRUE(m->options.policy->denied.empty());
}

// =============================================================================================
// Required keys

TEST(PluginManifest, each_missing_required_key_is_ManifestInvalid_naming_the_key) {
  const std::vector<std::string> lines = {"name = \"counter\"\n", "version = \"1.2.0\"\n",
                                          "kind = \"wasm\"\n", "file = \"counter.wasm\"\n"};
  const std::vector<std::string> keys = {"name", "version", "kind", "file"};
  for (size_t skip = 0; skip < lines.size(); ++skip) {
    std::string text;
    for (size_t i = 0; i < lines.size(); ++i)
      if (i != skip) text += lines[i];
    PluginError e = error_of(PluginManifest::parse(text, kPath));
    SCOPED_TRACE("without '" + keys[skip] + "'");
    EXPECT_EQ(e.kind, PluginError::Kind::ManifestInvalid);
    EXPECT_EQ(e.file, kPath);  // a missing key has no line
    EXPECT_EQ(e.message, "a plugin manifest needs '" + keys[skip] + "'");
  }
}

TEST(PluginManifest, an_empty_required_value_is_ManifestInvalid_at_its_line) {
  PluginError e = error_of(PluginManifest::parse(
      "name = \"counter\"\nversion = \"\"\nkind = \"wasm\"\nfile = \"c.wasm\"\n", kPath));
  EXPECT_EQ(e.kind, PluginError::Kind::ManifestInvalid);
  EXPECT_EQ(e.file, std::string(kPath) + ":2");
  EXPECT_EQ(e.message, "a plugin manifest needs 'version'");
}

TEST(PluginManifest, a_required_key_of_the_wrong_type_is_ManifestInvalid_at_its_line) {
  PluginError e = error_of(PluginManifest::parse(
      "name = \"counter\"\nversion = 12\nkind = \"wasm\"\nfile = \"c.wasm\"\n", kPath));
  EXPECT_EQ(e.kind, PluginError::Kind::ManifestInvalid);
  EXPECT_EQ(e.file, std::string(kPath) + ":2");
  EXPECT_EQ(e.message, "'version' must be a string");
}

TEST(PluginManifest, a_name_that_is_not_a_path_segment_is_refused_at_its_line) {
  std::string text = manifest("wasm");
  text.replace(text.find("\"counter\""), 9, "\"my plugin\"");
  PluginError e = error_of(PluginManifest::parse(text, kPath));
  EXPECT_EQ(e.kind, PluginError::Kind::ManifestInvalid);
  EXPECT_EQ(e.file, std::string(kPath) + ":1");
  EXPECT_TRUE(contains(e.message, "'name'")) << e.message;
  EXPECT_TRUE(contains(e.message, "my plugin")) << e.message;
}

// =============================================================================================
// Keys and values that are not allowed

TEST(PluginManifest, an_unknown_key_is_refused_naming_it_its_line_and_the_allowed_keys) {
  PluginError e = error_of(PluginManifest::parse(manifest("wasm", "fule = 100\n"), kPath));
  EXPECT_EQ(e.kind, PluginError::Kind::ManifestInvalid);
  EXPECT_EQ(e.file, std::string(kPath) + ":5");
  EXPECT_EQ(e.message,
            "unknown key 'fule' in a plugin manifest (allowed: actor_types, backend, file, fuel, "
            "kind, max_call_depth, max_memory_pages, name, namespace, version)");
}

TEST(PluginManifest, backend_chooses_the_wasm_backend_and_an_unknown_one_is_refused) {
  auto m = PluginManifest::parse(manifest("wasm", "backend = \"aot\"\n"), kPath);
  ASSERT_TRUE(m) << m.error().to_string();
  EXPECT_EQ(m->options.backend, WasmBackend::Aot);
  PluginError e = error_of(PluginManifest::parse(manifest("wasm", "backend = \"jit\"\n"), kPath));
  EXPECT_EQ(e.kind, PluginError::Kind::ManifestInvalid);
  EXPECT_EQ(e.file, std::string(kPath) + ":5");
  EXPECT_EQ(e.message, "'backend': unknown backend 'jit' (interp, aot or auto)");
}

TEST(PluginManifest, backend_on_a_native_plugin_is_refused) {
  PluginError e = error_of(PluginManifest::parse(manifest("native", "backend = \"aot\"\n"), kPath));
  EXPECT_EQ(e.kind, PluginError::Kind::ManifestInvalid);
  EXPECT_EQ(e.message, "'backend' applies to WASM plugins only");
}

TEST(PluginManifest, an_unknown_key_in_the_namespace_table_is_refused_naming_the_table) {
  PluginError e = error_of(
      PluginManifest::parse(manifest("wasm", "[namespace]\nallowed = [\"/user\"]\n"), kPath));
  EXPECT_EQ(e.kind, PluginError::Kind::ManifestInvalid);
  EXPECT_EQ(e.file, std::string(kPath) + ":6");
  EXPECT_EQ(e.message, "unknown key 'allowed' in [namespace] (allowed: allow, deny)");
}

TEST(PluginManifest, a_kind_other_than_wasm_or_native_is_refused) {
  PluginError e = error_of(PluginManifest::parse(manifest("python"), kPath));
  EXPECT_EQ(e.kind, PluginError::Kind::ManifestInvalid);
  EXPECT_EQ(e.file, std::string(kPath) + ":3");
  EXPECT_EQ(e.message, "'kind' must be \"wasm\" or \"native\", not \"python\"");
}

TEST(PluginManifest, wasm_only_keys_on_a_native_plugin_are_refused_naming_the_key) {
  for (std::string key : {"fuel", "max_memory_pages", "max_call_depth"}) {
    SCOPED_TRACE(key);
    PluginError e = error_of(PluginManifest::parse(manifest("native", key + " = 16\n"), kPath));
    EXPECT_EQ(e.kind, PluginError::Kind::ManifestInvalid);
    EXPECT_EQ(e.file, std::string(kPath) + ":5");
    EXPECT_EQ(e.message, "'" + key + "' applies to WASM plugins only");
  }
}

TEST(PluginManifest, a_wasm_manifest_with_two_actor_types_is_refused) {
  PluginError e =
      error_of(PluginManifest::parse(manifest("wasm", "actor_types = [\"a\", \"b\"]\n"), kPath));
  EXPECT_EQ(e.kind, PluginError::Kind::ManifestInvalid);
  EXPECT_EQ(e.file, std::string(kPath) + ":5");
  EXPECT_TRUE(contains(e.message, "one module, one actor type")) << e.message;
}

TEST(PluginManifest, an_empty_actor_type_name_is_refused) {
  PluginError e =
      error_of(PluginManifest::parse(manifest("native", "actor_types = [\"a\", \"\"]\n"), kPath));
  EXPECT_EQ(e.kind, PluginError::Kind::ManifestInvalid);
  EXPECT_EQ(e.message, "'actor_types' holds an empty name");
}

TEST(PluginManifest, max_memory_pages_of_0_is_refused) {
  PluginError e =
      error_of(PluginManifest::parse(manifest("wasm", "max_memory_pages = 0\n"), kPath));
  EXPECT_EQ(e.kind, PluginError::Kind::ManifestInvalid);
  EXPECT_EQ(e.file, std::string(kPath) + ":5");
  EXPECT_EQ(e.message, "'max_memory_pages' must be between 1 and 65536");
}

TEST(PluginManifest, max_memory_pages_of_65537_is_refused_and_65536_accepted) {
  PluginError e =
      error_of(PluginManifest::parse(manifest("wasm", "max_memory_pages = 65537\n"), kPath));
  EXPECT_EQ(e.kind, PluginError::Kind::ManifestInvalid);
  EXPECT_EQ(e.message, "'max_memory_pages' must be between 1 and 65536");
  auto m = PluginManifest::parse(manifest("wasm", "max_memory_pages = 65536\n"), kPath);
  ASSERT_TRUE(m.has_value()) << m.error().to_string();
  EXPECT_EQ(m->options.max_memory_pages, 65536u);
}

TEST(PluginManifest, a_negative_fuel_is_refused) {
  PluginError e = error_of(PluginManifest::parse(manifest("wasm", "fuel = -1\n"), kPath));
  EXPECT_EQ(e.kind, PluginError::Kind::ManifestInvalid);
  EXPECT_EQ(e.message, "'fuel' must not be negative");
}

TEST(PluginManifest, a_namespace_prefix_that_is_not_an_actor_path_is_refused) {
  PluginError e = error_of(PluginManifest::parse(
      manifest("wasm", "[namespace]\nallow = [\"/user\", \"user/app\"]\n"), kPath));
  EXPECT_EQ(e.kind, PluginError::Kind::ManifestInvalid);
  EXPECT_EQ(e.file, std::string(kPath) + ":6");
  EXPECT_TRUE(contains(e.message, "'allow' holds \"user/app\", which is not an actor path"))
      << e.message;
}

TEST(PluginManifest, a_namespace_that_is_not_a_table_is_refused) {
  PluginError e =
      error_of(PluginManifest::parse(manifest("wasm", "namespace = \"/user\"\n"), kPath));
  EXPECT_EQ(e.kind, PluginError::Kind::ManifestInvalid);
  EXPECT_EQ(e.file, std::string(kPath) + ":5");
  EXPECT_EQ(e.message, "'namespace' must be a table");
}

TEST(PluginManifest, a_toml_syntax_error_is_ManifestInvalid_at_its_line) {
  PluginError e = error_of(PluginManifest::parse(
      "name = \"counter\"\nversion = \"1.2.0\"\nkind = = \"wasm\"\nfile = \"c.wasm\"\n", kPath));
  EXPECT_EQ(e.kind, PluginError::Kind::ManifestInvalid);
  EXPECT_EQ(e.file, std::string(kPath) + ":3");
  EXPECT_FALSE(e.message.empty());
}

// =============================================================================================
// Files

TEST(PluginManifest, load_of_a_missing_manifest_is_LoadFailed_naming_the_path) {
  test::ScratchDir dir;
  std::string path = dir.path("nowhere.toml");
  PluginError e = error_of(PluginManifest::load(path));
  EXPECT_EQ(e.kind, PluginError::Kind::LoadFailed);
  EXPECT_EQ(e.file, path);
  EXPECT_EQ(e.message, "cannot open the manifest: No such file or directory");
  EXPECT_TRUE(contains(e.to_string(), path)) << e.to_string();
}

TEST(PluginManifest, load_reads_the_file_and_resolves_file_against_its_folder) {
  test::ScratchDir dir;
  std::string path = dir.write("echo.toml", manifest("wasm"));
  auto m = PluginManifest::load(path);
  ASSERT_TRUE(m.has_value()) << m.error().to_string();
  EXPECT_EQ(m->manifest_file, path);
  EXPECT_EQ(m->file, dir.path("counter.bin"));
}

TEST(PluginManifest, error_to_string_reads_kind_location_and_message) {
  PluginError e = error_of(PluginManifest::parse(manifest("python"), kPath));
  EXPECT_EQ(e.to_string(), std::string("ManifestInvalid: ") + kPath +
                               ":3: 'kind' must be \"wasm\" or \"native\", not \"python\"");
}

}  // namespace
}  // namespace pd::plugin_manifest_test
