// MultiCoreEngine: builds the cores and their links, owns their threads, and answers for the
// engine as a whole (merged introspection, shutdown of every core).
#include "pd/runtime/multi_core_engine.h"

#include <pthread.h>
#include <sched.h>

#include <future>
#include <stdexcept>
#include <string>

#include "context_impl.h"

namespace pd {

using detail::EngineCore;

namespace {

void check_config(const MultiCoreConfig& c) {
  if (c.cores == 0 || c.cores > kMaxCores)
    throw std::invalid_argument("MultiCoreConfig.cores must be 1.." + std::to_string(kMaxCores) +
                                ", got " + std::to_string(c.cores));
  if (c.ring_capacity < 2 || (c.ring_capacity & (c.ring_capacity - 1)) != 0)
    throw std::invalid_argument(
        "MultiCoreConfig.ring_capacity must be a power of two of at least 2, got " +
        std::to_string(c.ring_capacity));
  if (c.spin_before_sleep < Duration::zero())
    throw std::invalid_argument("MultiCoreConfig.spin_before_sleep must not be negative");
}

// Core i runs on the i-th CPU this process may use (modulo their number).
void pin_to_cpu(uint32_t index) {
  cpu_set_t allowed;
  if (sched_getaffinity(0, sizeof allowed, &allowed) != 0) return;
  int count = CPU_COUNT(&allowed);
  if (count <= 0) return;
  int wanted = int(index % uint32_t(count));
  for (int cpu = 0, seen = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (!CPU_ISSET(cpu, &allowed)) continue;
    if (seen++ != wanted) continue;
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    pthread_setaffinity_np(pthread_self(), sizeof one, &one);
    return;
  }
}

CoreStats stats_of(EngineCore& core) {
  CoreStats s;
  s.core_id = core.config.core_id;
  s.engine = core.stats;
  s.ring_sent = core.counters.ring_sent;
  s.ring_received = core.counters.ring_received;
  s.ring_full = core.counters.ring_full;
  s.ring_depth = core.ring_depth_in();
  s.run_queue_depth = core.ready_count();
  s.busy_ns = core.counters.busy_ns;
  s.wakeups_sent = core.counters.wakeups_sent;
  return s;
}

// Runs `work` on the core's loop and waits for it (false if the core no longer answers).
template <class F>
bool on_core(EngineCore& core, F work) {
  auto done = std::make_shared<std::promise<void>>();
  auto fut = done->get_future();
  if (!core.channel->post([done, work](EngineCore& c) mutable {
        work(c);
        done->set_value();
      }))
    return false;
  try {
    fut.get();
    return true;
  } catch (const std::future_error&) {
    return false;
  }
}

}  // namespace

MultiCoreEngine::MultiCoreEngine(MultiCoreConfig config) {
  check_config(config);
  links_ = std::make_shared<detail::CoreLinks>(config.cores, config.ring_capacity,
                                               config.spin_before_sleep);
  auto routes = std::make_shared<detail::HandleRoutes>();
  for (uint32_t i = 0; i < config.cores; ++i) {
    EngineConfig ec = config.engine;
    ec.core_id = i;
    engines_.push_back(std::make_unique<Engine>(std::move(ec)));
    EngineCore& core = engines_.back()->core();
    core.links = links_.get();
    links_->engines[i] = &core;
    routes->channels.push_back(core.channel);
  }
  routes_ = std::move(routes);
  pin_threads_ = config.pin_threads;
}

MultiCoreEngine::~MultiCoreEngine() {
  if (started_) {
    shutdown();
    wait();
  }
}

uint32_t MultiCoreEngine::cores() const {
  return uint32_t(engines_.size());
}

std::optional<uint32_t> MultiCoreEngine::home_core(std::string_view path) const {
  auto p = ActorPath::parse(path);
  if (!p) return std::nullopt;
  return links_->home_core(p->hash());
}

void MultiCoreEngine::settle() {
  // Before the loops run, what the spawns put into rings (adoptions on other cores, their
  // placements) is delivered here, on the calling thread, so later setup sees it.
  for (bool moved = true; moved;) {
    moved = false;
    for (auto& e : engines_) {
      EngineCore& core = e->core();
      core.flush_all_placements();
      core.flush_overflow();
      moved |= core.drain_rings();
    }
  }
  for (auto& e : engines_) e->core().pending_wakes_reset();
}

Expected<AddrHash, SpawnError> MultiCoreEngine::spawn(ChildSpec spec,
                                                      std::string_view parent_path) {
  if (started_) return handle().spawn(std::move(spec), std::string(parent_path));
  auto parent = ActorPath::parse(parent_path);
  if (!parent) return Unexpected{SpawnError::ParentNotFound};
  bool top_level = false;
  uint64_t key = detail::spawn_routing_hash(*parent, spec.name, &top_level);
  EngineCore* core = &engines_[links_->home_core(key)]->core();
  if (!top_level) core = &engines_[core->owner_core(AddrHash(parent->hash(), 0))]->core();
  auto r = core->spawn_under(parent->str(), std::move(spec));
  settle();
  return r;
}

void MultiCoreEngine::start() {
  PD_ASSERT(!started_, "a MultiCoreEngine starts once");
  started_ = true;
  for (uint32_t i = 0; i < engines_.size(); ++i) {
    threads_.emplace_back([this, i] {
      if (pin_threads_) pin_to_cpu(i);
      engines_[i]->run();
    });
  }
}

void MultiCoreEngine::shutdown() {
  for (auto& e : engines_) e->core().channel->post([](EngineCore& c) { c.begin_shutdown(); });
}

void MultiCoreEngine::wait() {
  std::lock_guard<std::mutex> lock(join_mu_);  // wait() may be called from several threads
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  joined_.store(started_, std::memory_order_release);
}

bool MultiCoreEngine::loops_answer() {
  if (!started_ || joined_.load(std::memory_order_acquire)) return false;
  if (!links_->all_done()) return true;
  wait();  // every core is done: the loops are returning, so read their state once joined
  return false;
}

void MultiCoreEngine::run() {
  start();
  wait();
}

bool MultiCoreEngine::running() const {
  return started_ && !joined_.load(std::memory_order_acquire) && !links_->all_done();
}

EngineHandle MultiCoreEngine::handle() {
  return EngineHandle(engines_[0]->core().channel, routes_);
}

EngineSnapshot MultiCoreEngine::snapshot() {
  if (loops_answer()) return handle().snapshot();
  EngineSnapshot out;
  for (auto& e : engines_) out += e->snapshot();
  return out;
}

std::vector<ActorInfo> MultiCoreEngine::query(const ActorQuery& q) {
  if (loops_answer()) return handle().query(q);
  std::vector<ActorInfo> out;
  for (auto& e : engines_)
    for (ActorInfo& i : e->query(q)) out.push_back(std::move(i));
  return out;
}

std::vector<CoreStats> MultiCoreEngine::core_stats() {
  std::vector<CoreStats> out(engines_.size());
  bool live = loops_answer();
  for (uint32_t i = 0; i < engines_.size(); ++i) {
    EngineCore& core = engines_[i]->core();
    if (!live) {
      out[i] = stats_of(core);
    } else if (!on_core(core, [&out, i](EngineCore& c) { out[i] = stats_of(c); })) {
      out[i].core_id = i;  // that core finished meanwhile: its figures are read after wait()
    }
  }
  return out;
}

std::optional<ActorError> MultiCoreEngine::failure() const {
  for (const auto& e : engines_)
    if (auto f = e->failure()) return f;
  return std::nullopt;
}

Engine& MultiCoreEngine::core(uint32_t index) {
  PD_ASSERT(index < engines_.size(), "no such core");
  return *engines_[index];
}

}  // namespace pd
