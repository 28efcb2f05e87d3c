#include "indirect_call_guard.h"

#include <memory>
#include <string>

#include "wabt/binary-reader-ir.h"
#include "wabt/binary-reader.h"
#include "wabt/binary-writer.h"
#include "wabt/cast.h"
#include "wabt/feature.h"
#include "wabt/ir.h"
#include "wabt/stream.h"
#include "wabt/validator.h"
#include "wabt_ir_teardown.h"

namespace pd::detail {

namespace {

// The interpreter's features (wabt_interp.cpp).
wabt::Features guard_features() {
  wabt::Features f;
  f.enable_exceptions();
  f.enable_tail_call();
  f.enable_extended_const();
  return f;
}

bool is_indirect_call(const wabt::Expr& e) {
  return e.type() == wabt::ExprType::CallIndirect ||
         e.type() == wabt::ExprType::ReturnCallIndirect || e.type() == wabt::ExprType::CallRef;
}

// Every instruction list of a function body, nested ones included (iteratively: bodies may
// nest deeper than the native stack allows recursion).
template <class Fn>
void for_each_list(wabt::ExprList& body, Fn&& fn) {
  std::vector<wabt::ExprList*> pending = {&body};
  while (!pending.empty()) {
    wabt::ExprList* list = pending.back();
    pending.pop_back();
    fn(*list);
    for (wabt::Expr& expr : *list) {
      switch (expr.type()) {
        case wabt::ExprType::Block:
          pending.push_back(&static_cast<wabt::BlockExpr&>(expr).block.exprs);
          break;
        case wabt::ExprType::Loop:
          pending.push_back(&static_cast<wabt::LoopExpr&>(expr).block.exprs);
          break;
        case wabt::ExprType::If: {
          auto& if_expr = static_cast<wabt::IfExpr&>(expr);
          pending.push_back(&if_expr.true_.exprs);
          pending.push_back(&if_expr.false_);
          break;
        }
        case wabt::ExprType::Try: {
          auto& try_expr = static_cast<wabt::TryExpr&>(expr);
          pending.push_back(&try_expr.block.exprs);
          for (wabt::Catch& handler : try_expr.catches) pending.push_back(&handler.exprs);
          break;
        }
        default: break;
      }
    }
  }
}

std::string describe(const wabt::Errors& errors) {
  std::string out;
  for (const wabt::Error& e : errors) out += (out.empty() ? "" : "; ") + e.message;
  return out.empty() ? "no diagnostic" : out;
}

}  // namespace

Expected<std::vector<uint8_t>, std::string> guard_indirect_calls(std::span<const uint8_t> wasm) {
  const wabt::Features features = guard_features();
  wabt::Errors errors;
  wabt::Module module;
  ShallowTeardown teardown(module);
  const wabt::ReadBinaryOptions read_options(features, nullptr, /*read_debug_names=*/false,
                                             /*stop_on_first_error=*/true,
                                             /*fail_on_custom_section_error=*/false);
  if (wabt::Failed(wabt::ReadBinaryIr("module.wasm", wasm.data(), wasm.size(), read_options,
                                      &errors, &module)))
    return Unexpected{"cannot read the module: " + describe(errors)};

  // Where the guard goes, found before anything changes.
  size_t sites = 0;
  for (wabt::Index i = module.num_func_imports; i < module.funcs.size(); ++i) {
    for_each_list(module.funcs[i]->exprs, [&](wabt::ExprList& list) {
      for (const wabt::Expr& e : list) sites += is_indirect_call(e) ? 1 : 0;
    });
  }
  if (sites == 0) return std::vector<uint8_t>{};

  // (func) : an existing type of that signature, or a new one at the end.
  wabt::Index probe_type = wabt::kInvalidIndex;
  for (wabt::Index t = 0; t < module.types.size() && probe_type == wabt::kInvalidIndex; ++t) {
    const auto* f = wabt::dyn_cast<wabt::FuncType>(module.types[t]);
    if (f && f->sig.GetNumParams() == 0 && f->sig.GetNumResults() == 0) probe_type = t;
  }
  if (probe_type == wabt::kInvalidIndex) {
    probe_type = wabt::Index(module.types.size());
    auto type = std::make_unique<wabt::TypeModuleField>();
    type->type = std::make_unique<wabt::FuncType>();
    module.AppendField(std::move(type));
  }
  const wabt::Index probe = wabt::Index(module.funcs.size());
  auto field = std::make_unique<wabt::FuncModuleField>();
  field->func.decl.has_func_type = true;
  field->func.decl.type_var = wabt::Var(probe_type, wabt::Location());
  module.AppendField(std::move(field));

  for (wabt::Index i = module.num_func_imports; i < probe; ++i) {
    for_each_list(module.funcs[i]->exprs, [&](wabt::ExprList& list) {
      for (auto it = list.begin(); it != list.end(); ++it) {
        if (is_indirect_call(*it))
          list.insert(it, std::make_unique<wabt::CallExpr>(wabt::Var(probe, wabt::Location())));
      }
    });
  }

  wabt::Errors output_errors;
  if (wabt::Failed(wabt::ValidateModule(&module, &output_errors, wabt::ValidateOptions(features))))
    return Unexpected{"the guarded module does not validate: " + describe(output_errors)};
  wabt::MemoryStream stream;
  const wabt::WriteBinaryOptions write_options(features, /*canonicalize_lebs=*/true,
                                               /*relocatable=*/false,
                                               /*write_debug_names=*/false);
  if (wabt::Failed(wabt::WriteBinaryModule(&stream, &module, write_options)))
    return Unexpected{std::string("WABT cannot write the guarded module")};
  return stream.output_buffer().data;
}

}  // namespace pd::detail
