#include "aot_c_names.h"

#include "pd/wasm/fuel_meter.h"
#include "wabt/feature.h"
#include "wabt/ir.h"
#include "wabt_ir_walk.h"

namespace pd::detail {

bool c_comment_safe(const std::string& name) {
  if (name.find("*/") != std::string::npos) return false;
  for (unsigned char c : name)
    if (c < 0x20 || c == 0x7f) return false;
  return true;
}

Expected<std::vector<uint8_t>, std::string> rename_for_c(std::span<const uint8_t> wasm,
                                                         const ModuleInfo& info,
                                                         ModuleInfo* c_info) {
  *c_info = info;
  bool any = false;
  for (const WasmImport& i : info.imports)
    any = any || !c_comment_safe(i.module) || !c_comment_safe(i.name);
  for (const WasmExport& e : info.exports) any = any || !c_comment_safe(e.name);
  if (!any) return std::vector<uint8_t>{};

  wabt::Features features;  // what wasm2c is run with: its defaults and exceptions
  features.enable_exceptions();
  wabt::Errors errors;
  wabt::Module module;
  ShallowTeardown teardown(module);
  if (!read_module_ir(wasm, features, &errors, &module) ||
      module.imports.size() != info.imports.size() || module.exports.size() != info.exports.size())
    return Unexpected{std::string("cannot read the module to rename its names for C")};

  if (max_nesting_depth(module) > meter_nesting_depth_max)
    return Unexpected{"blocks nest deeper than " + std::to_string(meter_nesting_depth_max) +
                      " levels in a module whose names wasm2c cannot write, which is compiled "
                      "from a renamed copy (WABT's writer recurses once per level)"};

  // A new name never equals a name the module keeps: export names must stay distinct, and an
  // import renamed onto another import's name would share its C function.
  auto taken = [&](const std::string& module_name, const std::string& name) {
    for (const wabt::Export* e : module.exports)
      if (module_name.empty() && e->name == name) return true;
    for (const wabt::Import* i : module.imports)
      if (!module_name.empty() && i->module_name == module_name && i->field_name == name)
        return true;
    return false;
  };
  auto fresh = [&](const std::string& module_name, const std::string& base) {
    std::string name = base;
    for (int n = 0; taken(module_name, name); ++n) name = base + "_" + std::to_string(n);
    return name;
  };
  for (size_t k = 0; k < module.imports.size(); ++k) {
    wabt::Import* i = module.imports[k];
    if (c_comment_safe(i->module_name) && c_comment_safe(i->field_name)) continue;
    i->module_name = "pd_import_" + std::to_string(k);
    i->field_name = fresh(i->module_name, "f");
    c_info->imports[k].module = i->module_name;
    c_info->imports[k].name = i->field_name;
  }
  for (size_t k = 0; k < module.exports.size(); ++k) {
    wabt::Export* e = module.exports[k];
    if (c_comment_safe(e->name)) continue;
    e->name = fresh("", "pd_export_" + std::to_string(k));
    c_info->exports[k].name = e->name;
  }
  std::optional<std::vector<uint8_t>> written = write_module_binary(module, features);
  if (!written) return Unexpected{std::string("cannot write the module with names for C")};
  return std::move(*written);
}

}  // namespace pd::detail
