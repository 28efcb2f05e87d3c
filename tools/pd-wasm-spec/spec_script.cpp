#include "spec_script.h"

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string_view>

namespace pd::spec {

namespace {

using nlohmann::json;

// Thrown while converting one command; read_spec_script() turns it into the error value, with
// the command's index and line. (Only inside this file: the reader's interface is Expected.)
struct BadField {
  std::string what;
};

const json& field(const json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end()) throw BadField{std::string("no \"") + key + "\""};
  return *it;
}

std::string string_field(const json& object, const char* key) {
  const json& v = field(object, key);
  if (!v.is_string()) throw BadField{std::string("\"") + key + "\" is not a string"};
  return v.get<std::string>();
}

std::optional<std::string> optional_string(const json& object, const char* key) {
  if (!object.contains(key)) return std::nullopt;
  return string_field(object, key);
}

uint64_t parse_bits(const std::string& text, uint64_t max, const std::string& type) {
  if (text.empty() || text[0] < '0' || text[0] > '9')
    throw BadField{"value \"" + text + "\" of a " + type + " is not an unsigned number"};
  errno = 0;
  char* end = nullptr;
  unsigned long long v = std::strtoull(text.c_str(), &end, 10);
  if (*end != '\0' || errno == ERANGE || v > max)
    throw BadField{"value \"" + text + "\" of a " + type + " is not a " + type + " bit pattern"};
  return v;
}

SpecValue read_value(const json& v, bool expected) {
  if (!v.is_object()) throw BadField{"a value is not an object"};
  SpecValue out;
  out.type_name = string_field(v, "type");
  struct NumberType {
    const char* name;
    WasmValType type;
    uint64_t max;
  };
  static constexpr NumberType numbers[] = {{"i32", WasmValType::I32, UINT32_MAX},
                                           {"i64", WasmValType::I64, UINT64_MAX},
                                           {"f32", WasmValType::F32, UINT32_MAX},
                                           {"f64", WasmValType::F64, UINT64_MAX}};
  for (const NumberType& n : numbers) {
    if (out.type_name != n.name) continue;
    out.type = n.type;
    std::string text = string_field(v, "value");
    bool is_float = n.type == WasmValType::F32 || n.type == WasmValType::F64;
    if (is_float && expected && text == "nan:canonical") {
      out.kind = SpecValue::Kind::NanCanonical;
    } else if (is_float && expected && text == "nan:arithmetic") {
      out.kind = SpecValue::Kind::NanArithmetic;
    } else {
      out.bits = parse_bits(text, n.max, out.type_name);
    }
    return out;
  }
  if (out.type_name == "v128") {
    out.type = WasmValType::V128;
  } else if (out.type_name == "funcref") {
    out.type = WasmValType::FuncRef;
  } else if (out.type_name == "externref") {
    out.type = WasmValType::ExternRef;
  } else {
    throw BadField{"unknown value type \"" + out.type_name + "\""};
  }
  out.kind = SpecValue::Kind::Unsupported;
  return out;
}

std::vector<SpecValue> read_values(const json& object, const char* key, bool expected) {
  const json& list = field(object, key);
  if (!list.is_array()) throw BadField{std::string("\"") + key + "\" is not a list"};
  std::vector<SpecValue> out;
  for (const json& v : list) out.push_back(read_value(v, expected));
  return out;
}

SpecAction read_action(const json& command) {
  const json& a = field(command, "action");
  if (!a.is_object()) throw BadField{"\"action\" is not an object"};
  SpecAction out;
  std::string type = string_field(a, "type");
  out.module = optional_string(a, "module");
  out.field = string_field(a, "field");
  if (type == "invoke") {
    out.kind = SpecAction::Kind::Invoke;
    out.args = read_values(a, "args", false);
  } else if (type == "get") {
    out.kind = SpecAction::Kind::Get;
  } else {
    throw BadField{"unknown action type \"" + type + "\""};
  }
  return out;
}

struct KindName {
  const char* name;
  SpecCommand::Kind kind;
  bool on_module;  // a module file (else an action, or Register)
};
constexpr KindName command_kinds[] = {
    {"module", SpecCommand::Kind::Module, true},
    {"register", SpecCommand::Kind::Register, false},
    {"action", SpecCommand::Kind::Action, false},
    {"assert_return", SpecCommand::Kind::AssertReturn, false},
    {"assert_trap", SpecCommand::Kind::AssertTrap, false},
    {"assert_exhaustion", SpecCommand::Kind::AssertExhaustion, false},
    {"assert_exception", SpecCommand::Kind::AssertException, false},
    {"assert_invalid", SpecCommand::Kind::AssertInvalid, true},
    {"assert_malformed", SpecCommand::Kind::AssertMalformed, true},
    {"assert_unlinkable", SpecCommand::Kind::AssertUnlinkable, true},
    {"assert_uninstantiable", SpecCommand::Kind::AssertUninstantiable, true},
};

SpecCommand read_command(const json& c) {
  if (!c.is_object()) throw BadField{"not an object"};
  SpecCommand out;
  out.type_name = string_field(c, "type");
  const json& line = field(c, "line");
  if (!line.is_number_unsigned() || line.get<uint64_t>() > UINT32_MAX)
    throw BadField{"\"line\" is not a line number"};
  out.line = line.get<uint32_t>();
  const KindName* kind = nullptr;
  for (const KindName& k : command_kinds)
    if (out.type_name == k.name) kind = &k;
  if (kind == nullptr) throw BadField{"unknown command type \"" + out.type_name + "\""};
  out.kind = kind->kind;
  if (c.contains("text")) out.text = string_field(c, "text");
  if (kind->on_module) {
    out.filename = string_field(c, "filename");
    if (out.filename.empty() || out.filename.find('/') != std::string::npos)
      throw BadField{"\"filename\" is not a file name beside the script"};
    std::string module_type = optional_string(c, "module_type").value_or("binary");
    if (module_type != "binary" && module_type != "text")
      throw BadField{"unknown module_type \"" + module_type + "\""};
    out.text_module = module_type == "text";
    out.name = optional_string(c, "name");
  } else if (out.kind == SpecCommand::Kind::Register) {
    out.name = optional_string(c, "name");
    out.as = string_field(c, "as");
  } else {
    out.action = read_action(c);
    // Other commands on actions list "expected" too, as types without values (the results the
    // action would have had): only assert_return has values to check.
    if (out.kind == SpecCommand::Kind::AssertReturn)
      out.expected = read_values(c, "expected", true);
  }
  return out;
}

std::string hex(uint64_t bits, int digits) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%0*" PRIx64, digits, bits);
  return buf;
}

std::string number_text(WasmValType type, uint64_t bits) {
  char buf[64];
  switch (type) {
    case WasmValType::I32: return "i32:" + std::to_string(int32_t(uint32_t(bits)));
    case WasmValType::I64: return "i64:" + std::to_string(int64_t(bits));
    case WasmValType::F32: {
      uint32_t b = uint32_t(bits);
      float f;
      std::memcpy(&f, &b, sizeof f);
      std::snprintf(buf, sizeof buf, "%.9g", double(f));
      return std::string("f32:") + buf + " (" + hex(b, 8) + ")";
    }
    case WasmValType::F64: {
      double d;
      std::memcpy(&d, &bits, sizeof d);
      std::snprintf(buf, sizeof buf, "%.17g", d);
      return std::string("f64:") + buf + " (" + hex(bits, 16) + ")";
    }
    default: return to_string(type);
  }
}

}  // namespace

Expected<SpecScript, std::string> read_spec_script(const std::string& json_path) {
  std::ifstream in(json_path, std::ios::binary | std::ios::ate);
  if (!in) return Unexpected{"cannot open " + json_path + ": " + std::strerror(errno)};
  std::streamoff size = in.tellg();
  if (size < 0 || uint64_t(size) > script_bytes_max)
    return Unexpected{json_path + ": size unknown or above " + std::to_string(script_bytes_max) +
                      " bytes"};
  in.seekg(0);
  json doc = json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return Unexpected{json_path + ": not valid JSON"};
  if (!doc.is_object() || !doc.contains("commands") || !doc["commands"].is_array())
    return Unexpected{json_path + ": no \"commands\" list (not a wast2json output?)"};
  SpecScript script;
  if (doc.contains("source_filename") && doc["source_filename"].is_string())
    script.source_filename = doc["source_filename"].get<std::string>();
  const json& commands = doc["commands"];
  for (size_t i = 0; i < commands.size(); ++i) {
    try {
      script.commands.push_back(read_command(commands[i]));
    } catch (const BadField& bad) {
      std::string where = json_path + ": command " + std::to_string(i);
      if (commands[i].is_object() && commands[i].contains("line"))
        where += " (line " + commands[i]["line"].dump() + ")";
      return Unexpected{where + ": " + bad.what};
    } catch (const json::exception& e) {
      return Unexpected{json_path + ": command " + std::to_string(i) + ": " + e.what()};
    }
  }
  return script;
}

std::string to_string(const SpecValue& v) {
  switch (v.kind) {
    case SpecValue::Kind::Bits: return number_text(v.type, v.bits);
    case SpecValue::Kind::NanCanonical: return v.type_name + ":nan:canonical";
    case SpecValue::Kind::NanArithmetic: return v.type_name + ":nan:arithmetic";
    case SpecValue::Kind::Unsupported: return v.type_name;
  }
  return v.type_name;
}

std::string describe(const WasmVal& v) {
  return number_text(v.type(), v.bits());
}

bool matches(const SpecValue& expected, const WasmVal& got) {
  if (expected.kind == SpecValue::Kind::Unsupported || got.type() != expected.type) return false;
  if (expected.kind == SpecValue::Kind::Bits) return got.bits() == expected.bits;
  // NaN patterns. Canonical: exponent all ones, only the top mantissa bit set, either sign.
  // Arithmetic: exponent all ones and the top mantissa bit set (the rest anything).
  const bool f32 = expected.type == WasmValType::F32;
  const uint64_t sign = f32 ? 0x80000000ull : 0x8000000000000000ull;
  const uint64_t quiet_nan = f32 ? 0x7fc00000ull : 0x7ff8000000000000ull;
  if (expected.kind == SpecValue::Kind::NanCanonical) return (got.bits() & ~sign) == quiet_nan;
  return (got.bits() & quiet_nan) == quiet_nan;
}

}  // namespace pd::spec
