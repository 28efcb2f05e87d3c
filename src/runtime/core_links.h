// CoreLinks: what the cores of one MultiCoreEngine share. A ring for each ordered pair of
// cores (the only way anything crosses between loops), each core's engine for wake-ups, and
// the count of cores whose trees have shut down.
//
// What travels in a ring (CrossCoreItem), in order per pair, so a message sent before a
// Down or an exit report is handled before it:
//   - a message (envelope + payload), with its message id already assigned by the sender;
//   - a control step (a closure run on the receiving core's loop): spawns onto that core,
//     supervision between a parent and a child on different cores, monitors, ask watches;
//   - a message with a control step after it (an ask: the request, then its watch).
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <vector>

#include "pd/core/addr.h"
#include "pd/core/envelope.h"
#include "pd/core/fnv.h"
#include "pd/core/payload.h"
#include "pd/core/time.h"
#include "spsc_ring.h"

namespace pd::detail {

class EngineCore;

// Where the path hash puts an actor (Placement::path_hash). Mixed first: FNV's low bits
// follow the last characters of a path too closely.
inline uint32_t home_core_of(uint64_t path_hash, uint32_t cores) {
  return uint32_t(((path_hash * 0x9E3779B97F4A7C15ull) >> 32) % cores);
}

// The path whose home core takes a spawn of `name` under `parent` first. Every core has its
// own roots, so a top-level spawn goes to the new path's home core (which places it); below
// the roots, to the parent path's home core (which knows, or forwards to, where it lives).
inline uint64_t spawn_routing_hash(const ActorPath& parent, std::string_view name,
                                   bool* top_level) {
  *top_level = parent.str() == "/user" || parent.str() == "/system";
  return *top_level ? fnv1a64(name, fnv1a64("/", parent.hash())) : parent.hash();
}

using ControlStep = std::function<void(EngineCore&)>;

struct CrossCoreItem {
  Envelope envelope;
  MessagePayload payload;
  std::unique_ptr<ControlStep> control;  // run after delivering the message, if there is one
  bool has_message = false;
};

class CoreLinks {
 public:
  CoreLinks(uint32_t cores, uint32_t ring_capacity, Duration spin)
      : spin_before_sleep(spin), engines(cores, nullptr), cores_(cores) {
    rings_.reserve(size_t(cores) * cores);
    for (uint32_t i = 0; i < cores * cores; ++i)
      rings_.push_back(i / cores == i % cores
                           ? nullptr
                           : std::make_unique<SpscRing<CrossCoreItem>>(ring_capacity));
  }

  uint32_t cores() const { return cores_; }
  SpscRing<CrossCoreItem>& ring(uint32_t from, uint32_t to) { return *rings_[from * cores_ + to]; }

  uint32_t home_core(uint64_t path_hash) const { return home_core_of(path_hash, cores_); }

  bool has_input(uint32_t core) {
    for (uint32_t from = 0; from < cores_; ++from)
      if (from != core && !ring(from, core).empty()) return true;
    return false;
  }

  // A core whose trees have shut down keeps its loop running (children of its actors may
  // live elsewhere, and their exits come back through the rings) until every core is done.
  // True when this was the last.
  bool core_done() { return cores_done_.fetch_add(1, std::memory_order_acq_rel) + 1 == cores_; }
  bool all_done() const { return cores_done_.load(std::memory_order_acquire) == cores_; }

  const Duration spin_before_sleep;
  static constexpr uint32_t kDrainBatch = 1024;  // items taken from one ring per loop pass
  std::vector<EngineCore*> engines;              // set before any loop starts

 private:
  uint32_t cores_;
  std::vector<std::unique_ptr<SpscRing<CrossCoreItem>>> rings_;
  std::atomic<uint32_t> cores_done_{0};
};

}  // namespace pd::detail
