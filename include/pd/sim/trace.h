// Trace: every decision and delivery of a simulated run, folded into a running hash, and kept
// as readable lines when asked. The hash is over fixed-width binary fields (never over
// formatted text or pointers), so a seed gives the same hash on every machine and build.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "pd/core/time.h"

namespace pd {

class Trace {
 public:
  enum class Kind : uint8_t {
    Turn = 1,
    Deliver,
    Send,
    Fault,
    Lifecycle,
    DeadLetter,
    Pick,
    Invariant,
    Note
  };

  explicit Trace(bool keep_lines = false) : keep_lines_(keep_lines) {}

  // Folds one event into the hash; `line` (built only when keep_lines()) is its readable form.
  void record(Kind kind, Instant at, uint64_t a, uint64_t b, uint64_t c, std::string line = {}) {
    mix(uint64_t(kind));
    mix(uint64_t(at.time_since_epoch().count()));
    mix(a);
    mix(b);
    mix(c);
    ++events_;
    if (keep_lines_) lines_.push_back(std::move(line));
  }
  uint64_t hash() const { return hash_ ^ (hash_ >> 29); }
  uint64_t events() const { return events_; }
  bool keep_lines() const { return keep_lines_; }
  const std::vector<std::string>& lines() const { return lines_; }

 private:
  void mix(uint64_t w) {
    hash_ ^= w;
    hash_ *= 0x9e3779b97f4a7c15ull;
    hash_ ^= hash_ >> 32;
  }
  uint64_t hash_ = 0xcbf29ce484222325ull;
  uint64_t events_ = 0;
  bool keep_lines_;
  std::vector<std::string> lines_;
};

}  // namespace pd
