// The run queue's order: FIFO, plus two shortcuts that must never cost fairness — new
// incarnations start ahead of queued work (in spawn order), and the actor woken last runs next
// (the LIFO slot) at most kLifoStreakMax times in a row.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "pd/reactor/sim_reactor.h"
#include "pd/runtime/engine.h"

namespace pd::scheduling_test {
namespace {

struct Ball {
  uint64_t left;
};
struct Note {};

using Log = std::vector<std::string>;

// Returns the ball to its sender until it runs out; logs each hit.
class Player final : public Actor {
 public:
  Player(std::string name, std::shared_ptr<Log> log)
      : name_(std::move(name)), log_(std::move(log)) {}
  HandlerResult on_message(ActorContext& ctx, const Envelope& e, MessagePayload& p) override {
    if (Ball* b = p.get_if<Ball>()) {
      log_->push_back(name_);
      if (b->left > 0) (void)ctx.send(e.source, Ball{b->left - 1});
    } else {
      log_->push_back(name_ + ":note");
    }
    return {};
  }

 private:
  std::string name_;
  std::shared_ptr<Log> log_;
};

ChildSpec player(const std::string& name, std::shared_ptr<Log> log) {
  return ChildSpec(name, [name, log] { return std::make_unique<Player>(name, log); });
}

TEST(Scheduling, a_ping_pong_pair_does_not_starve_an_actor_with_queued_work) {
  Engine engine(EngineConfig{}, std::make_unique<SimReactor>(1));
  auto log = std::make_shared<Log>();
  AddrHash a = *engine.spawn(player("a", log));
  AddrHash b = *engine.spawn(player("b", log));
  AddrHash c = *engine.spawn(player("c", log));
  engine.run_until_idle();
  ASSERT_TRUE(engine.send_raw(Envelope::make(b, a, type_tag_v<Ball>, 0),
                              MessagePayload::local(Ball{1000})));
  ASSERT_TRUE(engine.send(c, Note{}));
  engine.run_until_idle();
  auto at = std::find(log->begin(), log->end(), "c:note") - log->begin();
  // a runs first (FIFO), then at most kLifoStreakMax (3) woken turns, then c's turn.
  EXPECT_EQ(at, 4) << "c waited behind " << at << " ping-pong turns";
  EXPECT_EQ(log->size(), 1002u);
}

TEST(Scheduling, the_actor_woken_last_runs_next) {
  Engine engine(EngineConfig{}, std::make_unique<SimReactor>(1));
  auto log = std::make_shared<Log>();
  AddrHash a = *engine.spawn(player("a", log));
  AddrHash b = *engine.spawn(player("b", log));
  AddrHash c = *engine.spawn(player("c", log));
  engine.run_until_idle();
  // c is queued first; then a's ball wakes b, which must run before c.
  ASSERT_TRUE(engine.send(c, Note{}));
  ASSERT_TRUE(
      engine.send_raw(Envelope::make(b, a, type_tag_v<Ball>, 0), MessagePayload::local(Ball{1})));
  engine.run_until_idle();
  EXPECT_EQ(*log, (Log{"c:note", "a", "b"}));
}

TEST(Scheduling, siblings_spawned_in_one_turn_start_in_spawn_order_before_older_work) {
  Engine engine(EngineConfig{}, std::make_unique<SimReactor>(1));
  auto log = std::make_shared<Log>();
  class Spawner final : public Actor {
   public:
    explicit Spawner(std::shared_ptr<Log> log) : log_(std::move(log)) {}
    HandlerResult on_message(ActorContext& ctx, const Envelope&, MessagePayload&) override {
      for (const char* n : {"x", "y", "z"}) {
        auto log = log_;
        std::string name = n;
        (void)ctx.spawn(ChildSpec(name, [log, name] {
          log->push_back(name + ":start");
          return std::make_unique<Player>(name, log);
        }));
      }
      return {};
    }

   private:
    std::shared_ptr<Log> log_;
  };
  AddrHash s = *engine.spawn(ChildSpec("s", [log] { return std::make_unique<Spawner>(log); }));
  AddrHash other = *engine.spawn(player("other", log));
  engine.run_until_idle();
  ASSERT_TRUE(engine.send(s, Note{}));
  ASSERT_TRUE(engine.send(other, Note{}));
  engine.run_until_idle();
  EXPECT_EQ(*log, (Log{"x:start", "y:start", "z:start", "other:note"}));
}

}  // namespace
}  // namespace pd::scheduling_test
