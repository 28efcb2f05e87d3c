#include "interp_workarounds.h"

#include <memory>
#include <string>

#include "pd/wasm/fuel_meter.h"
#include "wabt/cast.h"
#include "wabt/feature.h"
#include "wabt/ir.h"
#include "wabt/validator.h"
#include "wabt_ir_walk.h"

namespace pd::detail {

namespace {

// The interpreter's features (wabt_interp.cpp).
wabt::Features interpreter_features() {
  wabt::Features f;
  f.enable_exceptions();
  f.enable_tail_call();
  f.enable_extended_const();
  return f;
}

bool is_guarded_call(const wabt::Expr& e) {
  return e.type() == wabt::ExprType::CallIndirect || e.type() == wabt::ExprType::CallRef;
}

bool has_handler(const wabt::Expr& e) {
  if (e.type() != wabt::ExprType::Try) return false;
  const auto& t = static_cast<const wabt::TryExpr&>(e);
  return t.kind != wabt::TryKind::Plain;  // catch / catch_all, or delegate
}

}  // namespace

Expected<std::vector<uint8_t>, std::string> prepare_for_interpreter(std::span<const uint8_t> wasm) {
  const wabt::Features features = interpreter_features();
  wabt::Errors errors;
  wabt::Module module;
  ShallowTeardown teardown(module);
  if (!read_module_ir(wasm, features, &errors, &module))
    return Unexpected{"cannot read the module: " + describe_wabt_errors(errors)};

  size_t sites = 0;
  for (wabt::Index i = module.num_func_imports; i < module.funcs.size(); ++i) {
    wabt::Func& func = *module.funcs[i];
    const bool has_locals = func.GetNumParamsAndLocals() > 0;
    bool handler = false;
    for_each_expr_list(func.exprs, [&](wabt::ExprList& list, uint32_t) {
      for (const wabt::Expr& e : list) {
        sites += is_guarded_call(e) ? 1 : 0;
        handler = handler || has_handler(e);
      }
    });
    if (handler && has_locals)
      return Unexpected{"function " + std::to_string(i) +
                        " has parameters or locals and an exception handler: WABT 1.0.32's "
                        "interpreter loses a frame's locals when it catches an exception (and "
                        "aborts the process on the next access to one); run this module on the "
                        "aot backend"};
  }
  if (sites == 0) return std::vector<uint8_t>{};
  if (max_nesting_depth(module) > meter_nesting_depth_max)
    return Unexpected{"blocks nest deeper than " + std::to_string(meter_nesting_depth_max) +
                      " levels in a module with indirect calls, which the interpreter runs "
                      "from a rewritten copy (WABT's writer recurses once per level)"};

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
    for_each_expr_list(module.funcs[i]->exprs, [&](wabt::ExprList& list, uint32_t) {
      for (auto it = list.begin(); it != list.end(); ++it) {
        if (is_guarded_call(*it))
          list.insert(it, std::make_unique<wabt::CallExpr>(wabt::Var(probe, wabt::Location())));
      }
    });
  }

  wabt::Errors output_errors;
  if (wabt::Failed(wabt::ValidateModule(&module, &output_errors, wabt::ValidateOptions(features))))
    return Unexpected{"the guarded module does not validate: " +
                      describe_wabt_errors(output_errors)};
  std::optional<std::vector<uint8_t>> written = write_module_binary(module, features);
  if (!written) return Unexpected{std::string("WABT cannot write the guarded module")};
  return std::move(*written);
}

}  // namespace pd::detail
