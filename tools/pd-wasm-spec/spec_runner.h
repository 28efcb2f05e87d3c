// Runs the commands of one spec script (spec_script.h) against a WasmHost, one at a time, and
// says for each whether it passed, failed, could not run on our hosts (unsupported, with the
// reason) or tests something other than a WebAssembly engine (not applicable: text modules).
//
// What counts as passed is only what was checked: an assertion whose outcome our hosts cannot
// observe (a v128 result, a global read, a module that links against another module) is
// unsupported, never passed. In particular a module refused for a limitation of our hosts
// does not "pass" assert_unlinkable or assert_uninstantiable: the refusal proves nothing.
//
// Linking. Our hosts link host functions only. The runner gives a module the "spectest"
// functions it imports (print, print_i32, ... with the spectest signatures); memories, tables
// and globals of "spectest" and everything of a module registered by the script cannot be
// provided. Modules importing from a registered module are skipped (unsupported). A module
// such a skipped module imports from, or one on which an invoke could not run, may now be in
// another state than the script built: its later commands still run and their passes count,
// but their failures count as unsupported (not ours to blame).
#pragma once

#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <string>
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
  Expected<std::unique_ptr<WasmInstance>, WasmError> instantiate(const Loaded& loaded) const;
  WasmImports spectest_imports(const WasmModule& module) const;
  // The registered module `imports` take something from, if any ("" if none).
  std::string registered_import(std::span<const WasmImport> imports) const;
  void taint_exporters(std::span<const WasmImport> imports, uint32_t line);

  const WasmHost& host_;
  const WasmHost& decoder_;
  std::string dir_;
  std::FILE* log_;
  std::shared_ptr<Loaded> current_;
  std::map<std::string, std::shared_ptr<Loaded>> named_;       // "$name" -> module
  std::map<std::string, std::shared_ptr<Loaded>> registered_;  // register "as" -> module
};

}  // namespace pd::spec
