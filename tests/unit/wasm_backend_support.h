// Test support for running the WASM suites on every backend: value-parameterized tests whose
// parameter is the backend's name ("interp", "aot"), and one shared host per backend.
//
//   class MyWasmTest : public pd::test::WasmBackendTest {};
//   TEST_P(MyWasmTest, something) { auto inst = instantiate_wat(*host, ...); ... }
//   PD_INSTANTIATE_WASM_BACKENDS(MyWasmTest);   // Backend/MyWasmTest.something/interp, .../aot
//
// The aot host compiles each distinct module once (wasm2c + cc, ~0.2 s) and caches the shared
// object in $PD_CACHE_DIR (see aot_host.h), so tests reuse modules where that is natural.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "pd/wasm/aot_host.h"
#include "pd/wasm/wasm_host.h"

namespace pd::test {

inline const std::vector<std::string>& wasm_backends() {
  static const std::vector<std::string> names = {"interp", "aot"};
  return names;
}

// The host of `backend` ("interp" or "aot"): one instance per backend for the whole process
// (hosts are immutable and safe to share between tests and threads).
inline std::shared_ptr<const WasmHost> host_for(const std::string& backend) {
  static const std::shared_ptr<const WasmHost> interp = make_interp_host();
  static const std::shared_ptr<const WasmHost> aot = make_aot_host();
  if (backend == "aot") return aot;
  if (backend != "interp") ADD_FAILURE() << "no WASM backend named '" << backend << "'";
  return interp;
}

// The backend that is not `backend`.
inline std::string other_backend(const std::string& backend) {
  return backend == "aot" ? "interp" : "aot";
}

// Test names end in the backend: "Backend/WasmHostTest.calls_.../interp".
inline std::string backend_test_name(const ::testing::TestParamInfo<std::string>& info) {
  return info.param;
}

// The base of a parameterized WASM test: `host` is the backend's shared host.
class WasmBackendTest : public ::testing::TestWithParam<std::string> {
 protected:
  const std::string& backend() const { return GetParam(); }
  bool is_aot() const { return GetParam() == "aot"; }
  // What the test expects on this backend, where the backends legitimately differ (the
  // wording of some trap messages, see aot_host.cpp's trap_message()).
  template <class T>
  const T& per_backend(const T& interp, const T& aot) const {
    return is_aot() ? aot : interp;
  }
  std::string per_backend(const char* interp, const char* aot) const {
    return is_aot() ? aot : interp;
  }

  std::shared_ptr<const WasmHost> host = host_for(GetParam());
};

}  // namespace pd::test

#define PD_INSTANTIATE_WASM_BACKENDS(Suite)                                                  \
  INSTANTIATE_TEST_SUITE_P(Backend, Suite, ::testing::ValuesIn(::pd::test::wasm_backends()), \
                           ::pd::test::backend_test_name)
