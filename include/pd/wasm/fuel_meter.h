// Fuel metering: a WASM-to-WASM pass that makes a module count its own work.
//
// Fuel is a property of the module, not of the engine: the pass rewrites a module so that it
// charges an exported global for the instructions it runs and traps when the global goes
// negative. Both backends (interpreter and wasm2c) then meter identically, and the simulator
// replays metered actors exactly. `pd wasm meter IN OUT [--fuel N]` exposes the pass.
//
// What the metered module looks like
//   - One new global, appended after every imported and defined global (so no existing index
//     moves): mutable i64, initial value MeterOptions::initial_fuel, exported as "pd_fuel".
//     The host writes it to set a budget and reads it to learn what is left.
//   - No new imports, no new locals, no new functions: a metered module instantiates wherever
//     the original did, and every export and import of the original is kept as it was.
//   - Custom sections are kept (moved to the end, in their original order), except those that
//     describe code byte offsets, which the rewrite would make stale: ".debug_*", "reloc.*",
//     "linking", "sourceMappingURL" and "metadata.code.*".
//
// Cost model (deterministic: same module, input and budget -> same fuel, on any backend)
//   - Every instruction of a function body costs 1, structured ones (block, loop, if, try)
//     and branches and calls included. The delimiters else, end, catch, catch_all and
//     delegate cost nothing, nor does the code the pass inserts. A bulk instruction
//     (memory.fill, memory.copy, table.init, ...) costs 1 whatever its length.
//   - Fuel is charged per basic block, in full, when the block is entered. Basic blocks start
//     at a function's entry, a loop's body, each arm of an if, each catch handler, after the
//     end of any block/loop/if/try, and after br_if and every call (call, call_indirect,
//     call_ref), so a call that returns or throws has paid only for what ran before it.
//     A block or try body continues the basic block that holds the block instruction.
//   - One exception, for speed: when a loop's first basic block ends in a br_if that leaves the
//     loop (to a label taking no values) and code follows it, the loop's head charges that
//     block and the one after the br_if together, and taking the exit gives the second back
//     (the br_if becomes `if (then pd_fuel += refund; br)`). A tight loop then pays one charge
//     and one check per turn, instead of two charges and a check that keep the C compiler from
//     keeping the counter in one register (measured: a third of a 4-instruction loop's speed).
//   - Hence: a call into a metered module that does not trap consumes exactly as much fuel as
//     it executed instructions. One that traps has paid for the whole basic block holding the
//     trapping instruction (and, in a merged loop head, for the block after its exit test).
//   - Unreachable code (after br, br_table, return, return_call*, throw, rethrow, unreachable
//     in the same instruction sequence) is left as it was and costs nothing.
//
// Exhaustion
//   - At every function entry and every loop body, after that basic block is charged, the
//     module checks `pd_fuel < 0` and, if so, executes `unreachable`. Every cycle of control
//     (loop or recursion) passes one of these checks, so once the fuel is negative the module
//     runs at most a bounded straight-line stretch per active frame before it traps.
//   - A merged loop head checks after charging both blocks, so its last turn needs fuel for
//     the block after the exit test too, though the exit gives it back: a run completes when
//     its budget covers its cost plus that block's.
//   - Running out therefore traps with pd_fuel negative: the host tells it from every other
//     trap by reading pd_fuel < 0 after the trap (report FuelExhausted). A trap with pd_fuel
//     negative means the budget was spent, whichever instruction trapped first.
//   - A call can also return normally with pd_fuel negative, when the budget ran out in the
//     straight-line code after its last check (at most that code, per active frame). The
//     module then runs nothing more: the next call of any of its functions traps at entry.
//   - A budget is a value >= 0. The budget a metered module starts with is initial_fuel;
//     the default, INT64_MAX, makes a metered module run elsewhere behave as the original.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "pd/core/expected.h"

namespace pd {

// The export name of the fuel global. The host layer relies on exactly this name.
inline constexpr std::string_view fuel_export_name = "pd_fuel";

struct MeterOptions {
  // The value pd_fuel holds when the module is instantiated (start function included).
  // At most INT64_MAX: the global is a signed i64, and negative means exhausted.
  uint64_t initial_fuel = INT64_MAX;
};

struct MeterError {
  enum class Kind {
    Unreadable,      // not a WebAssembly binary WABT can decode
    Invalid,         // decodes, but does not validate
    AlreadyMetered,  // already exports "pd_fuel"
    BadOptions,      // e.g. initial_fuel above INT64_MAX
    TooComplex,      // beyond a limit of the pass (e.g. nesting_depth_max)
  };
  Kind kind = Kind::Unreadable;
  std::string message;  // names what is wrong, with WABT's diagnostics where it has them
};

const char* to_string(MeterError::Kind kind);

// Blocks nested deeper than this are refused rather than risking the native stack: the
// rewrite and WABT's binary writer both recurse once per nesting level, about 130 bytes a
// level, so a module at the limit needs about 1.3 MiB of stack (run the pass on a thread
// with 2 MiB or more; the main thread and std::thread have 8 MiB on Linux).
inline constexpr uint32_t meter_nesting_depth_max = 10'000;

// Meters `wasm` (a binary module). Input must be valid under WABT 1.0.32 with its default
// features plus exceptions, tail calls, threads, multi-memory and extended constants.
// The output always validates (checked before it is returned).
Expected<std::vector<uint8_t>, MeterError> meter_module(std::span<const uint8_t> wasm,
                                                        const MeterOptions& options = {});

}  // namespace pd
