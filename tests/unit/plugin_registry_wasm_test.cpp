// PluginRegistry specs of WASM plugins: guests in C through the guest SDK (tests/guests/*.c,
// built to <build>/guests/*.wasm) and WAT written here; how load_wasm names a plugin and checks
// its options, guests running in an Engine on a SimReactor (test::PluginWorld), fuel, and
// manifests. The registry's bookkeeping, for both kinds, is in plugin_registry_test.cpp.
//
// Most guests are loaded with an open NamespacePolicy so their answers reach /user/sink; the
// spec of the policy itself says which one it uses.
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "pd/plugin/plugin_registry.h"
#include "pd/wasm/wat.h"
#include "pd_plugin.h"
#include "plugin_test_support.h"

namespace pd::plugin_registry_wasm_test {
namespace {

using namespace std::chrono_literals;
using test::bytes;
using test::contains;
using test::error_of;
using test::open_options;
using test::PluginWorld;
using test::test_guest;

// =============================================================================================
// WASM plugins

TEST(PluginRegistryWasm,
     load_wasm_names_the_plugin_after_the_file_stem_with_one_actor_type_of_that_name) {
  PluginRegistry registry;
  std::string path = test_guest("sdk_echo");
  auto info = registry.load_wasm(path);
  ASSERT_TRUE(info.has_value()) << info.error().to_string();
  EXPECT_EQ(info->name, "sdk_echo");
  EXPECT_EQ(info->version, "0");
  EXPECT_EQ(info->kind, PluginKind::Wasm);
  EXPECT_EQ(info->file, path);
  EXPECT_EQ(info->actor_types, (std::vector<std::string>{"sdk_echo"}));
  EXPECT_EQ(info->fuel_per_call, 0u);
  EXPECT_EQ(info->max_memory_pages, 256u);
  EXPECT_EQ(info->policy.allowed, (std::vector<std::string>{"/plugins/sdk_echo", "/system"}));
  EXPECT_EQ(info->live_actors, 0u);
}

TEST(PluginRegistryWasm, options_name_version_and_actor_type_override_the_defaults) {
  PluginRegistry registry;
  PluginOptions options;
  options.name = "echo";
  options.version = "3.1";
  options.actor_types = {"echoer"};
  auto info = registry.load_wasm(test_guest("sdk_echo"), options);
  ASSERT_TRUE(info.has_value()) << info.error().to_string();
  EXPECT_EQ(info->name, "echo");
  EXPECT_EQ(info->version, "3.1");
  EXPECT_EQ(info->actor_types, (std::vector<std::string>{"echoer"}));
  EXPECT_EQ(info->policy.allowed, (std::vector<std::string>{"/plugins/echo", "/system"}));
}

TEST(PluginRegistryWasm, an_sdk_guest_echoes_through_the_engine) {
  PluginWorld w;
  ASSERT_TRUE(w.registry.load_wasm(test_guest("sdk_echo"), open_options()).has_value());
  AddrHash e = w.spawn("echo", "sdk_echo");
  ASSERT_TRUE(w.send(e, "ping", 99));
  ASSERT_EQ(w.got->size(), 1u);
  EXPECT_EQ(test::text(w.got->at(0).bytes), "ping");
  EXPECT_EQ(w.got->at(0).envelope.type_tag, 99u);
  EXPECT_EQ(w.got->at(0).envelope.source, e);
  EXPECT_TRUE(w.got->at(0).envelope.is_response());
}

TEST(PluginRegistryWasm, a_1_MiB_payload_through_the_sdk_guests_pd_alloc_comes_back_intact) {
  PluginWorld w;
  ASSERT_TRUE(w.registry.load_wasm(test_guest("sdk_echo"), open_options()).has_value());
  AddrHash e = w.spawn("echo", "sdk_echo");
  std::vector<uint8_t> big(size_t(1) << 20);
  for (size_t i = 0; i < big.size(); ++i) big[i] = uint8_t(i * 7 + (i >> 12));
  ASSERT_TRUE(w.send(e, big));
  ASSERT_EQ(w.got->size(), 1u);
  EXPECT_EQ(w.got->at(0).envelope.payload_len, uint32_t(big.size()));
  EXPECT_TRUE(w.got->at(0).bytes == big) << "the echoed payload differs";
}

TEST(PluginRegistryWasm,
     the_sdk_probe_keeps_state_logs_tells_time_and_addresses_paths_as_the_host) {
  PluginWorld w;
  ASSERT_TRUE(w.registry.load_wasm(test_guest("sdk_probe"), open_options()).has_value());
  AddrHash p = w.spawn("probe", "sdk_probe");
  w.engine.run_for(1500us);
  ASSERT_TRUE(w.send(p, "a"));
  int64_t first_at = to_micros(w.engine.now());
  w.engine.run_for(2ms);
  ASSERT_TRUE(w.send(p, "b"));
  // Each message: a "note" to /user/sink (by path address), then the report.
  ASSERT_EQ(w.got->size(), 4u);
  EXPECT_EQ(w.got->at(0).envelope.type_tag, pd_type_tag("probe.note"));
  EXPECT_EQ(test::text(w.got->at(0).bytes), "note");
  const std::vector<uint8_t>& first = w.got->at(1).bytes;
  const std::vector<uint8_t>& second = w.got->at(3).bytes;
  EXPECT_EQ(w.got->at(1).envelope.type_tag, pd_type_tag("probe.report"));
  ASSERT_EQ(first.size(), 32u);
  EXPECT_EQ(int64_t(test::u64_at(first, 0)), first_at);
  EXPECT_EQ(int64_t(test::u64_at(first, 0)), 1500);
  EXPECT_EQ(int64_t(test::u64_at(second, 0)), 3500);
  EXPECT_EQ(test::u64_at(first, 8), 1u);  // messages: state kept across calls
  EXPECT_EQ(test::u64_at(second, 8), 2u);
  EXPECT_EQ(test::u64_at(first, 16), w.sink.path_hash());  // pd_path_address == the host's
  EXPECT_EQ(test::i32_at(first, 24), PD_SEND_OK);
  EXPECT_NE(test::i32_at(first, 28), 0);  // the state handle pd_actor_create returned
  EXPECT_EQ(w.log_of("/user/probe"),
            (std::vector<std::string>{"2:probe up", "3:probe message 1", "3:probe message 2"}));
}

TEST(PluginRegistryWasm, a_wasm_plugins_namespace_policy_refuses_a_denied_destination) {
  PluginWorld w;
  PluginOptions options;
  options.policy = NamespacePolicy{{"/user"}, {"/user/sink"}};
  ASSERT_TRUE(w.registry.load_wasm(test_guest("sdk_probe"), options).has_value());
  auto asker_got = std::make_shared<std::vector<test::Got>>();
  AddrHash asker = w.spawn_recorder("asker", asker_got);
  AddrHash p = w.spawn("probe", "sdk_probe");
  ASSERT_TRUE(w.send(p, bytes("x"), 7, asker));
  EXPECT_TRUE(w.got->empty());  // the note to /user/sink was refused
  ASSERT_EQ(asker_got->size(), 1u);
  EXPECT_EQ(test::i32_at(asker_got->at(0).bytes, 24), PD_SEND_POLICY_VIOLATION);
}

TEST(PluginRegistryWasm, corrupt_bytes_are_WasmError_naming_the_file) {
  test::ScratchDir dir;
  std::string path = dir.write("corrupt.wasm", std::string_view("\0asm\x01\0\0\0\x7fjunk", 13));
  PluginRegistry registry;
  PluginError e = error_of(registry.load_wasm(path));
  EXPECT_EQ(e.kind, PluginError::Kind::WasmError);
  EXPECT_EQ(e.file, path);
  EXPECT_FALSE(e.message.empty());
  EXPECT_TRUE(registry.list().empty());
}

TEST(PluginRegistryWasm, a_missing_wasm_file_is_LoadFailed_naming_the_path) {
  test::ScratchDir dir;
  std::string path = dir.path("absent.wasm");
  PluginRegistry registry;
  PluginError e = error_of(registry.load_wasm(path));
  EXPECT_EQ(e.kind, PluginError::Kind::LoadFailed);
  EXPECT_EQ(e.file, path);
  EXPECT_EQ(e.message, "cannot open: No such file or directory");
}

TEST(PluginRegistryWasm, a_module_without_pd_actor_on_message_is_AbiMismatch) {
  auto wasm = pd::wat_to_wasm(R"((module (memory (export "memory") 1)
    (func (export "pd_actor_on_start") (param i32 i32) (result i32) (i32.const 0))))",
                              "no_on_message.wat");
  ASSERT_TRUE(wasm.has_value()) << wasm.error();
  test::ScratchDir dir;
  std::string path = dir.write("no_on_message.wasm", wasm.value());
  PluginRegistry registry;
  PluginError e = error_of(registry.load_wasm(path));
  EXPECT_EQ(e.kind, PluginError::Kind::AbiMismatch);
  EXPECT_EQ(e.file, path);
  EXPECT_TRUE(contains(e.message, "not a Palladium guest")) << e.message;
  EXPECT_TRUE(contains(e.message, "pd_actor_on_message")) << e.message;
}

TEST(PluginRegistryWasm,
     fuel_on_an_unmetered_module_meters_it_at_load_and_a_spinning_guest_runs_out) {
  PluginWorld w;
  PluginOptions options = open_options();
  options.fuel_per_call = 10000;
  auto info = w.registry.load_wasm(test_guest("spin"), options);
  ASSERT_TRUE(info.has_value()) << info.error().to_string();
  EXPECT_EQ(info->fuel_per_call, 10000u);
  AddrHash s = w.spawn("spin", "spin");
  ASSERT_TRUE(w.send(s, "go"));
  auto f = w.failures("/user/spin");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].kind, ActorError::Kind::ResourceExhausted);
}

TEST(PluginRegistryWasm, a_metered_sdk_guest_still_answers_within_its_fuel) {
  PluginWorld w;
  PluginOptions options = open_options();
  options.fuel_per_call = 100000;
  ASSERT_TRUE(w.registry.load_wasm(test_guest("sdk_echo"), options).has_value());
  AddrHash e = w.spawn("echo", "sdk_echo");
  ASSERT_TRUE(w.send(e, "metered"));
  EXPECT_EQ(w.texts(), (std::vector<std::string>{"metered"}));
  EXPECT_TRUE(w.failures("/user/echo").empty());
}

TEST(PluginRegistryWasm, a_non_empty_config_for_a_wasm_type_is_BadConfig) {
  PluginRegistry registry;
  std::string path = test_guest("sdk_echo");
  ASSERT_TRUE(registry.load_wasm(path).has_value());
  PluginError e = error_of(registry.actor_factory("sdk_echo", bytes("cfg")));
  EXPECT_EQ(e.kind, PluginError::Kind::BadConfig);
  EXPECT_EQ(e.file, path);
  EXPECT_TRUE(contains(e.message, "3 bytes given")) << e.message;
  std::vector<uint8_t> config = bytes("cfg");
  EXPECT_EQ(error_of(registry.create_actor("sdk_echo", config)).kind, PluginError::Kind::BadConfig);
  EXPECT_TRUE(registry.actor_factory("sdk_echo").has_value());
}

TEST(PluginRegistryWasm, two_actor_types_for_one_module_are_ManifestInvalid) {
  PluginRegistry registry;
  PluginOptions options;
  options.actor_types = {"a", "b"};
  PluginError e = error_of(registry.load_wasm(test_guest("sdk_echo"), options));
  EXPECT_EQ(e.kind, PluginError::Kind::ManifestInvalid);
  EXPECT_TRUE(contains(e.message, "one module, one actor type; 2 given")) << e.message;
}

// The limits are checked at load, so a bad one is the load's error, not each actor's start.
TEST(PluginRegistryWasm, max_memory_pages_0_is_ManifestInvalid_naming_the_limits_given) {
  PluginRegistry registry;
  std::string path = test_guest("sdk_echo");
  PluginOptions options;
  options.max_memory_pages = 0;
  PluginError e = error_of(registry.load_wasm(path, options));
  EXPECT_EQ(e.kind, PluginError::Kind::ManifestInvalid);
  EXPECT_EQ(e.file, path);
  EXPECT_EQ(e.message,
            "max_memory_pages must be between 1 and 65536 and max_call_depth at least 1 (got 0 "
            "and 1024)");
  EXPECT_TRUE(registry.list().empty());
}

TEST(PluginRegistryWasm, max_memory_pages_65537_is_ManifestInvalid_naming_the_limits_given) {
  PluginRegistry registry;
  std::string path = test_guest("sdk_echo");
  PluginOptions options;
  options.max_memory_pages = 65537;
  PluginError e = error_of(registry.load_wasm(path, options));
  EXPECT_EQ(e.kind, PluginError::Kind::ManifestInvalid);
  EXPECT_EQ(e.file, path);
  EXPECT_EQ(e.message,
            "max_memory_pages must be between 1 and 65536 and max_call_depth at least 1 (got "
            "65537 and 1024)");
  EXPECT_TRUE(registry.list().empty());
}

TEST(PluginRegistryWasm, max_call_depth_0_is_ManifestInvalid_naming_the_limits_given) {
  PluginRegistry registry;
  std::string path = test_guest("sdk_echo");
  PluginOptions options;
  options.max_call_depth = 0;
  PluginError e = error_of(registry.load_wasm(path, options));
  EXPECT_EQ(e.kind, PluginError::Kind::ManifestInvalid);
  EXPECT_EQ(e.file, path);
  EXPECT_EQ(e.message,
            "max_memory_pages must be between 1 and 65536 and max_call_depth at least 1 (got 256 "
            "and 0)");
  EXPECT_TRUE(registry.list().empty());
}

TEST(PluginRegistryWasm, the_outermost_valid_limits_1_and_65536_pages_and_call_depth_1_load) {
  PluginRegistry registry;
  PluginOptions options;
  options.name = "small";
  options.max_memory_pages = 1;
  options.max_call_depth = 1;
  auto small = registry.load_wasm(test_guest("sdk_echo"), options);
  ASSERT_TRUE(small.has_value()) << small.error().to_string();
  EXPECT_EQ(small->max_memory_pages, 1u);
  options.name = "large";
  options.max_memory_pages = 65536;
  auto large = registry.load_wasm(test_guest("sdk_probe"), options);
  ASSERT_TRUE(large.has_value()) << large.error().to_string();
  EXPECT_EQ(large->max_memory_pages, 65536u);
}

TEST(PluginRegistryWasm, load_manifest_loads_a_wasm_plugin_relative_to_the_manifest) {
  test::ScratchDir dir;
  std::filesystem::copy_file(test_guest("sdk_echo"), dir.path("echo.wasm"));
  std::string manifest = dir.write("echo.toml",
                                   "name = \"echo\"\nversion = \"1.0\"\n"
                                   "kind = \"wasm\"\nfile = \"echo.wasm\"\n"
                                   "fuel = 5000\nmax_memory_pages = 40\n");
  PluginRegistry registry;
  auto info = registry.load_manifest(manifest);
  ASSERT_TRUE(info.has_value()) << info.error().to_string();
  EXPECT_EQ(info->name, "echo");
  EXPECT_EQ(info->file, dir.path("echo.wasm"));
  EXPECT_EQ(info->actor_types, (std::vector<std::string>{"echo"}));
  EXPECT_EQ(info->fuel_per_call, 5000u);
  EXPECT_EQ(info->max_memory_pages, 40u);
}

}  // namespace
}  // namespace pd::plugin_registry_wasm_test
