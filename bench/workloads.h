// The pd-bench workloads: each runs on a fresh engine and returns its figures.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace pd::bench {

// Figures in output order: name and already-formatted JSON value.
using Figures = std::vector<std::pair<std::string, std::string>>;

Figures pingpong(uint64_t round_trips);
Figures skynet(uint64_t leaves);
Figures fanin(uint64_t senders, uint64_t messages_per_sender);
Figures spawn_idle(uint64_t actors);
// The same over a MultiCoreEngine of `cores` cores (2 or more), the messages crossing cores.
Figures pingpong_multi(uint64_t round_trips, uint32_t cores);
Figures skynet_multi(uint64_t leaves, uint32_t cores);
Figures fanin_multi(uint64_t senders, uint64_t messages_per_sender, uint32_t cores);
// WASM guests (WasmActor) on a backend ("interp").
Figures wasm_pingpong(uint64_t round_trips, const std::string& backend);
Figures wasm_spawn(uint64_t actors, const std::string& backend);
Figures wasm_compute(uint64_t messages, bool fuel, const std::string& backend);
// Ping-pong under the simulator (hooks on, seeded scheduling, trace hashing, no faults).
Figures sim_pingpong(uint64_t round_trips);

}  // namespace pd::bench
