// Private to the wasm module: what the interpreter backend does about two defects of WABT
// 1.0.32's interpreter that a guest could otherwise use to abort the host process.
//
// Indirect calls. Its Thread::DoCall ignores a failed frame push (call stack full) in
// call_indirect and call_ref: the trap is recorded, but the caller goes on as if the callee
// had returned, with the callee's arguments where its results should be - wrong values, or an
// assertion failure that aborts the process. The module the interpreter runs gets one function
// with an empty body (appended, so no index moves), called right before every such call. A
// direct call traps properly when the frame stack is full; when it succeeds and returns, the
// slot it used is free for the indirect call that follows. The limit stays exactly
// max_call_depth, operands are untouched, and a metered module consumes the same fuel (the new
// calls and function carry no charges). return_call_indirect needs no guard: it replaces the
// caller's frame.
//
// Exception handlers. When it catches an exception, it resets the value stack below the
// catching frame's parameters and locals: the next access to one of them aborts the process
// (or reads another frame's values). A module with a function that has parameters or locals
// and an exception handler (try with catch, catch_all or delegate) is refused; the aot
// backend runs it.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "pd/core/expected.h"

namespace pd::detail {

// What the interpreter should run for `wasm` (valid): the bytes with every indirect call
// guarded, or an empty vector when `wasm` can run as it is. An error (the reason, naming the
// function) when the interpreter cannot run it safely.
Expected<std::vector<uint8_t>, std::string> prepare_for_interpreter(std::span<const uint8_t> wasm);

}  // namespace pd::detail
