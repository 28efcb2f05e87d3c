// Runs the commands of one spec script (spec_script.h) against a WasmHost, one at a time, and
// says for each whether it passed, failed, could not run on our hosts (unsupported, with the
// reason) or tests something other than a WebAssembly engine (not applicable: text modules).
//
// What counts as passed is only what was checked: an assertion whose outcome our hosts cannot
// observe (a v128 result, a global read, a module importing another module's memory) is
// unsupported, never passed. In particular a module refused for a limitation of our hosts
// does not "pass" assert_unlinkable or assert_uninstantiable: the refusal proves nothing.
//
// Linking. Our hosts link host functions only, and that is how the runner links modules. It
// gives a module the "spectest" functions it imports (print, print_i32, ... with the spectest
// signatures) and, for a function it imports from a module the script registered, a host
// function that calls that module's export on its instance. Such an import links only when the
// export is a function of exactly the imported type (WebAssembly's import matching for
// functions); otherwise it is not provided and the module does not instantiate, as the
// scripts' assert_unlinkable expect. A trap in the called module traps the caller, with the
// callee's message. Memories, tables and globals cannot be provided: a module importing one
// from a registered module, or a function from a registered module that could not run here,
// is skipped (unsupported), and so is one importing them from "spectest" (the host refuses it).
// A register command passes when its module runs here, and otherwise counts as a command on
// that module would.
//
// Our hosts refuse a call into an instance that is already running (a Call error, which would
// trap the caller and fail the command). No script gets there: a module can import only from
// modules instantiated before it, and tables and globals, the other ways a function could
// travel back, do not cross modules here, so a chain of calls never re-enters an instance.
//
// A module that a skipped module imports from, or one on which an invoke could not run (and
// every module such a module calls into), may now be in another state than the script built:
// its later commands, and those of the modules that call into it, still run and their passes
// count, but their failures count as unsupported (not ours to blame).
#pragma once

#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "pd/wasm/wasm_host.h"
#include "spec_script.h"

namespace pd::spec {

// The limits every spec instance runs under: the largest memories WebAssembly allows (memory
// is allocated as it grows, so only scripts that grow it pay), value-stack room for the
// suite's largest frames, and our default call depth, so that assert_exhaustion meets the
// limit an actor meets.
WasmLimits spec_limits();

enum class Outcome : uint8_t { Passed, Failed, Unsupported, NotApplicable };
const char* to_string(Outcome o);  // "passed", "failed", "unsupported", "not applicable"

struct CommandResult {
  Outcome outcome = Outcome::Passed;
  // Unsupported and NotApplicable: the reason, as it is counted (one short phrase).
  std::string category;
  // Failed: what was expected and what happened. Unsupported: the host's own words or the
  // value that cannot travel. One line.
  std::string detail;
  // Assertions on a failure text (assert_trap, assert_exhaustion, assert_uninstantiable) that
  // passed: whether our message contains the script's text.
  bool text_checked = false;
  bool text_differs = false;
};

class SpecRunner {
 public:
  // `dir` holds the script's module files. `decoder` (may be `host`) lists the imports of a
  // module `host` refused to compile, to tell which registered modules it would have touched.
  // `log`, when set, receives the spectest print calls.
  SpecRunner(const WasmHost& host, const WasmHost& decoder, std::string dir, std::FILE* log);
  ~SpecRunner();
  SpecRunner(const SpecRunner&) = delete;
  SpecRunner& operator=(const SpecRunner&) = delete;

  CommandResult run(const SpecCommand& command);

 private:
  struct Loaded;

  CommandResult run_module(const SpecCommand& c);
  CommandResult run_register(const SpecCommand& c);
  CommandResult run_action(const SpecCommand& c);
  // An invoke whose export or values are not numbers cannot run: why.
  std::optional<CommandResult> unsupported_values(const Loaded& m, const SpecCommand& c) const;
  // What `got`, the outcome of the command's invoke, says about the command.
  CommandResult check_call(const SpecCommand& c,
                           const Expected<std::vector<WasmVal>, WasmError>& got) const;
  CommandResult run_refused_module(const SpecCommand& c);  // assert_invalid, assert_malformed
  CommandResult run_unlinkable(const SpecCommand& c);
  CommandResult run_uninstantiable(const SpecCommand& c);

  // Compiles the command's module file and checks what can be checked before instantiating it.
  // Ready: `loaded->module` is set. Otherwise `result` says why the module cannot go on.
  struct Prepared {
    std::shared_ptr<Loaded> loaded;
    bool ready = false;
    CommandResult result;
  };
  Prepared prepare(const SpecCommand& c, bool taints_exporters);
  // Instantiates `loaded.module` with the imports below; `loaded.links` are set to the
  // registered modules it calls into.
  Expected<std::unique_ptr<WasmInstance>, WasmError> instantiate(Loaded& loaded) const;
  // The spectest functions a module imports, and the functions it imports from registered
  // modules that link (the modules they call into are added to `links`).
  WasmImports imports_for(const WasmModule& module,
                          std::vector<std::shared_ptr<Loaded>>& links) const;
  void add_spectest_functions(const WasmModule& module, WasmImports& imports) const;
  // Why `imports` cannot link to the registered modules on our hosts, as (reason, detail), if
  // they cannot: a memory, table or global from a registered module, a function from one that
  // did not run here, or a linkable function of a type a host function cannot have.
  std::optional<std::pair<std::string, std::string>> unlinkable_registered(
      std::span<const WasmImport> imports) const;
  void taint_exporters(std::span<const WasmImport> imports, uint32_t line);
  // `r` for a command on `m`: a failure becomes unsupported once `m` or a module it calls into
  // is tainted (see Loaded).
  CommandResult blame_taint(const Loaded& m, CommandResult r) const;

  const WasmHost& host_;
  const WasmHost& decoder_;
  std::string dir_;
  std::FILE* log_;
  std::shared_ptr<Loaded> current_;
  std::map<std::string, std::shared_ptr<Loaded>> named_;       // "$name" -> module
  std::map<std::string, std::shared_ptr<Loaded>> registered_;  // register "as" -> module
};

}  // namespace pd::spec
