// A spec script as wast2json (WABT 1.0.32) writes it: a JSON file listing commands, with the
// modules in .wasm files beside it. read_spec_script() turns the JSON into the typed commands
// below and checks every field the runner relies on, so the runner never meets a missing field
// or a value of the wrong shape; it does not read the module files.
//
// Values: wast2json writes every number as the decimal string of its unsigned bit pattern
// ("4294967295" is i32 -1; floats are their IEEE bits), expected NaNs as "nan:canonical" or
// "nan:arithmetic", vectors as lanes, references as "null" or a number. SpecValue keeps the
// numbers as bits and the rest only by type name: WasmVal carries numbers only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "pd/core/expected.h"
#include "pd/wasm/wasm_val.h"

namespace pd::spec {

// A JSON file larger than this is refused before it is read (the largest of the official
// suite, simd_f32x4_pmin_pmax.json, is 1.7 MB).
inline constexpr uint64_t script_bytes_max = uint64_t(256) << 20;

struct SpecValue {
  enum class Kind : uint8_t {
    Bits,           // a number: `type` and `bits`
    NanCanonical,   // expected only: the canonical NaN of `type`, either sign
    NanArithmetic,  // expected only: any NaN of `type` with the top mantissa bit set
    Unsupported,    // v128, funcref, externref: named by `type_name`
  };
  Kind kind = Kind::Bits;
  WasmValType type = WasmValType::I32;
  uint64_t bits = 0;
  std::string type_name;  // as the JSON spells it: "i32", "v128", ...
};

struct SpecAction {
  enum class Kind : uint8_t { Invoke, Get };
  Kind kind = Kind::Invoke;
  std::optional<std::string> module;  // "$name" of a named module; else the current one
  std::string field;                  // the export
  std::vector<SpecValue> args;        // Invoke only
};

struct SpecCommand {
  enum class Kind : uint8_t {
    Module,
    Register,
    Action,
    AssertReturn,
    AssertTrap,
    AssertExhaustion,
    AssertException,
    AssertInvalid,
    AssertMalformed,
    AssertUnlinkable,
    AssertUninstantiable,
  };
  Kind kind = Kind::Module;
  uint32_t line = 0;
  std::string type_name;  // "module", "assert_return", ... as in the JSON
  // Module commands (Module and the assert_* on modules):
  std::string filename;      // beside the JSON
  bool text_module = false;  // module_type "text": a .wat for a text parser
  std::optional<std::string>
      name;          // Module: "$name"; Register: the module registered (else current)
  std::string as;    // Register: the name other modules import it by
  std::string text;  // assert_*: the failure the script expects
  // Action and the assert_* on actions:
  SpecAction action;
  std::vector<SpecValue> expected;  // AssertReturn only
};

struct SpecScript {
  std::string source_filename;
  std::vector<SpecCommand> commands;
};

// Reads and checks `json_path`. The error names the file and, for a bad command, its index
// and line.
Expected<SpecScript, std::string> read_spec_script(const std::string& json_path);

// "i32:-1", "f32:1.5 (0x3fc00000)", "f64:nan:canonical", "v128", for failure reports.
std::string to_string(const SpecValue& v);
// A WasmVal as to_string(SpecValue) prints a number: "i32:-1", "f32:nan (0x7fc00000)".
std::string describe(const WasmVal& v);
// True when `got` is what `expected` (Bits, NanCanonical or NanArithmetic) allows: the same
// type and, for Bits, the same bits.
bool matches(const SpecValue& expected, const WasmVal& got);

}  // namespace pd::spec
