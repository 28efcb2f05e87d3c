// Fuel metering pass (see include/pd/wasm/fuel_meter.h for the contract and cost model).
//
// Pipeline: decode with WABT into its IR, validate, append the fuel global and its export,
// rewrite every defined function, validate again, encode, and put back the custom sections
// WABT's IR does not carry.

#include "pd/wasm/fuel_meter.h"

#include <cstdio>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "wabt/binary-reader-ir.h"
#include "wabt/binary-reader.h"
#include "wabt/binary-writer.h"
#include "wabt/feature.h"
#include "wabt/ir.h"
#include "wabt/stream.h"
#include "wabt/validator.h"
#include "wabt_ir_walk.h"

namespace pd {

const char* to_string(MeterError::Kind kind) {
  switch (kind) {
    case MeterError::Kind::Unreadable: return "Unreadable";
    case MeterError::Kind::Invalid: return "Invalid";
    case MeterError::Kind::AlreadyMetered: return "AlreadyMetered";
    case MeterError::Kind::BadOptions: return "BadOptions";
    case MeterError::Kind::TooComplex: return "TooComplex";
  }
  return "?";
}

namespace {

// WABT can report hundreds of errors for one bad module; the first few say what is wrong.

Unexpected<MeterError> fail(MeterError::Kind kind, std::string message) {
  return Unexpected<MeterError>{MeterError{kind, std::move(message)}};
}

// What the pass accepts: WABT's defaults (MVP, mutable globals, sign extension, saturating
// conversions, SIMD, multi-value, bulk memory, reference types) plus the proposals WABT 1.0.32
// reads, validates and writes completely. Typed function references and GC are left out:
// WABT's support is partial and would change how some valid modules are typed.
wabt::Features meter_features() {
  wabt::Features features;
  features.enable_exceptions();
  features.enable_tail_call();
  features.enable_threads();
  features.enable_multi_memory();
  features.enable_extended_const();
  return features;
}

// ---------------------------------------------------------------------------------------------
// Sections of a binary, read only far enough to carry custom sections across the rewrite.

constexpr size_t wasm_header_size = 8;  // magic and version
constexpr uint8_t custom_section_id = 0;

struct RawSection {
  uint8_t id = 0;
  std::string_view name;           // custom sections only
  std::span<const uint8_t> bytes;  // the whole section: id, size and payload
};

bool read_u32_leb(std::span<const uint8_t> bytes, size_t& pos, uint32_t& out) {
  out = 0;
  for (int shift = 0; shift < 35; shift += 7) {
    if (pos >= bytes.size()) return false;
    uint8_t byte = bytes[pos++];
    out |= uint32_t(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) return true;
  }
  return false;
}

std::optional<std::vector<RawSection>> split_sections(std::span<const uint8_t> wasm) {
  std::vector<RawSection> sections;
  if (wasm.size() < wasm_header_size) return std::nullopt;
  size_t pos = wasm_header_size;
  while (pos < wasm.size()) {
    size_t start = pos;
    RawSection section;
    section.id = wasm[pos++];
    uint32_t size = 0;
    if (!read_u32_leb(wasm, pos, size) || size > wasm.size() - pos) return std::nullopt;
    size_t end = pos + size;
    if (section.id == custom_section_id) {
      uint32_t name_size = 0;
      if (!read_u32_leb(wasm, pos, name_size) || name_size > end - pos) return std::nullopt;
      section.name = std::string_view(reinterpret_cast<const char*>(wasm.data() + pos), name_size);
    }
    section.bytes = wasm.subspan(start, end - start);
    sections.push_back(section);
    pos = end;
  }
  return sections;
}

// Position of a known section in the order the binary format requires (the tag section, 13,
// sits between memory and global; data count, 12, between element and code).
int section_rank(uint8_t id) {
  static constexpr int rank_by_id[] = {0, 1, 2, 3, 4, 5, 7, 8, 9, 10, 12, 13, 11, 6};
  return id < sizeof rank_by_id / sizeof rank_by_id[0] ? rank_by_id[id] : 14;
}

// Custom sections whose content points at byte offsets in the code section: the rewrite moves
// every instruction, so these would describe code that is no longer there.
bool describes_code_offsets(std::string_view name) {
  return name.starts_with(".debug_") || name.starts_with("reloc.") ||
         name.starts_with("metadata.code.") || name == "linking" || name == "sourceMappingURL" ||
         name == "external_debug_info";
}

// `metered` with the kept custom sections of `original` put back where they were relative to
// the known sections (a custom section before the type section stays first, and so on).
std::vector<uint8_t> restore_custom_sections(const std::vector<RawSection>& original,
                                             std::span<const uint8_t> metered) {
  struct Kept {
    int after_rank;
    std::span<const uint8_t> bytes;
  };
  std::vector<Kept> kept;
  int last_rank = 0;
  for (const RawSection& s : original) {
    if (s.id != custom_section_id) {
      last_rank = section_rank(s.id);
    } else if (!describes_code_offsets(s.name)) {
      kept.push_back({last_rank, s.bytes});
    }
  }
  std::optional<std::vector<RawSection>> sections = split_sections(metered);
  PD_ASSERT(sections.has_value(), "WABT wrote a binary whose sections do not parse");

  std::vector<uint8_t> out(metered.begin(), metered.begin() + wasm_header_size);
  size_t next = 0;
  for (const RawSection& s : *sections) {
    if (s.id != custom_section_id) {
      for (; next < kept.size() && kept[next].after_rank < section_rank(s.id); ++next) {
        out.insert(out.end(), kept[next].bytes.begin(), kept[next].bytes.end());
      }
    }
    out.insert(out.end(), s.bytes.begin(), s.bytes.end());
  }
  for (; next < kept.size(); ++next) {
    out.insert(out.end(), kept[next].bytes.begin(), kept[next].bytes.end());
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The rewrite of function bodies.

// How control reaches the start of an instruction sequence.
enum class Entry {
  Straight,  // falls in from the enclosing sequence (block or try body): same basic block
  Branch,    // a new basic block (an if arm, a catch handler)
  Loop,      // a new basic block that is a branch target: charge, then check
  Function,  // the function's entry: charge, then check
};

class Rewriter {
 public:
  explicit Rewriter(wabt::Index fuel_global) : fuel_global_(fuel_global) {}

  // False when the body nests deeper than meter_nesting_depth_max.
  bool meter(wabt::Func& func) {
    labels_.assign(1, func.decl.sig.GetNumResults());
    return walk(func.exprs, nullptr, Entry::Function, 0);
  }

 private:
  using Iter = wabt::ExprList::iterator;

  wabt::Var fuel() const { return wabt::Var(fuel_global_, wabt::Location()); }

  // The helpers that build instructions stay out of line: walk() recurses once per nesting
  // level, so its frame must stay small (their temporaries would grow it, a lot under ASan).

  // Inserts `pd_fuel -= cost` before `at`; returns the constant that holds the cost.
  [[gnu::noinline]] wabt::ConstExpr* insert_charge(wabt::ExprList& list, Iter at) {
    auto cost = std::make_unique<wabt::ConstExpr>(wabt::Const::I64(0));
    wabt::ConstExpr* cost_ptr = cost.get();
    list.insert(at, std::make_unique<wabt::GlobalGetExpr>(fuel()));
    list.insert(at, std::move(cost));
    list.insert(at, std::make_unique<wabt::BinaryExpr>(wabt::Opcode::I64Sub));
    list.insert(at, std::make_unique<wabt::GlobalSetExpr>(fuel()));
    return cost_ptr;
  }

  // Inserts `if (pd_fuel < 0) unreachable` before `at`.
  [[gnu::noinline]] void insert_check(wabt::ExprList& list, Iter at) {
    list.insert(at, std::make_unique<wabt::GlobalGetExpr>(fuel()));
    list.insert(at, std::make_unique<wabt::ConstExpr>(wabt::Const::I64(0)));
    list.insert(at, std::make_unique<wabt::CompareExpr>(wabt::Opcode::I64LtS));
    auto check = std::make_unique<wabt::IfExpr>();
    check->true_.exprs.push_back(std::make_unique<wabt::UnreachableExpr>());
    list.insert(at, std::move(check));
  }

  static void add_cost(wabt::ConstExpr* charge, uint64_t cost) {
    charge->const_ = wabt::Const::I64(charge->const_.u64() + cost);
  }

  // A loop's exit test merged with the block it falls into (see fuel_meter.h): the head's
  // charge and check cover both, and taking the exit gives the second back. (A check against
  // minus the refund would keep the exhaustion point exact, but costs the tightest loops a
  // third of their speed on x86-64: gcc then compares instead of testing the sign.)
  struct MergedExit {
    wabt::ConstExpr* charge = nullptr;  // the loop head's charge
    uint64_t head_cost = 0;             // of the head block alone, br_if included
    wabt::ConstExpr* refund = nullptr;  // given back when the exit is taken
  };

  // `br_if` at `it` leaves the loop whose body `list` is (label index >= 1) to a label that
  // takes no values: replaced by `if (then pd_fuel += refund; br N+1)`. Returns the refund.
  [[gnu::noinline]] wabt::ConstExpr* refund_on_exit(wabt::ExprList& list, Iter* it,
                                                    wabt::Index target) {
    auto refund = std::make_unique<wabt::ConstExpr>(wabt::Const::I64(0));
    wabt::ConstExpr* refund_ptr = refund.get();
    auto exit = std::make_unique<wabt::IfExpr>();
    wabt::ExprList& arm = exit->true_.exprs;
    arm.push_back(std::make_unique<wabt::GlobalGetExpr>(fuel()));
    arm.push_back(std::move(refund));
    arm.push_back(std::make_unique<wabt::BinaryExpr>(wabt::Opcode::I64Add));
    arm.push_back(std::make_unique<wabt::GlobalSetExpr>(fuel()));
    arm.push_back(std::make_unique<wabt::BrExpr>(wabt::Var(target + 1, wabt::Location())));
    *it = list.erase(*it);
    *it = list.insert(*it, std::move(exit));
    return refund_ptr;
  }

  static void close(MergedExit& merged) {
    if (merged.refund == nullptr) return;
    const uint64_t refund = merged.charge->const_.u64() - merged.head_cost;
    merged.refund->const_ = wabt::Const::I64(refund);
    merged.refund = nullptr;
  }

  // The arity of the label a branch at this point names with `index`, or nothing.
  std::optional<uint32_t> label_arity(wabt::Index index) const {
    if (index >= labels_.size()) return std::nullopt;
    return labels_[labels_.size() - 1 - index];
  }

  // walk() one level down, with the label of the construct around `list` on the stack.
  bool walk_nested(wabt::ExprList& list, wabt::ConstExpr* open, Entry entry, uint32_t depth,
                   uint32_t arity) {
    labels_.push_back(arity);
    const bool ok = walk(list, open, entry, depth);
    labels_.pop_back();
    return ok;
  }

  // Charges the instruction sequence `list`. `open` is the charge of the basic block that
  // falls into it (Entry::Straight) and is extended in place; otherwise a basic block starts
  // at the head of the list.
  bool walk(wabt::ExprList& list, wabt::ConstExpr* open, Entry entry, uint32_t depth) {
    if (depth > meter_nesting_depth_max) return false;
    wabt::ConstExpr* charge = entry == Entry::Straight ? open : nullptr;
    Iter it = list.begin();  // stays on the first original instruction across insertions
    MergedExit merged;
    bool head = entry == Entry::Loop;  // still in the loop's first basic block
    // The merged block ends where its charge stops growing: what it cost past the head block
    // is the refund.
    auto close_merged = [&merged] { close(merged); };
    if (entry == Entry::Loop || entry == Entry::Function) {
      if (it != list.end()) {
        // The check follows the charge, so a pass through this block is paid for before it
        // runs, and a cycle through it can never run for free.
        charge = insert_charge(list, it);
        insert_check(list, it);
      } else if (entry == Entry::Function) {
        // Nothing to charge, but calling into a module whose fuel is spent still traps.
        insert_check(list, it);
        return true;
      }
    }
    for (; it != list.end(); ++it) {
      wabt::Expr& expr = *it;
      if (expr.type() == wabt::ExprType::CodeMetadata) continue;  // an annotation, free
      if (charge == nullptr) charge = insert_charge(list, it);
      add_cost(charge, 1);
      switch (expr.type()) {
        case wabt::ExprType::Block: {
          auto& block = static_cast<wabt::BlockExpr&>(expr).block;
          if (!walk_nested(block.exprs, charge, Entry::Straight, depth + 1,
                           block.decl.sig.GetNumResults()))
            return false;
          close_merged();
          charge = nullptr;  // the end of a block is a branch target
          head = false;
          break;
        }
        case wabt::ExprType::Loop: {
          auto& block = static_cast<wabt::LoopExpr&>(expr).block;
          if (!walk_nested(block.exprs, nullptr, Entry::Loop, depth + 1,
                           block.decl.sig.GetNumParams()))
            return false;
          close_merged();
          charge = nullptr;
          head = false;
          break;
        }
        case wabt::ExprType::If: {
          auto& if_expr = static_cast<wabt::IfExpr&>(expr);
          const uint32_t arity = if_expr.true_.decl.sig.GetNumResults();
          if (!walk_nested(if_expr.true_.exprs, nullptr, Entry::Branch, depth + 1, arity))
            return false;
          if (!walk_nested(if_expr.false_, nullptr, Entry::Branch, depth + 1, arity)) return false;
          close_merged();
          charge = nullptr;
          head = false;
          break;
        }
        case wabt::ExprType::Try: {
          auto& try_expr = static_cast<wabt::TryExpr&>(expr);
          const uint32_t arity = try_expr.block.decl.sig.GetNumResults();
          if (!walk_nested(try_expr.block.exprs, charge, Entry::Straight, depth + 1, arity))
            return false;
          close_merged();
          for (wabt::Catch& handler : try_expr.catches) {
            if (!walk_nested(handler.exprs, nullptr, Entry::Branch, depth + 1, arity)) return false;
          }
          charge = nullptr;
          head = false;
          break;
        }
        case wabt::ExprType::BrIf: {
          // The loop's exit test, ending its first block, with code after it: the block it
          // falls into is charged with the head (one charge and one check per iteration),
          // and taking the exit gives that back, so fuel stays exact.
          const wabt::Index target = static_cast<wabt::BrIfExpr&>(expr).var.index();
          if (head && target >= 1 && label_arity(target) == 0u && std::next(it) != list.end()) {
            merged.charge = charge;
            merged.head_cost = charge->const_.u64();
            merged.refund = refund_on_exit(list, &it, target);
            head = false;
            break;  // `charge` goes on into the next block
          }
          close_merged();
          charge = nullptr;
          head = false;
          break;
        }
        case wabt::ExprType::Call:
        case wabt::ExprType::CallIndirect:
        case wabt::ExprType::CallRef:
          // Control may leave here and come back (a call that returns or throws into a
          // handler) or go on (a branch not taken): what follows is a new basic block, so
          // nothing is charged for code that might not run.
          close_merged();
          charge = nullptr;
          head = false;
          break;
        case wabt::ExprType::Br:
        case wabt::ExprType::BrTable:
        case wabt::ExprType::Return:
        case wabt::ExprType::ReturnCall:
        case wabt::ExprType::ReturnCallIndirect:
        case wabt::ExprType::Throw:
        case wabt::ExprType::Rethrow:
        case wabt::ExprType::Unreachable:
          close_merged();
          return true;  // the rest of this sequence is unreachable: left as it is, free
        default: break;
      }
    }
    close_merged();
    return true;
  }

  wabt::Index fuel_global_;
  std::vector<uint32_t> labels_;  // arity of each enclosing label, innermost last
};

}  // namespace

Expected<std::vector<uint8_t>, MeterError> meter_module(std::span<const uint8_t> wasm,
                                                        const MeterOptions& options) {
  if (options.initial_fuel > uint64_t(INT64_MAX)) {
    return fail(MeterError::Kind::BadOptions,
                "initial fuel " + std::to_string(options.initial_fuel) +
                    " is above INT64_MAX (pd_fuel is a signed i64; negative means exhausted)");
  }
  const wabt::Features features = meter_features();
  wabt::Errors errors;
  wabt::Module module;
  detail::ShallowTeardown teardown(module);
  if (!detail::read_module_ir(wasm, features, &errors, &module)) {
    return fail(MeterError::Kind::Unreadable, "not a readable WebAssembly binary module: " +
                                                  detail::describe_wabt_errors(errors));
  }
  if (wabt::Failed(wabt::ValidateModule(&module, &errors, wabt::ValidateOptions(features)))) {
    return fail(MeterError::Kind::Invalid,
                "invalid WebAssembly module: " + detail::describe_wabt_errors(errors));
  }
  for (const wabt::Export* e : module.exports) {
    if (e->name == fuel_export_name) {
      return fail(MeterError::Kind::AlreadyMetered,
                  "module already exports \"pd_fuel\" (metered already?)");
    }
  }
  std::optional<std::vector<RawSection>> sections = split_sections(wasm);
  if (!sections) {
    return fail(MeterError::Kind::Unreadable, "section headers of the module do not parse");
  }

  // Appended after every imported and defined global, so no existing index changes.
  const wabt::Index fuel_global = wabt::Index(module.globals.size());
  auto global = std::make_unique<wabt::GlobalModuleField>();
  global->global.type = wabt::Type::I64;
  global->global.mutable_ = true;
  global->global.init_expr.push_back(
      std::make_unique<wabt::ConstExpr>(wabt::Const::I64(options.initial_fuel)));
  module.AppendField(std::move(global));
  auto fuel_export = std::make_unique<wabt::ExportModuleField>();
  fuel_export->export_.name = std::string(fuel_export_name);
  fuel_export->export_.kind = wabt::ExternalKind::Global;
  fuel_export->export_.var = wabt::Var(fuel_global, wabt::Location());
  module.AppendField(std::move(fuel_export));

  // Measured without recursion first: the rewrite recurses once per level, and its frames are
  // much larger under the sanitizers than the ~130 bytes of a release build.
  for (wabt::Index i = module.num_func_imports; i < module.funcs.size(); ++i) {
    if (detail::nesting_depth(*module.funcs[i]) > meter_nesting_depth_max) {
      return fail(MeterError::Kind::TooComplex,
                  "function " + std::to_string(i) + " nests blocks deeper than " +
                      std::to_string(meter_nesting_depth_max) + " levels");
    }
  }
  Rewriter rewriter(fuel_global);
  for (wabt::Index i = module.num_func_imports; i < module.funcs.size(); ++i) {
    if (!rewriter.meter(*module.funcs[i])) {
      return fail(MeterError::Kind::TooComplex,
                  "function " + std::to_string(i) + " nests blocks deeper than " +
                      std::to_string(meter_nesting_depth_max) + " levels");
    }
  }

  wabt::Errors output_errors;
  const bool output_valid = wabt::Succeeded(
      wabt::ValidateModule(&module, &output_errors, wabt::ValidateOptions(features)));
  if (!output_valid) {
    std::fprintf(stderr, "palladium: metered module does not validate: %s\n",
                 detail::describe_wabt_errors(output_errors).c_str());
  }
  PD_ASSERT(output_valid, "the fuel meter produced an invalid module from a valid one");

  std::optional<std::vector<uint8_t>> written = detail::write_module_binary(module, features);
  PD_ASSERT(written.has_value(), "WABT could not write a module it validated");
  return restore_custom_sections(*sections, *written);
}

}  // namespace pd
