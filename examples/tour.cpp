// The README's tour, compiled so it cannot rot: an echo actor asked from another thread.
#include <cstdio>
#include <thread>

#include "pd/runtime/engine.h"

struct Ping {
  int n;
};

class Echo final : public pd::Actor {
 public:
  pd::HandlerResult on_message(pd::ActorContext& ctx, const pd::Envelope& e,
                               pd::MessagePayload& p) override {
    if (auto* ping = p.get_if<Ping>()) (void)ctx.reply(e, Ping{ping->n + 1});
    return {};
  }
};

int main() {
  pd::Engine engine;
  auto echo = engine.spawn(pd::ChildSpec("echo", [] { return std::make_unique<Echo>(); }));
  std::thread loop([&] { engine.run(); });
  auto reply = engine.handle().ask(*echo, Ping{41}, std::chrono::seconds(1));
  engine.handle().shutdown();
  loop.join();
  if (!reply) {
    std::printf("ask failed: %s\n", pd::to_string(reply.error()).c_str());
    return 1;
  }
  std::printf("echo replied %d\n", reply->payload.get_if<Ping>()->n);
  return 0;
}
