#include "behaviours.h"

#include <chrono>

namespace pd::sim {

namespace {

using std::chrono::milliseconds;
using World = std::shared_ptr<ScenarioWorld>;

// Holds children; handles nothing.
class Supervisor final : public Actor {
 public:
  HandlerResult on_message(ActorContext&, const Envelope&, MessagePayload&) override { return {}; }
};

// Replies Pong to every Ping.
class Echo final : public Actor {
 public:
  explicit Echo(World w) : world_(std::move(w)) {}
  HandlerResult on_message(ActorContext& ctx, const Envelope& e, MessagePayload& p) override {
    SimMsg* m = p.get_if<SimMsg>();
    if (m == nullptr || m->kind != SimMsg::Ping) return {};
    ++(*world_)["echo.pings"];
    (void)ctx.reply(e, SimMsg{SimMsg::Pong, m->tag, m->seq});
    return {};
  }

 private:
  World world_;
};

// Every interval_ms sends a Ping to `target` (a path address: it survives restarts) until
// `count` have gone out; counts the Pongs.
class Pinger final : public Actor {
 public:
  Pinger(const ActorDecl& d, World w)
      : target_(d.target),
        interval_(milliseconds(d.interval_ms > 0 ? d.interval_ms : 1)),
        count_(d.count),
        world_(std::move(w)) {}
  HandlerResult on_start(ActorContext& ctx) override {
    ctx.send_interval(interval_, ctx.self(), SimMsg{SimMsg::Tick, 0, 0});
    return {};
  }
  HandlerResult on_message(ActorContext& ctx, const Envelope&, MessagePayload& p) override {
    SimMsg* m = p.get_if<SimMsg>();
    if (m == nullptr) return {};
    if (m->kind == SimMsg::Pong) {
      ++(*world_)["pinger.pongs"];
      return {};
    }
    if (m->kind != SimMsg::Tick || sent_ >= count_) return {};
    auto to = ctx.lookup(target_);
    if (!to) return {};  // the target is restarting: try again at the next tick
    if (ctx.send(to->path_address(), SimMsg{SimMsg::Ping, 0, sent_ + 1})) {
      ++sent_;
      ++(*world_)["pinger.pings"];
    }
    return {};
  }

 private:
  std::string target_;
  Duration interval_;
  uint64_t count_;
  uint64_t sent_ = 0;
  World world_;
};

// Counts what it receives; remembers the highest sequence number seen.
class Counter final : public Actor {
 public:
  explicit Counter(World w) : world_(std::move(w)) {}
  HandlerResult on_message(ActorContext&, const Envelope&, MessagePayload& p) override {
    if (p.get_if<SimMsg>() != nullptr) ++(*world_)["counter.received"];
    return {};
  }

 private:
  World world_;
};

// Sends every message on to `target`.
class Forwarder final : public Actor {
 public:
  Forwarder(const ActorDecl& d, World w) : target_(d.target), world_(std::move(w)) {}
  HandlerResult on_message(ActorContext& ctx, const Envelope&, MessagePayload& p) override {
    SimMsg* m = p.get_if<SimMsg>();
    if (m == nullptr) return {};
    auto to = ctx.lookup(target_);
    if (to && ctx.send(to->path_address(), *m)) ++(*world_)["forwarder.forwarded"];
    return {};
  }

 private:
  std::string target_;
  World world_;
};

// Fails on a message with probability fail_rate (drawn from the run's seed through the
// context), otherwise counts it.
class Flaky final : public Actor {
 public:
  Flaky(const ActorDecl& d, World w) : rate_(d.fail_rate), world_(std::move(w)) {}
  HandlerResult on_message(ActorContext& ctx, const Envelope&, MessagePayload&) override {
    double draw = double(ctx.random_u64() >> 11) * 0x1.0p-53;
    if (draw < rate_) {
      ++(*world_)["flaky.failures"];
      return Unexpected{ActorError::handler("flaky behaviour failed on purpose")};
    }
    ++(*world_)["flaky.handled"];
    return {};
  }

 private:
  double rate_;
  World world_;
};

// On start, sends `count` Ordered messages tagged `tag` (a number) to `target`.
class Producer final : public Actor {
 public:
  Producer(const ActorDecl& d, World w)
      : target_(d.target),
        tag_(uint32_t(std::stoul(d.tag.empty() ? "0" : d.tag))),
        count_(d.count == 0 ? 1 : d.count),
        world_(std::move(w)) {}
  HandlerResult on_start(ActorContext& ctx) override {
    auto to = ctx.lookup(target_);
    if (!to) return Unexpected{ActorError::init("producer: no actor at " + target_)};
    for (uint64_t i = 1; i <= count_; ++i)
      if (ctx.send(to->path_address(), SimMsg{SimMsg::Ordered, tag_, i}))
        ++(*world_)["producer.sent"];
    return {};
  }
  HandlerResult on_message(ActorContext&, const Envelope&, MessagePayload&) override { return {}; }

 private:
  std::string target_;
  uint32_t tag_;
  uint64_t count_;
  World world_;
};

// The planted bug: it assumes every message tagged 1 arrives before any tagged 2, which holds
// only when the producer of tag 1 happens to run first. Counts violations of that assumption
// in "order.violations" (the `message_order` check fails on any).
class OrderChecker final : public Actor {
 public:
  explicit OrderChecker(World w) : world_(std::move(w)) {}
  HandlerResult on_message(ActorContext&, const Envelope&, MessagePayload& p) override {
    SimMsg* m = p.get_if<SimMsg>();
    if (m == nullptr || m->kind != SimMsg::Ordered) return {};
    if (m->tag == 2) seen_second_ = true;
    if (m->tag == 1 && seen_second_) ++(*world_)["order.violations"];
    ++(*world_)["order.received"];
    return {};
  }

 private:
  bool seen_second_ = false;
  World world_;
};

}  // namespace

bool known_behaviour(const std::string& n) {
  for (const auto& b : behaviour_names())
    if (b == n) return true;
  return false;
}

ActorFactory make_behaviour(const ActorDecl& d, World w) {
  const std::string& b = d.behaviour;
  if (b == "supervisor") return [] { return std::make_unique<Supervisor>(); };
  if (b == "echo") return [w] { return std::make_unique<Echo>(w); };
  if (b == "pinger") return [d, w] { return std::make_unique<Pinger>(d, w); };
  if (b == "counter") return [w] { return std::make_unique<Counter>(w); };
  if (b == "forwarder") return [d, w] { return std::make_unique<Forwarder>(d, w); };
  if (b == "flaky") return [d, w] { return std::make_unique<Flaky>(d, w); };
  if (b == "producer") return [d, w] { return std::make_unique<Producer>(d, w); };
  if (b == "order-checker") return [w] { return std::make_unique<OrderChecker>(w); };
  return nullptr;
}

}  // namespace pd::sim

namespace pd {
std::vector<std::string> behaviour_names() {
  return {"supervisor", "echo",  "pinger",   "counter",
          "forwarder",  "flaky", "producer", "order-checker"};
}
}  // namespace pd
