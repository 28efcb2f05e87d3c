// ChildSpec: everything a supervisor needs to start, restart and stop one child.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "pd/actor/actor.h"
#include "pd/core/time.h"

namespace pd {

// When a supervisor restarts a child that stopped.
enum class RestartPolicy : uint8_t {
  Permanent,  // always (even after a normal stop)
  Transient,  // only after a failure (StopReason::Error or Killed)
  Temporary,  // never
};
const char* to_string(RestartPolicy p);

// How a child is stopped.
//   Timeout(d): graceful. The child stops accepting messages from others, drains what its
//     mailbox already accepted (it may still message itself), then on_stop runs. If that has
//     not finished d after the stop began, the child is killed: on_stop is skipped, the rest
//     of its mailbox is dropped and counted as dead letters, and the reason is Killed.
//   Brutal: stopped at once; on_stop is skipped and the mailbox dropped.
struct ShutdownPolicy {
  enum class Kind : uint8_t { Timeout, Brutal };
  Kind kind = Kind::Timeout;
  Duration timeout = std::chrono::seconds(5);
  static ShutdownPolicy with_timeout(Duration d) { return {Kind::Timeout, d}; }
  static ShutdownPolicy brutal() { return {Kind::Brutal, Duration::zero()}; }
};

enum class SupervisionStrategy : uint8_t {
  OneForOne,   // restart only the child that stopped
  OneForAll,   // stop the others (reverse start order), restart all (start order)
  RestForOne,  // stop the children started after it (reverse order), restart them in order
};
const char* to_string(SupervisionStrategy s);

// More than max_restarts restarts within `window` and the supervisor gives up: it fails
// itself, and its own supervisor decides what happens next.
struct RestartIntensity {
  uint32_t max_restarts = 3;
  Duration window = std::chrono::seconds(5);
};

// Which core an actor lives on under a MultiCoreEngine (a single Engine has one core and
// ignores it). By default the path hash modulo the core count; `on_core` pins it; with_parent
// keeps it on its parent's core (a subtree that talks mostly to itself stays together).
struct Placement {
  enum class Kind : uint8_t { PathHash, Core, WithParent };
  Kind kind = Kind::PathHash;
  uint32_t core = 0;  // Kind::Core

  static Placement path_hash() { return {}; }
  static Placement on_core(uint32_t c) { return {Kind::Core, c}; }
  static Placement with_parent() { return {Kind::WithParent, 0}; }
  bool operator==(const Placement&) const = default;
};

inline constexpr uint32_t kMailboxCapacityDefault = 1024;
inline constexpr uint32_t kMailboxCapacityMax = 1u << 20;

using ActorFactory = std::function<std::unique_ptr<Actor>()>;

struct ChildSpec {
  std::string name;  // one path segment: [A-Za-z0-9._:-]+
  ActorFactory factory;
  RestartPolicy restart = RestartPolicy::Permanent;
  ShutdownPolicy shutdown;
  uint32_t mailbox_capacity = kMailboxCapacityDefault;  // 1 .. kMailboxCapacityMax
  // How this actor supervises the children it spawns.
  SupervisionStrategy strategy = SupervisionStrategy::OneForOne;
  RestartIntensity intensity;
  Placement placement;

  ChildSpec() = default;
  ChildSpec(std::string n, ActorFactory f) : name(std::move(n)), factory(std::move(f)) {}
  ChildSpec& with_restart(RestartPolicy p) {
    restart = p;
    return *this;
  }
  ChildSpec& with_shutdown(ShutdownPolicy p) {
    shutdown = p;
    return *this;
  }
  ChildSpec& with_mailbox_capacity(uint32_t c) {
    mailbox_capacity = c;
    return *this;
  }
  ChildSpec& with_strategy(SupervisionStrategy s) {
    strategy = s;
    return *this;
  }
  ChildSpec& with_intensity(RestartIntensity i) {
    intensity = i;
    return *this;
  }
  ChildSpec& with_placement(Placement p) {
    placement = p;
    return *this;
  }
};

// Why a spawn was refused.
enum class SpawnError : uint8_t {
  InvalidName,     // not a valid path segment
  NameTaken,       // the parent already has a child with that name
  InvalidSpec,     // no factory, or a mailbox capacity outside 1 .. kMailboxCapacityMax
  ParentNotFound,  // no live actor at the parent path
  ParentStopping,  // the parent is stopping and takes no new children
  PathCollision,   // another path hashes to the same 64 bits (vanishingly rare)
  Unbound,         // the engine is not running
  NoSuchCore,      // Placement::on_core names a core the engine does not have
};
const char* to_string(SpawnError e);

}  // namespace pd
