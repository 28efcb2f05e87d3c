// Test support for the wasm module: modules written as WAT inside the tests, turned into bytes
// with libwabt's text parser, then compiled and instantiated on a WasmHost.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "pd/wasm/wasm_host.h"
#include "pd/wasm/wat.h"

namespace pd::test {

// The bytes of the one module in `wat`. Not validated - tests of invalid modules need their
// bytes too. A WAT syntax error fails the current test with WABT's messages and returns {}.
inline std::vector<uint8_t> wat_to_wasm(std::string_view wat) {
  auto bytes = pd::wat_to_wasm(wat, "test.wat");
  if (!bytes) {
    ADD_FAILURE() << "the WAT does not parse:\n" << bytes.error() << "in:\n" << wat;
    return {};
  }
  return std::move(bytes).value();
}

// The WAT compiled on `host`; nullptr (and a failed test) when it does not compile.
inline std::shared_ptr<const WasmModule> compile_wat(const WasmHost& host, std::string_view wat) {
  auto module = host.compile(wat_to_wasm(wat));
  if (!module) {
    ADD_FAILURE() << "does not compile: " << to_string(module.error());
    return nullptr;
  }
  return module.value();
}

// The WAT compiled and instantiated on `host`; nullptr (and a failed test) on any error.
inline std::unique_ptr<WasmInstance> instantiate_wat(const WasmHost& host, std::string_view wat,
                                                     WasmImports imports = {},
                                                     const WasmLimits& limits = {}) {
  auto module = compile_wat(host, wat);
  if (!module) return nullptr;
  auto instance = host.instantiate(module, std::move(imports), limits);
  if (!instance) {
    ADD_FAILURE() << "does not instantiate: " << to_string(instance.error());
    return nullptr;
  }
  return std::move(instance).value();
}

// The error of an Expected that should hold one ({} and a failed test when it holds a value).
template <class T>
WasmError error_of(const Expected<T, WasmError>& result) {
  if (result) {
    ADD_FAILURE() << "expected an error, got a value";
    return {};
  }
  return result.error();
}

inline std::vector<uint8_t> bytes_of(std::string_view s) {
  return std::vector<uint8_t>(s.begin(), s.end());
}

inline std::string text_of(std::span<const uint8_t> bytes) {
  return std::string(bytes.begin(), bytes.end());
}

}  // namespace pd::test
