// Private to the wasm module: what the passes that rewrite modules in WABT's IR share (the fuel
// meter, the interpreter's workarounds, aot's C names): reading and writing a module the same
// way, wording WABT's errors, and walking and freeing function bodies without recursion
// (they may nest deeper than the native stack allows a recursion to follow).
#pragma once

#include <cstdint>
#include <cstdio>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "wabt/binary-reader-ir.h"
#include "wabt/binary-reader.h"
#include "wabt/binary-writer.h"
#include "wabt/feature.h"
#include "wabt/ir.h"
#include "wabt/stream.h"

namespace pd::detail {

// WABT's IR frees nested blocks recursively, one native frame per level, so a module nested
// a million levels deep would overflow the stack just being freed (reading and validating it
// do not recurse). This takes the function bodies apart iteratively instead.
class ShallowTeardown {
 public:
  explicit ShallowTeardown(wabt::Module& module) : module_(module) {}
  ShallowTeardown(const ShallowTeardown&) = delete;
  ShallowTeardown& operator=(const ShallowTeardown&) = delete;
  ~ShallowTeardown() {
    std::vector<wabt::ExprList> pending;
    for (wabt::Func* func : module_.funcs) pending.push_back(std::move(func->exprs));
    while (!pending.empty()) {
      wabt::ExprList list = std::move(pending.back());
      pending.pop_back();
      for (wabt::Expr& expr : list) take_nested(expr, pending);
    }  // each list is freed here, its instructions holding no nested lists any more
  }

 private:
  static void take_nested(wabt::Expr& expr, std::vector<wabt::ExprList>& pending) {
    switch (expr.type()) {
      case wabt::ExprType::Block:
        pending.push_back(std::move(static_cast<wabt::BlockExpr&>(expr).block.exprs));
        break;
      case wabt::ExprType::Loop:
        pending.push_back(std::move(static_cast<wabt::LoopExpr&>(expr).block.exprs));
        break;
      case wabt::ExprType::If: {
        auto& if_expr = static_cast<wabt::IfExpr&>(expr);
        pending.push_back(std::move(if_expr.true_.exprs));
        pending.push_back(std::move(if_expr.false_));
        break;
      }
      case wabt::ExprType::Try: {
        auto& try_expr = static_cast<wabt::TryExpr&>(expr);
        pending.push_back(std::move(try_expr.block.exprs));
        for (wabt::Catch& handler : try_expr.catches) pending.push_back(std::move(handler.exprs));
        break;
      }
      default: break;
    }
  }

  wabt::Module& module_;
};

// Up to five of WABT's errors, each with its offset: "offset 0x1f: <message>; ...".
inline std::string describe_wabt_errors(const wabt::Errors& errors) {
  constexpr size_t kReportedMax = 5;
  std::string text;
  for (size_t i = 0; i < errors.size() && i < kReportedMax; ++i) {
    if (i > 0) text += "; ";
    char offset[32];
    std::snprintf(offset, sizeof offset, "offset 0x%zx: ", errors[i].loc.offset);
    text += offset;
    text += errors[i].message;
  }
  if (errors.size() > kReportedMax)
    text += "; and " + std::to_string(errors.size() - kReportedMax) + " more";
  return text.empty() ? std::string("no detail from WABT") : text;
}

// Reads `wasm` into `module` (no debug names; custom sections carry no meaning for execution,
// so a malformed one does not stop a pass). False with *errors filled otherwise.
inline bool read_module_ir(std::span<const uint8_t> wasm, const wabt::Features& features,
                           wabt::Errors* errors, wabt::Module* module) {
  const wabt::ReadBinaryOptions options(features, nullptr, /*read_debug_names=*/false,
                                        /*stop_on_first_error=*/true,
                                        /*fail_on_custom_section_error=*/false);
  return wabt::Succeeded(
      wabt::ReadBinaryIr("module.wasm", wasm.data(), wasm.size(), options, errors, module));
}

// `module` as a binary (canonical LEBs, no debug names), or nothing when WABT cannot write it.
inline std::optional<std::vector<uint8_t>> write_module_binary(wabt::Module& module,
                                                               const wabt::Features& features) {
  wabt::MemoryStream stream;
  const wabt::WriteBinaryOptions options(features, /*canonicalize_lebs=*/true,
                                         /*relocatable=*/false, /*write_debug_names=*/false);
  if (wabt::Failed(wabt::WriteBinaryModule(&stream, &module, options))) return std::nullopt;
  return std::move(stream.output_buffer().data);
}

// Calls fn(list, depth) for every instruction list of `body`, nested ones included; depth 0 is
// the body itself.
template <class Fn>
void for_each_expr_list(wabt::ExprList& body, Fn&& fn) {
  std::vector<std::pair<wabt::ExprList*, uint32_t>> pending = {{&body, 0}};
  while (!pending.empty()) {
    auto [list, depth] = pending.back();
    pending.pop_back();
    fn(*list, depth);
    for (wabt::Expr& expr : *list) {
      switch (expr.type()) {
        case wabt::ExprType::Block:
          pending.push_back({&static_cast<wabt::BlockExpr&>(expr).block.exprs, depth + 1});
          break;
        case wabt::ExprType::Loop:
          pending.push_back({&static_cast<wabt::LoopExpr&>(expr).block.exprs, depth + 1});
          break;
        case wabt::ExprType::If: {
          auto& if_expr = static_cast<wabt::IfExpr&>(expr);
          pending.push_back({&if_expr.true_.exprs, depth + 1});
          pending.push_back({&if_expr.false_, depth + 1});
          break;
        }
        case wabt::ExprType::Try: {
          auto& try_expr = static_cast<wabt::TryExpr&>(expr);
          pending.push_back({&try_expr.block.exprs, depth + 1});
          for (wabt::Catch& handler : try_expr.catches)
            pending.push_back({&handler.exprs, depth + 1});
          break;
        }
        default: break;
      }
    }
  }
}

// The deepest nesting of blocks in any function of `module`. WABT's binary writer recurses once
// per level (about 130 bytes of stack each): a pass that writes a module refuses one nested
// deeper than meter_nesting_depth_max.
inline uint32_t nesting_depth(wabt::Func& func) {
  uint32_t deepest = 0;
  for_each_expr_list(func.exprs, [&](wabt::ExprList&, uint32_t depth) {
    if (depth > deepest) deepest = depth;
  });
  return deepest;
}
inline uint32_t max_nesting_depth(wabt::Module& module) {
  uint32_t deepest = 0;
  for (wabt::Func* func : module.funcs) {
    const uint32_t d = nesting_depth(*func);
    if (d > deepest) deepest = d;
  }
  return deepest;
}

}  // namespace pd::detail
