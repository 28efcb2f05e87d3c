// EngineHandle and the channel behind it: the only place other threads touch an engine.
#include <future>
#include <thread>

#include "context_impl.h"

namespace pd {

namespace detail {

const EngineCore* running_core_on_this_thread();

bool HandleChannel::post(Command c, bool* full) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_) return false;
    if (queue_.size() >= capacity_) {
      if (full) *full = true;
      return false;
    }
    queue_.push_back(std::move(c));
    pending_.store(true, std::memory_order_release);
  }
  reactor_->notify();
  return true;
}

void HandleChannel::take(std::deque<Command>& out) {
  std::lock_guard<std::mutex> lock(mu_);
  pending_.store(false, std::memory_order_release);
  while (!queue_.empty()) {
    out.push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
}

void HandleChannel::close() {
  std::deque<Command> dropped;
  {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
    dropped.swap(queue_);
    pending_.store(false, std::memory_order_release);
  }
  // Destroying the commands breaks their promises: their waiters see the engine is gone.
}

bool HandleChannel::closed() const {
  std::lock_guard<std::mutex> lock(mu_);
  return closed_;
}

}  // namespace detail

namespace {

// Posts `work` to the engine and waits for its answer; `gone` when the engine cannot answer.
template <class R, class F>
R call(detail::HandleChannel& ch, F work, R gone, R full_result) {
  PD_ASSERT(detail::running_core_on_this_thread() != ch.owner,
            "an EngineHandle call waited on its own engine's thread (it would wait forever)");
  auto promise = std::make_shared<std::promise<R>>();
  std::future<R> fut = promise->get_future();
  bool full = false;
  bool posted = ch.post([promise, work = std::move(work)](
                            detail::EngineCore& core) mutable { promise->set_value(work(core)); },
                        &full);
  if (!posted) return full ? std::move(full_result) : std::move(gone);
  try {
    return fut.get();
  } catch (const std::future_error&) {
    return gone;  // the engine shut down with the command still queued
  }
}

}  // namespace

detail::HandleChannel& EngineHandle::channel_for(AddrHash a) const {
  return routes_ ? routes_->of(a) : *channel_;
}

detail::HandleChannel& EngineHandle::channel_for_path(uint64_t path_hash) const {
  return routes_ ? routes_->home(path_hash) : *channel_;
}

SendResult EngineHandle::send_raw(Envelope envelope, MessagePayload payload) {
  auto shared = std::make_shared<MessagePayload>(std::move(payload));
  return call<SendResult>(
      channel_for(envelope.destination),
      [envelope, shared](detail::EngineCore& core) mutable -> SendResult {
        if (envelope.source.is_null()) envelope.source = core.engine_address;
        return core.route(envelope, *shared, detail::kNoSlot);
      },
      SendResult(Unexpected{SendError::Unbound}), SendResult(Unexpected{SendError::MailboxFull}));
}

AskResult EngineHandle::ask_raw(Envelope envelope, MessagePayload payload, Duration timeout) {
  detail::HandleChannel& channel = channel_for(envelope.destination);
  PD_ASSERT(detail::running_core_on_this_thread() != channel.owner,
            "an EngineHandle ask waited on its own engine's thread");
  auto promise = std::make_shared<std::promise<AskResult>>();
  auto fut = promise->get_future();
  auto shared = std::make_shared<MessagePayload>(std::move(payload));
  bool full = false;
  bool posted = channel.post(
      [envelope, shared, timeout, promise](detail::EngineCore& core) mutable {
        envelope.source = core.engine_address;
        core.ask(detail::kNoSlot, envelope, std::move(*shared), timeout, nullptr,
                 [promise](AskResult r) { promise->set_value(std::move(r)); });
      },
      &full);
  if (!posted)
    return Unexpected{AskError::send(full ? SendError::MailboxFull : SendError::Unbound)};
  try {
    return fut.get();
  } catch (const std::future_error&) {
    return Unexpected{AskError::no_response()};
  }
}

Expected<AddrHash, SpawnError> EngineHandle::spawn(ChildSpec spec, std::string parent_path) {
  using R = Expected<AddrHash, SpawnError>;
  detail::HandleChannel* channel = channel_.get();
  if (routes_) {
    auto parent = ActorPath::parse(parent_path);
    if (!parent) return Unexpected{SpawnError::ParentNotFound};
    bool top_level = false;
    channel = &routes_->home(detail::spawn_routing_hash(*parent, spec.name, &top_level));
    if (!top_level) {  // then on the core the parent lives on
      AddrHash at(parent->hash(), 0);
      auto owner = call<std::optional<uint32_t>>(
          *channel,
          [at](detail::EngineCore& core) -> std::optional<uint32_t> { return core.owner_core(at); },
          std::nullopt, std::nullopt);
      if (!owner) return Unexpected{SpawnError::Unbound};
      channel = routes_->channels[*owner].get();
    }
  }
  auto shared = std::make_shared<ChildSpec>(std::move(spec));
  return call<R>(
      *channel,
      [shared, parent_path](detail::EngineCore& core) -> R {
        return core.spawn_under(parent_path, std::move(*shared));
      },
      R(Unexpected{SpawnError::Unbound}), R(Unexpected{SpawnError::Unbound}));
}

std::optional<AddrHash> EngineHandle::lookup(std::string path) {
  using R = std::optional<AddrHash>;
  auto parsed = ActorPath::parse(path);
  if (!parsed) return std::nullopt;
  return call<R>(
      channel_for_path(parsed->hash()),
      [path](detail::EngineCore& core) -> R { return core.lookup(path); }, R{}, R{});
}

std::optional<AddrHash> EngineHandle::wait_for(std::string path,
                                               std::chrono::milliseconds timeout) {
  // Polls with a growing pause: spawns are rare next to this wait, and polling keeps the
  // engine free of waiter bookkeeping.
  auto deadline = std::chrono::steady_clock::now() + timeout;
  auto pause = std::chrono::microseconds(50);
  while (true) {
    if (auto a = lookup(path)) return a;
    if (!engine_alive() || std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::microseconds(10000));
  }
}

SendResult EngineHandle::stop_actor(AddrHash address) {
  return call<SendResult>(
      channel_for(address),
      [address](detail::EngineCore& core) {
        return core.post_stop(address, detail::Signal::Kind::Stop);
      },
      SendResult(Unexpected{SendError::Unbound}), SendResult(Unexpected{SendError::MailboxFull}));
}

EngineSnapshot EngineHandle::snapshot() {
  EngineSnapshot out;
  auto one = [](detail::HandleChannel& ch) {
    return call<EngineSnapshot>(
        ch,
        [](detail::EngineCore& core) {
          return EngineSnapshot{core.query(ActorQuery{}), core.stats};
        },
        EngineSnapshot{}, EngineSnapshot{});
  };
  if (!routes_) return one(*channel_);
  for (const auto& ch : routes_->channels) out += one(*ch);
  return out;
}

std::vector<ActorInfo> EngineHandle::query(ActorQuery q) {
  using R = std::vector<ActorInfo>;
  auto one = [&q](detail::HandleChannel& ch) {
    return call<R>(
        ch, [q](detail::EngineCore& core) { return core.query(q); }, R{}, R{});
  };
  if (!routes_) return one(*channel_);
  R out;
  for (const auto& ch : routes_->channels)
    for (ActorInfo& i : one(*ch)) out.push_back(std::move(i));
  return out;
}

void EngineHandle::shutdown() {
  if (!routes_) {
    channel_->post([](detail::EngineCore& core) { core.begin_shutdown(); });
    return;
  }
  for (const auto& ch : routes_->channels)
    ch->post([](detail::EngineCore& core) { core.begin_shutdown(); });
}

bool EngineHandle::engine_alive() const {
  if (!routes_) return !channel_->closed();
  for (const auto& ch : routes_->channels)
    if (!ch->closed()) return true;
  return false;
}

}  // namespace pd
