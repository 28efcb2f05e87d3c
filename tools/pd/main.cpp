// pd: the command-line front of Palladium. This build has `pd run` (an engine from a TOML
// config: plugins, a supervised tree, initial messages), `pd sim run` (deterministic
// simulation of a scenario), `pd wasm meter`, `pd wasm run` and `pd version`; the rest of the
// CLI arrives with its issues.
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "pd/sim/scenario.h"
#include "run_command.h"
#include "wasm_commands.h"

namespace {

struct SeedRange {
  uint64_t first = 0, last = 0;
};

bool parse_u64(const std::string& s, uint64_t& out) {
  if (s.empty() || s[0] == '-') return false;
  char* end = nullptr;
  errno = 0;
  unsigned long long v = std::strtoull(s.c_str(), &end, 10);
  if (*end != '\0' || errno == ERANGE) return false;
  out = v;
  return true;
}

std::string hex64(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%016llx", (unsigned long long)v);
  return buf;
}

std::string replay_command(const std::string& file, uint64_t seed) {
  return "pd sim run " + file + " --seed " + std::to_string(seed) + " --trace trace-" +
         std::to_string(seed) + ".txt";
}

nlohmann::json to_json(const pd::Scenario& sc, const pd::SimResult& r) {
  nlohmann::json j;
  j["scenario"] = sc.file;
  j["seed"] = r.seed;
  j["trace_hash"] = hex64(r.trace_hash);
  j["trace_events"] = r.trace_events;
  j["messages"] = r.messages;
  j["simulated_seconds"] = r.simulated_seconds;
  j["wall_seconds"] = r.wall_seconds;
  j["ok"] = r.ok();
  j["faults"] = {{"dropped", r.faults.dropped}, {"duplicated", r.faults.duplicated},
                 {"delayed", r.faults.delayed}, {"reordered", r.faults.reordered},
                 {"crashed", r.faults.crashed}, {"killed", r.faults.killed},
                 {"paused", r.faults.paused},   {"partitioned", r.faults.partitioned}};
  j["restarts"] = r.stats.restarts;
  j["failures"] = r.stats.failures;
  j["dead_letters"] = r.stats.dead_letters;
  if (r.failure) {
    j["invariant"] = r.failure->invariant;
    j["detail"] = r.failure->detail;
    j["failed_at_seconds"] = double(r.failure->at.time_since_epoch().count()) / 1e9;
    j["replay"] = replay_command(sc.file, r.seed);
  }
  return j;
}

void print_human(const pd::Scenario& sc, const pd::SimResult& r) {
  std::printf("%s seed %llu: %s\n", sc.file.c_str(), (unsigned long long)r.seed,
              r.ok() ? "ok" : "INVARIANT FAILED");
  std::printf("  trace hash %s (%llu events)\n", hex64(r.trace_hash).c_str(),
              (unsigned long long)r.trace_events);
  double rate = r.wall_seconds > 0 ? double(r.messages) / r.wall_seconds : 0;
  std::printf("  %llu messages in %.3f s simulated, %.3f s wall (%.2f M msgs/s)\n",
              (unsigned long long)r.messages, r.simulated_seconds, r.wall_seconds, rate / 1e6);
  std::printf(
      "  faults: %llu dropped, %llu duplicated, %llu delayed, %llu reordered, %llu crashed, "
      "%llu killed, %llu pauses, %llu partition drops\n",
      (unsigned long long)r.faults.dropped, (unsigned long long)r.faults.duplicated,
      (unsigned long long)r.faults.delayed, (unsigned long long)r.faults.reordered,
      (unsigned long long)r.faults.crashed, (unsigned long long)r.faults.killed,
      (unsigned long long)r.faults.paused, (unsigned long long)r.faults.partitioned);
  std::printf("  %llu restarts, %llu failures, %llu dead letters\n",
              (unsigned long long)r.stats.restarts, (unsigned long long)r.stats.failures,
              (unsigned long long)r.stats.dead_letters);
  if (r.failure) {
    std::printf("  %s at t=%.6f s: %s\n", r.failure->invariant.c_str(),
                double(r.failure->at.time_since_epoch().count()) / 1e9, r.failure->detail.c_str());
    std::printf("  replay: %s\n", replay_command(sc.file, r.seed).c_str());
  }
}

int sim_run(const std::string& file, const std::string& seed_arg, const std::string& seeds_arg,
            bool json, const std::string& trace_file) {
  auto loaded = pd::Scenario::load(file);
  if (!loaded) {
    std::fprintf(stderr, "pd sim run: %s\n", loaded.error().to_string().c_str());
    return 2;
  }
  const pd::Scenario& sc = loaded.value();
  SeedRange range;
  if (!seeds_arg.empty()) {
    auto dots = seeds_arg.find("..");
    if (dots == std::string::npos || !parse_u64(seeds_arg.substr(0, dots), range.first) ||
        !parse_u64(seeds_arg.substr(dots + 2), range.last) || range.last < range.first) {
      std::fprintf(stderr, "pd sim run: --seeds wants A..B with A <= B (got '%s')\n",
                   seeds_arg.c_str());
      return 2;
    }
    if (!trace_file.empty()) {
      std::fprintf(stderr, "pd sim run: --trace records one run: give --seed, not --seeds\n");
      return 2;
    }
  } else {
    uint64_t seed = 0;
    if (!seed_arg.empty() && !parse_u64(seed_arg, seed)) {
      std::fprintf(stderr, "pd sim run: --seed wants a non-negative integer (got '%s')\n",
                   seed_arg.c_str());
      return 2;
    }
    range = {seed, seed};
  }

  if (range.first == range.last) {
    std::vector<std::string> lines;
    pd::SimResult r = sc.run(range.first, !trace_file.empty(), &lines);
    if (!trace_file.empty()) {
      std::ofstream out(trace_file);
      if (!out) {
        std::fprintf(stderr, "pd sim run: cannot write the trace to '%s'\n", trace_file.c_str());
        return 2;
      }
      out << "# " << file << " seed " << r.seed << " trace hash " << hex64(r.trace_hash) << "\n";
      for (const auto& l : lines) out << l << "\n";
    }
    if (json)
      std::printf("%s\n", to_json(sc, r).dump().c_str());
    else
      print_human(sc, r);
    return r.ok() ? 0 : 1;
  }

  // A sweep: one line per failing seed (all seeds with --json), progress on stderr.
  uint64_t failed = 0, total = range.last - range.first + 1, done = 0, messages = 0;
  std::optional<uint64_t> first_failure;
  auto t0 = std::chrono::steady_clock::now();
  auto last_progress = t0;
  for (uint64_t seed = range.first;; ++seed) {
    pd::SimResult r = sc.run(seed);
    ++done;
    messages += r.messages;
    if (!r.ok()) {
      ++failed;
      if (!first_failure) first_failure = seed;
    }
    if (json)
      std::printf("%s\n", to_json(sc, r).dump().c_str());
    else if (!r.ok())
      std::printf("seed %llu: %s: %s\n  replay: %s\n", (unsigned long long)seed,
                  r.failure->invariant.c_str(), r.failure->detail.c_str(),
                  replay_command(sc.file, seed).c_str());
    auto now = std::chrono::steady_clock::now();
    if (now - last_progress > std::chrono::seconds(1)) {
      std::fprintf(stderr, "pd sim run: %llu/%llu seeds, %llu failed\n", (unsigned long long)done,
                   (unsigned long long)total, (unsigned long long)failed);
      last_progress = now;
    }
    if (seed == range.last) break;
  }
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!json) {
    std::printf("swept seeds %llu..%llu: %llu of %llu failed (%llu messages, %.2f s wall)\n",
                (unsigned long long)range.first, (unsigned long long)range.last,
                (unsigned long long)failed, (unsigned long long)total, (unsigned long long)messages,
                wall);
    if (first_failure)
      std::printf("first failing seed %llu; replay: %s\n", (unsigned long long)*first_failure,
                  replay_command(sc.file, *first_failure).c_str());
  }
  return failed == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"pd: the Palladium C++ command line"};
  app.require_subcommand(1);
  app.add_subcommand("version", "print the version")->callback([] { std::printf("pd 0.1.0\n"); });

  CLI::App* prun = app.add_subcommand(
      "run", "start an engine from a TOML config: plugins, a supervised tree, messages");
  std::string run_file, run_backend;
  prun->add_option("config", run_file, "the run config (see examples/run/demo.toml)")->required();
  prun->add_option("--backend", run_backend,
                   "interp (default) | aot | auto, for WASM plugins whose manifest chooses none");
  int code = 0;
  prun->callback([&] { code = pd::cli::run_config(run_file, run_backend); });

  CLI::App* sim = app.add_subcommand("sim", "deterministic simulation");
  sim->require_subcommand(1);
  CLI::App* run =
      sim->add_subcommand("run", "run a scenario for one seed, or sweep a range of seeds");
  std::string file, seed, seeds, trace;
  bool json = false;
  run->add_option("scenario", file, "the scenario TOML file")->required();
  run->add_option("--seed", seed, "the seed (default 0)");
  run->add_option("--seeds", seeds, "sweep seeds A..B (inclusive)");
  run->add_flag("--json", json, "one JSON object per run on stdout");
  run->add_option("--trace", trace, "write the run's readable trace to this file");
  run->get_option("--seed")->excludes(run->get_option("--seeds"));
  run->callback([&] { code = sim_run(file, seed, seeds, json, trace); });

  CLI::App* wasm = app.add_subcommand("wasm", "WebAssembly guests");
  wasm->require_subcommand(1);
  CLI::App* meter = wasm->add_subcommand("meter", "meter a module: it charges fuel as it runs");
  std::string meter_in, meter_out;
  std::optional<uint64_t> meter_fuel;
  meter->add_option("in", meter_in, "the module to meter")->required();
  meter->add_option("out", meter_out, "where to write the metered module")->required();
  meter->add_option("--fuel", meter_fuel, "the budget it starts with (default: the largest)");
  meter->callback([&] { code = pd::cli::wasm_meter(meter_in, meter_out, meter_fuel); });

  CLI::App* wcompile = wasm->add_subcommand(
      "compile", "compile a module ahead of time (aot backend) into the cache, or into -o OUT");
  std::string compile_in, compile_out;
  wcompile->add_option("in", compile_in, "the module (.wasm)")->required();
  wcompile->add_option("-o,--output", compile_out, "also copy the compiled shared object here");
  wcompile->callback([&] { code = pd::cli::wasm_compile(compile_in, compile_out); });

  CLI::App* wrun = wasm->add_subcommand(
      "run", "run a guest alone, deliver messages, print one JSON object per event");
  pd::cli::WasmRunArgs wargs;
  std::vector<std::string> ignored_sends, ignored_files;
  wrun->add_option("guest", wargs.guest, "the guest module (.wasm)")->required();
  wrun->add_option("--fuel", wargs.fuel, "meter the guest; fuel granted per call");
  wrun->add_option("--max-pages", wargs.max_pages, "memory limit in 64 KiB pages");
  wrun->add_option("--restart", wargs.restart, "permanent | transient (default) | temporary");
  wrun->add_option("--backend", wargs.backend, "interp (default) | aot | auto");
  // Collected here for --help and validation; their order is read from argv below.
  wrun->add_option("--send", ignored_sends, "TYPE_TAG:HEX, a message to deliver (repeatable)");
  wrun->add_option("--send-file", ignored_files,
                   "TYPE_TAG:PATH, a message whose payload is a file");
  wrun->callback([&] {
    for (int i = 1; i + 1 < argc; ++i) {
      std::string a = argv[i];
      if (a == "--send" || a == "--send-file")
        wargs.sends.push_back({argv[++i], a == "--send-file"});
    }
    code = pd::cli::wasm_run(wargs);
  });
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int r = app.exit(e);
    return r == 0 ? 0 : 2;
  }
  return code;
}
