#include "context_impl.h"

namespace pd::detail {

ActorPath ContextImpl::path() const {
  auto p = ActorPath::parse(core_.path_of(cell_));
  PD_ASSERT(p.has_value(), "a live actor's path always parses");
  return std::move(p).value();
}

AddrHash ContextImpl::parent() const {
  if (cell_.remote_parent) return cell_.remote_parent->parent_address;
  if (cell_.parent == kNoSlot) return AddrHash{};
  return core_.cell(cell_.parent).address();
}

SendResult ContextImpl::send_raw(Envelope envelope, MessagePayload payload) {
  envelope.source = cell_.address();
  return core_.route(envelope, payload, cell_.slot);
}

SendResult ContextImpl::reply_raw(const Envelope& request, uint64_t type_tag,
                                  MessagePayload payload) {
  uint32_t len = payload.is_serialized() ? uint32_t(payload.bytes().size()) : 0;
  Envelope e = request.response(len);
  e.type_tag = type_tag;
  e.source = cell_.address();
  return core_.route(e, payload, cell_.slot);
}

void ContextImpl::ask_raw(Envelope envelope, MessagePayload payload, Duration timeout,
                          AskCallback callback) {
  envelope.source = cell_.address();
  core_.ask(cell_.slot, envelope, std::move(payload), timeout, std::move(callback), nullptr);
}

Expected<AddrHash, SpawnError> ContextImpl::spawn(ChildSpec spec) {
  return core_.spawn(cell_.slot, std::move(spec));
}

SendResult ContextImpl::stop_child(AddrHash child) {
  return core_.post_stop(child, Signal::Kind::Stop, cell_.slot);
}
SendResult ContextImpl::kill_child(AddrHash child) {
  return core_.post_stop(child, Signal::Kind::Kill, cell_.slot);
}

void ContextImpl::log(int32_t level, std::string_view message) {
  LogRecord r{level, core_.path_of(cell_), std::string(message), core_.reactor->now()};
  if (core_.config.log)
    core_.config.log(r);
  else
    write_log_line(r);
}

TimerAction ContextImpl::owned_timer(TimerAction::Kind kind, const Envelope& envelope) const {
  TimerAction a;
  a.kind = kind;
  a.owner_slot = cell_.slot;
  a.owner_generation = cell_.generation;
  a.envelope = envelope;
  return a;
}

TimerId ContextImpl::send_after_raw(Duration delay, Envelope envelope, MessagePayload payload) {
  TimerAction a = owned_timer(TimerAction::Kind::Send, envelope);
  a.payload = std::move(payload);
  return TimerId{core_.arm_timer(delay, std::move(a))};
}

TimerId ContextImpl::send_interval_raw(Duration period, Envelope envelope,
                                       std::function<MessagePayload()> make_payload) {
  TimerAction a = owned_timer(TimerAction::Kind::Interval, envelope);
  a.make_payload = std::move(make_payload);
  a.period = period;
  return TimerId{core_.arm_timer(period, std::move(a))};
}

}  // namespace pd::detail
