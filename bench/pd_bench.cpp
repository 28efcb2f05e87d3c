// pd-bench WORKLOAD ARGS... [--cores K]: runs one workload and prints one JSON line
// (the benchmark contract of ARCHITECTURE.md).
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <stdexcept>
#include <string>
#include <vector>

#include "pd/runtime/multi_core_engine.h"
#include "workloads.h"

namespace {

const char* kUsage =
    "usage: pd-bench WORKLOAD ARGS... [--cores K]\n"
    "  pingpong N        two actors exchange N round trips\n"
    "  skynet N          10-ary tree of N leaf actors (N a power of 10) sums 0..N-1\n"
    "  fanin S M         S senders each send M messages to one actor\n"
    "  spawn N           N idle actors kept alive\n"
    "  sim-pingpong N    pingpong under the deterministic simulator\n"
    "  wasm-pingpong N   pingpong between two WASM guests      [--backend interp|aot]\n"
    "  wasm-spawn N      N idle WASM guests, one page touched  [--backend interp|aot]\n"
    "  wasm-compute M    M messages of a 10,000-iteration loop [--fuel|--no-fuel] [--backend "
    "interp]\n"
    "  --cores K         cores to run on (pingpong, skynet, fanin; default 1)\n";

[[noreturn]] void usage_error(const std::string& why) {
  std::fprintf(stderr, "pd-bench: %s\n%s", why.c_str(), kUsage);
  std::exit(2);
}

uint64_t parse_count(const std::string& s, const char* what) {
  char* end = nullptr;
  unsigned long long v = std::strtoull(s.c_str(), &end, 10);
  if (s.empty() || *end != '\0' || v == 0 || s[0] == '-')
    usage_error(std::string(what) + " must be a positive integer, got '" + s + "'");
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args;
  uint64_t cores = 1;
  std::string backend = "interp";
  bool fuel = true;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (a == "--backend") {
      if (i + 1 >= argc) usage_error("--backend needs a value");
      backend = argv[++i];
    } else if (a == "--fuel") {
      fuel = true;
    } else if (a == "--no-fuel") {
      fuel = false;
    } else if (a == "--cores") {
      if (i + 1 >= argc) usage_error("--cores needs a value");
      cores = parse_count(argv[++i], "--cores");
    } else {
      args.push_back(a);
    }
  }
  if (args.empty()) usage_error("no workload given");
  const std::string& w = args[0];
  bool multi = cores != 1;
  if (multi && w != "pingpong" && w != "skynet" && w != "fanin")
    usage_error("--cores applies to pingpong, skynet and fanin, not to '" + w + "'");
  if (cores == 0 || cores > pd::kMaxCores)
    usage_error("--cores must be 1.." + std::to_string(pd::kMaxCores));
  auto need = [&](size_t n) {
    if (args.size() != n + 1)
      usage_error(w + " takes " + std::to_string(n) + " argument(s), got " +
                  std::to_string(args.size() - 1));
  };
  pd::bench::Figures f;
  try {
    if (w == "pingpong") {
      need(1);
      f = multi ? pd::bench::pingpong_multi(parse_count(args[1], "N"), uint32_t(cores))
                : pd::bench::pingpong(parse_count(args[1], "N"));
    } else if (w == "skynet") {
      need(1);
      f = multi ? pd::bench::skynet_multi(parse_count(args[1], "N"), uint32_t(cores))
                : pd::bench::skynet(parse_count(args[1], "N"));
    } else if (w == "fanin") {
      need(2);
      f = multi ? pd::bench::fanin_multi(parse_count(args[1], "S"), parse_count(args[2], "M"),
                                         uint32_t(cores))
                : pd::bench::fanin(parse_count(args[1], "S"), parse_count(args[2], "M"));
    } else if (w == "spawn") {
      need(1);
      f = pd::bench::spawn_idle(parse_count(args[1], "N"));
    } else if (w == "sim-pingpong") {
      need(1);
      f = pd::bench::sim_pingpong(parse_count(args[1], "N"));
    } else if (w == "wasm-pingpong") {
      need(1);
      f = pd::bench::wasm_pingpong(parse_count(args[1], "N"), backend);
    } else if (w == "wasm-spawn") {
      need(1);
      f = pd::bench::wasm_spawn(parse_count(args[1], "N"), backend);
    } else if (w == "wasm-compute") {
      need(1);
      f = pd::bench::wasm_compute(parse_count(args[1], "M"), fuel, backend);
    } else {
      usage_error("unknown workload '" + w + "'");
    }
  } catch (const std::invalid_argument& e) {
    usage_error(e.what());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "pd-bench: %s failed: %s\n", w.c_str(), e.what());
    return 1;
  }
  std::printf("{\"system\":\"palladium\",\"workload\":\"%s\",\"cores\":%llu", w.c_str(),
              (unsigned long long)cores);
  for (auto& [name, value] : f) std::printf(",\"%s\":%s", name.c_str(), value.c_str());
  std::printf("}\n");
  return 0;
}
