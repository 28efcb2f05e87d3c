#include "aot_toolchain.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include "aot_c_names.h"
#include "aot_glue.h"
#include "pd/core/fnv.h"

extern char** environ;

namespace pd {

namespace fs = std::filesystem;

std::string aot_cache_dir(const AotOptions& options) {
  if (!options.cache_dir.empty()) return options.cache_dir;
  if (const char* d = std::getenv("PD_CACHE_DIR"); d && *d) return d;
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x)
    return std::string(x) + "/palladium/aot";
  if (const char* h = std::getenv("HOME"); h && *h) return std::string(h) + "/.cache/palladium/aot";
  return "/tmp/palladium-aot-" + std::to_string(::getuid());
}

namespace detail {

namespace {

std::string hex64(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", (unsigned long long)v);
  return buf;
}

// Two independent 64-bit FNV-1a hashes (different starting states): 128 bits of key.
std::string hash128(std::string_view bytes) {
  return hex64(fnv1a64(bytes)) + hex64(fnv1a64(bytes, 0x84222325cbf29ce4ull));
}
std::string_view as_chars(std::span<const uint8_t> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

std::optional<std::string> read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

bool write_file(const std::string& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), std::streamsize(bytes.size()));
  return bool(out);
}

// Runs argv with stdout and stderr into `log`; an error with the command and its output.
Expected<void, std::string> run(const std::vector<std::string>& argv, const std::string& log) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  int err = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  std::string command;
  for (const std::string& a : argv) command += (command.empty() ? "" : " ") + a;
  if (err != 0) return Unexpected{"cannot run '" + argv[0] + "': " + std::strerror(err)};
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return {};
  std::string output = read_text(log).value_or("");
  if (output.size() > 2000) output = "..." + output.substr(output.size() - 2000);
  std::string how = WIFEXITED(status) ? "exited with " + std::to_string(WEXITSTATUS(status))
                                      : "was killed by signal " + std::to_string(WTERMSIG(status));
  if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
    how += " (is it installed? scripts/setup installs wabt and gcc)";
  return Unexpected{command + " " + how + (output.empty() ? "" : ":\n" + output)};
}

// The flags every compile gets after the configurable ones (part of the toolchain's identity).
// -fsignaling-nans: WebAssembly quiets a signalling NaN in x - 0, x * 1, ...; without it gcc
// folds those to x and hands the signalling NaN back. -fstack-clash-protection: a frame larger
// than a page touches each page as it grows, so it faults on the guard page instead of
// stepping over it (the native stack floor of aot_runtime/ traps before that in practice).
constexpr const char* kFixedFlags[] = {"-fPIC", "-fvisibility=hidden", "-fno-strict-aliasing",
                                       "-fsignaling-nans", "-fstack-clash-protection"};

// What a cache entry records next to its file (a module's shared object, the runtime's object).
std::string meta_text(const std::string& key, const std::string& bytes) {
  return "pd-aot-cache 1\nkey " + key + "\nsize " + std::to_string(bytes.size()) + "\nhash " +
         hash128(bytes) + "\n";
}

// True when the entry is whole: its record names `key` and the file's exact size and hash.
// Anything else (a crash mid-write, a truncated or altered file) is to be rebuilt.
bool entry_is_whole(const std::string& key, const std::string& file, const std::string& meta) {
  auto recorded = read_text(meta);
  if (!recorded) return false;
  auto bytes = read_text(file);
  return bytes && *recorded == meta_text(key, *bytes);
}

// Moves a file built in `work` into the cache: the file first, then its record, so an entry
// is complete once its record exists.
Expected<void, std::string> store_entry(const std::string& work, const std::string& built,
                                        const std::string& key, const std::string& file,
                                        const std::string& meta) {
  auto bytes = read_text(built);
  if (!bytes) return Unexpected{"the C compiler wrote no " + built};
  std::error_code ec;
  fs::rename(built, file, ec);
  if (ec) return Unexpected{"cannot move " + built + " into " + file + ": " + ec.message()};
  if (!write_file(work + "/meta", meta_text(key, *bytes)))
    return Unexpected{"cannot write " + work + "/meta"};
  fs::rename(work + "/meta", meta, ec);
  if (ec) return Unexpected{"cannot move the record into " + meta + ": " + ec.message()};
  return {};
}

}  // namespace

AotToolchain::AotToolchain(AotOptions options)
    : options_(std::move(options)), cache_dir_(aot_cache_dir(options_)) {}

Expected<std::string, WasmError> AotToolchain::identity() const {
  std::lock_guard<std::mutex> lock(identity_mu_);
  if (!identity_.empty()) return identity_;
  std::error_code ec;
  fs::create_directories(cache_dir_, ec);
  if (ec)
    return Unexpected{WasmError::compile("cannot create the aot cache folder " + cache_dir_ + ": " +
                                         ec.message())};
  std::string log = cache_dir_ + "/toolchain-" + std::to_string(::getpid()) + ".log";
  std::string id = "pd-aot glue " + std::to_string(kAotGlueVersion) + "\n";
  for (const std::string& tool : {options_.c_compiler, options_.wasm2c}) {
    if (auto r = run({tool, "--version"}, log); !r)
      return Unexpected{WasmError::compile("the aot backend needs " + tool + ": " + r.error())};
    std::string out = read_text(log).value_or("");
    id += out.substr(0, out.find('\n')) + "\n";
  }
  fs::remove(log, ec);
  for (const std::string& f : options_.c_flags) id += f + " ";
  for (const char* f : kFixedFlags) id += std::string(f) + " ";
  id += "\nwasm2c --enable-exceptions -n " + std::string(kAotModuleName);
  id += "\n" + hash128(std::string(kAotRuntimeC) + kAotRuntimeH + kAotWasmRtH) + "\nglue " +
        kAotGlueSourceHash;
  identity_ = id;
  return identity_;
}

std::vector<std::string> AotToolchain::compiler_command() const {
  std::vector<std::string> cc = {options_.c_compiler};
  for (const std::string& f : options_.c_flags) cc.push_back(f);
  for (const char* f : kFixedFlags) cc.push_back(f);
  return cc;
}

Expected<std::string, WasmError> AotToolchain::runtime_object(const std::string& id) const {
  // Compiled once per toolchain and kept beside the modules: it is the larger half of every
  // module's compile otherwise. Trusted, like a module, only when its record matches exactly.
  const std::string key = "runtime-" + hash128(id);
  const std::string object = cache_dir_ + "/" + key + ".o";
  const std::string meta = cache_dir_ + "/" + key + ".meta";
  if (entry_is_whole(key, object, meta)) return object;
  static std::atomic<uint64_t> builds{0};
  std::string work = cache_dir_ + "/" + key + ".build-" + std::to_string(::getpid()) + "-" +
                     std::to_string(builds.fetch_add(1));
  std::error_code ec;
  fs::remove(meta, ec);
  fs::create_directories(work + "/rt", ec);
  auto fail = [&](const std::string& what) -> Expected<std::string, WasmError> {
    fs::remove_all(work, ec);
    return Unexpected{WasmError::compile(what)};
  };
  if (ec) return fail("cannot create " + work + ": " + ec.message());
  if (!write_file(work + "/pd_aot_runtime.c", kAotRuntimeC) ||
      !write_file(work + "/pd_aot_runtime.h", kAotRuntimeH) ||
      !write_file(work + "/rt/wasm-rt.h", kAotWasmRtH))
    return fail("cannot write into " + work);
  std::vector<std::string> cc = compiler_command();
  cc.push_back("-c");
  for (const std::string& f : {"-I" + work + "/rt", "-I" + work, work + "/pd_aot_runtime.c",
                               std::string("-o"), work + "/runtime.o"})
    cc.push_back(f);
  if (auto r = run(cc, work + "/log.txt"); !r)
    return fail("the C compiler failed on the aot runtime: " + r.error());
  if (auto stored = store_entry(work, work + "/runtime.o", key, object, meta); !stored)
    return fail(stored.error());
  fs::remove_all(work, ec);
  return object;
}

Expected<void, WasmError> AotToolchain::build(std::span<const uint8_t> wasm, const ModuleInfo& info,
                                              const std::string& so_path) const {
  auto id = identity();
  if (!id) return Unexpected{id.error()};
  auto runtime = runtime_object(*id);
  if (!runtime) return Unexpected{runtime.error()};
  // A private folder per build: concurrent builds (threads, processes) never share files.
  static std::atomic<uint64_t> builds{0};
  std::string work =
      so_path + ".build-" + std::to_string(::getpid()) + "-" + std::to_string(builds.fetch_add(1));
  std::error_code ec;
  fs::create_directories(work, ec);
  if (ec) return Unexpected{WasmError::compile("cannot create " + work + ": " + ec.message())};
  auto fail = [&](const std::string& what) -> Expected<void, WasmError> {
    fs::remove_all(work, ec);
    return Unexpected{WasmError::compile(what)};
  };
  ModuleInfo c_info;
  auto renamed = rename_for_c(wasm, info, &c_info);
  if (!renamed) return fail(renamed.error());
  const std::span<const uint8_t> for_wasm2c = renamed->empty() ? wasm : *renamed;
  if (!write_file(work + "/module.wasm", as_chars(for_wasm2c)) ||
      !write_file(work + "/pd_aot_runtime.h", kAotRuntimeH) ||
      !fs::create_directories(work + "/rt", ec) || !write_file(work + "/rt/wasm-rt.h", kAotWasmRtH))
    return fail("cannot write into " + work);
  std::string log = work + "/log.txt";
  if (auto r = run({options_.wasm2c, "--enable-exceptions", work + "/module.wasm", "-n",
                    kAotModuleName, "-o", work + "/module.c"},
                   log);
      !r)
    return fail(
        "wasm2c cannot translate this module (WABT 1.0.32's wasm2c lacks SIMD and tail "
        "calls, among others; the interp backend runs any valid module): " +
        r.error());
  auto header = read_text(work + "/module.h");
  if (!header) return fail("wasm2c wrote no module.h");
  auto glue = generate_aot_glue(*header, info, c_info);
  if (!glue) return fail("cannot generate the glue: " + glue.error());
  if (!write_file(work + "/glue.c", *glue)) return fail("cannot write " + work + "/glue.c");
  std::vector<std::string> cc = compiler_command();
  cc.push_back("-shared");
  // rt/ holds our wasm-rt.h, which #include_next's WABT's: it must not sit next to the files
  // that include it (a quoted include found beside its includer restarts include_next's search).
  cc.push_back("-I" + work + "/rt");
  cc.push_back("-I" + work);
  for (const char* f : {"/module.c", "/glue.c"}) cc.push_back(work + f);
  cc.push_back(*runtime);
  for (const std::string& f :
       {std::string("-o"), work + "/module.so", std::string("-lm"), std::string("-lpthread")})
    cc.push_back(f);
  if (auto r = run(cc, log); !r) return fail("the C compiler failed: " + r.error());
  std::string key = so_path.substr(so_path.rfind('/') + 1);
  key = key.substr(0, key.size() - 3);
  if (auto stored = store_entry(work, work + "/module.so", key, so_path,
                                so_path.substr(0, so_path.size() - 3) + ".meta");
      !stored)
    return fail(stored.error());
  fs::remove_all(work, ec);
  return {};
}

Expected<std::string, WasmError> AotToolchain::shared_object(std::span<const uint8_t> wasm,
                                                             const ModuleInfo& info) const {
  auto id = identity();
  if (!id) return Unexpected{id.error()};
  std::string key = hash128(std::string(as_chars(wasm)) + "\n" + *id);
  std::string so_path = cache_dir_ + "/" + key + ".so";
  std::string meta_path = cache_dir_ + "/" + key + ".meta";
  if (entry_is_whole(key, so_path, meta_path)) return so_path;
  std::error_code ec;
  fs::remove(meta_path, ec);
  if (auto built = build(wasm, info, so_path); !built) return Unexpected{built.error()};
  return so_path;
}

}  // namespace detail
}  // namespace pd
