// Google Benchmark micro-benchmarks of the hot path's pieces: envelope encoding, mailbox
// push/pop, and one same-core send handled by an actor.
#include <benchmark/benchmark.h>

#include "pd/reactor/sim_reactor.h"
#include "pd/runtime/engine.h"
#include "pd/runtime/mailbox.h"

namespace {

using namespace pd;

Envelope sample_envelope() {
  Envelope e = Envelope::make(AddrHash(0x1111, 0x2222), AddrHash(0x3333, 0x4444), 0x5555, 12);
  e.message_id = 77;
  e.correlation_id = 99;
  return e.with_priority(2);
}

void envelope_to_bytes(benchmark::State& state) {
  Envelope e = sample_envelope();
  for (auto _ : state) {
    auto bytes = e.to_bytes();
    benchmark::DoNotOptimize(bytes);
    e.correlation_id++;
  }
}
BENCHMARK(envelope_to_bytes);

void envelope_from_bytes(benchmark::State& state) {
  auto bytes = sample_envelope().to_bytes();
  for (auto _ : state) {
    Envelope e = Envelope::from_bytes(bytes);
    benchmark::DoNotOptimize(e);
    bytes[64]++;
  }
}
BENCHMARK(envelope_from_bytes);

struct Small {
  uint64_t a, b;
};

void mailbox_push_pop(benchmark::State& state) {
  Mailbox mb(kMailboxCapacityDefault);
  Envelope e = sample_envelope().with_priority(0);
  MailboxSlot out;
  for (auto _ : state) {
    MessagePayload p = MessagePayload::local(Small{1, 2});
    benchmark::DoNotOptimize(mb.push(e, p));
    benchmark::DoNotOptimize(mb.pop(out));
  }
}
BENCHMARK(mailbox_push_pop);

// A batch of `range` pushes then as many pops: the ring at depth.
void mailbox_push_pop_batch(benchmark::State& state) {
  Mailbox mb(kMailboxCapacityDefault);
  Envelope e = sample_envelope().with_priority(0);
  MailboxSlot out;
  const int64_t n = state.range(0);
  for (auto _ : state) {
    for (int64_t i = 0; i < n; ++i) {
      MessagePayload p = MessagePayload::local(Small{uint64_t(i), 2});
      benchmark::DoNotOptimize(mb.push(e, p));
    }
    for (int64_t i = 0; i < n; ++i) benchmark::DoNotOptimize(mb.pop(out));
  }
  state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(mailbox_push_pop_batch)->Arg(64)->Arg(1024);

struct Tick {
  uint64_t n;
};

class Counter final : public Actor {
 public:
  HandlerResult on_message(ActorContext&, const Envelope&, MessagePayload& p) override {
    count_ += p.get_if<Tick>()->n;
    return {};
  }

 private:
  uint64_t count_ = 0;
};

// One message from outside to a same-core actor: route, enqueue, schedule, one turn.
void same_core_send(benchmark::State& state) {
  Engine engine(EngineConfig{}, std::make_unique<SimReactor>(1));
  AddrHash to = *engine.spawn(ChildSpec("counter", [] { return std::make_unique<Counter>(); }));
  engine.run_until_idle();
  for (auto _ : state) {
    benchmark::DoNotOptimize(engine.send(to, Tick{1}));
    engine.run_until_idle();
  }
}
BENCHMARK(same_core_send);

}  // namespace

BENCHMARK_MAIN();
