// The demo: a small supervised service on one core. A ticker feeds work to a pool of
// workers; one worker crashes on every third job it takes (an exception escaping its handler), is
// restarted by its supervisor with a new generation, and the others keep serving. Every
// lifecycle event is printed as it happens; the run ends with an orderly shutdown.
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "pd/actor/signals.h"
#include "pd/runtime/engine.h"

using namespace pd;
using namespace std::chrono_literals;

namespace {

struct Job {
  uint64_t id;
};
struct Done {
  uint64_t id;
  std::string by;
};
struct Tick {};

class Worker final : public Actor {
 public:
  Worker(std::string name, bool flaky) : name_(std::move(name)), flaky_(flaky) {}
  HandlerResult on_message(ActorContext& ctx, const Envelope& e, MessagePayload& p) override {
    Job* job = p.get_if<Job>();
    if (job == nullptr) return Unexpected{ActorError::handler("worker got an unknown message")};
    if (flaky_ && ++jobs_ % 3 == 0)
      throw std::runtime_error("job " + std::to_string(job->id) + " hit a corrupt record");
    (void)ctx.reply(e, Done{job->id, name_});
    return {};
  }

 private:
  std::string name_;
  bool flaky_;
  uint64_t jobs_ = 0;  // per incarnation: a restart starts from a fresh object
};

class Dispatcher final : public Actor {
 public:
  HandlerResult on_start(ActorContext& ctx) override {
    for (const char* name : {"worker-a", "worker-b", "worker-c"}) {
      bool flaky = std::string(name) == "worker-b";
      auto w = ctx.spawn(
          ChildSpec(name, [name, flaky] { return std::make_unique<Worker>(name, flaky); }));
      if (!w) return Unexpected{ActorError::init(to_string(w.error()))};
      // Path addresses (generation 0) reach whichever incarnation is alive.
      workers_.push_back(w->path_address());
    }
    ctx.send_interval(10ms, ctx.self(), Tick{});
    return {};
  }
  HandlerResult on_message(ActorContext& ctx, const Envelope&, MessagePayload& p) override {
    if (p.is<Tick>()) {
      if (next_job_ > 24) {
        ctx.stop();
        return {};
      }
      uint64_t id = next_job_++;
      AddrHash to = workers_[id % workers_.size()];
      ctx.ask(to, Job{id}, 50ms, [id](ActorContext&, AskResult r) {
        if (r)
          std::printf("  job %2llu done by %s\n", (unsigned long long)id,
                      r->payload.get_if<Done>()->by.c_str());
        else
          std::printf("  job %2llu lost: %s (its worker crashed on it)\n", (unsigned long long)id,
                      to_string(r.error()).c_str());
      });
    }
    return {};
  }

 private:
  std::vector<AddrHash> workers_;
  uint64_t next_job_ = 1;
};

}  // namespace

int main() {
  Engine engine;
  engine.set_event_listener([&engine](const EngineEvent& e) {
    std::string what = to_string(e.kind);
    if (e.kind == EngineEvent::Kind::Failed || e.kind == EngineEvent::Kind::Stopped) {
      what.append(" ");
      what.append(to_string(e.reason));
    }
    double ms = double(engine.now().time_since_epoch().count()) / 1e6;
    std::printf("[%8.3f ms] %-26s %s (incarnation %llu)\n", ms, e.path.c_str(), what.c_str(),
                (unsigned long long)(e.address.generation() & 0xffffff));
  });
  std::printf(
      "palladium demo: a dispatcher with three workers; worker-b crashes on every 3rd job it "
      "takes\n");
  auto d = engine.spawn(ChildSpec("dispatcher", [] { return std::make_unique<Dispatcher>(); })
                            .with_restart(RestartPolicy::Transient)
                            .with_intensity({10, std::chrono::seconds(1)}));
  if (!d) {
    std::fprintf(stderr, "demo: spawn failed: %s\n", to_string(d.error()));
    return 1;
  }
  engine.run_until_idle();
  engine.shutdown();
  engine.run();
  EngineStats s = engine.stats();
  std::printf(
      "\nsummary: %llu actors spawned, %llu restarts, %llu failures, %llu messages delivered, "
      "%llu dead letters; engine shut down: %s\n",
      (unsigned long long)s.actors_spawned, (unsigned long long)s.restarts,
      (unsigned long long)s.failures, (unsigned long long)s.messages_delivered,
      (unsigned long long)s.dead_letters, engine.is_shut_down() ? "yes" : "no");
  return engine.is_shut_down() ? 0 : 1;
}
