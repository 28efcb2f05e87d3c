// Private to the wasm module: a rewrite that keeps WABT 1.0.32's interpreter from running on
// after an indirect call it could not make. Its Thread::DoCall ignores a failed frame push
// (call stack full) in call_indirect, return_call_indirect and call_ref: the trap is recorded,
// but the caller goes on as if the callee had returned, with the callee's arguments where its
// results should be - wrong values, or an assertion failure that aborts the process.
//
// The rewrite adds one function with an empty body (appended, so no index moves) and calls it
// right before every indirect call. A direct call traps properly when the frame stack is full;
// when it succeeds and returns, the slot it used is free for the indirect call that follows.
// The limit stays exactly max_call_depth, operands are untouched, and a metered module
// consumes the same fuel (the new calls and function carry no charges).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "pd/core/expected.h"

namespace pd::detail {

// `wasm` (valid) with every indirect call guarded, or nothing when it has no indirect call
// (then run it as it is).
Expected<std::vector<uint8_t>, std::string> guard_indirect_calls(std::span<const uint8_t> wasm);

}  // namespace pd::detail
