// WasmError: what can go wrong between the host and a WebAssembly guest, as a value.
//
//   Compile        the bytes are not a valid module (WABT's diagnostic, with the section and
//                  byte offset where it found the problem)
//   Instantiation  a valid module that cannot run here: an import the guest ABI does not
//                  provide, memory or tables above the WasmLimits, a start function that trapped
//   Call           the host asked for something the module does not have: a missing export,
//                  arguments of the wrong number or type, fuel for an unmetered module
//   MemoryAccess   memory_read / memory_write outside the guest's linear memory
//   FuelExhausted  the metered guest spent its budget (it trapped with pd_fuel negative)
//   Trap           any other trap: unreachable, division by zero, out-of-bounds access by the
//                  guest, call stack exhausted, a host function that failed
//
// Messages name what is wrong and where; they are for people and logs, not for parsing.
#pragma once

#include <cstdint>
#include <string>
#include <utility>

namespace pd {

struct WasmError {
  enum class Kind : uint8_t { Compile, Instantiation, Call, MemoryAccess, FuelExhausted, Trap };
  Kind kind = Kind::Trap;
  std::string message;

  static WasmError compile(std::string m) { return {Kind::Compile, std::move(m)}; }
  static WasmError instantiation(std::string m) { return {Kind::Instantiation, std::move(m)}; }
  static WasmError call(std::string m) { return {Kind::Call, std::move(m)}; }
  static WasmError memory_access(std::string m) { return {Kind::MemoryAccess, std::move(m)}; }
  static WasmError fuel_exhausted(std::string m) { return {Kind::FuelExhausted, std::move(m)}; }
  static WasmError trap(std::string m) { return {Kind::Trap, std::move(m)}; }
  bool operator==(const WasmError&) const = default;
};

const char* to_string(WasmError::Kind k);  // "Compile", "FuelExhausted", ...
// "Compile: section 10 (code) at offset 0x4f: type mismatch in i32.add, ..." ("Kind" alone
// when the message is empty).
std::string to_string(const WasmError& e);

}  // namespace pd
