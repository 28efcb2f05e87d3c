// What the pd-bench workloads share: number formatting, the spawn spec they use, RSS, and
// the engine configuration every workload runs on.
#pragma once

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <stdexcept>
#include <string>

#include "pd/runtime/engine.h"

namespace pd::bench {

inline std::string num(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}
inline std::string num(uint64_t v) {
  return std::to_string(v);
}

// Workload actors are Temporary: they are never restarted behind the benchmark's back.
inline ChildSpec spec(std::string name, ActorFactory f,
                      uint32_t mailbox = kMailboxCapacityDefault) {
  return ChildSpec(std::move(name), std::move(f))
      .with_restart(RestartPolicy::Temporary)
      .with_mailbox_capacity(mailbox);
}

inline AddrHash must(Expected<AddrHash, SpawnError> r, const char* what) {
  if (!r)
    throw std::runtime_error(std::string("spawn of ") + what + " failed: " + to_string(r.error()));
  return *r;
}

inline uint64_t rss_bytes() {
  std::ifstream statm("/proc/self/statm");
  uint64_t size = 0, resident = 0;
  statm >> size >> resident;
  return resident * uint64_t(sysconf(_SC_PAGESIZE));
}

// fanin's sender: pushes `count` Items at `to`, at most `burst` per turn; on MailboxFull the
// rest waits for its next turn (a Go it sends itself).
struct Item {
  uint64_t value;
};
struct Go {};

class FaninSender final : public Actor {
 public:
  FaninSender(AddrHash to, uint64_t count, int burst) : to_(to), left_(count), burst_(burst) {}
  HandlerResult on_message(ActorContext& ctx, const Envelope&, MessagePayload&) override {
    for (int i = 0; i < burst_ && left_ > 0; ++i) {
      if (!ctx.send(to_, Item{left_})) break;
      --left_;
    }
    if (left_ > 0) (void)ctx.send(ctx.self(), Go{});
    return {};
  }

 private:
  AddrHash to_;
  uint64_t left_;
  int burst_;
};

// A benchmark fails loudly: no restarts at the roots.
inline EngineConfig bench_config() {
  EngineConfig c;
  c.root_intensity = {0, std::chrono::seconds(1)};
  return c;
}

}  // namespace pd::bench
