#include "workloads.h"

#include "bench_support.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <stdexcept>

#include "pd/runtime/engine.h"
#include "pd/sim/simulation.h"

namespace pd::bench {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// --- pingpong: two actors bounce one message.
struct Ball {
  uint64_t remaining;
};

class Player final : public Actor {
 public:
  HandlerResult on_message(ActorContext& ctx, const Envelope& e, MessagePayload& p) override {
    Ball* b = p.get_if<Ball>();
    if (b == nullptr) return Unexpected{ActorError::handler("pingpong: unexpected message")};
    if (b->remaining == 0) return {};
    SendResult r = ctx.send(e.source, Ball{b->remaining - 1});
    if (!r) return Unexpected{ActorError::handler(to_string(r.error()))};
    return {};
  }
};

// --- skynet: each node spawns 10 children until it covers one leaf, sums their answers.
struct Sum {
  uint64_t value;
};

class SkynetNode final : public Actor {
 public:
  SkynetNode(uint64_t num, uint64_t size, AddrHash report_to)
      : num_(num), size_(size), report_to_(report_to) {}
  HandlerResult on_start(ActorContext& ctx) override {
    if (size_ == 1) {
      (void)ctx.send(report_to_, Sum{num_});
      ctx.stop();
      return {};
    }
    uint64_t child_size = size_ / 10;
    AddrHash self = ctx.self();
    for (uint64_t i = 0; i < 10; ++i) {
      uint64_t child_num = num_ + i * child_size;
      auto r = ctx.spawn(spec(std::to_string(i), [child_num, child_size, self] {
        return std::make_unique<SkynetNode>(child_num, child_size, self);
      }));
      if (!r) return Unexpected{ActorError::init(to_string(r.error()))};
    }
    return {};
  }
  HandlerResult on_message(ActorContext& ctx, const Envelope&, MessagePayload& p) override {
    sum_ += p.get_if<Sum>()->value;
    if (++answers_ == 10) {
      (void)ctx.send(report_to_, Sum{sum_});
      ctx.stop();
    }
    return {};
  }

 private:
  uint64_t num_, size_;
  AddrHash report_to_;
  uint64_t sum_ = 0;
  uint32_t answers_ = 0;
};

class Collector final : public Actor {
 public:
  explicit Collector(uint64_t* out) : out_(out) {}
  HandlerResult on_message(ActorContext&, const Envelope&, MessagePayload& p) override {
    *out_ = p.get_if<Sum>()->value;
    return {};
  }

 private:
  uint64_t* out_;
};

// --- fanin: senders push M messages each at one receiver, backing off when it is full.
class Receiver final : public Actor {
 public:
  Receiver(uint64_t expected, uint64_t* got, Clock::time_point* done)
      : expected_(expected), got_(got), done_(done) {}
  HandlerResult on_message(ActorContext&, const Envelope&, MessagePayload& p) override {
    checksum_ += p.get_if<Item>()->value;
    if (++*got_ == expected_) *done_ = Clock::now();
    return {};
  }

 private:
  uint64_t expected_;
  uint64_t* got_;
  Clock::time_point* done_;
  uint64_t checksum_ = 0;
};

class Idle final : public Actor {
 public:
  HandlerResult on_message(ActorContext&, const Envelope&, MessagePayload&) override { return {}; }
};

}  // namespace

Figures pingpong(uint64_t round_trips) {
  Engine engine(bench_config());
  AddrHash a = must(engine.spawn(spec("ping", [] { return std::make_unique<Player>(); })), "ping");
  AddrHash b = must(engine.spawn(spec("pong", [] { return std::make_unique<Player>(); })), "pong");
  engine.run_until_idle();
  auto t0 = Clock::now();
  // 2N - 1 hops after the first: N round trips are 2N messages.
  Envelope first = Envelope::make(a, b, type_tag_v<Ball>, 0);
  if (!engine.send_raw(first, MessagePayload::local(Ball{2 * round_trips - 1})))
    throw std::runtime_error("pingpong: first send failed");
  engine.run_until_idle();
  double s = seconds_since(t0);
  uint64_t delivered = engine.stats().messages_delivered;
  if (delivered != 2 * round_trips)
    throw std::runtime_error("pingpong: delivered " + std::to_string(delivered) + " messages");
  return {{"round_trips", num(round_trips)},
          {"seconds", num(s)},
          {"msgs_per_s", num(double(2 * round_trips) / s)}};
}

Figures skynet(uint64_t leaves) {
  uint64_t n = leaves;
  while (n > 1 && n % 10 == 0) n /= 10;
  if (n != 1)
    throw std::invalid_argument("skynet: N must be a power of 10, got " + std::to_string(leaves));
  Engine engine(bench_config());
  uint64_t sum = 0;
  AddrHash collector =
      must(engine.spawn(spec("collector", [&sum] { return std::make_unique<Collector>(&sum); })),
           "collector");
  engine.run_until_idle();
  auto t0 = Clock::now();
  must(engine.spawn(spec(
           "skynet",
           [collector, leaves] { return std::make_unique<SkynetNode>(0, leaves, collector); })),
       "skynet");
  engine.run_until_idle();
  double s = seconds_since(t0);
  uint64_t expected = leaves * (leaves - 1) / 2;
  if (sum != expected)
    throw std::runtime_error("skynet: sum " + std::to_string(sum) + ", expected " +
                             std::to_string(expected));
  uint64_t actors = engine.stats().actors_spawned - 1;  // the collector is not part of the tree
  return {{"actors", num(actors)}, {"leaves", num(leaves)}, {"sum", num(sum)}, {"seconds", num(s)}};
}

Figures fanin(uint64_t senders, uint64_t per_sender) {
  Engine engine(bench_config());
  uint64_t got = 0;
  Clock::time_point done{};
  uint64_t total = senders * per_sender;
  AddrHash rx = must(engine.spawn(spec("receiver",
                                       [total, &got, &done] {
                                         return std::make_unique<Receiver>(total, &got, &done);
                                       })),
                     "receiver");
  std::vector<AddrHash> tx;
  for (uint64_t i = 0; i < senders; ++i)
    tx.push_back(must(engine.spawn(spec("sender-" + std::to_string(i),
                                        [rx, per_sender] {
                                          return std::make_unique<FaninSender>(rx, per_sender, 64);
                                        })),
                      "sender"));
  engine.run_until_idle();
  auto t0 = Clock::now();
  for (AddrHash s : tx) (void)engine.send(s, Go{});
  engine.run_until_idle();
  if (got != total)
    throw std::runtime_error("fanin: received " + std::to_string(got) + " of " +
                             std::to_string(total));
  double s = std::chrono::duration<double>(done - t0).count();
  return {{"senders", num(senders)},
          {"messages", num(total)},
          {"seconds", num(s)},
          {"msgs_per_s", num(double(total) / s)}};
}

Figures spawn_idle(uint64_t actors) {
  Engine engine(bench_config());
  engine.run_until_idle();
  uint64_t rss0 = rss_bytes();
  auto t0 = Clock::now();
  for (uint64_t i = 0; i < actors; ++i)
    must(engine.spawn(spec(std::to_string(i), [] { return std::make_unique<Idle>(); })),
         "idle actor");
  engine.run_until_idle();  // every on_start has run: they are live, idle actors
  double s = seconds_since(t0);
  uint64_t rss1 = rss_bytes();
  if (engine.stats().live_actors != actors)
    throw std::runtime_error("spawn: not all actors are alive");
  return {{"actors", num(actors)},
          {"seconds", num(s)},
          {"bytes_per_actor", num(double(rss1 - rss0) / double(actors))},
          {"spawns_per_s", num(double(actors) / s)}};
}

Figures sim_pingpong(uint64_t round_trips) {
  SimOptions o;
  o.seed = 1;
  o.duration = std::chrono::hours(1);  // virtual: the run ends when the ball stops
  o.messages_max = 4 * round_trips + 100;
  Simulation sim(o);
  sim.add_builtin_invariants();
  SimResult r = sim.run([&](Simulation& s) {
    AddrHash a =
        must(s.engine().spawn(spec("ping", [] { return std::make_unique<Player>(); })), "ping");
    AddrHash b =
        must(s.engine().spawn(spec("pong", [] { return std::make_unique<Player>(); })), "pong");
    Envelope first = Envelope::make(a, b, type_tag_v<Ball>, 0);
    (void)s.engine().send_raw(first, MessagePayload::local(Ball{2 * round_trips - 1}));
  });
  if (!r.ok())
    throw std::runtime_error("sim-pingpong: " + r.failure->invariant + ": " + r.failure->detail);
  if (r.messages != 2 * round_trips)
    throw std::runtime_error("sim-pingpong: delivered " + std::to_string(r.messages) + " messages");
  char hash[24];
  std::snprintf(hash, sizeof hash, "\"%016llx\"", (unsigned long long)r.trace_hash);
  return {{"round_trips", num(round_trips)},
          {"seconds", num(r.wall_seconds)},
          {"msgs_per_s", num(double(2 * round_trips) / r.wall_seconds)},
          {"simulated_seconds", num(r.simulated_seconds)},
          {"trace_hash", hash}};
}

}  // namespace pd::bench
