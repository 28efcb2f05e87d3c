// Private to the wasm module: freeing WABT's IR without recursion (the fuel meter and the
// interpreter's indirect-call guard both rewrite modules in WABT's IR).
#pragma once

#include <utility>
#include <vector>

#include "wabt/ir.h"

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

}  // namespace pd::detail
