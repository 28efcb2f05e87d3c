// WasmVal: one WebAssembly number value crossing the host/guest boundary (arguments and results
// of WasmInstance::call). Only the four number types travel this way; vectors (v128) and
// references stay inside the guest, and an export that takes or returns one cannot be called.
//
// Equality is by type and bits: i32(1) != i64(1), a NaN equals itself when its bits match, and
// 0.0f != -0.0f. That is the comparison a deterministic runtime wants (replays compare bits).
#pragma once

#include <cstdint>
#include <cstring>
#include <iosfwd>
#include <string>

#include "pd/core/assert.h"

namespace pd {

// Every value type a module's signature can mention; WasmVal carries the first four.
enum class WasmValType : uint8_t { I32, I64, F32, F64, V128, FuncRef, ExternRef };

// "i32", "i64", "f32", "f64", "v128", "funcref", "externref" (WAT spelling).
const char* to_string(WasmValType t);

class WasmVal {
 public:
  WasmVal() : WasmVal(int32_t(0)) {}  // i32 0
  explicit WasmVal(int32_t v) : type_(WasmValType::I32), bits_(static_cast<uint32_t>(v)) {}
  explicit WasmVal(int64_t v) : type_(WasmValType::I64), bits_(static_cast<uint64_t>(v)) {}
  explicit WasmVal(float v) : type_(WasmValType::F32), bits_(float_bits(v)) {}
  explicit WasmVal(double v) : type_(WasmValType::F64), bits_(double_bits(v)) {}

  static WasmVal i32(int32_t v) { return WasmVal(v); }
  static WasmVal i64(int64_t v) { return WasmVal(v); }
  static WasmVal f32(float v) { return WasmVal(v); }
  static WasmVal f64(double v) { return WasmVal(v); }
  // From raw bits (the low 32 bits for i32 and f32), e.g. to build a NaN with a payload.
  static WasmVal from_bits(WasmValType type, uint64_t bits);

  WasmValType type() const { return type_; }
  bool is_i32() const { return type_ == WasmValType::I32; }
  bool is_i64() const { return type_ == WasmValType::I64; }
  bool is_f32() const { return type_ == WasmValType::F32; }
  bool is_f64() const { return type_ == WasmValType::F64; }

  // Reading a value as another type than it holds is a programmer error (asserts).
  int32_t as_i32() const {
    PD_ASSERT(is_i32(), "WasmVal read as i32 but holds another type");
    return static_cast<int32_t>(static_cast<uint32_t>(bits_));
  }
  int64_t as_i64() const {
    PD_ASSERT(is_i64(), "WasmVal read as i64 but holds another type");
    return static_cast<int64_t>(bits_);
  }
  float as_f32() const {
    PD_ASSERT(is_f32(), "WasmVal read as f32 but holds another type");
    uint32_t b = static_cast<uint32_t>(bits_);
    float f;
    std::memcpy(&f, &b, sizeof f);
    return f;
  }
  double as_f64() const {
    PD_ASSERT(is_f64(), "WasmVal read as f64 but holds another type");
    double d;
    std::memcpy(&d, &bits_, sizeof d);
    return d;
  }
  // The value's bits, zero-extended to 64 for i32 and f32.
  uint64_t bits() const { return bits_; }

  friend bool operator==(const WasmVal& a, const WasmVal& b) {
    return a.type_ == b.type_ && a.bits_ == b.bits_;
  }
  friend bool operator!=(const WasmVal& a, const WasmVal& b) { return !(a == b); }

 private:
  WasmVal(WasmValType type, uint64_t bits) : type_(type), bits_(bits) {}
  static uint64_t float_bits(float v) {
    uint32_t b;
    std::memcpy(&b, &v, sizeof b);
    return b;
  }
  static uint64_t double_bits(double v) {
    uint64_t b;
    std::memcpy(&b, &v, sizeof b);
    return b;
  }

  WasmValType type_;
  uint64_t bits_;
};

// "i32:42", "i64:-7", "f32:1.5", "f64:0.25" (what test failures print).
std::string to_string(const WasmVal& v);
std::ostream& operator<<(std::ostream& os, const WasmVal& v);

}  // namespace pd
