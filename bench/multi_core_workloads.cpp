// The pd-bench workloads over a MultiCoreEngine (--cores K): the same work as the single-core
// ones, with the actors spread so that the messages cross cores. The cores spin briefly
// before sleeping (kSpin) as a latency-bound deployment would; the JSON says how long.
#include <chrono>
#include <future>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench_support.h"
#include "pd/runtime/multi_core_engine.h"
#include "workloads.h"

namespace pd::bench {

namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kSpin = std::chrono::microseconds(200);
constexpr auto kPatience = std::chrono::seconds(120);

MultiCoreConfig multi_config(uint32_t cores) {
  if (cores < 2 || cores > kMaxCores)
    throw std::invalid_argument("--cores must be 2.." + std::to_string(kMaxCores) + " here, got " +
                                std::to_string(cores));
  MultiCoreConfig c;
  c.cores = cores;
  c.pin_threads = true;
  c.spin_before_sleep = kSpin;
  c.engine = bench_config();
  c.engine.account_compute_time = false;
  return c;
}

// Runs a workload to its end: start the cores, `kick` it, wait for `done`, shut down.
double run_timed(MultiCoreEngine& engine, std::future<void> done, const std::function<void()>& kick,
                 const char* what) {
  engine.start();
  auto t0 = Clock::now();
  kick();
  if (done.wait_for(kPatience) != std::future_status::ready) {
    engine.shutdown();
    engine.wait();
    throw std::runtime_error(std::string(what) + ": did not finish");
  }
  double s = std::chrono::duration<double>(Clock::now() - t0).count();
  engine.shutdown();
  engine.wait();
  if (auto f = engine.failure()) throw std::runtime_error(std::string(what) + ": " + to_string(*f));
  return s;
}

std::string spin_figure() {
  return num(uint64_t(std::chrono::duration_cast<std::chrono::microseconds>(kSpin).count()));
}

// --- pingpong: the two players on different cores.
struct Ball {
  uint64_t remaining;
};

class Player final : public Actor {
 public:
  explicit Player(std::promise<void>* done) : done_(done) {}
  HandlerResult on_message(ActorContext& ctx, const Envelope& e, MessagePayload& p) override {
    Ball* b = p.get_if<Ball>();
    if (b == nullptr) return Unexpected{ActorError::handler("pingpong: unexpected message")};
    if (b->remaining == 0) {
      done_->set_value();
      return {};
    }
    SendResult r = ctx.send(e.source, Ball{b->remaining - 1});
    if (!r) return Unexpected{ActorError::handler(to_string(r.error()))};
    return {};
  }

 private:
  std::promise<void>* done_;
};

// --- fanin: senders on the other cores push at one receiver on core 0.
class Receiver final : public Actor {
 public:
  Receiver(uint64_t expected, uint64_t* sum, std::promise<void>* done)
      : expected_(expected), sum_(sum), done_(done) {}
  HandlerResult on_message(ActorContext&, const Envelope&, MessagePayload& p) override {
    *sum_ += p.get_if<Item>()->value;
    if (++got_ == expected_) done_->set_value();
    return {};
  }

 private:
  uint64_t expected_;
  uint64_t* sum_;
  std::promise<void>* done_;
  uint64_t got_ = 0;
};

// --- skynet: the root's ten subtrees are dealt round the cores; below them each node keeps its
// children on its own core.
struct Sum {
  uint64_t value;
};
struct Resend {};

class SkynetNode final : public Actor {
 public:
  SkynetNode(uint64_t num, uint64_t size, AddrHash report_to, uint32_t spread)
      : num_(num), size_(size), report_to_(report_to), spread_(spread) {}
  HandlerResult on_start(ActorContext& ctx) override {
    if (size_ == 1) {
      sum_ = num_;
      report(ctx);
      return {};
    }
    uint64_t child_size = size_ / 10;
    AddrHash self = ctx.self();
    for (uint64_t i = 0; i < 10; ++i) {
      uint64_t child_num = num_ + i * child_size;
      ChildSpec s = spec(std::to_string(i), [child_num, child_size, self] {
        return std::make_unique<SkynetNode>(child_num, child_size, self, 0);
      });
      s.placement =
          spread_ > 0 ? Placement::on_core(uint32_t(i % spread_)) : Placement::with_parent();
      auto r = ctx.spawn(std::move(s));
      if (!r) return Unexpected{ActorError::init(to_string(r.error()))};
    }
    return {};
  }
  HandlerResult on_message(ActorContext& ctx, const Envelope&, MessagePayload& p) override {
    if (p.is<Resend>()) {
      report(ctx);
      return {};
    }
    sum_ += p.get_if<Sum>()->value;
    if (++answers_ == 10) report(ctx);
    return {};
  }

 private:
  // A full ring refuses a report across cores (MailboxFull): try again shortly.
  void report(ActorContext& ctx) {
    if (ctx.send(report_to_, Sum{sum_}))
      ctx.stop();
    else
      (void)ctx.send_after(std::chrono::microseconds(20), ctx.self(), Resend{});
  }

  uint64_t num_, size_;
  AddrHash report_to_;
  uint32_t spread_;
  uint64_t sum_ = 0;
  uint32_t answers_ = 0;
};

class Collector final : public Actor {
 public:
  Collector(uint64_t* out, std::promise<void>* done) : out_(out), done_(done) {}
  HandlerResult on_message(ActorContext&, const Envelope&, MessagePayload& p) override {
    *out_ = p.get_if<Sum>()->value;
    done_->set_value();
    return {};
  }

 private:
  uint64_t* out_;
  std::promise<void>* done_;
};

}  // namespace

Figures pingpong_multi(uint64_t round_trips, uint32_t cores) {
  MultiCoreEngine engine(multi_config(cores));
  std::promise<void> done;
  auto player = [&done] { return std::make_unique<Player>(&done); };
  AddrHash a =
      must(engine.spawn(spec("ping", player).with_placement(Placement::on_core(0))), "ping");
  must(engine.spawn(spec("pong", player).with_placement(Placement::on_core(1))), "pong");
  auto b = engine.core(1).lookup("/user/pong");
  if (!b) throw std::runtime_error("pingpong: pong is not on core 1");
  double s = run_timed(
      engine, done.get_future(),
      [&] {
        Envelope first = Envelope::make(a, *b, type_tag_v<Ball>, 0);
        if (!engine.handle().send_raw(first, MessagePayload::local(Ball{2 * round_trips - 1})))
          throw std::runtime_error("pingpong: first send failed");
      },
      "pingpong");
  uint64_t delivered = engine.snapshot().stats.messages_delivered;
  if (delivered != 2 * round_trips)
    throw std::runtime_error("pingpong: delivered " + std::to_string(delivered) + " messages");
  return {{"round_trips", num(round_trips)},
          {"seconds", num(s)},
          {"msgs_per_s", num(double(2 * round_trips) / s)},
          {"spin_us", spin_figure()}};
}

Figures fanin_multi(uint64_t senders, uint64_t per_sender, uint32_t cores) {
  MultiCoreEngine engine(multi_config(cores));
  std::promise<void> done;
  uint64_t sum = 0;
  uint64_t total = senders * per_sender;
  AddrHash rx = must(engine.spawn(spec("receiver",
                                       [total, &sum, &done] {
                                         return std::make_unique<Receiver>(total, &sum, &done);
                                       })
                                      .with_placement(Placement::on_core(0))),
                     "receiver");
  std::vector<AddrHash> tx;
  for (uint64_t i = 0; i < senders; ++i) {
    uint32_t core = 1 + uint32_t(i % (cores - 1));
    AddrHash s = must(engine.spawn(spec("sender-" + std::to_string(i),
                                        [rx, per_sender] {
                                          // A larger burst: a full ring, not a mailbox, is what
                                          // stops it.
                                          return std::make_unique<FaninSender>(rx, per_sender, 256);
                                        })
                                       .with_placement(Placement::on_core(core))),
                      "sender");
    tx.push_back(s);
  }
  double s = run_timed(
      engine, done.get_future(),
      [&] {
        EngineHandle h = engine.handle();
        for (AddrHash t : tx) (void)h.send(t, Go{});
      },
      "fanin");
  uint64_t refused = 0;  // sends the full ring pushed back (the senders retried them)
  for (const CoreStats& c : engine.core_stats()) refused += c.ring_full;
  uint64_t expected = senders * (per_sender * (per_sender + 1) / 2);
  if (sum != expected) throw std::runtime_error("fanin: checksum differs (lost or duplicated)");
  return {{"senders", num(senders)},   {"messages", num(total)},
          {"seconds", num(s)},         {"msgs_per_s", num(double(total) / s)},
          {"ring_full", num(refused)}, {"spin_us", spin_figure()}};
}

Figures skynet_multi(uint64_t leaves, uint32_t cores) {
  uint64_t n = leaves;
  while (n > 1 && n % 10 == 0) n /= 10;
  if (n != 1 || leaves < 10)
    throw std::invalid_argument("skynet: N must be a power of 10 of at least 10, got " +
                                std::to_string(leaves));
  MultiCoreEngine engine(multi_config(cores));
  std::promise<void> done;
  uint64_t sum = 0;
  AddrHash collector =
      must(engine.spawn(
               spec("collector", [&sum, &done] { return std::make_unique<Collector>(&sum, &done); })
                   .with_placement(Placement::on_core(0))),
           "collector");
  double s = run_timed(
      engine, done.get_future(),
      [&] {
        must(engine.spawn(spec("skynet",
                               [collector, leaves, cores] {
                                 return std::make_unique<SkynetNode>(0, leaves, collector, cores);
                               })
                              .with_placement(Placement::on_core(0))),
             "skynet");
      },
      "skynet");
  uint64_t expected = leaves * (leaves - 1) / 2;
  if (sum != expected)
    throw std::runtime_error("skynet: sum " + std::to_string(sum) + ", expected " +
                             std::to_string(expected));
  uint64_t actors = engine.snapshot().stats.actors_spawned - 1;
  return {{"actors", num(actors)},
          {"leaves", num(leaves)},
          {"sum", num(sum)},
          {"seconds", num(s)},
          {"spin_us", spin_figure()}};
}

}  // namespace pd::bench
