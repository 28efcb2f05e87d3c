// ContextImpl: the ActorContext the engine hands to one actor for one turn.
#pragma once

#include "engine_core.h"

namespace pd::detail {

class ContextImpl final : public ActorContext {
 public:
  ContextImpl(EngineCore& core, Cell& cell) : core_(core), cell_(cell) {}

  AddrHash self() const override { return cell_.address(); }
  ActorPath path() const override;
  AddrHash parent() const override;
  Instant now() const override { return core_.reactor->now(); }
  uint64_t random_u64() override { return core_.reactor->random_u64(); }
  SendResult send_raw(Envelope envelope, MessagePayload payload) override;
  SendResult reply_raw(const Envelope& request, uint64_t type_tag, MessagePayload payload) override;
  void ask_raw(Envelope envelope, MessagePayload payload, Duration timeout,
               AskCallback callback) override;
  Expected<AddrHash, SpawnError> spawn(ChildSpec spec) override;
  void stop() override { stop_requested_ = true; }
  SendResult stop_child(AddrHash child) override;
  SendResult kill_child(AddrHash child) override;
  TimerId send_after_raw(Duration delay, Envelope envelope, MessagePayload payload) override;
  TimerId send_interval_raw(Duration period, Envelope envelope,
                            std::function<MessagePayload()> make_payload) override;
  bool cancel_timer(TimerId id) override { return core_.cancel_timer(id.value); }
  std::optional<AddrHash> lookup(std::string_view path) const override {
    return core_.lookup(path);
  }
  std::optional<std::string> path_of(AddrHash address) const override {
    const Cell* c = core_.resolve(address);
    if (c == nullptr) return std::nullopt;
    return core_.path_of(*c);
  }
  void log(int32_t level, std::string_view message) override;
  void monitor(AddrHash target) override { core_.monitor(cell_.slot, target); }
  void demonitor(AddrHash target) override { core_.demonitor(cell_.slot, target); }

  bool stop_requested() const { return stop_requested_; }

 private:
  // A timer owned by this incarnation: it never fires after the incarnation has stopped.
  TimerAction owned_timer(TimerAction::Kind kind, const Envelope& envelope) const;
  EngineCore& core_;
  Cell& cell_;
  bool stop_requested_ = false;
};

}  // namespace pd::detail
