// Helpers for the fuel meter specs (wasm_meter_test.cpp):
//   wat_to_wasm       WAT text -> binary, with libwabt's parser
//   validation_errors a binary checked by libwabt's reader and validator ("" when valid)
//   read_ir           a binary decoded into WABT's IR, to look at imports, exports and globals
//   custom_section, section_names, nested_blocks: binaries built and read by hand
//   Interp            runs modules under WABT's interpreter and reports calls and fuel
//
// Interp drives WABT's interpreter through spectest-interp (the same libwabt 1.0.32, from
// Debian's wabt package) rather than wabt::interp in-process: wabt/interp/interp-inl.h of
// 1.0.32 defines destructors as `FreeList<T>::~FreeList<T>()`, which C++20 forbids (DR 2237)
// and g++ 12 rejects as a hard error, so the header cannot be included from this C++20 target.
// Interp writes the modules and a spectest JSON script (modules, registrations, invocations) to
// a scratch folder, runs it and parses one "name(args) => results" line per invocation.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "wabt/binary-reader-ir.h"
#include "wabt/binary-reader.h"
#include "wabt/binary-writer.h"
#include "wabt/ir.h"
#include "wabt/resolve-names.h"
#include "wabt/stream.h"
#include "wabt/validator.h"
#include "wabt/wast-lexer.h"
#include "wabt/wast-parser.h"

namespace pd::test {

using Bytes = std::vector<uint8_t>;

// The features the meter accepts (and the interpreter is run with): WABT's defaults plus
// exceptions, tail calls, threads, multi-memory and extended constants.
inline wabt::Features meter_test_features() {
  wabt::Features features;
  features.enable_exceptions();
  features.enable_tail_call();
  features.enable_threads();
  features.enable_multi_memory();
  features.enable_extended_const();
  return features;
}

inline std::string error_text(const wabt::Errors& errors) {
  std::string text;
  for (const wabt::Error& e : errors) text += e.message + "\n";
  return text;
}

// WAT text to a binary module; with `names`, the binary carries a "name" custom section.
inline Bytes wat_to_wasm(std::string_view wat, bool names = false) {
  wabt::Errors errors;
  auto lexer = wabt::WastLexer::CreateBufferLexer("test.wat", wat.data(), wat.size(), &errors);
  wabt::WastParseOptions parse_options(meter_test_features());
  std::unique_ptr<wabt::Module> module;
  if (wabt::Failed(wabt::ParseWatModule(lexer.get(), &module, &errors, &parse_options)) ||
      wabt::Failed(wabt::ResolveNamesModule(module.get(), &errors)) ||
      wabt::Failed(wabt::ValidateModule(module.get(), &errors,
                                        wabt::ValidateOptions(meter_test_features())))) {
    ADD_FAILURE() << "test WAT does not compile:\n" << error_text(errors) << wat;
    return {};
  }
  wabt::MemoryStream stream;
  wabt::WriteBinaryOptions write_options(meter_test_features(), true, false, names);
  if (wabt::Failed(wabt::WriteBinaryModule(&stream, module.get(), write_options))) {
    ADD_FAILURE() << "WABT could not write the test module";
    return {};
  }
  return stream.output_buffer().data;
}

// Decodes a binary into WABT's IR (names included); null, with a test failure, if it fails.
inline std::unique_ptr<wabt::Module> read_ir(std::span<const uint8_t> wasm) {
  wabt::Errors errors;
  auto module = std::make_unique<wabt::Module>();
  wabt::ReadBinaryOptions options(meter_test_features(), nullptr, /*read_debug_names=*/true,
                                  /*stop_on_first_error=*/true,
                                  /*fail_on_custom_section_error=*/true);
  if (wabt::Failed(wabt::ReadBinaryIr("test.wasm", wasm.data(), wasm.size(), options, &errors,
                                      module.get()))) {
    ADD_FAILURE() << "binary does not decode:\n" << error_text(errors);
    return nullptr;
  }
  return module;
}

// "" when `wasm` decodes and validates; otherwise WABT's messages.
inline std::string validation_errors(std::span<const uint8_t> wasm) {
  wabt::Errors errors;
  wabt::Module module;
  wabt::ReadBinaryOptions options(meter_test_features(), nullptr, true, true, true);
  if (wabt::Failed(
          wabt::ReadBinaryIr("test.wasm", wasm.data(), wasm.size(), options, &errors, &module))) {
    return "does not decode: " + error_text(errors);
  }
  if (wabt::Failed(
          wabt::ValidateModule(&module, &errors, wabt::ValidateOptions(meter_test_features())))) {
    return "does not validate: " + error_text(errors);
  }
  return "";
}

// ---------------------------------------------------------------------------------------------
// Hand-built binaries.

// A custom section of `name` (shorter than 128 bytes) holding `data`.
inline Bytes custom_section(const std::string& name, const std::string& data) {
  const std::string payload = char(name.size()) + name + data;
  Bytes section{0, uint8_t(payload.size())};
  for (char c : payload) section.push_back(uint8_t(c));
  return section;
}

// Names of the custom sections of `wasm`, in order, with "#<id>" for the other sections
// (custom section names shorter than 128 bytes).
inline std::vector<std::string> section_names(const Bytes& wasm) {
  std::vector<std::string> names;
  size_t pos = 8;
  while (pos < wasm.size()) {
    uint8_t id = wasm[pos++];
    uint32_t size = 0;
    for (int shift = 0;; shift += 7) {
      uint8_t b = wasm.at(pos++);
      size |= uint32_t(b & 0x7f) << shift;
      if (!(b & 0x80)) break;
    }
    if (id == 0) {
      names.emplace_back(reinterpret_cast<const char*>(&wasm[pos + 1]), wasm[pos]);
    } else {
      names.push_back("#" + std::to_string(id));
    }
    pos += size;
  }
  return names;
}

// A module of one (func) whose body is `depth` nested empty blocks.
inline Bytes nested_blocks(uint32_t depth) {
  Bytes body{0};  // no locals
  for (uint32_t i = 0; i < depth; ++i) body.insert(body.end(), {0x02, 0x40});
  body.insert(body.end(), depth + 1, 0x0b);
  auto leb = [](Bytes& out, uint32_t v) {
    do {
      uint8_t b = v & 0x7f;
      v >>= 7;
      out.push_back(v ? (b | 0x80) : b);
    } while (v);
  };
  Bytes code;
  leb(code, 1);
  leb(code, uint32_t(body.size()));
  code.insert(code.end(), body.begin(), body.end());
  Bytes wasm = {0, 'a', 's', 'm', 1, 0, 0, 0, 1, 4, 1, 0x60, 0, 0, 3, 2, 1, 0, 10};
  leb(wasm, uint32_t(code.size()));
  wasm.insert(wasm.end(), code.begin(), code.end());
  return wasm;
}

// ---------------------------------------------------------------------------------------------
// Running modules.

// One invocation's outcome as spectest-interp prints it: "i32:5", "i64:18446744073709551615"
// (i64 printed unsigned); a trap as its message.
struct Outcome {
  bool trapped = false;
  std::string trap;                 // e.g. "unreachable executed"
  std::vector<std::string> values;  // e.g. {"i32:5"}

  std::string str() const {
    if (trapped) return "trap: " + trap;
    std::string s;
    for (const std::string& v : values) s += (s.empty() ? "" : ", ") + v;
    return s;
  }
  int64_t i64() const {
    EXPECT_FALSE(trapped) << trap;
    if (trapped || values.size() != 1 || values[0].rfind("i64:", 0) != 0) {
      ADD_FAILURE() << "not one i64 result: " << str();
      return 0;
    }
    return int64_t(std::strtoull(values[0].c_str() + 4, nullptr, 10));
  }
  bool operator==(const Outcome&) const = default;
};

inline std::ostream& operator<<(std::ostream& os, const Outcome& o) {
  return os << o.str();
}

// An argument of an invocation, as spectest JSON spells it.
struct Arg {
  static Arg i32(int32_t v) { return {"i32", std::to_string(uint32_t(v))}; }
  static Arg i64(int64_t v) { return {"i64", std::to_string(uint64_t(v))}; }
  std::string type;
  std::string value;  // the bit pattern as an unsigned decimal
};

// A script of module instantiations and calls, run in order by WABT's interpreter.
class Interp {
 public:
  Interp() {
    std::string pattern = (std::filesystem::temp_directory_path() / "pd-meter-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) {
      std::perror("mkdtemp");
      std::abort();
    }
    dir_ = pattern;
  }
  ~Interp() {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  Interp(const Interp&) = delete;
  Interp& operator=(const Interp&) = delete;

  // Instantiates `wasm` as `name` (letters, digits, '_'); later modules can import its exports
  // from module `name`. The spectest module of the interpreter is available as "spectest".
  void instantiate(const std::string& name, std::span<const uint8_t> wasm) {
    std::string file = name + "." + std::to_string(commands_.size()) + ".wasm";
    std::ofstream(dir_ / file, std::ios::binary)
        .write(reinterpret_cast<const char*>(wasm.data()), std::streamsize(wasm.size()));
    add("module", R"("name": "$)" + name + R"(", "filename": ")" + file + R"(")");
    add("register", R"("name": "$)" + name + R"(", "as": ")" + name + R"(")");
  }

  // Queues a call of export `func` of module `name`.
  void call(const std::string& name, const std::string& func, const std::vector<Arg>& args = {}) {
    std::string json_args;
    for (const Arg& a : args) {
      json_args += std::string(json_args.empty() ? "" : ", ") + R"({"type": ")" + a.type +
                   R"(", "value": ")" + a.value + R"("})";
    }
    add("action", R"("action": {"type": "invoke", "module": "$)" + name + R"(", "field": ")" +
                      func + R"(", "args": [)" + json_args + "]}, \"expected\": []");
    ++calls_;
  }

  // Queues a read of the mutable i64 global `global` exported by module `name`, through a
  // small module that imports it (spectest "get" actions print nothing).
  void read_i64(const std::string& name, const std::string& global = "pd_fuel") {
    std::string reader = "read_" + name + "_" + global;
    if (readers_.insert(reader).second) {
      instantiate(reader, wat_to_wasm(R"((module (import ")" + name + R"(" ")" + global +
                                      R"(" (global (mut i64)))
                                         (func (export "get") (result i64) (global.get 0))))"));
    }
    call(reader, "get");
  }

  // Runs the script; one outcome per call() and read_i64(), in order. Failures of the run
  // itself (a module that does not instantiate, ...) are test failures.
  std::vector<Outcome> run() {
    {
      std::ofstream json(dir_ / "script.json");
      json << R"({"source_filename": "meter_test.wast", "commands": [)"
           << "\n";
      for (size_t i = 0; i < commands_.size(); ++i) {
        json << (i ? ",\n" : "") << commands_[i];
      }
      json << "]}\n";
    }
    // `timeout`, so that a metering bug that lets a loop run forever fails instead of hanging.
    std::string command =
        "timeout 120 spectest-interp --enable-exceptions --enable-tail-call "
        "--enable-threads --enable-multi-memory --enable-extended-const '" +
        (dir_ / "script.json").string() + "' 2>&1";
    std::string output;
    if (FILE* pipe = popen(command.c_str(), "r")) {
      char buffer[4096];
      while (size_t n = std::fread(buffer, 1, sizeof buffer, pipe)) output.append(buffer, n);
      pclose(pipe);
    }
    std::vector<Outcome> outcomes;
    size_t pos = 0;
    while (pos < output.size()) {
      size_t end = output.find('\n', pos);
      if (end == std::string::npos) end = output.size();
      std::string line = output.substr(pos, end - pos);
      pos = end + 1;
      size_t arrow = line.find(") =>");
      if (arrow == std::string::npos) continue;
      outcomes.push_back(parse_outcome(line.substr(arrow + 4)));
    }
    EXPECT_EQ(outcomes.size(), calls_) << "spectest-interp output:\n" << output;
    outcomes.resize(calls_);
    return outcomes;
  }

 private:
  static Outcome parse_outcome(std::string rest) {
    Outcome outcome;
    if (!rest.empty() && rest[0] == ' ') rest.erase(0, 1);
    if (rest.rfind("error: ", 0) == 0) {
      outcome.trapped = true;
      outcome.trap = rest.substr(7);
      return outcome;
    }
    size_t start = 0;
    while (start < rest.size()) {
      size_t comma = rest.find(", ", start);
      if (comma == std::string::npos) comma = rest.size();
      outcome.values.push_back(rest.substr(start, comma - start));
      start = comma + 2;
    }
    return outcome;
  }

  // spectest-interp wants "type" then "line" first; the line numbers its messages.
  void add(const std::string& type, const std::string& fields) {
    commands_.push_back(R"({"type": ")" + type + R"(", "line": )" +
                        std::to_string(commands_.size() + 1) + ", " + fields + "}");
  }

  std::filesystem::path dir_;
  std::vector<std::string> commands_;
  std::set<std::string> readers_;
  size_t calls_ = 0;
};

}  // namespace pd::test
