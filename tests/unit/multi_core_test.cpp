// Spec: MultiCoreEngine, one Engine per core on its own thread, joined by bounded rings.
// Everything an actor can do works across cores: sends arrive in order per sender, asks get
// their reply, their timeout or NoResponse, monitors report Down, a parent supervises a child
// placed on another core; a full ring is backpressure (MailboxFull at once), never a silent
// drop; a shutdown with traffic in flight stops every actor exactly once.
//
// Actors run on the cores' threads and report through a Book (a log behind a mutex that the
// test thread waits on), promises and atomics. The test waits with a patience that only a
// broken engine reaches and never sleeps to let things happen. Placement::on_core puts each
// actor on a chosen core; query() and snapshot() say where it ended up.

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "engine_test_support.h"
#include "pd/runtime/multi_core_engine.h"

namespace pd::test {
namespace {

constexpr auto kPatience = std::chrono::seconds(10);  // only reached when something is broken

// ---------------------------------------------------------------------------------------------
// Book: what the actors of one test write, from any core's thread.

class Book {
 public:
  void add(std::string entry) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      entries_.push_back(std::move(entry));
    }
    cv_.notify_all();
  }
  // Addresses by key: an actor's self() at each start, or what a spawn returned.
  void note(const std::string& key, AddrHash a) {
    std::lock_guard<std::mutex> lock(mu_);
    addresses_[key].push_back(a);
  }
  void note_down(const std::string& name, const Down& d) {
    std::lock_guard<std::mutex> lock(mu_);
    downs_[name].push_back(d);
  }
  // The latest address noted under `key` (null if none).
  AddrHash address(const std::string& key) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = addresses_.find(key);
    return it == addresses_.end() || it->second.empty() ? AddrHash{} : it->second.back();
  }
  std::vector<AddrHash> addresses(const std::string& key) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = addresses_.find(key);
    return it == addresses_.end() ? std::vector<AddrHash>{} : it->second;
  }
  std::vector<Down> downs(const std::string& name) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = downs_.find(name);
    return it == downs_.end() ? std::vector<Down>{} : it->second;
  }
  size_t count(std::string_view entry) const {
    std::lock_guard<std::mutex> lock(mu_);
    return count_in(entries_, entry);
  }
  // The entries of one actor ("b:..."), in order.
  std::vector<std::string> of(std::string_view name) const {
    std::lock_guard<std::mutex> lock(mu_);
    return of_in(entries_, name);
  }
  std::vector<std::string> all() const {
    std::lock_guard<std::mutex> lock(mu_);
    return entries_;
  }
  // Until `entry` has been written `times` times; false when the patience ran out.
  bool wait_for(std::string_view entry, size_t times = 1) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, kPatience, [&] { return count_in(entries_, entry) >= times; });
  }
  // Until some entry starts with `prefix`.
  bool wait_for_prefix(std::string_view prefix) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, kPatience, [&] {
      return std::any_of(entries_.begin(), entries_.end(),
                         [&](const std::string& e) { return e.rfind(prefix, 0) == 0; });
    });
  }
  // Until actor `name` has written `n` entries.
  bool wait_for_entries_of(std::string_view name, size_t n) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, kPatience, [&] { return of_in(entries_, name).size() >= n; });
  }

 private:
  static size_t count_in(const std::vector<std::string>& v, std::string_view entry) {
    return size_t(std::count(v.begin(), v.end(), entry));
  }
  static std::vector<std::string> of_in(const std::vector<std::string>& v, std::string_view name) {
    std::vector<std::string> out;
    std::string prefix = std::string(name) + ":";
    for (const auto& e : v)
      if (e.rfind(prefix, 0) == 0) out.push_back(e);
    return out;
  }

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> entries_;
  std::map<std::string, std::vector<AddrHash>> addresses_;
  std::map<std::string, std::vector<Down>> downs_;
};

// Runs `run` inside the receiving actor's turn, with its context: the test's way of making an
// actor on some core do something.
struct Do {
  std::function<void(ActorContext&)> run;
};

// Reporter: writes what happens to it to the Book, as Recorder does to a Trace:
//   name:start (and notes self() under `name`), name:stop:<reason>, name:ping:<n>,
//   name:crash (then fails), name:stop-self (then ctx.stop()), name:question:<n> (then replies
//   Answer{2n}), name:down:<reason> / name:down-noproc (and notes the Down), name:other.
class Reporter final : public Actor {
 public:
  Reporter(std::string name, std::shared_ptr<Book> book, Hooks hooks)
      : name_(std::move(name)), book_(std::move(book)), hooks_(std::move(hooks)) {}

  HandlerResult on_start(ActorContext& ctx) override {
    book_->note(name_, ctx.self());
    book_->add(name_ + ":start");
    if (hooks_.on_start) return hooks_.on_start(ctx);
    return {};
  }

  HandlerResult on_message(ActorContext& ctx, const Envelope& envelope,
                           MessagePayload& payload) override {
    if (hooks_.on_message) {
      if (auto r = hooks_.on_message(ctx, envelope, payload)) return *r;
    }
    if (auto* d = payload.get_if<Do>()) {
      d->run(ctx);
      return {};
    }
    if (auto* m = payload.get_if<Ping>()) {
      book_->add(name_ + ":ping:" + std::to_string(m->n));
      return {};
    }
    if (auto* c = payload.get_if<Crash>()) {
      book_->add(name_ + ":crash");
      return Unexpected{ActorError::handler(c->why)};
    }
    if (payload.get_if<StopSelf>()) {
      book_->add(name_ + ":stop-self");
      ctx.stop();
      return {};
    }
    if (auto* q = payload.get_if<Question>()) {
      book_->add(name_ + ":question:" + std::to_string(q->n));
      (void)ctx.reply(envelope, Answer{q->n * 2});
      return {};
    }
    if (auto* d = payload.get_if<Down>()) {
      book_->note_down(name_, *d);
      book_->add(d->existed ? name_ + ":down:" + to_string(d->reason) : name_ + ":down-noproc");
      return {};
    }
    book_->add(name_ + ":other");
    return {};
  }

  void on_stop(ActorContext& ctx, const StopReason& reason) override {
    book_->add(name_ + ":stop:" + to_string(reason));
    if (hooks_.on_stop) hooks_.on_stop(ctx, reason);
  }

 private:
  std::string name_;
  std::shared_ptr<Book> book_;
  Hooks hooks_;
};

ChildSpec reporter(std::string name, std::shared_ptr<Book> book, Hooks hooks = {}) {
  std::string n = name;
  return ChildSpec(std::move(n),
                   [name = std::move(name), book = std::move(book),
                    hooks = std::move(hooks)]() -> std::unique_ptr<Actor> {
                     return std::make_unique<Reporter>(name, book, hooks);
                   });
}

// on_start hook: spawns `children` in order (in every incarnation), writes
// "<parent>:spawned:<child>:<ok or SpawnError>" and notes what each spawn returned under
// "<parent>-><child>".
std::function<HandlerResult(ActorContext&)> spawning(std::string parent, std::shared_ptr<Book> book,
                                                     std::vector<ChildSpec> children) {
  return [parent = std::move(parent), book = std::move(book),
          children = std::move(children)](ActorContext& ctx) -> HandlerResult {
    for (const ChildSpec& spec : children) {
      auto r = ctx.spawn(spec);
      if (r) book->note(parent + "->" + spec.name, r.value());
      book->add(parent + ":spawned:" + spec.name + ":" + (r ? "ok" : to_string(r.error())));
    }
    return {};
  };
}

ChildSpec on_core(ChildSpec spec, uint32_t core) {
  spec.placement = Placement::on_core(core);
  return spec;
}

MultiCoreConfig cores(uint32_t n) {
  MultiCoreConfig c;
  c.cores = n;
  return c;
}

AddrHash path_address(std::string_view path) {
  return AddrHash(ActorPath::fnv1a_of_path(path), 0);
}

// A segment `stem<i>` whose path under `parent` hashes to `core`: a test places an actor at its
// home core or away from it on purpose, whatever the hash function does.
std::string name_homed_on(const MultiCoreEngine& engine, const std::string& parent,
                          const std::string& stem, uint32_t core) {
  for (int i = 0; i < 1000; ++i) {
    std::string name = stem + std::to_string(i);
    if (engine.home_core(parent + "/" + name) == std::optional<uint32_t>(core)) return name;
  }
  ADD_FAILURE() << "no name " << stem << "<i> under " << parent << " is homed on core " << core;
  return stem;
}

// Spawns before start() and checks that it worked.
AddrHash must_spawn(MultiCoreEngine& engine, ChildSpec spec, std::string_view parent = "/user") {
  std::string name = spec.name;
  auto r = engine.spawn(std::move(spec), parent);
  EXPECT_TRUE(r.has_value()) << "spawn of " << name << " under " << parent
                             << " failed: " << to_string(r.error());
  return r.has_value() ? r.value() : AddrHash{};
}

// The entries of query() for exactly `path`.
std::vector<ActorInfo> actors_at(MultiCoreEngine& engine, const std::string& path) {
  std::vector<ActorInfo> out;
  for (ActorInfo& i : engine.query(ActorQuery{path, std::nullopt}))
    if (i.path == path) out.push_back(std::move(i));
  return out;
}

// Polls `done` (through the engine's own answers) until it holds; false after the patience.
bool eventually(const std::function<bool()>& done) {
  auto deadline = std::chrono::steady_clock::now() + kPatience;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

// wait(), or abort the binary with a message: a join that never returns would hang the suite.
void wait_or_abort(MultiCoreEngine& engine) {
  auto waited = std::async(std::launch::async, [&engine] { engine.wait(); });
  if (waited.wait_for(kPatience) != std::future_status::ready) {
    std::fprintf(stderr, "MultiCoreEngine::wait() did not return within the patience\n");
    std::fflush(stderr);
    std::abort();
  }
}

template <class T>
bool ready(std::future<T>& f) {
  return f.wait_for(kPatience) == std::future_status::ready;
}

// A gate an actor blocks on (holding its core's loop) until the test opens it. It opens at the
// latest when destroyed, so a failing test never leaves a core blocked.
class Gate {
 public:
  std::shared_future<void> passage() const { return passage_; }
  void open() {
    if (!opened_) promise_.set_value();
    opened_ = true;
  }
  ~Gate() { open(); }

 private:
  std::promise<void> promise_;
  std::shared_future<void> passage_ = promise_.get_future().share();
  bool opened_ = false;
};

// ---------------------------------------------------------------------------------------------
// 1. Sends across cores

TEST(MultiCoreSend, pings_to_an_incarnation_on_the_other_core_all_arrive_in_order) {
  constexpr int kCount = 1000;
  auto book = std::make_shared<Book>();
  MultiCoreEngine engine(cores(2));
  must_spawn(engine, on_core(reporter("a", book), 0));
  must_spawn(engine, on_core(reporter("b", book), 1));
  engine.start();
  ASSERT_TRUE(book->wait_for("a:start"));
  ASSERT_TRUE(book->wait_for("b:start"));
  AddrHash a = book->address("a");
  AddrHash b = book->address("b");  // b's self(): its incarnation address

  EngineHandle h = engine.handle();
  ASSERT_EQ(result_of(h.send(a, Do{[book, b](ActorContext& ctx) {
                               for (int i = 0; i < kCount; ++i) {
                                 SendResult r = ctx.send(b, Ping{i});
                                 if (!r) book->add("a:refused:" + result_of(r));
                               }
                             }})),
            "ok");
  ASSERT_TRUE(book->wait_for("b:ping:" + std::to_string(kCount - 1)));

  std::vector<std::string> expected{"b:start"};
  for (int i = 0; i < kCount; ++i) expected.push_back("b:ping:" + std::to_string(i));
  EXPECT_EQ(book->of("b"), expected);
  EXPECT_EQ(book->of("a"), std::vector<std::string>{"a:start"});
  auto at_a = actors_at(engine, "/user/a");
  auto at_b = actors_at(engine, "/user/b");
  ASSERT_EQ(at_a.size(), 1u);
  ASSERT_EQ(at_b.size(), 1u);
  EXPECT_EQ(at_a[0].core_id, 0u);
  EXPECT_EQ(at_b[0].core_id, 1u);
}

// Senders on both cores send by path address to an actor on core 1 whose path hashes to
// `home`; each sender's pings arrive in its order.
void expect_path_pings_arrive_in_order(uint32_t home) {
  constexpr int kCount = 300;
  auto book = std::make_shared<Book>();
  MultiCoreEngine engine(cores(2));
  std::string target = name_homed_on(engine, "/user", "t", home);
  must_spawn(engine, on_core(reporter("s0", book), 0));
  must_spawn(engine, on_core(reporter("s1", book), 1));
  must_spawn(engine, on_core(reporter(target, book), 1));
  engine.start();
  for (const std::string& started :
       {std::string("s0:start"), std::string("s1:start"), target + ":start"})
    ASSERT_TRUE(book->wait_for(started)) << started;

  AddrHash to = path_address("/user/" + target);
  EngineHandle h = engine.handle();
  for (int s = 0; s < 2; ++s) {
    std::string sender = "s" + std::to_string(s);
    ASSERT_EQ(result_of(h.send(book->address(sender), Do{[book, to, sender, s](ActorContext& ctx) {
                                 for (int i = 0; i < kCount; ++i) {
                                   SendResult r = ctx.send(to, Ping{s * 10000 + i});
                                   if (!r) book->add(sender + ":refused:" + result_of(r));
                                 }
                               }})),
              "ok");
  }
  ASSERT_TRUE(book->wait_for_entries_of(target, 1 + 2 * kCount));

  std::vector<std::string> from0, from1, expected0, expected1;
  for (const std::string& e : book->of(target)) {
    if (e == target + ":start") continue;
    int n = std::stoi(e.substr(e.rfind(':') + 1));
    (n < 10000 ? from0 : from1).push_back(e);
  }
  for (int i = 0; i < kCount; ++i) {
    expected0.push_back(target + ":ping:" + std::to_string(i));
    expected1.push_back(target + ":ping:" + std::to_string(10000 + i));
  }
  EXPECT_EQ(from0, expected0);
  EXPECT_EQ(from1, expected1);
  EXPECT_EQ(book->of(target).size(), size_t(1 + 2 * kCount)) << "a ping arrived twice";
  EXPECT_EQ(book->count("s0:refused:MailboxFull") + book->count("s1:refused:MailboxFull"), 0u);
  auto at = actors_at(engine, "/user/" + target);
  ASSERT_EQ(at.size(), 1u);
  EXPECT_EQ(at[0].core_id, 1u);
}

TEST(MultiCoreSend, pings_by_path_address_from_both_cores_arrive_in_order_at_home) {
  expect_path_pings_arrive_in_order(/*home=*/1);
}

TEST(MultiCoreSend, pings_by_path_address_from_both_cores_arrive_in_order_away_from_home) {
  expect_path_pings_arrive_in_order(/*home=*/0);
}

// ---------------------------------------------------------------------------------------------
// 2. Asks across cores

// Makes `asker` ask `target` Question{n}; the callback writes "<asker>:reply:<Answer.n>" (and
// "<asker>:reply-source-ok" when the reply came from `target`) or "<asker>:reply:<AskError>".
SendResult ask_from(EngineHandle& h, const std::shared_ptr<Book>& book, const std::string& asker,
                    AddrHash target, int n, Duration timeout) {
  return h.send(
      book->address(asker), Do{[book, asker, target, n, timeout](ActorContext& ctx) {
        ctx.ask(target, Question{n}, timeout, [book, asker, target](ActorContext&, AskResult r) {
          if (!r) {
            book->add(asker + ":reply:" + to_string(r.error()));
            return;
          }
          if (r.value().envelope.source == target && r.value().envelope.is_response())
            book->add(asker + ":reply-source-ok");
          auto answer = r.value().payload.get<Answer>();
          book->add(asker +
                    ":reply:" + (answer ? std::to_string(answer.value()->n) : "not-an-Answer"));
        });
      }});
}

TEST(MultiCoreAsk, reply_from_an_actor_on_the_other_core_reaches_the_askers_callback) {
  auto book = std::make_shared<Book>();
  MultiCoreEngine engine(cores(2));
  must_spawn(engine, on_core(reporter("a", book), 0));
  must_spawn(engine, on_core(reporter("b", book), 1));
  engine.start();
  ASSERT_TRUE(book->wait_for("a:start"));
  ASSERT_TRUE(book->wait_for("b:start"));
  EngineHandle h = engine.handle();

  ASSERT_EQ(result_of(ask_from(h, book, "a", book->address("b"), 21, kPatience)), "ok");
  ASSERT_TRUE(book->wait_for_prefix("a:reply:"));
  EXPECT_EQ(book->of("a"),
            (std::vector<std::string>{"a:start", "a:reply-source-ok", "a:reply:42"}));
  EXPECT_EQ(book->of("b"), (std::vector<std::string>{"b:start", "b:question:21"}));
}

TEST(MultiCoreAsk, ask_to_an_actor_on_the_other_core_that_never_answers_times_out) {
  auto book = std::make_shared<Book>();
  Hooks silent;
  silent.on_message = [book](ActorContext&, const Envelope&,
                             MessagePayload& p) -> std::optional<HandlerResult> {
    if (!p.is<Question>()) return std::nullopt;
    book->add("b:question-ignored");
    return HandlerResult{};
  };
  MultiCoreEngine engine(cores(2));
  must_spawn(engine, on_core(reporter("a", book), 0));
  must_spawn(engine, on_core(reporter("b", book, silent), 1));
  engine.start();
  ASSERT_TRUE(book->wait_for("a:start"));
  ASSERT_TRUE(book->wait_for("b:start"));
  EngineHandle h = engine.handle();

  ASSERT_EQ(result_of(ask_from(h, book, "a", book->address("b"), 1, std::chrono::milliseconds(50))),
            "ok");
  ASSERT_TRUE(book->wait_for_prefix("a:reply:"));
  EXPECT_EQ(book->of("a"), (std::vector<std::string>{"a:start", "a:reply:Timeout"}));
  ASSERT_TRUE(book->wait_for("b:question-ignored"));  // (it may come after the timeout)
  EXPECT_EQ(book->count("b:question-ignored"), 1u);
}

TEST(MultiCoreAsk,
     ask_to_an_actor_on_the_other_core_that_stops_without_answering_gives_no_response) {
  auto book = std::make_shared<Book>();
  Hooks quits;
  quits.on_message = [book](ActorContext& ctx, const Envelope&,
                            MessagePayload& p) -> std::optional<HandlerResult> {
    if (!p.is<Question>()) return std::nullopt;
    book->add("b:quits");
    ctx.stop();
    return HandlerResult{};
  };
  MultiCoreEngine engine(cores(2));
  must_spawn(engine, on_core(reporter("a", book), 0));
  must_spawn(engine, on_core(reporter("b", book, quits), 1).with_restart(RestartPolicy::Temporary));
  engine.start();
  ASSERT_TRUE(book->wait_for("a:start"));
  ASSERT_TRUE(book->wait_for("b:start"));
  EngineHandle h = engine.handle();

  // The timeout is the patience: only NoResponse can come back in time.
  ASSERT_EQ(result_of(ask_from(h, book, "a", book->address("b"), 1, kPatience)), "ok");
  ASSERT_TRUE(book->wait_for_prefix("a:reply:"));
  EXPECT_EQ(book->of("a"), (std::vector<std::string>{"a:start", "a:reply:NoResponse"}));
  EXPECT_EQ(book->of("b"), (std::vector<std::string>{"b:start", "b:quits", "b:stop:Normal"}));
}

TEST(MultiCoreAsk,
     ask_by_path_to_an_actor_placed_away_from_home_that_stops_without_answering_gives_no_response) {
  auto book = std::make_shared<Book>();
  Hooks quits;
  quits.on_message = [book](ActorContext& ctx, const Envelope&,
                            MessagePayload& p) -> std::optional<HandlerResult> {
    if (!p.is<Question>()) return std::nullopt;
    book->add("b:quits");
    ctx.stop();
    return HandlerResult{};
  };
  MultiCoreEngine engine(cores(2));
  std::string away = name_homed_on(engine, "/user", "away", 0);
  must_spawn(engine, on_core(reporter("a", book), 0));
  must_spawn(engine, on_core(reporter(away, book, quits), 1));  // Permanent: restarted
  engine.start();
  ASSERT_TRUE(book->wait_for("a:start"));
  ASSERT_TRUE(book->wait_for(away + ":start"));
  EngineHandle h = engine.handle();

  // A timeout far longer than a stop takes, short enough to fail fast when NoResponse is lost.
  ASSERT_EQ(
      result_of(ask_from(h, book, "a", path_address("/user/" + away), 1, std::chrono::seconds(2))),
      "ok");
  ASSERT_TRUE(book->wait_for_prefix("a:reply:"));
  EXPECT_EQ(book->of("a"), (std::vector<std::string>{"a:start", "a:reply:NoResponse"}));
  EXPECT_EQ(book->count("b:quits"), 1u);
}

// ---------------------------------------------------------------------------------------------
// 3. Monitors across cores

// w on core 0 monitors t on core 1, then sends it `last` (in that order, so the monitor is in
// place when t handles it).
template <class Last>
void watch_then_send(EngineHandle& h, const std::shared_ptr<Book>& book, AddrHash t, Last last) {
  ASSERT_EQ(result_of(h.send(book->address("w"), Do{[t, last](ActorContext& ctx) {
                               ctx.monitor(t);
                               (void)ctx.send(t, last);
                             }})),
            "ok");
}

TEST(MultiCoreMonitor, watcher_gets_down_with_address_and_error_when_target_on_other_core_crashes) {
  auto book = std::make_shared<Book>();
  MultiCoreEngine engine(cores(2));
  must_spawn(engine, on_core(reporter("w", book), 0));
  must_spawn(engine, on_core(reporter("t", book), 1).with_restart(RestartPolicy::Temporary));
  engine.start();
  ASSERT_TRUE(book->wait_for("w:start"));
  ASSERT_TRUE(book->wait_for("t:start"));
  EngineHandle h = engine.handle();
  AddrHash t = book->address("t");

  watch_then_send(h, book, t, Crash{"boom"});
  ASSERT_TRUE(book->wait_for("w:down:Error(Handler(boom))"));
  auto downs = book->downs("w");
  ASSERT_EQ(downs.size(), 1u);
  EXPECT_EQ(downs[0].actor.to_string(), t.to_string());
  EXPECT_TRUE(downs[0].existed);
  EXPECT_EQ(downs[0].reason, StopReason::failed(ActorError::handler("boom")));
  EXPECT_EQ(book->of("t"),
            (std::vector<std::string>{"t:start", "t:crash", "t:stop:Error(Handler(boom))"}));
}

TEST(MultiCoreMonitor, watcher_gets_down_normal_when_target_on_other_core_stops_itself) {
  auto book = std::make_shared<Book>();
  MultiCoreEngine engine(cores(2));
  must_spawn(engine, on_core(reporter("w", book), 0));
  must_spawn(engine, on_core(reporter("t", book), 1).with_restart(RestartPolicy::Temporary));
  engine.start();
  ASSERT_TRUE(book->wait_for("w:start"));
  ASSERT_TRUE(book->wait_for("t:start"));
  EngineHandle h = engine.handle();
  AddrHash t = book->address("t");

  watch_then_send(h, book, t, StopSelf{});
  ASSERT_TRUE(book->wait_for("w:down:Normal"));
  auto downs = book->downs("w");
  ASSERT_EQ(downs.size(), 1u);
  EXPECT_EQ(downs[0].actor.to_string(), t.to_string());
  EXPECT_TRUE(downs[0].existed);
  EXPECT_EQ(book->of("t"), (std::vector<std::string>{"t:start", "t:stop-self", "t:stop:Normal"}));
}

TEST(MultiCoreMonitor,
     monitoring_an_address_on_the_other_core_with_nothing_alive_gives_down_at_once) {
  auto book = std::make_shared<Book>();
  MultiCoreEngine engine(cores(2));
  std::string ghost = name_homed_on(engine, "/user", "ghost", 1);
  must_spawn(engine, on_core(reporter("w", book), 0));
  must_spawn(engine, on_core(reporter("t", book), 1));
  engine.start();
  ASSERT_TRUE(book->wait_for("w:start"));
  ASSERT_TRUE(book->wait_for("t:start"));
  EngineHandle h = engine.handle();
  AddrHash t = book->address("t");
  ASSERT_EQ(result_of(h.stop_actor(t)), "ok");
  ASSERT_TRUE(book->wait_for("t:stop:Requested"));

  // A stopped incarnation on core 1, then a path homed on core 1 where nothing was spawned.
  AddrHash nobody = path_address("/user/" + ghost);
  ASSERT_EQ(result_of(h.send(book->address("w"), Do{[t](ActorContext& ctx) { ctx.monitor(t); }})),
            "ok");
  ASSERT_TRUE(book->wait_for("w:down-noproc", 1));
  ASSERT_EQ(result_of(h.send(book->address("w"),
                             Do{[nobody](ActorContext& ctx) { ctx.monitor(nobody); }})),
            "ok");
  ASSERT_TRUE(book->wait_for("w:down-noproc", 2));

  auto downs = book->downs("w");
  ASSERT_EQ(downs.size(), 2u);
  EXPECT_EQ(downs[0].actor.to_string(), t.to_string());
  EXPECT_FALSE(downs[0].existed);
  EXPECT_EQ(downs[1].actor.to_string(), nobody.to_string());
  EXPECT_FALSE(downs[1].existed);
}

// w (on the path's home core 0) monitors, by path address, an actor placed on core 1.
void expect_path_monitor_reports_the_crash(const std::string& parent_path, uint32_t target_home) {
  auto book = std::make_shared<Book>();
  MultiCoreEngine engine(cores(2));
  std::string name = name_homed_on(engine, parent_path, "t", target_home);
  ChildSpec target = on_core(reporter(name, book), 1).with_restart(RestartPolicy::Temporary);
  must_spawn(engine, on_core(reporter("w", book), 0));
  if (parent_path == "/user") {
    must_spawn(engine, std::move(target));
  } else {
    Hooks parent;
    parent.on_start = spawning("p", book, {std::move(target)});
    must_spawn(engine, on_core(reporter("p", book, parent), 0));
  }
  engine.start();
  ASSERT_TRUE(book->wait_for("w:start"));
  ASSERT_TRUE(book->wait_for(name + ":start"));
  EngineHandle h = engine.handle();
  AddrHash t = path_address(parent_path + "/" + name);

  watch_then_send(h, book, t, Crash{});
  ASSERT_TRUE(book->wait_for_prefix("w:down"));
  EXPECT_EQ(book->of("w"), (std::vector<std::string>{"w:start", "w:down:Error(Handler(crash))"}));
  auto downs = book->downs("w");
  ASSERT_EQ(downs.size(), 1u);
  EXPECT_EQ(downs[0].actor.path_hash(), t.path_hash());
  EXPECT_TRUE(downs[0].existed);
}

TEST(MultiCoreMonitor,
     monitor_by_path_of_a_top_level_actor_placed_away_from_home_reports_its_crash) {
  expect_path_monitor_reports_the_crash("/user", /*target_home=*/0);
}

TEST(MultiCoreMonitor,
     monitor_by_path_of_a_child_living_away_from_its_paths_home_reports_its_crash) {
  expect_path_monitor_reports_the_crash("/user/p", /*target_home=*/0);
}

TEST(MultiCoreMonitor, monitor_by_path_of_an_actor_at_its_home_core_reports_its_crash) {
  expect_path_monitor_reports_the_crash("/user", /*target_home=*/1);
  expect_path_monitor_reports_the_crash("/user/p", /*target_home=*/1);
}

// ---------------------------------------------------------------------------------------------
// 4. Supervision across cores: a parent on core 0, a child placed on core 1

TEST(MultiCoreSupervision, spawn_on_other_core_returns_the_childs_path_address) {
  auto book = std::make_shared<Book>();
  MultiCoreEngine engine(cores(2));
  Hooks parent;
  parent.on_start = spawning("p", book, {on_core(reporter("c", book), 1)});
  must_spawn(engine, on_core(reporter("p", book, parent), 0));
  engine.start();
  ASSERT_TRUE(book->wait_for("c:start"));

  EXPECT_EQ(book->count("p:spawned:c:ok"), 1u);
  EXPECT_EQ(book->address("p->c").to_string(), path_address("/user/p/c").to_string());
  auto at = actors_at(engine, "/user/p/c");
  ASSERT_EQ(at.size(), 1u);
  EXPECT_EQ(at[0].core_id, 1u);
  EXPECT_EQ(at[0].address.to_string(), book->address("c").to_string());
}

TEST(MultiCoreSupervision, crashed_child_on_other_core_is_restarted_there_as_a_new_incarnation) {
  auto book = std::make_shared<Book>();
  MultiCoreEngine engine(cores(2));
  Hooks parent;
  parent.on_start = spawning("p", book, {on_core(reporter("c", book), 1)});
  must_spawn(engine, on_core(reporter("p", book, parent), 0));
  engine.start();
  ASSERT_TRUE(book->wait_for("c:start"));
  AddrHash first = book->address("c");
  EngineHandle h = engine.handle();

  ASSERT_EQ(result_of(h.send(first, Crash{})), "ok");
  ASSERT_TRUE(book->wait_for("c:start", 2));
  AddrHash second = book->address("c");
  EXPECT_NE(second.to_string(), first.to_string());
  EXPECT_EQ(second.path_hash(), first.path_hash());
  EXPECT_EQ(book->of("c"), (std::vector<std::string>{"c:start", "c:crash",
                                                     "c:stop:Error(Handler(crash))", "c:start"}));
  EXPECT_EQ(book->of("p"), (std::vector<std::string>{"p:start", "p:spawned:c:ok"}));

  auto at = actors_at(engine, "/user/p/c");
  ASSERT_EQ(at.size(), 1u);
  EXPECT_EQ(at[0].core_id, 1u);
  EXPECT_EQ(at[0].address.to_string(), second.to_string());
  EXPECT_EQ(at[0].restart_count, 1u);
  // The old incarnation's address is dead; the new one answers.
  EXPECT_EQ(result_of(h.send(first, Ping{1})), "ActorStopped");
  EXPECT_EQ(result_of(h.send(second, Ping{2})), "ok");
  ASSERT_TRUE(book->wait_for("c:ping:2"));
  EXPECT_EQ(book->count("c:ping:1"), 0u);
}

TEST(MultiCoreSupervision, one_for_all_restarts_the_sibling_on_the_parents_core_too) {
  auto book = std::make_shared<Book>();
  MultiCoreEngine engine(cores(2));
  Hooks parent;
  parent.on_start =
      spawning("p", book, {on_core(reporter("s", book), 0), on_core(reporter("c", book), 1)});
  must_spawn(engine,
             on_core(reporter("p", book, parent), 0).with_strategy(SupervisionStrategy::OneForAll));
  engine.start();
  ASSERT_TRUE(book->wait_for("s:start"));
  ASSERT_TRUE(book->wait_for("c:start"));
  EngineHandle h = engine.handle();

  ASSERT_EQ(result_of(h.send(book->address("c"), Crash{})), "ok");
  ASSERT_TRUE(book->wait_for("c:start", 2));
  ASSERT_TRUE(book->wait_for("s:start", 2));
  EXPECT_EQ(book->of("s"), (std::vector<std::string>{"s:start", "s:stop:Supervisor", "s:start"}));
  EXPECT_EQ(book->of("c"), (std::vector<std::string>{"c:start", "c:crash",
                                                     "c:stop:Error(Handler(crash))", "c:start"}));
  EXPECT_EQ(book->count("p:start"), 1u);
  auto s = actors_at(engine, "/user/p/s");
  auto c = actors_at(engine, "/user/p/c");
  ASSERT_EQ(s.size(), 1u);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(s[0].core_id, 0u);
  EXPECT_EQ(c[0].core_id, 1u);
  EXPECT_EQ(s[0].restart_count, 1u);
  EXPECT_EQ(c[0].restart_count, 1u);
}

TEST(MultiCoreSupervision, temporary_child_on_other_core_is_removed_not_restarted_after_a_crash) {
  auto book = std::make_shared<Book>();
  MultiCoreEngine engine(cores(2));
  Hooks parent;
  parent.on_start =
      spawning("p", book, {on_core(reporter("c", book), 1).with_restart(RestartPolicy::Temporary)});
  must_spawn(engine, on_core(reporter("p", book, parent), 0));
  engine.start();
  ASSERT_TRUE(book->wait_for("c:start"));
  EngineHandle h = engine.handle();

  ASSERT_EQ(result_of(h.send(book->address("c"), Crash{})), "ok");
  ASSERT_TRUE(book->wait_for("c:stop:Error(Handler(crash))"));
  ASSERT_TRUE(eventually([&] { return actors_at(engine, "/user/p/c").empty(); }))
      << "the stopped temporary child was never removed";
  EXPECT_EQ(book->of("c"),
            (std::vector<std::string>{"c:start", "c:crash", "c:stop:Error(Handler(crash))"}));
  EXPECT_EQ(engine.snapshot().stats.restarts, 0u);
  EXPECT_EQ(result_of(h.send(path_address("/user/p/c"), Ping{1})), "Unroutable");
}

TEST(MultiCoreSupervision,
     restart_intensity_exceeded_by_a_remote_child_fails_the_parent_to_its_supervisor) {
  auto book = std::make_shared<Book>();
  MultiCoreEngine engine(cores(2));
  Hooks parent;
  parent.on_start = spawning("p", book, {on_core(reporter("c", book), 1)});
  Hooks grandparent;
  grandparent.on_start =
      spawning("g", book,
               {on_core(reporter("p", book, parent), 0)
                    .with_intensity(RestartIntensity{1, std::chrono::seconds(60)})});
  must_spawn(engine, on_core(reporter("g", book, grandparent), 0));
  engine.start();
  ASSERT_TRUE(book->wait_for("c:start"));
  EngineHandle h = engine.handle();

  ASSERT_EQ(result_of(h.send(book->address("c"), Crash{})), "ok");  // restarted (1 of 1)
  ASSERT_TRUE(book->wait_for("c:start", 2));
  ASSERT_EQ(result_of(h.send(book->address("c"), Crash{})), "ok");  // one too many
  // p fails; g (its supervisor) restarts it, and the new p spawns a new c on core 1.
  ASSERT_TRUE(book->wait_for("p:start", 2));
  ASSERT_TRUE(book->wait_for("c:start", 3));
  // The new c can start on core 1 before p, on core 0, has logged that its spawn returned.
  ASSERT_TRUE(book->wait_for("p:spawned:c:ok", 2));

  auto p = book->of("p");
  ASSERT_EQ(p.size(), 5u) << ::testing::PrintToString(p);
  EXPECT_EQ(p[0], "p:start");
  EXPECT_EQ(p[1], "p:spawned:c:ok");
  EXPECT_EQ(p[2].rfind("p:stop:Error(Handler(restart intensity exceeded", 0), 0u) << p[2];
  EXPECT_EQ(p[3], "p:start");
  EXPECT_EQ(p[4], "p:spawned:c:ok");
  EXPECT_EQ(book->of("g"), (std::vector<std::string>{"g:start", "g:spawned:p:ok"}));
  EXPECT_EQ(book->count("c:stop:Error(Handler(crash))"), 2u);
  auto at_p = actors_at(engine, "/user/g/p");
  ASSERT_EQ(at_p.size(), 1u);
  EXPECT_EQ(at_p[0].restart_count, 1u);
  auto at_c = actors_at(engine, "/user/g/p/c");
  ASSERT_EQ(at_c.size(), 1u);
  EXPECT_EQ(at_c[0].core_id, 1u);
  EXPECT_EQ(at_c[0].address.to_string(), book->address("c").to_string());
  EXPECT_FALSE(engine.failure().has_value());
}

// Which stop entries the book holds, in the order they were written.
std::vector<std::string> stops_in(const Book& book) {
  std::vector<std::string> out;
  for (const auto& e : book.all())
    if (e.find(":stop:") != std::string::npos) out.push_back(e);
  return out;
}

TEST(MultiCoreSupervision, stopping_a_parent_stops_its_child_on_other_core_first) {
  auto book = std::make_shared<Book>();
  MultiCoreEngine engine(cores(2));
  Hooks parent;
  parent.on_start = spawning("p", book, {on_core(reporter("c", book), 1)});
  must_spawn(engine, on_core(reporter("p", book, parent), 0));
  engine.start();
  ASSERT_TRUE(book->wait_for("c:start"));
  EngineHandle h = engine.handle();

  ASSERT_EQ(result_of(h.stop_actor(book->address("p"))), "ok");
  ASSERT_TRUE(book->wait_for("p:stop:Requested"));
  EXPECT_EQ(stops_in(*book), (std::vector<std::string>{"c:stop:Hierarchical", "p:stop:Requested"}));
  ASSERT_TRUE(eventually([&] { return actors_at(engine, "/user/p/c").empty(); }));
  EXPECT_TRUE(actors_at(engine, "/user/p").empty());
  EXPECT_EQ(book->count("c:start"), 1u);
}

TEST(MultiCoreSupervision, engine_shutdown_stops_a_remote_child_before_its_parent) {
  auto book = std::make_shared<Book>();
  MultiCoreEngine engine(cores(2));
  Hooks parent;
  parent.on_start = spawning("p", book, {on_core(reporter("c", book), 1)});
  must_spawn(engine, on_core(reporter("p", book, parent), 0));
  engine.start();
  ASSERT_TRUE(book->wait_for("c:start"));

  engine.shutdown();
  wait_or_abort(engine);
  EXPECT_FALSE(engine.running());
  EXPECT_EQ(stops_in(*book), (std::vector<std::string>{"c:stop:Shutdown", "p:stop:Shutdown"}));
}

// ---------------------------------------------------------------------------------------------
// 5. stop_child across cores

TEST(MultiCoreStopChild, stop_child_on_other_core_stops_it_for_good) {
  auto book = std::make_shared<Book>();
  MultiCoreEngine engine(cores(2));
  Hooks parent;
  parent.on_start = spawning("p", book, {on_core(reporter("c", book), 1)});  // Permanent
  must_spawn(engine, on_core(reporter("p", book, parent), 0));
  engine.start();
  ASSERT_TRUE(book->wait_for("c:start"));
  EngineHandle h = engine.handle();

  AddrHash child = book->address("p->c");  // what ctx.spawn returned
  ASSERT_EQ(result_of(h.send(book->address("p"), Do{[book, child](ActorContext& ctx) {
                               book->add("p:stop_child:" + result_of(ctx.stop_child(child)));
                             }})),
            "ok");
  ASSERT_TRUE(book->wait_for("c:stop:Requested"));
  ASSERT_TRUE(eventually([&] { return actors_at(engine, "/user/p/c").empty(); }))
      << "the stopped child was never removed";
  EXPECT_EQ(book->of("c"), (std::vector<std::string>{"c:start", "c:stop:Requested"}));
  EXPECT_EQ(book->count("p:stop_child:ok"), 1u);
  auto p = actors_at(engine, "/user/p");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].state, ActorState::Running);
  EXPECT_EQ(engine.snapshot().stats.restarts, 0u);
}

// ---------------------------------------------------------------------------------------------
// Timers and kills across cores

TEST(MultiCoreTimer, a_timer_message_reaches_an_actor_on_the_other_core) {
  auto book = std::make_shared<Book>();
  MultiCoreEngine engine(cores(2));
  must_spawn(engine, on_core(reporter("a", book), 0));
  must_spawn(engine, on_core(reporter("b", book), 1));
  engine.start();
  ASSERT_TRUE(book->wait_for("a:start"));
  ASSERT_TRUE(book->wait_for("b:start"));
  EngineHandle h = engine.handle();
  AddrHash b = book->address("b");
  ASSERT_EQ(result_of(h.send(book->address("a"), Do{[b](ActorContext& ctx) {
                               (void)ctx.send_after(std::chrono::milliseconds(1), b, Ping{7});
                             }})),
            "ok");
  ASSERT_TRUE(book->wait_for("b:ping:7"));
  EXPECT_EQ(book->of("b"), (std::vector<std::string>{"b:start", "b:ping:7"}));
}

TEST(MultiCoreStopChild, kill_child_on_other_core_removes_it_and_frees_its_name) {
  auto book = std::make_shared<Book>();
  MultiCoreEngine engine(cores(2));
  Hooks parent;
  parent.on_start = spawning("p", book, {on_core(reporter("c", book), 1)});  // Permanent
  must_spawn(engine, on_core(reporter("p", book, parent), 0));
  engine.start();
  ASSERT_TRUE(book->wait_for("c:start"));
  EngineHandle h = engine.handle();
  AddrHash child = book->address("c");  // its incarnation address this time

  ASSERT_EQ(result_of(h.send(book->address("p"), Do{[book, child](ActorContext& ctx) {
                               book->add("p:kill_child:" + result_of(ctx.kill_child(child)));
                             }})),
            "ok");
  ASSERT_TRUE(eventually([&] { return actors_at(engine, "/user/p/c").empty(); }))
      << "the killed child was never removed";
  EXPECT_EQ(book->of("c"), std::vector<std::string>{"c:start"}) << "on_stop ran after a kill";
  ASSERT_EQ(
      result_of(h.send(book->address("p"), Do{[book](ActorContext& ctx) {
                         auto r = ctx.spawn(on_core(reporter("c", book), 1));
                         book->add(std::string("p:respawn:") + (r ? "ok" : to_string(r.error())));
                       }})),
      "ok");
  ASSERT_TRUE(book->wait_for("c:start", 2));
  EXPECT_EQ(book->of("p"), (std::vector<std::string>{"p:start", "p:spawned:c:ok", "p:kill_child:ok",
                                                     "p:respawn:ok"}));
}

// ---------------------------------------------------------------------------------------------
// 6. Backpressure: a full ring

TEST(MultiCoreBackpressure, full_ring_refuses_sends_with_mailbox_full_and_delivers_what_it_took) {
  auto book = std::make_shared<Book>();
  MultiCoreConfig config = cores(2);
  config.ring_capacity = 4;
  MultiCoreEngine engine(config);
  must_spawn(engine, on_core(reporter("a", book), 0));
  must_spawn(engine, on_core(reporter("b", book), 1));
  engine.start();
  Gate gate;  // destroyed before the engine: core 1 is never left blocked
  ASSERT_TRUE(book->wait_for("a:start"));
  ASSERT_TRUE(book->wait_for("b:start"));
  AddrHash a = book->address("a");
  AddrHash b = book->address("b");
  EngineHandle h = engine.handle();

  // b holds core 1's loop: nothing leaves the ring 0 -> 1 until the gate opens.
  ASSERT_EQ(result_of(h.send(b, Do{[book, passage = gate.passage()](ActorContext&) {
                               book->add("b:blocked");
                               passage.wait();
                             }})),
            "ok");
  ASSERT_TRUE(book->wait_for("b:blocked"));
  ASSERT_EQ(result_of(h.send(a, Do{[book, b](ActorContext& ctx) {
                               for (int i = 0; i < 10; ++i)
                                 book->add("a:send:" + std::to_string(i) + ":" +
                                           result_of(ctx.send(b, Ping{i})));
                             }})),
            "ok");
  ASSERT_TRUE(book->wait_for_entries_of("a", 11));
  std::vector<std::string> expected{"a:start"};
  for (int i = 0; i < 10; ++i)
    expected.push_back("a:send:" + std::to_string(i) + ":" + (i < 4 ? "ok" : "MailboxFull"));
  EXPECT_EQ(book->of("a"), expected);

  gate.open();
  ASSERT_TRUE(book->wait_for("b:ping:3"));
  // The ring is drained now. A last ping: when it arrives, everything sent before it has.
  ASSERT_EQ(result_of(h.send(a, Do{[book, b](ActorContext& ctx) {
                               book->add("a:last:" + result_of(ctx.send(b, Ping{100})));
                             }})),
            "ok");
  ASSERT_TRUE(book->wait_for_prefix("a:last:"));
  EXPECT_EQ(book->of("a").back(), "a:last:ok");
  ASSERT_TRUE(book->wait_for("b:ping:100"));
  EXPECT_EQ(book->of("b"), (std::vector<std::string>{"b:start", "b:blocked", "b:ping:0", "b:ping:1",
                                                     "b:ping:2", "b:ping:3", "b:ping:100"}));
  auto stats = engine.core_stats();
  ASSERT_EQ(stats.size(), 2u);
  EXPECT_EQ(stats[0].ring_full, 6u);
  EXPECT_EQ(stats[1].ring_full, 0u);
  EXPECT_EQ(stats[1].engine.messages_undeliverable, 0u);
  EXPECT_EQ(stats[1].engine.dead_letters, 0u);
}

// ---------------------------------------------------------------------------------------------
// 7. Stress: numbered messages between both cores, none lost, none duplicated

struct Numbered {
  uint32_t sender = 0;
  uint32_t n = 0;
};
struct Continue {};

// What a Tally saw. Written on its core only; read by the test after `done`.
struct TallyState {
  explicit TallyState(uint32_t senders, uint32_t per_sender)
      : next(senders, 0), expected_total(uint64_t(senders) * per_sender) {}
  std::vector<uint32_t> next;  // per sender: the number expected next
  uint64_t expected_total;
  uint64_t received = 0;
  uint64_t out_of_order = 0;  // a gap, a repeat or an unknown sender
  std::string first_problem;
  std::promise<AddrHash> started;
  std::promise<void> done;
};

class Tally final : public Actor {
 public:
  explicit Tally(std::shared_ptr<TallyState> s) : s_(std::move(s)) {}
  HandlerResult on_start(ActorContext& ctx) override {
    s_->started.set_value(ctx.self());
    return {};
  }
  HandlerResult on_message(ActorContext&, const Envelope&, MessagePayload& p) override {
    auto* m = p.get_if<Numbered>();
    if (m == nullptr) return {};
    if (m->sender >= s_->next.size() || m->n != s_->next[m->sender]) {
      if (s_->out_of_order++ == 0)
        s_->first_problem = "from " + std::to_string(m->sender) + " got " + std::to_string(m->n);
    }
    if (m->sender < s_->next.size()) s_->next[m->sender] = m->n + 1;
    if (++s_->received == s_->expected_total) s_->done.set_value();
    return {};
  }

 private:
  std::shared_ptr<TallyState> s_;
};

// Sends `per_target` numbered messages to each target, at most kBatch per target per turn,
// then a Continue to itself; a refused send is retried in a later turn with the same number.
struct PumpState {
  uint64_t refused_full = 0;
  uint64_t refused_other = 0;
  std::promise<void> finished;
};

class Pump final : public Actor {
 public:
  static constexpr uint32_t kBatch = 64;
  Pump(uint32_t id, std::vector<AddrHash> targets, uint32_t per_target,
       std::shared_ptr<PumpState> s)
      : id_(id),
        targets_(std::move(targets)),
        next_(targets_.size(), 0),
        per_target_(per_target),
        s_(std::move(s)) {}
  HandlerResult on_start(ActorContext& ctx) override {
    (void)ctx.send(ctx.self(), Continue{});
    return {};
  }
  HandlerResult on_message(ActorContext& ctx, const Envelope&, MessagePayload& p) override {
    if (!p.is<Continue>()) return {};
    bool more = false;
    for (size_t t = 0; t < targets_.size(); ++t) {
      for (uint32_t k = 0; k < kBatch && next_[t] < per_target_; ++k) {
        SendResult r = ctx.send(targets_[t], Numbered{id_, next_[t]});
        if (!r) {
          ++(r.error() == SendError::MailboxFull ? s_->refused_full : s_->refused_other);
          break;
        }
        ++next_[t];
      }
      more |= next_[t] < per_target_;
    }
    if (!more) {
      s_->finished.set_value();
    } else if (!ctx.send(ctx.self(), Continue{})) {
      ++s_->refused_other;
      s_->finished.set_value();  // stalled: the test sees the missing messages
    }
    return {};
  }

 private:
  uint32_t id_;
  std::vector<AddrHash> targets_;
  std::vector<uint32_t> next_;
  uint32_t per_target_;
  std::shared_ptr<PumpState> s_;
};

TEST(MultiCoreStress, numbered_messages_across_both_cores_arrive_exactly_once_in_sender_order) {
  constexpr uint32_t kPumps = 4, kTallies = 4, kPerPair = 2500;  // 40,000 messages
  std::vector<std::shared_ptr<TallyState>> tallies;
  std::vector<std::shared_ptr<PumpState>> pumps;
  for (uint32_t i = 0; i < kTallies; ++i)
    tallies.push_back(std::make_shared<TallyState>(kPumps, kPerPair));
  for (uint32_t i = 0; i < kPumps; ++i) pumps.push_back(std::make_shared<PumpState>());

  MultiCoreEngine engine(cores(2));
  for (uint32_t i = 0; i < kTallies; ++i) {
    auto s = tallies[i];
    // Room for everything any pump sends it: the mailbox never refuses, only rings may.
    must_spawn(
        engine,
        on_core(ChildSpec("tally" + std::to_string(i),
                          [s]() -> std::unique_ptr<Actor> { return std::make_unique<Tally>(s); }),
                i % 2)
            .with_restart(RestartPolicy::Temporary)
            .with_mailbox_capacity(kPumps * kPerPair));
  }
  engine.start();
  std::vector<AddrHash> targets;
  for (auto& t : tallies) {
    auto started = t->started.get_future();
    ASSERT_TRUE(ready(started));
    targets.push_back(started.get());
  }
  EngineHandle h = engine.handle();
  for (uint32_t i = 0; i < kPumps; ++i) {
    auto s = pumps[i];
    auto spawned =
        h.spawn(on_core(ChildSpec("pump" + std::to_string(i),
                                  [i, targets, s, per = kPerPair]() -> std::unique_ptr<Actor> {
                                    return std::make_unique<Pump>(i, targets, per, s);
                                  }),
                        i % 2)
                    .with_restart(RestartPolicy::Temporary));
    ASSERT_TRUE(spawned.has_value()) << to_string(spawned.error());
  }

  for (uint32_t i = 0; i < kPumps; ++i) {
    auto finished = pumps[i]->finished.get_future();
    ASSERT_TRUE(ready(finished)) << "pump " << i << " never finished";
    EXPECT_EQ(pumps[i]->refused_other, 0u) << "pump " << i;
  }
  for (uint32_t i = 0; i < kTallies; ++i) {
    auto done = tallies[i]->done.get_future();
    ASSERT_TRUE(ready(done)) << "tally " << i << " received " << tallies[i]->received << " of "
                             << kPumps * kPerPair;
    EXPECT_EQ(tallies[i]->out_of_order, 0u) << "tally " << i << ": " << tallies[i]->first_problem;
    EXPECT_EQ(tallies[i]->received, uint64_t(kPumps) * kPerPair) << "tally " << i;
    EXPECT_EQ(tallies[i]->next, std::vector<uint32_t>(kPumps, kPerPair)) << "tally " << i;
  }
  EngineStats stats = engine.snapshot().stats;
  EXPECT_EQ(stats.dead_letters, 0u);
  EXPECT_EQ(stats.messages_undeliverable, 0u);
  auto per_core = engine.core_stats();
  ASSERT_EQ(per_core.size(), 2u);
  EXPECT_EQ(per_core[0].core_id, 0u);
  EXPECT_EQ(per_core[1].core_id, 1u);
  EXPECT_GT(per_core[0].ring_sent, 0u);
  EXPECT_GT(per_core[1].ring_received, 0u);
}

// ---------------------------------------------------------------------------------------------
// 8. Shutdown with messages in flight

struct Lifecycle {
  std::atomic<int> starts{0};
  std::atomic<int> stops{0};
  std::mutex mu;
  std::vector<std::string> reasons;
};

struct Traffic {
  explicit Traffic(uint64_t t) : threshold(t) {}
  uint64_t threshold;
  std::atomic<uint64_t> handled{0};
  std::atomic<bool> announced{false};
  std::promise<void> busy;  // set once `threshold` messages have been handled
};

// Answers every Ping with a Ping to its source; on start, sends `seed` pings to `peer`. Never
// messages itself, so a graceful stop drains in bounded time.
class Bouncer final : public Actor {
 public:
  Bouncer(std::shared_ptr<Lifecycle> life, std::shared_ptr<Traffic> traffic, AddrHash peer,
          int seed)
      : life_(std::move(life)), traffic_(std::move(traffic)), peer_(peer), seed_(seed) {}
  HandlerResult on_start(ActorContext& ctx) override {
    ++life_->starts;
    for (int i = 0; i < seed_; ++i) (void)ctx.send(peer_, Ping{i});
    return {};
  }
  HandlerResult on_message(ActorContext& ctx, const Envelope& e, MessagePayload& p) override {
    if (!p.is<Ping>()) return {};
    if (++traffic_->handled >= traffic_->threshold && !traffic_->announced.exchange(true))
      traffic_->busy.set_value();
    (void)ctx.send(e.source, Ping{});
    return {};
  }
  void on_stop(ActorContext&, const StopReason& r) override {
    ++life_->stops;
    std::lock_guard<std::mutex> lock(life_->mu);
    life_->reasons.push_back(to_string(r));
  }

 private:
  std::shared_ptr<Lifecycle> life_;
  std::shared_ptr<Traffic> traffic_;
  AddrHash peer_;
  int seed_;
};

TEST(MultiCoreShutdown, shutdown_during_cross_core_traffic_stops_every_actor_exactly_once) {
  constexpr int kPairs = 4, kSeed = 128;
  auto book = std::make_shared<Book>();
  auto traffic = std::make_shared<Traffic>(20000);
  std::vector<std::shared_ptr<Lifecycle>> a_life, b_life;
  for (int i = 0; i < kPairs; ++i) {
    a_life.push_back(std::make_shared<Lifecycle>());
    b_life.push_back(std::make_shared<Lifecycle>());
  }

  MultiCoreEngine engine(cores(2));
  // a<i>: top-level on core 0. b<i>: children of hub (core 0) placed on core 1; each starts
  // kSeed pings bouncing with its a<i>.
  std::vector<ChildSpec> bs;
  for (int i = 0; i < kPairs; ++i) {
    std::string ai = "a" + std::to_string(i);
    must_spawn(engine, on_core(ChildSpec(ai,
                                         [life = a_life[i], traffic]() -> std::unique_ptr<Actor> {
                                           return std::make_unique<Bouncer>(life, traffic,
                                                                            AddrHash{}, 0);
                                         }),
                               0));
    AddrHash peer = path_address("/user/" + ai);
    bs.push_back(on_core(
        ChildSpec("b" + std::to_string(i),
                  [life = b_life[i], traffic, peer, seed = kSeed]() -> std::unique_ptr<Actor> {
                    return std::make_unique<Bouncer>(life, traffic, peer, seed);
                  }),
        1));
  }
  Hooks hub;
  hub.on_start = spawning("hub", book, bs);
  must_spawn(engine, on_core(reporter("hub", book, hub), 0));
  engine.start();
  auto busy = traffic->busy.get_future();
  ASSERT_TRUE(ready(busy)) << "traffic never reached " << traffic->threshold << " messages";

  engine.shutdown();
  wait_or_abort(engine);
  EXPECT_FALSE(engine.running());
  EXPECT_FALSE(engine.failure().has_value());
  for (int i = 0; i < kPairs; ++i) {
    for (auto* life : {a_life[i].get(), b_life[i].get()}) {
      const char* who = life == a_life[i].get() ? "a" : "b";
      EXPECT_EQ(life->starts.load(), 1) << who << i;
      EXPECT_EQ(life->stops.load(), 1) << who << i;
      EXPECT_EQ(life->reasons, std::vector<std::string>{"Shutdown"}) << who << i;
    }
  }
  EXPECT_EQ(book->of("hub"), (std::vector<std::string>{"hub:start", "hub:spawned:b0:ok",
                                                       "hub:spawned:b1:ok", "hub:spawned:b2:ok",
                                                       "hub:spawned:b3:ok", "hub:stop:Shutdown"}));
  EXPECT_EQ(engine.snapshot().stats.live_actors, 0u);
}

// ---------------------------------------------------------------------------------------------
// 9. An EngineHandle from the test thread

TEST(MultiCoreHandle, handle_spawns_sends_asks_and_looks_up_on_the_owning_core) {
  auto book = std::make_shared<Book>();
  MultiCoreEngine engine(cores(2));
  std::string home = name_homed_on(engine, "/user", "home", 1);  // lives where it hashes
  std::string away = name_homed_on(engine, "/user", "away", 0);  // placed off its home
  engine.start();
  EngineHandle h = engine.handle();

  auto at_home = h.spawn(on_core(reporter(home, book), 1));
  auto off_home = h.spawn(on_core(reporter(away, book), 1));
  ASSERT_TRUE(at_home.has_value()) << to_string(at_home.error());
  ASSERT_TRUE(off_home.has_value()) << to_string(off_home.error());
  ASSERT_TRUE(book->wait_for(home + ":start"));
  ASSERT_TRUE(book->wait_for(away + ":start"));

  // Sends through what spawn returned.
  EXPECT_EQ(result_of(h.send(at_home.value(), Ping{1})), "ok");
  EXPECT_EQ(result_of(h.send(off_home.value(), Ping{2})), "ok");
  ASSERT_TRUE(book->wait_for(home + ":ping:1"));
  ASSERT_TRUE(book->wait_for(away + ":ping:2"));

  // Asks, by incarnation and by path address.
  for (AddrHash to : {book->address(home), path_address("/user/" + away)}) {
    AskResult reply = h.ask(to, Question{21}, kPatience);
    ASSERT_TRUE(reply.has_value()) << to_string(reply.error());
    auto answer = reply.value().payload.get<Answer>();
    ASSERT_TRUE(answer.has_value());
    EXPECT_EQ(answer.value()->n, 42);
  }

  // Lookups: at home the incarnation; off home an address that reaches it; nothing else.
  auto found_home = h.lookup("/user/" + home);
  ASSERT_TRUE(found_home.has_value());
  EXPECT_EQ(found_home->to_string(), book->address(home).to_string());
  auto found_away = h.lookup("/user/" + away);
  ASSERT_TRUE(found_away.has_value());
  EXPECT_EQ(result_of(h.send(*found_away, Ping{3})), "ok");
  ASSERT_TRUE(book->wait_for(away + ":ping:3"));
  EXPECT_FALSE(h.lookup("/user/nobody").has_value());
  EXPECT_FALSE(h.lookup("/user/" + away + "/nobody").has_value());

  // A child under the off-home actor is spawned by the core it lives on.
  auto kid = h.spawn(reporter("kid", book), "/user/" + away);
  ASSERT_TRUE(kid.has_value()) << to_string(kid.error());
  ASSERT_TRUE(book->wait_for("kid:start"));
  uint32_t kid_core = engine.home_core("/user/" + away + "/kid").value();

  std::set<std::pair<std::string, uint32_t>> where;
  for (const ActorInfo& i : engine.snapshot().actors) where.insert({i.path, i.core_id});
  EXPECT_EQ(where,
            (std::set<std::pair<std::string, uint32_t>>{{"/user", 0},
                                                        {"/system", 0},
                                                        {"/user", 1},
                                                        {"/system", 1},
                                                        {"/user/" + home, 1},
                                                        {"/user/" + away, 1},
                                                        {"/user/" + away + "/kid", kid_core}}));
  auto stats = engine.core_stats();
  ASSERT_EQ(stats.size(), 2u);
  EXPECT_EQ(stats[0].core_id, 0u);
  EXPECT_EQ(stats[1].core_id, 1u);
  EXPECT_EQ(stats[0].engine.live_actors + stats[1].engine.live_actors, 3u);
}

TEST(MultiCoreHandle, top_level_actors_land_on_the_core_their_placement_names) {
  auto book = std::make_shared<Book>();
  MultiCoreEngine engine(cores(3));
  engine.start();
  EngineHandle h = engine.handle();
  for (uint32_t core = 0; core < 3; ++core) {
    for (uint32_t home = 0; home < 3; ++home) {
      std::string name = name_homed_on(engine, "/user", "c" + std::to_string(core) + "h", home);
      auto r = h.spawn(on_core(reporter(name, book), core));
      ASSERT_TRUE(r.has_value()) << name << ": " << to_string(r.error());
      ASSERT_TRUE(book->wait_for(name + ":start"));
      auto at = actors_at(engine, "/user/" + name);
      ASSERT_EQ(at.size(), 1u) << name;
      EXPECT_EQ(at[0].core_id, core) << name << " (home core " << home << ")";
      EXPECT_EQ(result_of(h.send(path_address("/user/" + name), Ping{int(core)})), "ok");
      EXPECT_TRUE(book->wait_for(name + ":ping:" + std::to_string(core))) << name;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// 10. Bad input

void expect_rejected(MultiCoreConfig config, const std::string& field) {
  try {
    MultiCoreEngine engine(std::move(config));
    ADD_FAILURE() << "a config with a bad " << field << " was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find(field), std::string::npos)
        << "what() does not name " << field << ": " << e.what();
  }
}

TEST(MultiCoreConfigCheck, unusable_configs_throw_invalid_argument_naming_the_field) {
  expect_rejected(cores(0), "cores");
  expect_rejected(cores(kMaxCores + 1), "cores");
  MultiCoreConfig ring = cores(2);
  ring.ring_capacity = 3;
  expect_rejected(ring, "ring_capacity");
  ring.ring_capacity = 0;
  expect_rejected(ring, "ring_capacity");
}

TEST(MultiCoreConfigCheck, the_limits_themselves_are_accepted) {
  EXPECT_NO_THROW(MultiCoreEngine{cores(1)});
  MultiCoreConfig most = cores(kMaxCores);
  most.ring_capacity = 2;
  EXPECT_NO_THROW(MultiCoreEngine{most});
}

TEST(MultiCoreSpawn, placement_on_a_core_the_engine_does_not_have_is_no_such_core) {
  auto book = std::make_shared<Book>();
  MultiCoreEngine engine(cores(2));
  auto before = engine.spawn(on_core(reporter("x", book), 5));
  ASSERT_FALSE(before.has_value());
  EXPECT_STREQ(to_string(before.error()), "NoSuchCore");
  must_spawn(engine, on_core(reporter("p", book), 0));
  engine.start();
  ASSERT_TRUE(book->wait_for("p:start"));
  EngineHandle h = engine.handle();

  auto after = h.spawn(on_core(reporter("y", book), 2));
  ASSERT_FALSE(after.has_value());
  EXPECT_STREQ(to_string(after.error()), "NoSuchCore");
  ASSERT_EQ(
      result_of(h.send(book->address("p"), Do{[book](ActorContext& ctx) {
                         auto r = ctx.spawn(on_core(reporter("z", book), 5));
                         book->add(std::string("p:spawn-z:") + (r ? "ok" : to_string(r.error())));
                       }})),
      "ok");
  ASSERT_TRUE(book->wait_for("p:spawn-z:NoSuchCore"));
  EXPECT_EQ(book->count("x:start") + book->count("y:start") + book->count("z:start"), 0u);
}

TEST(MultiCoreSpawn, second_top_level_spawn_of_a_name_placed_away_from_home_is_name_taken) {
  auto book = std::make_shared<Book>();
  MultiCoreEngine engine(cores(2));
  std::string first = name_homed_on(engine, "/user", "n", 0);
  std::string second = name_homed_on(engine, "/user", "m", 1);
  must_spawn(engine, on_core(reporter(first, book), 1));  // before start, away from home
  for (uint32_t core : {0u, 1u}) {
    auto again = engine.spawn(on_core(reporter(first, book), core));
    ASSERT_FALSE(again.has_value());
    EXPECT_STREQ(to_string(again.error()), "NameTaken") << "placed on " << core;
  }
  engine.start();
  EngineHandle h = engine.handle();
  ASSERT_TRUE(h.spawn(on_core(reporter(second, book), 0)).has_value());  // after start
  for (const std::string& name : {first, second}) {
    for (auto placement : {Placement::on_core(0), Placement::on_core(1), Placement::path_hash()}) {
      auto again = h.spawn(reporter(name, book).with_placement(placement));
      ASSERT_FALSE(again.has_value());
      EXPECT_STREQ(to_string(again.error()), "NameTaken") << name;
    }
  }
  ASSERT_TRUE(book->wait_for(first + ":start"));
  ASSERT_TRUE(book->wait_for(second + ":start"));
  EXPECT_EQ(book->count(first + ":start"), 1u);
  EXPECT_EQ(book->count(second + ":start"), 1u);
  EXPECT_EQ(actors_at(engine, "/user/" + first).size(), 1u);
  EXPECT_EQ(actors_at(engine, "/user/" + second).size(), 1u);
}

TEST(MultiCoreSpawn, second_child_of_a_name_living_on_other_core_is_name_taken) {
  auto book = std::make_shared<Book>();
  MultiCoreEngine engine(cores(2));
  Hooks parent;
  parent.on_start = spawning("p", book, {on_core(reporter("c", book), 1)});
  must_spawn(engine, on_core(reporter("p", book, parent), 0));
  engine.start();
  ASSERT_TRUE(book->wait_for("c:start"));
  EngineHandle h = engine.handle();
  ASSERT_EQ(result_of(h.send(book->address("p"), Do{[book](ActorContext& ctx) {
                               for (uint32_t core : {0u, 1u}) {
                                 auto r = ctx.spawn(on_core(reporter("c", book), core));
                                 book->add("p:again:" + std::to_string(core) + ":" +
                                           (r ? "ok" : to_string(r.error())));
                               }
                             }})),
            "ok");
  ASSERT_TRUE(book->wait_for_entries_of("p", 4));
  EXPECT_EQ(book->of("p"),
            (std::vector<std::string>{"p:start", "p:spawned:c:ok", "p:again:0:NameTaken",
                                      "p:again:1:NameTaken"}));
  EXPECT_EQ(book->count("c:start"), 1u);
}

}  // namespace
}  // namespace pd::test

namespace pd::test {
namespace {

// ---------------------------------------------------------------------------------------------
// Defects found in review, each spec failing (or aborting, or hanging) before its fix.

// An address naming a core the engine does not have (from another engine, or made up by a
// guest) is an address with nothing alive at it, as on one core: never an assertion.
TEST(MultiCoreBadAddress, a_send_to_an_address_naming_a_core_the_engine_lacks_is_actor_stopped) {
  auto book = std::make_shared<Book>();
  MultiCoreEngine engine(cores(2));
  must_spawn(engine, on_core(reporter("a", book), 0));
  engine.start();
  ASSERT_TRUE(book->wait_for("a:start"));
  AddrHash a = book->address("a");
  AddrHash bogus(a.path_hash(), a.generation() | (uint64_t(0xff) << 56));
  EngineHandle h = engine.handle();
  EXPECT_EQ(result_of(h.send(bogus, Ping{1})), "ActorStopped");
  ASSERT_EQ(result_of(h.send(a, Do{[book, bogus](ActorContext& ctx) {
                               book->add("a:send:" + result_of(ctx.send(bogus, Ping{2})));
                               ctx.monitor(bogus);
                             }})),
            "ok");
  ASSERT_TRUE(book->wait_for("a:down-noproc"));
  EXPECT_EQ(book->count("a:send:ActorStopped"), 1u);
  EXPECT_EQ(book->count("a:ping:1") + book->count("a:ping:2"), 0u);
}

// Three cores: the parent on core 0, the child placed on core 2, its path homed on core 1.
// What the parent sends the child right after spawning it follows the spawn in ring 0 -> 2.
TEST(MultiCoreSpawn, messages_sent_right_after_spawning_onto_a_third_core_reach_the_child) {
  auto book = std::make_shared<Book>();
  MultiCoreEngine engine(cores(3));
  std::string name = name_homed_on(engine, "/user/p", "c", 1);
  Hooks parent;
  parent.on_start = [book, name](ActorContext& ctx) -> HandlerResult {
    auto child = ctx.spawn(on_core(reporter(name, book), 2));
    book->add("p:spawned:" + std::string(child ? "ok" : to_string(child.error())));
    if (child)
      for (int i = 0; i < 3; ++i) book->add("p:send:" + result_of(ctx.send(*child, Ping{i})));
    return {};
  };
  must_spawn(engine, on_core(reporter("p", book, parent), 0));
  engine.start();
  ASSERT_TRUE(book->wait_for(name + ":ping:2"));
  EXPECT_EQ(book->of(name), (std::vector<std::string>{name + ":start", name + ":ping:0",
                                                      name + ":ping:1", name + ":ping:2"}));
  EXPECT_EQ(book->count("p:send:ok"), 3u);
  EXPECT_EQ(engine.snapshot().stats.messages_undeliverable, 0u);
}

// A top-level actor of /system placed on another core lives under that core's /system.
TEST(MultiCoreSpawn, a_system_actor_placed_on_another_core_lives_under_its_system_root) {
  auto book = std::make_shared<Book>();
  MultiCoreEngine engine(cores(2));
  std::string name = name_homed_on(engine, "/system", "s", 0);
  must_spawn(engine, on_core(reporter(name, book), 1), "/system");
  engine.start();
  ASSERT_TRUE(book->wait_for(name + ":start"));
  auto at = actors_at(engine, "/system/" + name);
  ASSERT_EQ(at.size(), 1u);
  EXPECT_EQ(at[0].core_id, 1u);
  EXPECT_TRUE(actors_at(engine, "/user/" + name).empty());
}

// A child on another core is stopped from outside while it waits, crashed, for its
// supervisor's decision (held open here by a OneForAll sibling whose stop the test holds on
// the parent's core). Both sides must agree that it is gone: the engine then shuts down.
TEST(MultiCoreSupervision, stopping_a_remote_child_awaiting_its_restart_removes_it_on_both_cores) {
  auto book = std::make_shared<Book>();
  MultiCoreEngine engine(cores(2));
  Gate gate;
  Hooks sibling;
  sibling.on_stop = [book, passage = gate.passage()](ActorContext&, const StopReason&) {
    book->add("s:holding");
    passage.wait();
  };
  Hooks parent;
  parent.on_start = spawning(
      "p", book, {on_core(reporter("s", book, sibling), 0), on_core(reporter("c", book), 1)});
  must_spawn(engine,
             on_core(reporter("p", book, parent), 0).with_strategy(SupervisionStrategy::OneForAll));
  engine.start();
  ASSERT_TRUE(book->wait_for("s:start"));
  ASSERT_TRUE(book->wait_for("c:start"));
  EngineHandle h = engine.handle();
  AddrHash c = book->address("c");

  ASSERT_EQ(result_of(h.send(c, Crash{})), "ok");
  ASSERT_TRUE(book->wait_for("s:holding"));  // core 0 is held inside the group restart
  ASSERT_TRUE(book->wait_for("c:stop:Error(Handler(crash))"));
  // Core 1 takes the stop now: c is Restarting there, its fate not yet decided on core 0.
  EXPECT_EQ(result_of(h.stop_actor(AddrHash(c.path_hash(), 0))), "ok");
  gate.open();
  ASSERT_TRUE(eventually([&] { return actors_at(engine, "/user/p/c").empty(); }))
      << "the stopped child was never removed";
  engine.shutdown();
  engine.wait();  // hung before the fix: the parent's proxy waited for a child that was gone
  EXPECT_EQ(book->count("p:stop:Shutdown"), 1u);
}

}  // namespace
}  // namespace pd::test
