#include "pd/wasm/wat.h"

#include <memory>

#include "wabt/binary-writer.h"
#include "wabt/error-formatter.h"
#include "wabt/feature.h"
#include "wabt/ir.h"
#include "wabt/stream.h"
#include "wabt/wast-lexer.h"
#include "wabt/wast-parser.h"

namespace pd {

Expected<std::vector<uint8_t>, std::string> wat_to_wasm(std::string_view wat,
                                                        std::string_view name) {
  wabt::Errors errors;
  std::unique_ptr<wabt::WastLexer> lexer =
      wabt::WastLexer::CreateBufferLexer(std::string(name), wat.data(), wat.size(), &errors);
  wabt::Features features;
  features.enable_tail_call();
  features.enable_exceptions();
  wabt::WastParseOptions parse_options(features);
  std::unique_ptr<wabt::Module> module;
  if (wabt::Failed(wabt::ParseWatModule(lexer.get(), &module, &errors, &parse_options)))
    return Unexpected{wabt::FormatErrorsToString(errors, wabt::Location::Type::Text)};
  wabt::MemoryStream stream;
  const wabt::WriteBinaryOptions write_options(features, /*canonicalize_lebs=*/true,
                                               /*relocatable=*/false,
                                               /*write_debug_names=*/false);
  if (wabt::Failed(wabt::WriteBinaryModule(&stream, module.get(), write_options)))
    return Unexpected{std::string("WABT cannot write the module as a binary")};
  return stream.output_buffer().data;
}

}  // namespace pd
