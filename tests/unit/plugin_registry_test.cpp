// PluginRegistry specs: native plugins (tests/plugins/*.c, built as shared libraries), the
// registry's bookkeeping (types, names, unload, live actors) and hot reload through
// supervision, for both kinds. WASM plugins have their own specs in
// plugin_registry_wasm_test.cpp.
//
// Actors run in an Engine on a SimReactor (test::PluginWorld). Most plugins are loaded with an
// open NamespacePolicy so their answers reach /user/sink; the specs of the policy itself say
// which one they use. good_plugin appends what the host does to it ("1 init", "1 create
// greeter", "2 shutdown", ...: the image, then the event; tests/plugins/good_plugin.c lists
// them) to the file named by GOOD_PLUGIN_EVENTS_FILE, which each spec of a native plugin points
// into its own folder.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "pd/plugin/plugin_registry.h"
#include "pd_plugin.h"
#include "plugin_test_support.h"

namespace pd::plugin_registry_test {
namespace {

using namespace std::chrono_literals;
using test::bytes;
using test::contains;
using test::error_of;
using test::open_options;
using test::PluginWorld;
using test::test_guest;
using test::test_plugin;

const std::string kGood = test_plugin("good_plugin");

// A typed C++ message: a local payload, which no plugin can read.
struct LocalThing {
  int n = 0;
};

// good_plugin's events, one a line ("1 init", ...).
using Events = std::vector<std::string>;

// How many images of good_plugin the process has mapped now: the distinct files mapped (by
// device and inode, in /proc/self/maps) whose name has "libgood_plugin.so" in it. A private
// copy the registry loads is a memory file named after the library, so each load counts once,
// and a library closed (dlclose) counts no more.
size_t good_images_mapped() {
  std::ifstream maps("/proc/self/maps");
  std::set<std::string> files;
  std::string line;
  while (std::getline(maps, line)) {
    if (!contains(line, "libgood_plugin.so")) continue;
    std::istringstream fields(line);
    std::string range, perms, offset, device, inode;
    fields >> range >> perms >> offset >> device >> inode;
    files.insert(device + " " + inode);
  }
  return files.size();
}

// Specs that load good_plugin: its events go to a file of their own.
class PluginRegistryNative : public ::testing::Test {
 protected:
  void SetUp() override { ::setenv("GOOD_PLUGIN_EVENTS_FILE", events_file_.c_str(), 1); }
  void TearDown() override { ::unsetenv("GOOD_PLUGIN_EVENTS_FILE"); }
  // Another name for good_plugin's file (a hard link: one inode, which dlopen alone would take
  // for the library it has open), in a folder beside it so both are on one file system; ""
  // when the file system refuses, with the reason in `why`.
  std::string hard_link_to_good(std::string& why) {
    if (!beside_good_)
      beside_good_ = std::make_unique<test::ScratchDir>(std::filesystem::path(kGood).parent_path());
    std::string link = beside_good_->path("libgood_link.so");
    std::error_code ec;
    std::filesystem::create_hard_link(kGood, link, ec);
    if (!ec) return link;
    why = "cannot hard-link " + kGood + " as " + link + ": " + ec.message();
    return "";
  }
  Events events() const {
    std::istringstream in(test::read_text(events_file_));
    Events out;
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
  }

  test::ScratchDir dir_;
  std::unique_ptr<test::ScratchDir> beside_good_;  // made by hard_link_to_good
  std::string events_file_ = dir_.path("events.txt");
};
// The registry's general specs load good_plugin too.
class PluginRegistryTest : public PluginRegistryNative {};

// =============================================================================================
// Native plugins: loading

TEST_F(PluginRegistryNative, load_native_reports_name_version_abi_and_actor_types) {
  PluginRegistry registry;
  auto info = registry.load_native(kGood);
  ASSERT_TRUE(info.has_value()) << info.error().to_string();
  EXPECT_EQ(info->name, "good");
  EXPECT_EQ(info->version, "1.0.0");
  EXPECT_EQ(info->kind, PluginKind::Native);
  EXPECT_EQ(info->file, kGood);
  EXPECT_EQ(info->abi_version, 1u);
  EXPECT_EQ(info->actor_types, (std::vector<std::string>{"greeter", "adder"}));
  EXPECT_EQ(info->policy.allowed, (std::vector<std::string>{"/plugins/good", "/system"}));
  EXPECT_TRUE(info->policy.denied.empty());
  EXPECT_EQ(info->live_actors, 0u);
  EXPECT_EQ(events(), (Events{"1 init"}));
}

TEST_F(PluginRegistryNative,
       a_wrong_abi_version_is_refused_with_AbiMismatch_naming_the_file_and_both_versions) {
  PluginRegistry registry;
  std::string path = test_plugin("wrong_abi_plugin");
  PluginError e = error_of(registry.load_native(path));
  EXPECT_EQ(e.kind, PluginError::Kind::AbiMismatch);
  EXPECT_EQ(e.file, path);
  EXPECT_TRUE(contains(e.message, "built against plugin ABI version 2")) << e.message;
  EXPECT_TRUE(contains(e.message, "this host speaks 1")) << e.message;
  EXPECT_TRUE(contains(e.to_string(), path)) << e.to_string();
  EXPECT_TRUE(registry.list().empty());
}

TEST_F(PluginRegistryNative, a_missing_export_is_AbiMismatch_naming_pd_actor_on_message) {
  PluginRegistry registry;
  std::string path = test_plugin("missing_export_plugin");
  PluginError e = error_of(registry.load_native(path));
  EXPECT_EQ(e.kind, PluginError::Kind::AbiMismatch);
  EXPECT_EQ(e.file, path);
  EXPECT_TRUE(contains(e.message, "does not export pd_actor_on_message (")) << e.message;
}

TEST_F(PluginRegistryNative, pd_plugin_init_returning_NULL_is_InitFailed) {
  PluginRegistry registry;
  std::string path = test_plugin("init_null_plugin");
  PluginError e = error_of(registry.load_native(path));
  EXPECT_EQ(e.kind, PluginError::Kind::InitFailed);
  EXPECT_EQ(e.file, path);
  EXPECT_EQ(e.message, "pd_plugin_init returned NULL");
}

TEST_F(PluginRegistryNative, a_nonexistent_file_is_LoadFailed_naming_the_path) {
  PluginRegistry registry;
  std::string path = dir_.path("libnothing.so");
  PluginError e = error_of(registry.load_native(path));
  EXPECT_EQ(e.kind, PluginError::Kind::LoadFailed);
  EXPECT_EQ(e.file, path);
  EXPECT_EQ(e.to_string(), "LoadFailed: " + path + ": no such file");
}

TEST_F(PluginRegistryNative,
       a_file_that_is_not_a_shared_library_is_LoadFailed_with_dlopens_reason) {
  PluginRegistry registry;
  std::string path = dir_.write("libjunk.so", std::string_view("this is not an ELF file"));
  PluginError e = error_of(registry.load_native(path));
  EXPECT_EQ(e.kind, PluginError::Kind::LoadFailed);
  EXPECT_EQ(e.file, path);
  EXPECT_FALSE(e.message.empty());
}

TEST_F(PluginRegistryNative, loading_the_same_library_twice_is_AlreadyLoaded_and_runs_init_once) {
  PluginRegistry registry;
  ASSERT_TRUE(registry.load_native(kGood).has_value());
  PluginError e = error_of(registry.load_native(kGood));
  EXPECT_EQ(e.kind, PluginError::Kind::AlreadyLoaded);
  EXPECT_EQ(e.file, kGood);
  EXPECT_EQ(e.message, "this library is loaded already, as plugin 'good'");
  // Another spelling of the same file is the same library.
  std::string other_spelling = std::string(PD_BINARY_DIR) + "/test-plugins/../test-plugins/" +
                               std::filesystem::path(kGood).filename().string();
  EXPECT_EQ(error_of(registry.load_native(other_spelling)).kind, PluginError::Kind::AlreadyLoaded);
  EXPECT_EQ(events(), (Events{"1 init"}));
  EXPECT_EQ(registry.list().size(), 1u);
}

TEST_F(PluginRegistryNative,
       a_manifest_name_other_than_the_librarys_is_ManifestInvalid_and_the_library_is_let_go) {
  PluginRegistry registry;
  PluginOptions options;
  options.name = "impostor";
  PluginError e = error_of(registry.load_native(kGood, options));
  EXPECT_EQ(e.kind, PluginError::Kind::ManifestInvalid);
  EXPECT_EQ(e.file, kGood);
  EXPECT_EQ(e.message,
            "the manifest names the plugin 'impostor' but the library calls itself 'good'");
  EXPECT_EQ(events(), (Events{"1 init", "1 shutdown"}));
  EXPECT_TRUE(registry.list().empty());
}

// The refused load's image (2) is shut down; the loaded plugin's (1) is left alone.
TEST_F(PluginRegistryNative,
       a_load_refused_for_its_manifest_name_leaves_the_loaded_plugin_of_the_same_file_running) {
  PluginWorld w;
  ASSERT_TRUE(w.registry.load_native(kGood, open_options()).has_value());
  std::string why;
  std::string link = hard_link_to_good(why);
  if (link.empty()) GTEST_SKIP() << why;
  PluginOptions options = open_options();
  options.name = "impostor";
  PluginError e = error_of(w.registry.load_native(link, options));
  EXPECT_EQ(e.kind, PluginError::Kind::ManifestInvalid);
  EXPECT_EQ(e.file, link);
  EXPECT_EQ(e.message,
            "the manifest names the plugin 'impostor' but the library calls itself 'good'");
  EXPECT_EQ(events(), (Events{"1 init", "2 init", "2 shutdown"}));
  AddrHash g = w.spawn("greeter", "greeter");
  ASSERT_TRUE(w.send(g, "still up"));
  EXPECT_EQ(w.texts(), (std::vector<std::string>{"hello, still up"}));
  EXPECT_EQ(events(), (Events{"1 init", "2 init", "2 shutdown", "1 create greeter"}));
}

TEST_F(PluginRegistryNative, a_manifest_version_other_than_the_librarys_is_ManifestInvalid) {
  PluginRegistry registry;
  PluginOptions options;
  options.version = "2.0.0";
  PluginError e = error_of(registry.load_native(kGood, options));
  EXPECT_EQ(e.kind, PluginError::Kind::ManifestInvalid);
  EXPECT_EQ(e.message, "the manifest says version 2.0.0 but the library is version 1.0.0");
}

// Fuel and the memory and call-depth limits are the WASM sandbox's; a native plugin has none.
TEST_F(PluginRegistryNative,
       a_wasm_limit_for_a_native_plugin_is_ManifestInvalid_and_the_library_is_never_opened) {
  struct Case {
    const char* option;
    PluginOptions options;
  };
  std::vector<Case> cases(3);
  cases[0].option = "fuel";
  cases[0].options.fuel_per_call = 1000;
  cases[1].option = "max_memory_pages";
  cases[1].options.max_memory_pages = 16;
  cases[2].option = "max_call_depth";
  cases[2].options.max_call_depth = 64;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.option);
    PluginRegistry registry;
    PluginError e = error_of(registry.load_native(kGood, c.options));
    EXPECT_EQ(e.kind, PluginError::Kind::ManifestInvalid);
    EXPECT_EQ(e.file, kGood);
    EXPECT_TRUE(contains(e.message, c.option)) << e.message;
    EXPECT_TRUE(contains(e.message, " apply to WASM plugins; a native plugin runs unsandboxed"))
        << e.message;
    EXPECT_TRUE(registry.list().empty());
  }
  EXPECT_EQ(events(), Events{});
}

TEST_F(PluginRegistryNative, manifest_actor_types_listing_a_type_the_library_lacks_is_UnknownType) {
  PluginRegistry registry;
  PluginOptions options;
  options.actor_types = {"greeter", "waver"};
  PluginError e = error_of(registry.load_native(kGood, options));
  EXPECT_EQ(e.kind, PluginError::Kind::UnknownType);
  EXPECT_EQ(e.file, kGood);
  EXPECT_EQ(e.message,
            "the manifest lists actor type 'waver', which the library does not provide (it has: "
            "greeter, adder)");
  EXPECT_TRUE(registry.list().empty());
}

TEST_F(PluginRegistryNative, manifest_actor_types_restrict_what_the_registry_offers) {
  PluginRegistry registry;
  PluginOptions options;
  options.actor_types = {"adder"};
  auto info = registry.load_native(kGood, options);
  ASSERT_TRUE(info.has_value()) << info.error().to_string();
  EXPECT_EQ(info->actor_types, (std::vector<std::string>{"adder"}));
  EXPECT_TRUE(registry.actor_factory("adder", bytes("1")).has_value());
  EXPECT_EQ(error_of(registry.actor_factory("greeter")).kind, PluginError::Kind::UnknownType);
}

TEST_F(PluginRegistryNative, load_manifest_loads_a_native_plugin_with_its_namespace) {
  PluginWorld w;
  std::string manifest = dir_.write("good.toml",
                                    "name = \"good\"\nversion = \"1.0.0\"\n"
                                    "kind = \"native\"\nfile = \"" +
                                        kGood + "\"\n[namespace]\nallow = [\"/user/sink\"]\n");
  auto info = w.registry.load_manifest(manifest);
  ASSERT_TRUE(info.has_value()) << info.error().to_string();
  EXPECT_EQ(info->name, "good");
  EXPECT_EQ(info->policy.allowed, (std::vector<std::string>{"/user/sink"}));
  AddrHash g = w.spawn("greeter", "greeter");
  ASSERT_TRUE(w.send(g, "manifest"));
  EXPECT_EQ(w.texts(), (std::vector<std::string>{"hello, manifest"}));
}

// =============================================================================================
// Native plugins: actors

TEST_F(PluginRegistryNative, a_greeter_from_actor_factory_replies_hello_to_the_sender) {
  PluginWorld w;
  ASSERT_TRUE(w.registry.load_native(kGood, open_options()).has_value());
  AddrHash g = w.spawn("greeter", "greeter");
  ASSERT_TRUE(w.send(g, "world", 42));
  ASSERT_EQ(w.got->size(), 1u);
  const test::Got& reply = w.got->at(0);
  EXPECT_EQ(test::text(reply.bytes), "hello, world");
  EXPECT_EQ(reply.envelope.type_tag, 42u);
  EXPECT_EQ(reply.envelope.source, g);
  EXPECT_EQ(reply.envelope.payload_len, 12u);
  EXPECT_TRUE(reply.envelope.is_response());
}

TEST_F(PluginRegistryNative, create_actor_makes_an_actor_that_runs_like_the_factorys) {
  PluginWorld w;
  ASSERT_TRUE(w.registry.load_native(kGood, open_options()).has_value());
  auto actor = w.registry.create_actor("greeter");
  ASSERT_TRUE(actor.has_value()) << actor.error().to_string();
  std::shared_ptr<std::unique_ptr<Actor>> holder =
      std::make_shared<std::unique_ptr<Actor>>(std::move(actor.value()));
  AddrHash g = w.spawn_with("direct", [holder] { return std::move(*holder); });
  ASSERT_TRUE(w.send(g, "direct"));
  EXPECT_EQ(w.texts(), (std::vector<std::string>{"hello, direct"}));
}

TEST_F(PluginRegistryNative, config_bytes_reach_pd_actor_create_as_the_adders_starting_value) {
  PluginWorld w;
  ASSERT_TRUE(w.registry.load_native(kGood, open_options()).has_value());
  AddrHash a = w.spawn("adder", "adder", bytes("40"));
  ASSERT_TRUE(w.send(a, test::u64_le(2)));
  ASSERT_TRUE(w.send(a, test::u64_le(1000)));
  ASSERT_EQ(w.got->size(), 2u);
  EXPECT_EQ(test::u64_at(w.got->at(0).bytes, 0), 42u);
  EXPECT_EQ(test::u64_at(w.got->at(1).bytes, 0), 1042u);
}

TEST_F(PluginRegistryNative,
       pd_actor_create_returning_NULL_fails_the_start_with_Init_naming_pd_actor_create) {
  PluginWorld w;
  ASSERT_TRUE(w.registry.load_native(kGood, open_options()).has_value());
  w.spawn("adder", "adder", bytes("fail"));
  auto f = w.failures("/user/adder");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0], ActorError::init("pd_actor_create(\"adder\") of plugin 'good' returned NULL"));
  EXPECT_EQ(w.count(EngineEvent::Kind::Started, "/user/adder"), 0u);
}

TEST_F(PluginRegistryNative,
       pd_actor_on_message_returning_PD_ERR_HANDLER_fails_the_message_with_Handler) {
  PluginWorld w;
  ASSERT_TRUE(w.registry.load_native(kGood, open_options()).has_value());
  AddrHash a = w.spawn("adder", "adder", bytes("1"));
  ASSERT_TRUE(w.send(a, std::vector<uint8_t>{}));
  auto f = w.failures("/user/adder");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0], ActorError::handler("pd_actor_on_message of plugin 'good' returned -2"));
  EXPECT_TRUE(w.got->empty());
}

TEST_F(PluginRegistryNative, pd_log_reaches_the_engine_log_with_the_actors_path) {
  PluginWorld w;
  ASSERT_TRUE(w.registry.load_native(kGood, open_options()).has_value());
  w.engine.run_for(250ms);
  AddrHash g = w.spawn("greeter", "greeter");
  EXPECT_EQ(w.log_of("/user/greeter"), (std::vector<std::string>{"2:greeter up"}));
  ASSERT_FALSE(w.logs->empty());
  EXPECT_EQ(w.logs->back().at, Instant{} + 250ms);
  ASSERT_TRUE(w.engine.stop_actor(g));
  w.engine.run_until_idle();
  // on_stop is told the reason: Requested is 1.
  EXPECT_EQ(w.log_of("/user/greeter"), (std::vector<std::string>{"2:greeter up", "2:stopped 1"}));
}

TEST_F(PluginRegistryNative, pd_actor_on_stop_receives_Shutdown_3_when_the_engine_shuts_down) {
  PluginWorld w;
  ASSERT_TRUE(w.registry.load_native(kGood, open_options()).has_value());
  w.spawn("greeter", "greeter");
  w.engine.shutdown();
  w.engine.run_until_idle();
  EXPECT_TRUE(w.engine.is_shut_down());
  EXPECT_EQ(w.log_of("/user/greeter"), (std::vector<std::string>{"2:greeter up", "2:stopped 3"}));
}

TEST_F(PluginRegistryNative, a_spoofed_source_is_replaced_by_the_actors_own_address) {
  PluginWorld w;
  ASSERT_TRUE(w.registry.load_native(kGood, open_options()).has_value());
  auto other = std::make_shared<std::vector<test::Got>>();
  w.spawn_recorder("other", other);
  AddrHash g = w.spawn("greeter", "greeter");
  ASSERT_TRUE(w.send(g, "/user/other", pd_type_tag("send.spoof")));
  ASSERT_EQ(other->size(), 1u);
  EXPECT_EQ(other->at(0).envelope.source, g);
  EXPECT_EQ(other->at(0).envelope.type_tag, pd_type_tag("spoofed"));
  EXPECT_EQ(other->at(0).envelope.payload_len, 7u);  // not the 9999 the plugin wrote
  EXPECT_EQ(test::text(other->at(0).bytes), "spoofed");
  ASSERT_EQ(w.got->size(), 1u);
  EXPECT_EQ(w.got->at(0).envelope.type_tag, pd_type_tag("send.code"));
  EXPECT_EQ(test::i32_at(w.got->at(0).bytes, 0), PD_SEND_OK);
}

TEST_F(
    PluginRegistryNative,
    a_destination_outside_the_namespace_policy_gets_PD_SEND_POLICY_VIOLATION_and_nothing_is_delivered) {
  PluginWorld w;
  PluginOptions options;
  options.policy = NamespacePolicy{{"/user"}, {"/user/forbidden"}};
  ASSERT_TRUE(w.registry.load_native(kGood, options).has_value());
  auto forbidden = std::make_shared<std::vector<test::Got>>();
  w.spawn_recorder("forbidden", forbidden);
  AddrHash g = w.spawn("greeter", "greeter");
  ASSERT_TRUE(w.send(g, "/user/forbidden", pd_type_tag("send.spoof")));
  EXPECT_TRUE(forbidden->empty());
  ASSERT_EQ(w.got->size(), 1u);
  EXPECT_EQ(test::i32_at(w.got->at(0).bytes, 0), PD_SEND_POLICY_VIOLATION);
  EXPECT_EQ(PD_SEND_POLICY_VIOLATION, -20);
}

TEST_F(PluginRegistryNative, a_destination_with_no_live_actor_is_refused_by_a_non_empty_policy) {
  PluginWorld w;
  PluginOptions options;
  options.policy = NamespacePolicy{{"/user"}, {}};
  ASSERT_TRUE(w.registry.load_native(kGood, options).has_value());
  AddrHash g = w.spawn("greeter", "greeter");
  ASSERT_TRUE(w.send(g, "/user/nobody", pd_type_tag("send.spoof")));
  ASSERT_EQ(w.got->size(), 1u);
  EXPECT_EQ(test::i32_at(w.got->at(0).bytes, 0), PD_SEND_POLICY_VIOLATION);
}

TEST_F(PluginRegistryNative, the_default_policy_keeps_a_plugin_to_plugins_name_and_system) {
  PluginWorld w;
  ASSERT_TRUE(w.registry.load_native(kGood).has_value());  // no policy: for_plugin("good")
  AddrHash g = w.spawn("greeter", "greeter");
  ASSERT_TRUE(w.send(g, "anyone?"));
  // The answer to /user/sink is refused, so on_message fails (the greeter returns an error
  // when its reply is not sent).
  EXPECT_TRUE(w.got->empty());
  auto f = w.failures("/user/greeter");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].kind, ActorError::Kind::Handler);
}

TEST_F(PluginRegistryNative, a_local_payload_is_refused_with_a_Handler_error_saying_local) {
  PluginWorld w;
  ASSERT_TRUE(w.registry.load_native(kGood, open_options()).has_value());
  AddrHash g = w.spawn("greeter", "greeter");
  ASSERT_TRUE(w.engine.send(g, LocalThing{7}));
  w.engine.run_until_idle();
  auto f = w.failures("/user/greeter");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].kind, ActorError::Kind::Handler);
  EXPECT_TRUE(contains(f[0].detail, "a local payload of type")) << f[0].detail;
  EXPECT_TRUE(contains(f[0].detail, "LocalThing")) << f[0].detail;
  EXPECT_TRUE(w.got->empty());
}

TEST_F(PluginRegistryNative, each_actors_object_is_destroyed_with_the_actor) {
  PluginWorld w;
  ASSERT_TRUE(w.registry.load_native(kGood, open_options()).has_value());
  AddrHash g = w.spawn("greeter", "greeter");
  w.spawn("adder", "adder", bytes("fail"));  // no object: nothing to destroy
  EXPECT_EQ(events(), (Events{"1 init", "1 create greeter", "1 create adder failed"}));
  ASSERT_TRUE(w.engine.stop_actor(g));
  w.engine.run_until_idle();
  EXPECT_EQ(events(),
            (Events{"1 init", "1 create greeter", "1 create adder failed", "1 destroy greeter"}));
}

// =============================================================================================
// Native plugins: unload and shutdown

TEST_F(PluginRegistryNative,
       unload_without_live_actors_shuts_the_library_down_and_closes_it_at_once) {
  PluginRegistry registry;
  ASSERT_TRUE(registry.load_native(kGood).has_value());
  EXPECT_EQ(good_images_mapped(), 1u);
  auto report = registry.unload("good");
  ASSERT_TRUE(report.has_value()) << report.error().to_string();
  EXPECT_EQ(report->name, "good");
  EXPECT_EQ(report->live_actors, 0u);
  EXPECT_EQ(events(), (Events{"1 init", "1 shutdown"}));
  EXPECT_EQ(good_images_mapped(), 0u);
}

TEST_F(PluginRegistryNative, after_unload_the_library_shuts_down_when_its_last_actor_is_destroyed) {
  PluginWorld w;
  ASSERT_TRUE(w.registry.load_native(kGood, open_options()).has_value());
  AddrHash g = w.spawn("greeter", "greeter");
  ASSERT_TRUE(w.registry.unload("good").has_value());
  EXPECT_EQ(events(), (Events{"1 init", "1 create greeter"}));
  ASSERT_TRUE(w.engine.stop_actor(g));
  w.engine.run_until_idle();
  EXPECT_EQ(events(), (Events{"1 init", "1 create greeter", "1 destroy greeter", "1 shutdown"}));
}

TEST_F(PluginRegistryNative, destroying_the_registry_shuts_down_its_libraries) {
  {
    PluginRegistry registry;
    ASSERT_TRUE(registry.load_native(kGood).has_value());
  }
  EXPECT_EQ(events(), (Events{"1 init", "1 shutdown"}));
}

// =============================================================================================
// The registry: types, names, listing

TEST_F(PluginRegistryTest, an_unknown_type_is_UnknownType_listing_the_loaded_types) {
  PluginRegistry registry;
  ASSERT_TRUE(registry.load_native(kGood).has_value());
  ASSERT_TRUE(registry.load_wasm(test_guest("sdk_echo")).has_value());
  PluginError e = error_of(registry.actor_factory("nope"));
  EXPECT_EQ(e.kind, PluginError::Kind::UnknownType);
  EXPECT_EQ(e.file, "");
  EXPECT_EQ(e.message,
            "no loaded plugin provides actor type 'nope' (loaded types: adder, greeter, sdk_echo)");
  EXPECT_EQ(error_of(registry.create_actor("nope")).message, e.message);
}

TEST_F(PluginRegistryTest, an_unknown_type_in_an_empty_registry_says_none_are_loaded) {
  PluginRegistry registry;
  PluginError e = error_of(registry.actor_factory("nope"));
  EXPECT_EQ(e.message, "no loaded plugin provides actor type 'nope' (loaded types: none)");
}

TEST_F(PluginRegistryTest, two_plugins_providing_one_type_is_AlreadyLoaded) {
  PluginRegistry registry;
  ASSERT_TRUE(registry.load_native(kGood).has_value());
  PluginOptions options;
  options.actor_types = {"greeter"};
  std::string path = test_guest("sdk_echo");
  PluginError e = error_of(registry.load_wasm(path, options));
  EXPECT_EQ(e.kind, PluginError::Kind::AlreadyLoaded);
  EXPECT_EQ(e.file, path);
  EXPECT_EQ(e.message, "actor type 'greeter' is provided already by plugin 'good'");
  ASSERT_EQ(registry.list().size(), 1u);
  EXPECT_EQ(registry.list()[0].name, "good");
}

TEST_F(PluginRegistryTest, two_plugins_of_one_name_is_AlreadyLoaded) {
  PluginRegistry registry;
  std::string path = test_guest("sdk_echo");
  ASSERT_TRUE(registry.load_wasm(path).has_value());
  PluginOptions options;
  options.actor_types = {"other_type"};
  PluginError e = error_of(registry.load_wasm(path, options));
  EXPECT_EQ(e.kind, PluginError::Kind::AlreadyLoaded);
  EXPECT_EQ(e.message,
            "a plugin named 'sdk_echo' is loaded already (from " + path + "); unload it first");
}

TEST_F(PluginRegistryTest, list_is_sorted_by_name_and_info_finds_one) {
  PluginRegistry registry;
  ASSERT_TRUE(registry.load_wasm(test_guest("sdk_probe")).has_value());
  ASSERT_TRUE(registry.load_native(kGood).has_value());
  ASSERT_TRUE(registry.load_wasm(test_guest("sdk_echo")).has_value());
  std::vector<std::string> names;
  for (const PluginInfo& i : registry.list()) names.push_back(i.name);
  EXPECT_EQ(names, (std::vector<std::string>{"good", "sdk_echo", "sdk_probe"}));
  ASSERT_TRUE(registry.info("sdk_probe").has_value());
  EXPECT_EQ(registry.info("sdk_probe")->kind, PluginKind::Wasm);
  EXPECT_FALSE(registry.info("ghost").has_value());
}

TEST_F(PluginRegistryTest, unload_of_a_name_not_loaded_is_NotLoaded) {
  PluginRegistry registry;
  ASSERT_TRUE(registry.load_native(kGood).has_value());
  PluginError e = error_of(registry.unload("ghost"));
  EXPECT_EQ(e.kind, PluginError::Kind::NotLoaded);
  EXPECT_EQ(e.file, "");
  EXPECT_EQ(e.message, "no plugin named 'ghost' is loaded (loaded: good)");
  EXPECT_EQ(registry.list().size(), 1u);
}

TEST_F(PluginRegistryTest, live_actors_in_info_counts_the_actors_alive) {
  PluginWorld w;
  ASSERT_TRUE(w.registry.load_native(kGood, open_options()).has_value());
  ASSERT_TRUE(w.registry.load_wasm(test_guest("sdk_echo"), open_options()).has_value());
  auto factory = w.registry.actor_factory("greeter");  // its check makes no lasting actor
  ASSERT_TRUE(factory.has_value());
  EXPECT_EQ(w.registry.info("good").value().live_actors, 0u);
  AddrHash a = w.spawn_with("a", *factory);
  w.spawn_with("b", *factory);
  w.spawn("adder", "adder", bytes("0"));
  w.spawn("echo", "sdk_echo");
  EXPECT_EQ(w.registry.info("good").value().live_actors, 3u);
  EXPECT_EQ(w.registry.info("sdk_echo").value().live_actors, 1u);
  ASSERT_TRUE(w.engine.stop_actor(a));
  w.engine.run_until_idle();
  EXPECT_EQ(w.registry.info("good").value().live_actors, 2u);
  EXPECT_EQ(w.registry.list()[0].live_actors, 2u);
}

// =============================================================================================
// The registry: unload and hot reload

TEST_F(PluginRegistryTest, unload_with_a_live_actor_reports_it_and_the_actor_keeps_answering) {
  PluginWorld w;
  ASSERT_TRUE(w.registry.load_native(kGood, open_options()).has_value());
  AddrHash g = w.spawn("greeter", "greeter");
  auto report = w.registry.unload("good");
  ASSERT_TRUE(report.has_value()) << report.error().to_string();
  EXPECT_EQ(report->name, "good");
  EXPECT_EQ(report->live_actors, 1u);
  EXPECT_FALSE(w.registry.info("good").has_value());
  EXPECT_TRUE(w.registry.list().empty());
  ASSERT_TRUE(w.send(g, "still there"));
  EXPECT_EQ(w.texts(), (std::vector<std::string>{"hello, still there"}));
}

TEST_F(PluginRegistryTest,
       after_unload_a_factory_made_before_starts_an_actor_that_fails_with_Init_saying_unloaded) {
  PluginWorld w;
  ASSERT_TRUE(w.registry.load_native(kGood, open_options()).has_value());
  auto factory = w.registry.actor_factory("greeter");
  ASSERT_TRUE(factory.has_value());
  ASSERT_TRUE(w.registry.unload("good").has_value());
  w.spawn_with("late", *factory);
  auto f = w.failures("/user/late");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].kind, ActorError::Kind::Init);
  EXPECT_TRUE(contains(f[0].detail, "belonged to plugin 'good', which was unloaded"))
      << f[0].detail;
  PluginError e = error_of(w.registry.create_actor("greeter"));
  EXPECT_EQ(e.kind, PluginError::Kind::UnknownType);
  EXPECT_EQ(e.message,
            "actor type 'greeter' belonged to plugin 'good', which was unloaded; load it again "
            "to spawn its actors");
}

TEST_F(PluginRegistryTest,
       a_native_reload_is_picked_up_by_a_supervised_restart_through_the_old_factory) {
  PluginWorld w;
  ASSERT_TRUE(w.registry.load_native(kGood, open_options()).has_value());
  auto factory = w.registry.actor_factory("greeter");
  ASSERT_TRUE(factory.has_value());
  AddrHash old_address = w.spawn_with("greeter", *factory, RestartPolicy::Permanent);
  ASSERT_TRUE(w.registry.unload("good").has_value());
  auto reloaded = w.registry.load_native(kGood, open_options());
  ASSERT_TRUE(reloaded.has_value()) << reloaded.error().to_string();
  EXPECT_EQ(reloaded->live_actors, 0u);  // the old actor counts for the old load
  ASSERT_TRUE(w.engine.kill_actor(old_address, /*remove=*/false));
  w.engine.run_until_idle();
  EXPECT_EQ(w.count(EngineEvent::Kind::Restarted, "/user/greeter"), 1u);
  EXPECT_TRUE(w.failures("/user/greeter").empty());
  ASSERT_TRUE(w.send(old_address.path_address(), "again"));
  EXPECT_EQ(w.texts(), (std::vector<std::string>{"hello, again"}));
  EXPECT_EQ(w.registry.info("good").value().live_actors, 1u);
}

// ---------------------------------------------------------------------------------------------
// Each load of a native library is an image of its own (the registry opens a private copy of
// the file): a reload while actors of the old load live gets fresh globals and its own
// pd_plugin_init, and each image is shut down (pd_plugin_shutdown) and closed when it is let
// go (with its last actor, or at once when its load is refused), never under another load
// still using it. A file rebuilt at the same path is read anew by the next load.

TEST_F(PluginRegistryTest, a_reload_while_old_actors_live_never_calls_into_a_shut_down_library) {
  PluginWorld w;
  ASSERT_TRUE(w.registry.load_native(kGood, open_options()).has_value());
  auto factory = w.registry.actor_factory("greeter");
  ASSERT_TRUE(factory.has_value());
  AddrHash old_address = w.spawn_with("greeter", *factory, RestartPolicy::Permanent);
  ASSERT_TRUE(w.registry.unload("good").has_value());
  ASSERT_TRUE(w.registry.load_native(kGood, open_options()).has_value());
  EXPECT_EQ(events(), (Events{"1 init", "1 create greeter", "2 init"}));
  EXPECT_EQ(good_images_mapped(), 2u);
  ASSERT_TRUE(w.engine.kill_actor(old_address, /*remove=*/false));
  w.engine.run_until_idle();
  ASSERT_TRUE(w.send(old_address.path_address(), "again"));
  EXPECT_EQ(w.texts(), (std::vector<std::string>{"hello, again"}));
  // The old image goes with its last actor; the restarted actor is the new image's.
  EXPECT_EQ(events(), (Events{"1 init", "1 create greeter", "2 init", "1 destroy greeter",
                              "1 shutdown", "2 create greeter"}));
  EXPECT_EQ(good_images_mapped(), 1u);
}

TEST_F(PluginRegistryTest, a_refused_load_of_an_open_library_by_another_path_leaves_it_running) {
  PluginWorld w;
  ASSERT_TRUE(w.registry.load_native(kGood, open_options()).has_value());
  std::string why;
  std::string link = hard_link_to_good(why);
  if (link.empty()) GTEST_SKIP() << why;
  PluginError e = error_of(w.registry.load_native(link, open_options()));
  EXPECT_EQ(e.kind, PluginError::Kind::AlreadyLoaded);
  EXPECT_EQ(e.file, link);
  EXPECT_EQ(e.message,
            "a plugin named 'good' is loaded already (from " + kGood + "); unload it first");
  AddrHash g = w.spawn("greeter", "greeter");
  ASSERT_TRUE(w.send(g, "still up"));
  EXPECT_EQ(w.texts(), (std::vector<std::string>{"hello, still up"}));
  EXPECT_EQ(events(), (Events{"1 init", "2 init", "2 shutdown", "1 create greeter"}));
}

TEST_F(PluginRegistryTest, a_library_rebuilt_at_the_same_path_is_read_anew_while_old_actors_live) {
  PluginWorld w;
  std::string path = dir_.path("libhot.so");
  std::filesystem::copy_file(kGood, path);
  ASSERT_TRUE(w.registry.load_native(path, open_options()).has_value());
  w.spawn("greeter", "greeter");
  ASSERT_TRUE(w.registry.unload("good").has_value());
  // A new build replaces the file (a new inode, as a linker or an install does); this one
  // happens to speak another ABI, which makes "the new file was read" easy to see.
  std::filesystem::copy_file(test_plugin("wrong_abi_plugin"), dir_.path("libhot.so.new"));
  std::filesystem::rename(dir_.path("libhot.so.new"), path);
  auto reloaded = w.registry.load_native(path, open_options());
  ASSERT_FALSE(reloaded.has_value()) << "the old image was loaded again, as plugin '"
                                     << reloaded->name << "' " << reloaded->version;
  EXPECT_EQ(reloaded.error().kind, PluginError::Kind::AbiMismatch) << reloaded.error().to_string();
  EXPECT_TRUE(contains(reloaded.error().message, "built against plugin ABI version 2"))
      << reloaded.error().message;
  EXPECT_EQ(events(), (Events{"1 init", "1 create greeter"}));
}

TEST_F(PluginRegistryTest,
       a_wasm_reload_under_the_same_name_restarts_old_factories_on_the_new_code) {
  PluginWorld w;
  PluginOptions options = open_options();
  options.name = "svc";
  ASSERT_TRUE(w.registry.load_wasm(test_guest("sdk_echo"), options).has_value());
  auto factory = w.registry.actor_factory("svc");
  ASSERT_TRUE(factory.has_value());
  AddrHash old_address = w.spawn_with("svc", *factory, RestartPolicy::Permanent);
  ASSERT_TRUE(w.send(old_address, "v1"));
  ASSERT_TRUE(w.registry.unload("svc").has_value());
  ASSERT_TRUE(w.registry.load_wasm(test_guest("sdk_probe"), options).has_value());
  ASSERT_TRUE(w.engine.kill_actor(old_address, /*remove=*/false));
  w.engine.run_until_idle();
  EXPECT_EQ(w.count(EngineEvent::Kind::Restarted, "/user/svc"), 1u);
  ASSERT_TRUE(w.send(old_address.path_address(), "v2"));
  // v1: the echo; v2: the probe's note and report.
  ASSERT_EQ(w.got->size(), 3u);
  EXPECT_EQ(test::text(w.got->at(0).bytes), "v1");
  EXPECT_EQ(w.got->at(1).envelope.type_tag, pd_type_tag("probe.note"));
  EXPECT_EQ(w.got->at(2).envelope.type_tag, pd_type_tag("probe.report"));
}

}  // namespace
}  // namespace pd::plugin_registry_test
