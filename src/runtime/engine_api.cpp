// Engine: the public face over EngineCore.
#include "context_impl.h"
#include "pd/reactor/real_reactor.h"

namespace pd {

using detail::EngineCore;

Engine::Engine(EngineConfig config) : Engine(std::move(config), std::make_unique<RealReactor>()) {}
Engine::Engine(EngineConfig config, std::unique_ptr<Reactor> reactor)
    : core_(std::make_unique<EngineCore>(std::move(config), std::move(reactor))) {}
Engine::~Engine() = default;

Expected<AddrHash, SpawnError> Engine::spawn(ChildSpec spec, std::string_view parent_path) {
  return core_->spawn_under(parent_path, std::move(spec));
}

SendResult Engine::send_raw(Envelope envelope, MessagePayload payload) {
  return core_->route(envelope, payload, detail::kNoSlot);
}

SendResult Engine::stop_actor(AddrHash address) {
  return core_->post_stop(address, detail::Signal::Kind::Stop);
}
SendResult Engine::kill_actor(AddrHash address, bool remove) {
  return core_->post_stop(address, detail::Signal::Kind::Kill, detail::kNoSlot, remove);
}
void Engine::interrupt() {
  core_->interrupted = true;
}

std::optional<AddrHash> Engine::lookup(std::string_view path) const {
  return core_->lookup(path);
}
void Engine::run() {
  core_->run(EngineCore::RunMode::UntilShutdown);
}
void Engine::run_until_idle() {
  core_->run(EngineCore::RunMode::UntilIdle);
}
void Engine::run_for(Duration d) {
  core_->run(EngineCore::RunMode::UntilTime, core_->reactor->now() + d);
}
void Engine::shutdown() {
  core_->begin_shutdown();
}
bool Engine::is_shut_down() const {
  return core_->shut_down;
}
std::optional<ActorError> Engine::failure() const {
  return core_->failure;
}
EngineHandle Engine::handle() {
  return EngineHandle(core_->channel);
}
EngineSnapshot Engine::snapshot() const {
  return {core_->query(ActorQuery{}), core_->stats};
}
std::vector<ActorInfo> Engine::query(const ActorQuery& q) const {
  return core_->query(q);
}
std::optional<ActorInfo> Engine::info(AddrHash address) const {
  const detail::Cell* c = core_->resolve(address);
  if (c == nullptr) return std::nullopt;
  return core_->info_of(*c);
}
EngineStats Engine::stats() const {
  return core_->stats;
}
Reactor& Engine::reactor() {
  return *core_->reactor;
}
Instant Engine::now() const {
  return core_->reactor->now();
}
void Engine::set_event_listener(EngineEventListener l) {
  core_->listener = std::move(l);
}
void Engine::set_hooks(EngineHooks* hooks) {
  core_->hooks = hooks;
}

const char* to_string(ActorState s) {
  switch (s) {
    case ActorState::Starting: return "Starting";
    case ActorState::Running: return "Running";
    case ActorState::Stopping: return "Stopping";
    case ActorState::Restarting: return "Restarting";
  }
  return "?";
}

const char* to_string(EngineEvent::Kind k) {
  switch (k) {
    case EngineEvent::Kind::Spawned: return "spawned";
    case EngineEvent::Kind::Started: return "started";
    case EngineEvent::Kind::Failed: return "failed";
    case EngineEvent::Kind::Restarted: return "restarted";
    case EngineEvent::Kind::Stopped: return "stopped";
    case EngineEvent::Kind::IntensityExceeded: return "intensity-exceeded";
    case EngineEvent::Kind::SupervisorRestart: return "supervisor-restart";
  }
  return "?";
}

const char* to_string(RestartPolicy p) {
  switch (p) {
    case RestartPolicy::Permanent: return "permanent";
    case RestartPolicy::Transient: return "transient";
    case RestartPolicy::Temporary: return "temporary";
  }
  return "?";
}

const char* to_string(SupervisionStrategy s) {
  switch (s) {
    case SupervisionStrategy::OneForOne: return "one-for-one";
    case SupervisionStrategy::OneForAll: return "one-for-all";
    case SupervisionStrategy::RestForOne: return "rest-for-one";
  }
  return "?";
}

const char* to_string(SpawnError e) {
  switch (e) {
    case SpawnError::InvalidName: return "InvalidName";
    case SpawnError::NameTaken: return "NameTaken";
    case SpawnError::InvalidSpec: return "InvalidSpec";
    case SpawnError::ParentNotFound: return "ParentNotFound";
    case SpawnError::ParentStopping: return "ParentStopping";
    case SpawnError::PathCollision: return "PathCollision";
    case SpawnError::Unbound: return "Unbound";
    case SpawnError::NoSuchCore: return "NoSuchCore";
  }
  return "?";
}

}  // namespace pd
