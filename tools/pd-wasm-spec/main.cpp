// pd-wasm-spec: runs one official WebAssembly spec script on one of our hosts.
//
//   pd-wasm-spec SCRIPT.json --backend aot|interp [--verbose]
//
// SCRIPT.json is what `wast2json SCRIPT.wast -o SCRIPT.json` writes (WABT 1.0.32), with its
// module files beside it. Every command is counted exactly once as passed, failed, unsupported
// (our hosts cannot run it: the reason is counted) or not applicable (text modules, which test
// a text parser); see spec_runner.h for what each command checks.
//
// Output: a summary line, the counts of unsupported and not-applicable commands by reason, how
// many trap texts differ from the script's (texts are not required to match), and the first
// failures. --verbose lists every failed, unsupported and not-applicable command with its line
// in the .wast, every differing trap text, and the spectest print calls.
//
// Exit status: 0 nothing failed, 1 some command failed, 2 bad usage or unreadable script. A
// crash of the process (which no guest should be able to cause) prints on stderr the command it
// happened in and the counts so far ("crashed: in the command of line ..."), then dies of its
// signal.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <string>

#include "pd/wasm/aot_host.h"
#include "pd/wasm/wasm_host.h"
#include "spec_runner.h"
#include "spec_script.h"

namespace {

constexpr int exit_failed = 1;
constexpr int exit_bad_input = 2;
// Failures printed without --verbose (the rest are counted).
constexpr size_t failures_shown_max = 10;

// A guest that crashes the whole process (a bug of ours: hosts promise that nothing a guest does
// harms the host) must still say where. Before each command the note below is written in
// full; a fatal signal's handler prints it, on a stack of its own (the crash may be a stack
// overflow), and dies of the same signal. Only async-signal-safe calls in the handler.
constexpr size_t crash_note_bytes_max = 512;
constexpr size_t crash_stack_bytes = 64 * 1024;
char crash_note[crash_note_bytes_max];
size_t crash_note_len = 0;

void on_fatal_signal(int sig) {
  ssize_t ignored = ::write(STDERR_FILENO, crash_note, crash_note_len);
  (void)ignored;
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

void install_crash_note() {
  static std::vector<char> stack(crash_stack_bytes);
  stack_t ss{};
  ss.ss_sp = stack.data();
  ss.ss_size = stack.size();
  ::sigaltstack(&ss, nullptr);
  struct sigaction sa {};
  sa.sa_handler = on_fatal_signal;
  sa.sa_flags = SA_ONSTACK | SA_RESETHAND;
  sigemptyset(&sa.sa_mask);
  for (int sig : {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT}) ::sigaction(sig, &sa, nullptr);
}

void usage() {
  std::fprintf(stderr,
               "usage: pd-wasm-spec SCRIPT.json --backend aot|interp [--verbose]\n"
               "  runs a spec script converted by wast2json on one of our WebAssembly hosts\n"
               "  and counts its commands as passed, failed, unsupported or not applicable\n");
}

struct Tally {
  size_t counts[4] = {0, 0, 0, 0};  // by pd::spec::Outcome
  std::map<std::string, size_t> unsupported_by_reason;
  std::map<std::string, size_t> not_applicable_by_reason;
  size_t texts_checked = 0;
  size_t texts_differing = 0;
  std::vector<std::string> failures;  // the first failures_shown_max, as printed
};

std::string describe_command(const pd::spec::SpecCommand& c) {
  return "line " + std::to_string(c.line) + " " + c.type_name;
}

void count(Tally& t, const pd::spec::SpecCommand& c, const pd::spec::CommandResult& r,
           bool verbose) {
  using pd::spec::Outcome;
  ++t.counts[size_t(r.outcome)];
  switch (r.outcome) {
    case Outcome::Passed:
      if (r.text_checked) ++t.texts_checked;
      if (r.text_differs) {
        ++t.texts_differing;
        if (verbose)
          std::printf("%s: passed; its text differs: %s\n", describe_command(c).c_str(),
                      r.detail.c_str());
      }
      break;
    case Outcome::Failed:
      if (t.failures.size() < failures_shown_max || verbose)
        t.failures.push_back("FAIL " + describe_command(c) + ": " + r.detail);
      if (verbose) std::printf("%s\n", t.failures.back().c_str());
      break;
    case Outcome::Unsupported:
      ++t.unsupported_by_reason[r.category];
      if (verbose)
        std::printf("%s: unsupported (%s): %s\n", describe_command(c).c_str(), r.category.c_str(),
                    r.detail.c_str());
      break;
    case Outcome::NotApplicable:
      ++t.not_applicable_by_reason[r.category];
      if (verbose)
        std::printf("%s: not applicable (%s)\n", describe_command(c).c_str(), r.category.c_str());
      break;
  }
}

// The shape tests/spec/run_spec_backend.sh reads: the command being run and the counts so far.
void set_crash_note(const pd::spec::SpecCommand& c, const Tally& t, size_t commands) {
  using pd::spec::Outcome;
  int n = std::snprintf(
      crash_note, sizeof crash_note,
      "crashed: in the command of line %u (%s) after passed %zu, failed %zu, unsupported %zu, "
      "not applicable %zu, of %zu commands\n",
      c.line, c.type_name.c_str(), t.counts[size_t(Outcome::Passed)],
      t.counts[size_t(Outcome::Failed)], t.counts[size_t(Outcome::Unsupported)],
      t.counts[size_t(Outcome::NotApplicable)], commands);
  crash_note_len = n < 0 ? 0 : std::min(size_t(n), sizeof crash_note - 1);
}

void print_summary(const Tally& t, const std::string& script, const std::string& backend) {
  using pd::spec::Outcome;
  std::printf("%s on %s\n", script.c_str(), backend.c_str());
  // The lines below have fixed shapes: tests/spec/run_spec_backend.sh adds them up.
  std::printf("summary: passed %zu, failed %zu, unsupported %zu, not applicable %zu\n",
              t.counts[size_t(Outcome::Passed)], t.counts[size_t(Outcome::Failed)],
              t.counts[size_t(Outcome::Unsupported)], t.counts[size_t(Outcome::NotApplicable)]);
  for (const auto& [reason, n] : t.unsupported_by_reason)
    std::printf("unsupported %zu: %s\n", n, reason.c_str());
  for (const auto& [reason, n] : t.not_applicable_by_reason)
    std::printf("not applicable %zu: %s\n", n, reason.c_str());
  std::printf("trap texts: %zu checked, %zu differ from the script's\n", t.texts_checked,
              t.texts_differing);
}

}  // namespace

int main(int argc, char** argv) {
  std::string json_path;
  std::string backend;
  bool verbose = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--backend" && i + 1 < argc) {
      backend = argv[++i];
    } else if (arg.rfind("--backend=", 0) == 0) {
      backend = arg.substr(std::string("--backend=").size());
    } else if (arg == "--verbose" || arg == "-v") {
      verbose = true;
    } else if (arg == "--help" || arg == "-h") {
      usage();
      return 0;
    } else if (!arg.empty() && arg[0] != '-' && json_path.empty()) {
      json_path = arg;
    } else {
      std::fprintf(stderr, "pd-wasm-spec: unexpected argument '%s'\n", arg.c_str());
      usage();
      return exit_bad_input;
    }
  }
  if (json_path.empty() || (backend != "aot" && backend != "interp")) {
    usage();
    return exit_bad_input;
  }

  auto script = pd::spec::read_spec_script(json_path);
  if (!script) {
    std::fprintf(stderr, "pd-wasm-spec: %s\n", script.error().c_str());
    return exit_bad_input;
  }
  size_t slash = json_path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : json_path.substr(0, slash);

  std::unique_ptr<pd::WasmHost> interp = pd::make_interp_host();
  std::unique_ptr<pd::WasmHost> aot = backend == "aot" ? pd::make_aot_host() : nullptr;
  const pd::WasmHost& host = aot ? *aot : *interp;
  // The interpreter decodes what the aot host refuses (see SpecRunner).
  pd::spec::SpecRunner runner(host, *interp, dir, verbose ? stdout : nullptr);

  install_crash_note();
  Tally tally;
  for (const pd::spec::SpecCommand& c : script->commands) {
    set_crash_note(c, tally, script->commands.size());
    if (verbose) std::fflush(stdout);  // what was printed so far survives a crash
    count(tally, c, runner.run(c), verbose);
  }

  print_summary(tally, json_path, backend);
  size_t failed = tally.counts[size_t(pd::spec::Outcome::Failed)];
  if (failed == 0) return 0;
  if (!verbose) {
    for (const std::string& f : tally.failures) std::printf("%s\n", f.c_str());
    if (failed > tally.failures.size())
      std::printf("... and %zu more failures (--verbose lists them all)\n",
                  failed - tally.failures.size());
  }
  return exit_failed;
}
