#include "spec_runner.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "pd/core/assert.h"

namespace pd::spec {

namespace {

// A module file larger than this is refused before it is read (the official suite's largest is
// a few hundred KB).
constexpr uint64_t module_bytes_max = uint64_t(64) << 20;

// skip-stack-guard-page.wast recurses through functions of ~1,060 locals: at the default call
// depth that needs just over the default 1 Mi slots (its module would not instantiate).
constexpr uint32_t spec_value_stack_slots = 4u << 20;

// The reasons commands are counted under (CommandResult::category).
constexpr const char* text_module_reason = "text module (tests a text parser)";
constexpr const char* wasm2c_reason = "wasm2c cannot translate the module";
constexpr const char* wasm2c_names_reason = "wasm2c cannot write the module's names into C";
constexpr const char* non_function_import_reason = "the host links only function imports";
constexpr const char* cross_module_reason = "imports from another module (cross-module linking)";
constexpr const char* imported_by_skipped_reason =
    "failed on a module imported by a module skipped for cross-module linking";
constexpr const char* after_skipped_invoke_reason =
    "failed after an invoke on its module that could not run";
constexpr const char* get_reason = "reading an exported global (WasmInstance has no API for it)";

// The spectest module's functions (all without results), as the reference interpreter has them.
struct SpectestFunction {
  const char* name;
  std::vector<WasmValType> params;
};
const std::vector<SpectestFunction>& spectest_functions() {
  using T = WasmValType;
  static const std::vector<SpectestFunction> functions = {
      {"print", {}},
      {"print_i32", {T::I32}},
      {"print_i64", {T::I64}},
      {"print_f32", {T::F32}},
      {"print_f64", {T::F64}},
      {"print_i32_f32", {T::I32, T::F32}},
      {"print_f64_f64", {T::F64, T::F64}},
  };
  return functions;
}

// `s` with its control bytes, and when `quote` '"' and '\\' too, written as "\\xx" (as in a
// .wast): a NUL would cut a printed line short, a newline split it.
std::string escaped(std::string_view s, bool quote) {
  static const char hex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char ch : s) {
    if (ch < 0x20 || ch == 0x7f || (quote && (ch == '"' || ch == '\\'))) {
      out += '\\';
      out += hex[ch >> 4];
      out += hex[ch & 0xf];
    } else {
      out += char(ch);
    }
  }
  return out;
}

// A name from the script, quoted, as failure reports print it.
std::string quoted(const std::string& name) {
  return "\"" + escaped(name, true) + "\"";
}

// The first line of a message, for a one-line report.
std::string first_line(const std::string& s) {
  return escaped(std::string_view(s).substr(0, s.find('\n')), false);
}

CommandResult passed() {
  return {};
}
CommandResult failed(std::string detail) {
  return {Outcome::Failed, "", std::move(detail), false, false};
}
CommandResult unsupported(std::string category, std::string detail) {
  return {Outcome::Unsupported, std::move(category), std::move(detail), false, false};
}
CommandResult not_applicable(std::string category) {
  return {Outcome::NotApplicable, std::move(category), "", false, false};
}

// A compile error that says the host cannot run a valid module (it has validated it first),
// as (reason, detail).
std::optional<std::pair<std::string, std::string>> host_limitation(const WasmError& e) {
  if (e.kind != WasmError::Kind::Compile) return std::nullopt;
  if (e.message.find("wasm2c cannot translate") != std::string::npos) {
    // wasm2c's own diagnostic says what it lacks ("error: unexpected opcode: 0xfd 0xc").
    size_t at = e.message.find("error:");
    return std::make_pair(wasm2c_reason, at == std::string::npos
                                             ? first_line(e.message)
                                             : "wasm2c " + first_line(e.message.substr(at)));
  }
  // Names wasm2c would copy into C comments verbatim, breaking them (control characters, "*/").
  if (e.message.find("wasm2c cannot write into C") != std::string::npos)
    return std::make_pair(wasm2c_names_reason, first_line(e.message));
  if (e.message.find("runs modules whose imports are functions") != std::string::npos)
    return std::make_pair(non_function_import_reason, first_line(e.message));
  return std::nullopt;
}

// An instantiation refused because of a memory, table or global import (which our hosts never
// link), rather than for what the script tests: the error names that import.
bool refused_non_function_import(const WasmError& e, std::span<const WasmImport> imports) {
  for (const WasmImport& i : imports)
    if (i.type.kind != WasmExternKind::Func && e.message.find(to_string(i)) != std::string::npos)
      return true;
  return false;
}

std::string values_text(const std::vector<WasmVal>& values) {
  std::string out;
  for (const WasmVal& v : values) out += (out.empty() ? "" : ", ") + describe(v);
  return "(" + out + ")";
}
std::string values_text(const std::vector<SpecValue>& values) {
  std::string out;
  for (const SpecValue& v : values) out += (out.empty() ? "" : ", ") + to_string(v);
  return "(" + out + ")";
}

bool is_number(WasmValType t) {
  return t == WasmValType::I32 || t == WasmValType::I64 || t == WasmValType::F32 ||
         t == WasmValType::F64;
}
std::string value_reason(const std::string& type_name) {
  return type_name + " values (WasmVal carries numbers only)";
}

Expected<std::vector<uint8_t>, std::string> read_module_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return Unexpected{"cannot open " + path + ": " + std::strerror(errno)};
  std::streamoff size = in.tellg();
  if (size < 0 || uint64_t(size) > module_bytes_max)
    return Unexpected{path + ": size unknown or above " + std::to_string(module_bytes_max) +
                      " bytes"};
  std::vector<uint8_t> bytes(static_cast<size_t>(size));
  in.seekg(0);
  if (!in.read(reinterpret_cast<char*>(bytes.data()), size))
    return Unexpected{"cannot read " + path};
  return bytes;
}

}  // namespace

WasmLimits spec_limits() {
  WasmLimits limits;
  limits.max_memory_pages = kWasmPagesMax;
  limits.value_stack_slots = spec_value_stack_slots;
  return limits;
}

const char* to_string(Outcome o) {
  switch (o) {
    case Outcome::Passed: return "passed";
    case Outcome::Failed: return "failed";
    case Outcome::Unsupported: return "unsupported";
    case Outcome::NotApplicable: return "not applicable";
  }
  return "?";
}

// A module of the script, whether or not it runs: commands on it need to know why not.
struct SpecRunner::Loaded {
  enum class State : uint8_t { Ready, Unsupported, Failed };
  State state = State::Failed;
  uint32_t line = 0;
  std::shared_ptr<const WasmModule> module;
  std::unique_ptr<WasmInstance> instance;
  std::string category;  // Unsupported: the reason
  std::string detail;    // Unsupported, Failed: what happened
  // The registered modules its imported functions call into (set at instantiation). They
  // were instantiated before it, so these links never form a cycle.
  std::vector<std::shared_ptr<Loaded>> links;
  // Set once a command that could have changed this module's state was skipped: later
  // commands on it run against a state the script did not build, so their failures are not
  // ours to count (their passes still are).
  uint32_t tainted_by_line = 0;  // the skipped command (0: none)
  const char* taint_reason = nullptr;

  // Taints this module and every module it calls into: the skipped command may have called
  // them too. A tainted module's links are tainted already, so the walk stops there.
  void taint(uint32_t by_line, const char* reason) {
    if (tainted_by_line != 0) return;
    tainted_by_line = by_line;
    taint_reason = reason;
    for (const std::shared_ptr<Loaded>& l : links) l->taint(by_line, reason);
  }
  // This module, or the first module it calls into, directly or not, that is tainted.
  const Loaded* tainted() const {
    if (tainted_by_line != 0) return this;
    for (const std::shared_ptr<Loaded>& l : links)
      if (const Loaded* t = l->tainted()) return t;
    return nullptr;
  }
};

SpecRunner::SpecRunner(const WasmHost& host, const WasmHost& decoder, std::string dir,
                       std::FILE* log)
    : host_(host), decoder_(decoder), dir_(std::move(dir)), log_(log) {}

SpecRunner::~SpecRunner() = default;

CommandResult SpecRunner::run(const SpecCommand& c) {
  using K = SpecCommand::Kind;
  switch (c.kind) {
    case K::Module: return run_module(c);
    case K::Register: return run_register(c);
    case K::Action:
    case K::AssertReturn:
    case K::AssertTrap:
    case K::AssertExhaustion:
    case K::AssertException: return run_action(c);
    case K::AssertInvalid:
    case K::AssertMalformed: return run_refused_module(c);
    case K::AssertUnlinkable: return run_unlinkable(c);
    case K::AssertUninstantiable: return run_uninstantiable(c);
  }
  return failed("unknown command kind");
}

void SpecRunner::add_spectest_functions(const WasmModule& module, WasmImports& imports) const {
  for (const WasmImport& i : module.imports()) {
    if (i.module != "spectest" || i.type.kind != WasmExternKind::Func) continue;
    for (const SpectestFunction& f : spectest_functions()) {
      if (i.name != f.name) continue;
      bool added = false;
      for (const WasmHostFunction& h : imports.functions) added = added || h.name == f.name;
      if (added) break;
      // Offered with the spectest signature: an import declaring another type does not link,
      // which is what the scripts' assert_unlinkable expect.
      std::string name = f.name;
      std::FILE* log = log_;
      imports.functions.push_back(
          WasmHostFunction{"spectest", name, WasmFuncType{f.params, {}},
                           [log, name](std::span<const WasmVal> args,
                                       std::span<WasmVal>) -> Expected<void, std::string> {
                             if (log == nullptr) return {};
                             std::string text;
                             for (const WasmVal& v : args)
                               text += (text.empty() ? "" : ", ") + describe(v);
                             std::fprintf(log, "spectest.%s(%s)\n", name.c_str(), text.c_str());
                             return {};
                           }});
      break;
    }
  }
}

WasmImports SpecRunner::imports_for(const WasmModule& module,
                                    std::vector<std::shared_ptr<Loaded>>& links) const {
  WasmImports imports;
  add_spectest_functions(module, imports);
  for (const WasmImport& i : module.imports()) {
    auto it = registered_.find(i.module);
    if (it == registered_.end() || i.type.kind != WasmExternKind::Func) continue;
    // unlinkable_registered() let only Ready exporters through.
    const std::shared_ptr<Loaded>& target = it->second;
    PD_ASSERT(target->state == Loaded::State::Ready, "imports from a module that did not run");
    std::optional<size_t> index = target->module->export_index(i.name);
    // A missing export, or one that is not a function of exactly the imported type, is not
    // provided: the module does not instantiate ("unknown import" or "incompatible import
    // type" in the spec's words). A second import of the same name and another type meets the
    // function added for the first, and the host refuses it for its type.
    if (!index) continue;
    const WasmExternType& type = target->module->exports()[*index].type;
    if (type.kind != WasmExternKind::Func || type.func != i.type.func) continue;
    bool added = false;
    for (const WasmHostFunction& h : imports.functions)
      added = added || (h.module == i.module && h.name == i.name);
    if (added) continue;
    // The function holds the callee's module, so that it outlives every instance calling it
    // (a later register may take its name).
    imports.functions.push_back(WasmHostFunction{
        i.module, i.name, type.func,
        [target, at = *index](std::span<const WasmVal> args,
                              std::span<WasmVal> results) -> Expected<void, std::string> {
          // A trap of the callee traps the caller with the callee's message. (A call back into
          // a running instance would fail here as a Call error: see spec_runner.h.)
          if (auto r = target->instance->call_export(at, args, results); !r)
            return Unexpected{to_string(r.error())};
          return {};
        }});
    bool linked = false;
    for (const std::shared_ptr<Loaded>& l : links) linked = linked || l == target;
    if (!linked) links.push_back(target);
  }
  return imports;
}

Expected<std::unique_ptr<WasmInstance>, WasmError> SpecRunner::instantiate(Loaded& loaded) const {
  loaded.links.clear();
  WasmImports imports = imports_for(*loaded.module, loaded.links);
  return host_.instantiate(loaded.module, std::move(imports), spec_limits());
}

std::optional<std::pair<std::string, std::string>> SpecRunner::unlinkable_registered(
    std::span<const WasmImport> imports) const {
  for (const WasmImport& i : imports) {
    auto it = registered_.find(i.module);
    if (it == registered_.end()) continue;
    const Loaded& target = *it->second;
    if (i.type.kind != WasmExternKind::Func)
      return std::make_pair(cross_module_reason, "imports " + to_string(i) + " from module '" +
                                                     i.module +
                                                     "' (the host links only functions)");
    if (target.state != Loaded::State::Ready)
      return std::make_pair(cross_module_reason,
                            "imports " + i.module + "." + i.name + " from the module of line " +
                                std::to_string(target.line) + ", which did not run here");
    // A function the host would link but cannot carry (host functions take numbers only).
    std::optional<size_t> index = target.module->export_index(i.name);
    if (!index) continue;
    const WasmExternType& type = target.module->exports()[*index].type;
    if (type.kind != WasmExternKind::Func || type.func != i.type.func) continue;
    for (const auto* types : {&type.func.params, &type.func.results})
      for (WasmValType t : *types)
        if (!is_number(t))
          return std::make_pair(value_reason(pd::to_string(t)),
                                "imports " + to_string(i) + " from module '" + i.module +
                                    "' (host functions take numbers only)");
  }
  return std::nullopt;
}

void SpecRunner::taint_exporters(std::span<const WasmImport> imports, uint32_t line) {
  for (const WasmImport& i : imports) {
    auto it = registered_.find(i.module);
    if (it != registered_.end()) it->second->taint(line, imported_by_skipped_reason);
  }
}

CommandResult SpecRunner::blame_taint(const Loaded& m, CommandResult r) const {
  const Loaded* t = m.tainted();
  if (r.outcome != Outcome::Failed || t == nullptr) return r;
  std::string where = "the module of line " + std::to_string(m.line);
  if (t != &m) where += ", calling into the module of line " + std::to_string(t->line);
  return unsupported(t->taint_reason, where + " (the skipped command of line " +
                                          std::to_string(t->tainted_by_line) + "): " + r.detail);
}

SpecRunner::Prepared SpecRunner::prepare(const SpecCommand& c, bool taints_exporters) {
  Prepared p;
  p.loaded = std::make_shared<Loaded>();
  Loaded& m = *p.loaded;
  m.line = c.line;
  auto bytes = read_module_file(dir_ + "/" + c.filename);
  if (!bytes) {
    m.detail = bytes.error();
    p.result = failed(m.detail);
    return p;
  }
  auto compiled = host_.compile(*bytes);
  if (!compiled) {
    auto limitation = host_limitation(compiled.error());
    if (!limitation) {
      m.detail = c.filename + " does not compile: " + first_line(to_string(compiled.error()));
      p.result = failed(m.detail);
      return p;
    }
    m.state = Loaded::State::Unsupported;
    m.category = limitation->first;
    m.detail = c.filename + ": " + limitation->second;
    // The host refused before saying what the module imports: the decoder tells, so that a
    // module that could not have linked against a registered one is named as such.
    if (auto decoded = decoder_.compile(*bytes)) {
      std::span<const WasmImport> imports = decoded.value()->imports();
      if (auto why = unlinkable_registered(imports)) {
        m.category = why->first;
        m.detail = c.filename + " " + why->second;
      }
      if (taints_exporters) taint_exporters(imports, c.line);
    }
    p.result = unsupported(m.category, m.detail);
    return p;
  }
  m.module = std::move(compiled).value();
  if (auto why = unlinkable_registered(m.module->imports())) {
    m.state = Loaded::State::Unsupported;
    m.category = why->first;
    m.detail = c.filename + " " + why->second;
    if (taints_exporters) taint_exporters(m.module->imports(), c.line);
    p.result = unsupported(m.category, m.detail);
    return p;
  }
  p.ready = true;
  return p;
}

CommandResult SpecRunner::run_module(const SpecCommand& c) {
  if (c.text_module) {
    // Never written by wast2json for a plain module; commands on it cannot run either.
    auto loaded = std::make_shared<Loaded>();
    loaded->state = Loaded::State::Unsupported;
    loaded->line = c.line;
    loaded->category = text_module_reason;
    loaded->detail = c.filename;
    current_ = loaded;
    if (c.name) named_[*c.name] = loaded;
    return not_applicable(text_module_reason);
  }
  Prepared p = prepare(c, /*taints_exporters=*/true);
  current_ = p.loaded;
  if (c.name) named_[*c.name] = p.loaded;
  if (!p.ready) return p.result;
  Loaded& m = *p.loaded;
  auto instance = instantiate(m);
  if (!instance) {
    if (refused_non_function_import(instance.error(), m.module->imports())) {
      m.state = Loaded::State::Unsupported;
      m.category = non_function_import_reason;
      m.detail = c.filename + ": " + first_line(instance.error().message);
      return unsupported(m.category, m.detail);
    }
    m.detail = c.filename + " does not instantiate: " + first_line(to_string(instance.error()));
    // Its start function may have called into a tainted module.
    return blame_taint(m, failed(m.detail));
  }
  m.instance = std::move(instance).value();
  m.state = Loaded::State::Ready;
  return passed();
}

CommandResult SpecRunner::run_register(const SpecCommand& c) {
  std::shared_ptr<Loaded> target = current_;
  if (c.name) {
    auto it = named_.find(*c.name);
    if (it == named_.end()) return failed("register of " + *c.name + ": no module of that name");
    target = it->second;
  }
  if (!target) return failed("register " + quoted(c.as) + ": no module before this command");
  // Registered whatever its state: a module importing from one that did not run is skipped
  // (unlinkable_registered), and this command counts like a command on that module.
  registered_[c.as] = target;
  const std::string where =
      "register " + quoted(c.as) + " of the module of line " + std::to_string(target->line);
  if (target->state == Loaded::State::Failed)
    return failed(where + ", which did not load: " + target->detail);
  if (target->state == Loaded::State::Unsupported)
    return unsupported(target->category, where + ": " + target->detail);
  return passed();
}

CommandResult SpecRunner::run_action(const SpecCommand& c) {
  const SpecAction& a = c.action;
  std::shared_ptr<Loaded> target = current_;
  if (a.module) {
    auto it = named_.find(*a.module);
    if (it == named_.end()) return failed("no module named " + *a.module + " so far");
    target = it->second;
  }
  if (!target) return failed("no module before this command");
  Loaded& m = *target;
  const std::string where = "the module of line " + std::to_string(m.line);
  if (m.state == Loaded::State::Failed) return failed(where + " did not load: " + m.detail);
  if (m.state == Loaded::State::Unsupported)
    return unsupported(m.category, where + ": " + m.detail);
  // Reading a global changes nothing; an invoke that cannot run might have (a table.set, a
  // store, a grow): the module is tainted, see below.
  if (a.kind == SpecAction::Kind::Get) return unsupported(get_reason, "get " + quoted(a.field));
  if (std::optional<CommandResult> skipped = unsupported_values(m, c)) {
    m.taint(c.line, after_skipped_invoke_reason);
    return *skipped;
  }
  std::vector<WasmVal> args;
  for (const SpecValue& v : a.args) args.push_back(WasmVal::from_bits(v.type, v.bits));
  // On a tainted module a command still runs: what it got was checked, so a pass is a pass.
  // A failure, though, may be the skipped command's missing effect rather than ours.
  return blame_taint(m, check_call(c, m.instance->call(a.field, args)));
}

std::optional<CommandResult> SpecRunner::unsupported_values(const Loaded& m,
                                                            const SpecCommand& c) const {
  const SpecAction& a = c.action;
  if (const WasmExport* e = m.module->find_export(a.field);
      e != nullptr && e->type.kind == WasmExternKind::Func) {
    for (const auto* types : {&e->type.func.params, &e->type.func.results})
      for (WasmValType t : *types)
        if (!is_number(t))
          return unsupported(value_reason(pd::to_string(t)),
                             quoted(a.field) + " " + to_string(e->type.func));
  }
  for (const auto* values : {&a.args, &c.expected})
    for (const SpecValue& v : *values)
      if (v.kind == SpecValue::Kind::Unsupported)
        return unsupported(value_reason(v.type_name), quoted(a.field) + " with " + v.type_name);
  return std::nullopt;
}

CommandResult SpecRunner::check_call(const SpecCommand& c,
                                     const Expected<std::vector<WasmVal>, WasmError>& got) const {
  const std::string call = "invoke " + quoted(c.action.field) + values_text(c.action.args);
  using K = SpecCommand::Kind;
  if (c.kind == K::Action) {
    if (got) return passed();
    return failed(call + ": " + first_line(to_string(got.error())));
  }
  if (c.kind == K::AssertReturn) {
    const std::string want = "expected " + values_text(c.expected);
    if (!got) return failed(call + ": " + want + ", got " + first_line(to_string(got.error())));
    const std::vector<WasmVal>& results = got.value();
    bool same = results.size() == c.expected.size();
    for (size_t i = 0; same && i < results.size(); ++i) same = matches(c.expected[i], results[i]);
    if (!same) return failed(call + ": " + want + ", got " + values_text(results));
    return passed();
  }
  // assert_trap, assert_exhaustion, assert_exception: a trap. (An uncaught exception is a
  // Trap on our hosts too.)
  const std::string want = "expected a trap \"" + c.text + "\"";
  if (got) return failed(call + ": " + want + ", got " + values_text(got.value()));
  if (got.error().kind != WasmError::Kind::Trap)
    return failed(call + ": " + want + ", got " + first_line(to_string(got.error())));
  CommandResult r = passed();
  if (!c.text.empty()) {
    r.text_checked = true;
    r.text_differs = got.error().message.find(c.text) == std::string::npos;
    if (r.text_differs)
      r.detail =
          call + ": expected \"" + c.text + "\", got \"" + first_line(got.error().message) + "\"";
  }
  return r;
}

CommandResult SpecRunner::run_refused_module(const SpecCommand& c) {
  if (c.text_module) return not_applicable(text_module_reason);
  auto bytes = read_module_file(dir_ + "/" + c.filename);
  if (!bytes) return failed(bytes.error());
  const std::string want = "the script expects it refused: \"" + c.text + "\"";
  auto compiled = host_.compile(*bytes);
  if (compiled) return failed(c.filename + " compiled, but " + want);
  if (compiled.error().kind != WasmError::Kind::Compile)
    return failed(c.filename + ": " + first_line(to_string(compiled.error())) + ", but " + want);
  // The host validates before it looks for its own limits: hitting one means the module passed
  // validation.
  if (auto limitation = host_limitation(compiled.error()))
    return failed(c.filename + " validated (the host then refused it: " + limitation->second +
                  "), but " + want);
  return passed();
}

CommandResult SpecRunner::run_unlinkable(const SpecCommand& c) {
  if (c.text_module) return not_applicable(text_module_reason);
  // A module that does not link has no effect on the modules it imports from.
  Prepared p = prepare(c, /*taints_exporters=*/false);
  if (!p.ready) return p.result;
  Loaded& m = *p.loaded;
  auto instance = instantiate(m);
  const std::string want = "the script expects it unlinkable: \"" + c.text + "\"";
  if (instance) return failed(c.filename + " instantiated, but " + want);
  if (refused_non_function_import(instance.error(), m.module->imports()))
    return unsupported(non_function_import_reason,
                       c.filename + ": " + first_line(instance.error().message));
  if (instance.error().kind != WasmError::Kind::Instantiation)
    return failed(c.filename + ": " + first_line(to_string(instance.error())) + ", but " + want);
  return passed();
}

CommandResult SpecRunner::run_uninstantiable(const SpecCommand& c) {
  if (c.text_module) return not_applicable(text_module_reason);
  // Its start function may have written into a module it imports from before trapping.
  Prepared p = prepare(c, /*taints_exporters=*/true);
  if (!p.ready) return p.result;
  Loaded& m = *p.loaded;
  auto instance = instantiate(m);
  const std::string want = "the script expects it to trap: \"" + c.text + "\"";
  // What its start function did may depend on the state of a tainted module it calls into.
  if (instance) return blame_taint(m, failed(c.filename + " instantiated, but " + want));
  if (refused_non_function_import(instance.error(), m.module->imports()))
    return unsupported(non_function_import_reason,
                       c.filename + ": " + first_line(instance.error().message));
  if (instance.error().kind != WasmError::Kind::Instantiation)
    return blame_taint(
        m, failed(c.filename + ": " + first_line(to_string(instance.error())) + ", but " + want));
  CommandResult r = passed();
  r.text_checked = true;
  r.text_differs = instance.error().message.find(c.text) == std::string::npos;
  if (r.text_differs)
    r.detail = c.filename + ": expected \"" + c.text + "\", got \"" +
               first_line(instance.error().message) + "\"";
  return r;
}

}  // namespace pd::spec
