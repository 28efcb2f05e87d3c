// The aot backend's own behaviour: its cache, its toolchain errors, what it refuses and the
// auto choice. (Everything a backend must do alike is in the suites that run on both.)
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "pd/wasm/aot_host.h"
#include "pd/wasm/wasm_backend.h"
#include "wasm_test_support.h"

namespace pd {
namespace {

namespace fs = std::filesystem;
using test::error_of;
using test::wat_to_wasm;

constexpr const char* kAnswer = R"((module
  (func (export "answer") (result i32) (i32.const 42))))";

// A cache folder of this test's own, removed after it.
class WasmAotTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("pd-aot-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    options_.cache_dir = dir_.string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  // The .so files in the cache (not the .meta records, not build folders).
  std::vector<fs::path> objects() const {
    std::vector<fs::path> out;
    if (!fs::exists(dir_)) return out;
    for (const auto& e : fs::directory_iterator(dir_))
      if (e.path().extension() == ".so") out.push_back(e.path());
    return out;
  }
  int32_t answer(const WasmHost& host) {
    auto module = host.compile(wat_to_wasm(kAnswer));
    if (!module) {
      ADD_FAILURE() << to_string(module.error());
      return -1;
    }
    auto inst = host.instantiate(*module, {});
    if (!inst) {
      ADD_FAILURE() << to_string(inst.error());
      return -1;
    }
    auto r = (*inst)->call("answer", {});
    return r ? (*r)[0].as_i32() : -1;
  }

  fs::path dir_;
  AotOptions options_;
};

TEST_F(WasmAotTest, a_compiled_module_is_kept_in_the_cache_folder_with_its_record) {
  auto host = make_aot_host(options_);
  EXPECT_EQ(answer(*host), 42);
  auto so = objects();
  ASSERT_EQ(so.size(), 1u);
  fs::path meta = so[0];
  meta.replace_extension(".meta");
  EXPECT_TRUE(fs::exists(meta));
}

TEST_F(WasmAotTest, a_second_compile_of_the_same_module_uses_the_cache) {
  auto host = make_aot_host(options_);
  EXPECT_EQ(answer(*host), 42);
  auto before = fs::last_write_time(objects().at(0));
  EXPECT_EQ(answer(*make_aot_host(options_)), 42);
  ASSERT_EQ(objects().size(), 1u);
  EXPECT_EQ(fs::last_write_time(objects()[0]), before);
}

TEST_F(WasmAotTest, a_corrupt_shared_object_is_rebuilt_not_trusted) {
  auto compiled = aot_compile_to_cache(wat_to_wasm(kAnswer), options_);
  ASSERT_TRUE(compiled) << to_string(compiled.error());
  {
    std::ofstream so(*compiled, std::ios::binary | std::ios::trunc);
    so << "not a shared object";
  }
  auto again = aot_compile_to_cache(wat_to_wasm(kAnswer), options_);
  ASSERT_TRUE(again) << to_string(again.error());
  EXPECT_EQ(*again, *compiled);
  EXPECT_GT(fs::file_size(*again), 1000u);
  EXPECT_EQ(answer(*make_aot_host(options_)), 42);
}

TEST_F(WasmAotTest, an_entry_whose_record_is_missing_or_altered_is_rebuilt) {
  auto compiled = aot_compile_to_cache(wat_to_wasm(kAnswer), options_);
  ASSERT_TRUE(compiled);
  fs::path meta = *compiled;
  meta.replace_extension(".meta");
  {
    std::ofstream m(meta, std::ios::trunc);
    m << "pd-aot-cache 1\nkey something else\n";
  }
  auto before = fs::last_write_time(*compiled);
  auto again = aot_compile_to_cache(wat_to_wasm(kAnswer), options_);
  ASSERT_TRUE(again);
  EXPECT_NE(fs::last_write_time(*again), before);  // built anew
  fs::remove(meta);
  ASSERT_TRUE(aot_compile_to_cache(wat_to_wasm(kAnswer), options_));
  EXPECT_TRUE(fs::exists(meta));
}

// The runtime is compiled once per toolchain into the cache (runtime-<key>.o and its record)
// and linked into every module; a corrupt one is rebuilt like a corrupt module.
TEST_F(WasmAotTest, the_runtime_is_compiled_once_into_the_cache_and_a_corrupt_one_is_rebuilt) {
  auto runtime_objects = [&] {
    std::vector<fs::path> out;
    for (const auto& e : fs::directory_iterator(dir_))
      if (e.path().extension() == ".o") out.push_back(e.path());
    return out;
  };
  auto answer_so = aot_compile_to_cache(wat_to_wasm(kAnswer), options_);
  ASSERT_TRUE(answer_so);
  auto runtime = runtime_objects();
  ASSERT_EQ(runtime.size(), 1u);
  EXPECT_EQ(runtime[0].filename().string().rfind("runtime-", 0), 0u) << runtime[0];
  fs::path meta = runtime[0];
  meta.replace_extension(".meta");
  EXPECT_TRUE(fs::exists(meta));
  auto before = fs::last_write_time(runtime[0]);
  // A second module links the same object.
  ASSERT_TRUE(aot_compile_to_cache(
      wat_to_wasm(R"((module (func (export "seven") (result i32) (i32.const 7))))"), options_));
  EXPECT_EQ(runtime_objects(), runtime);
  EXPECT_EQ(fs::last_write_time(runtime[0]), before);
  {
    std::ofstream o(runtime[0], std::ios::binary | std::ios::trunc);
    o << "not an object";
  }
  ASSERT_TRUE(aot_compile_to_cache(
      wat_to_wasm(R"((module (func (export "eight") (result i32) (i32.const 8))))"), options_));
  EXPECT_GT(fs::file_size(runtime[0]), 1000u);
  fs::remove(*answer_so);  // rebuilt against the rebuilt runtime
  EXPECT_EQ(answer(*make_aot_host(options_)), 42);
}

TEST_F(WasmAotTest, PD_CACHE_DIR_chooses_the_cache_folder_when_the_options_do_not) {
  const char* old = std::getenv("PD_CACHE_DIR");
  std::string saved = old ? old : "";
  ::setenv("PD_CACHE_DIR", dir_.c_str(), 1);
  EXPECT_EQ(aot_cache_dir(AotOptions{}), dir_.string());
  ::unsetenv("PD_CACHE_DIR");
  EXPECT_NE(aot_cache_dir(AotOptions{}), dir_.string());
  if (old) ::setenv("PD_CACHE_DIR", saved.c_str(), 1);
}

TEST_F(WasmAotTest, a_missing_c_compiler_is_a_compile_error_that_names_it) {
  options_.c_compiler = "pd-no-such-compiler";
  WasmError e = error_of(make_aot_host(options_)->compile(wat_to_wasm(kAnswer)));
  EXPECT_EQ(e.kind, WasmError::Kind::Compile);
  EXPECT_NE(e.message.find("the aot backend needs pd-no-such-compiler"), std::string::npos)
      << e.message;
}

TEST_F(WasmAotTest, a_missing_wasm2c_is_a_compile_error_that_names_it) {
  options_.wasm2c = "pd-no-such-wasm2c";
  WasmError e = error_of(make_aot_host(options_)->compile(wat_to_wasm(kAnswer)));
  EXPECT_EQ(e.kind, WasmError::Kind::Compile);
  EXPECT_NE(e.message.find("the aot backend needs pd-no-such-wasm2c"), std::string::npos)
      << e.message;
}

TEST_F(WasmAotTest, an_invalid_module_is_the_same_compile_error_as_on_the_interpreter) {
  std::vector<uint8_t> bad = {0x00, 0x61, 0x73, 0x6d, 0x02, 0x00, 0x00, 0x00};
  WasmError aot = error_of(make_aot_host(options_)->compile(bad));
  WasmError interp = error_of(make_interp_host()->compile(bad));
  EXPECT_EQ(aot.kind, WasmError::Kind::Compile);
  EXPECT_EQ(aot.message, interp.message);
  EXPECT_TRUE(objects().empty());
}

TEST_F(WasmAotTest, a_module_importing_a_memory_is_refused_at_compile_naming_the_import) {
  WasmError e = error_of(
      make_aot_host(options_)->compile(wat_to_wasm(R"((module (import "env" "mem" (memory 1))))")));
  EXPECT_EQ(e.kind, WasmError::Kind::Compile);
  EXPECT_NE(e.message.find("imports are functions; this one imports env.mem"), std::string::npos)
      << e.message;
}

TEST_F(WasmAotTest, a_simd_module_is_a_compile_error_saying_wasm2c_cannot_translate_it) {
  WasmError e = error_of(make_aot_host(options_)->compile(wat_to_wasm(R"((module
    (func (export "splat") (param i32) (result v128) (i32x4.splat (local.get 0)))))")));
  EXPECT_EQ(e.kind, WasmError::Kind::Compile);
  EXPECT_NE(e.message.find("wasm2c cannot translate this module"), std::string::npos) << e.message;
}

TEST_F(WasmAotTest, auto_runs_on_aot_when_the_module_compiles_there) {
  auto compiled = compile_on(WasmBackend::Auto, wat_to_wasm(kAnswer), options_);
  ASSERT_TRUE(compiled) << to_string(compiled.error());
  EXPECT_EQ(compiled->host->name(), "aot");
  EXPECT_EQ(compiled->note, "backend aot");
}

TEST_F(WasmAotTest, auto_falls_back_to_the_interpreter_and_says_why) {
  auto compiled = compile_on(WasmBackend::Auto, wat_to_wasm(R"((module
    (func (export "splat") (param i32) (result v128) (i32x4.splat (local.get 0)))))"),
                             options_);
  ASSERT_TRUE(compiled) << to_string(compiled.error());
  EXPECT_EQ(compiled->host->name(), "interp");
  EXPECT_EQ(compiled->note.rfind("backend interp (aot could not compile it: wasm2c cannot", 0), 0u)
      << compiled->note;
}

TEST_F(WasmAotTest, auto_does_not_fall_back_for_an_invalid_module) {
  std::vector<uint8_t> bad = {0x00, 0x61, 0x73, 0x6d, 0x02, 0x00, 0x00, 0x00};
  auto compiled = compile_on(WasmBackend::Auto, bad, options_);
  ASSERT_FALSE(compiled);
  EXPECT_EQ(compiled.error().kind, WasmError::Kind::Compile);
}

TEST(WasmBackendName, parses_the_three_names_and_refuses_others_listing_them) {
  EXPECT_EQ(*parse_wasm_backend("interp"), WasmBackend::Interp);
  EXPECT_EQ(*parse_wasm_backend("aot"), WasmBackend::Aot);
  EXPECT_EQ(*parse_wasm_backend("auto"), WasmBackend::Auto);
  auto bad = parse_wasm_backend("jit");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error(), "unknown backend 'jit' (interp, aot or auto)");
}

}  // namespace
}  // namespace pd
