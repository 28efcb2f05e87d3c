// Shared fixtures for the plugin specs (plugin_*_test.cpp): where the build put the test plugins
// (tests/plugins/*.c -> <build>/test-plugins/lib*.so) and guests (tests/guests/*.c ->
// <build>/guests/*.wasm), scratch folders, and a world of one Engine on a SimReactor with a
// PluginRegistry, a "sink" that records every message it receives, and the engine's log and
// events kept for the specs to read.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <ostream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <unistd.h>

#include "pd/plugin/plugin_registry.h"
#include "pd/reactor/sim_reactor.h"
#include "pd/runtime/engine.h"
#include "pd_envelope.h"

namespace pd {

// Readable values in failed expectations (gtest finds these by argument-dependent lookup).
inline void PrintTo(PluginError::Kind k, std::ostream* os) {
  *os << to_string(k);
}
inline void PrintTo(ActorError::Kind k, std::ostream* os) {
  *os << to_string(k);
}
inline void PrintTo(const ActorError& e, std::ostream* os) {
  *os << to_string(e);
}
inline void PrintTo(const AddrHash& a, std::ostream* os) {
  *os << a.to_string();
}

}  // namespace pd

namespace pd::test {

// ---------------------------------------------------------------------------------------------
// Build outputs

// <build>/test-plugins/lib<name>.so ("good_plugin" -> libgood_plugin.so).
inline std::string test_plugin(std::string_view name) {
  return std::string(PD_BINARY_DIR) + "/test-plugins/lib" + std::string(name) + ".so";
}
// <build>/guests/<name>.wasm.
inline std::string test_guest(std::string_view name) {
  return std::string(PD_BINARY_DIR) + "/guests/" + std::string(name) + ".wasm";
}

// ---------------------------------------------------------------------------------------------
// Files

// A fresh folder under `parent` (the system's temp folder by default), removed with everything
// in it at the end.
class ScratchDir {
 public:
  explicit ScratchDir(
      const std::filesystem::path& parent = std::filesystem::temp_directory_path()) {
    static std::atomic<int> next{0};
    path_ =
        parent / ("pd-plugin-test-" + std::to_string(::getpid()) + "-" + std::to_string(next++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  std::string path(std::string_view name) const { return (path_ / name).string(); }
  std::string folder() const { return path_.string(); }
  std::string write(std::string_view name, std::string_view text) const {
    std::string p = path(name);
    std::ofstream(p, std::ios::binary) << text;
    return p;
  }
  std::string write(std::string_view name, const std::vector<uint8_t>& bytes) const {
    return write(name, std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  }

 private:
  std::filesystem::path path_;
};

// The whole file ("" when it does not exist).
inline std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// ---------------------------------------------------------------------------------------------
// Bytes

inline std::vector<uint8_t> bytes(std::string_view s) {
  return std::vector<uint8_t>(s.begin(), s.end());
}
inline std::string text(const std::vector<uint8_t>& b) {
  return std::string(b.begin(), b.end());
}
inline std::vector<uint8_t> u64_le(uint64_t v) {
  std::vector<uint8_t> out(8);
  for (int i = 0; i < 8; ++i) out[size_t(i)] = uint8_t(v >> (8 * i));
  return out;
}
inline uint64_t u64_at(const std::vector<uint8_t>& b, size_t off) {
  uint64_t v = 0;
  if (off + 8 <= b.size())
    for (int i = 0; i < 8; ++i) v |= uint64_t(b[off + size_t(i)]) << (8 * i);
  return v;
}
inline int32_t i32_at(const std::vector<uint8_t>& b, size_t off) {
  uint32_t v = 0;
  if (off + 4 <= b.size())
    for (int i = 0; i < 4; ++i) v |= uint32_t(b[off + size_t(i)]) << (8 * i);
  return int32_t(v);
}

inline bool contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

// A policy with no prefixes: plugin actors may send anywhere (so they can answer /user/sink).
inline NamespacePolicy open_policy() {
  return NamespacePolicy{};
}
inline PluginOptions open_options() {
  PluginOptions o;
  o.policy = open_policy();
  return o;
}

// ---------------------------------------------------------------------------------------------
// The world of one spec

struct Got {
  Envelope envelope;
  std::vector<uint8_t> bytes;
};

// Records every (serialized) message it receives.
class Sink final : public Actor {
 public:
  explicit Sink(std::shared_ptr<std::vector<Got>> got) : got_(std::move(got)) {}
  HandlerResult on_message(ActorContext&, const Envelope& e, MessagePayload& p) override {
    std::vector<uint8_t> b;
    if (!p.is_local()) b.assign(p.bytes().begin(), p.bytes().end());
    got_->push_back({e, std::move(b)});
    return {};
  }

 private:
  std::shared_ptr<std::vector<Got>> got_;
};

struct PluginWorld {
  std::shared_ptr<std::vector<LogRecord>> logs = std::make_shared<std::vector<LogRecord>>();
  Engine engine;
  std::vector<EngineEvent> events;
  PluginRegistry registry;
  std::shared_ptr<std::vector<Got>> got = std::make_shared<std::vector<Got>>();
  AddrHash sink;

  static EngineConfig config_with_log(std::shared_ptr<std::vector<LogRecord>> logs) {
    EngineConfig c;
    c.log = [logs](const LogRecord& r) { logs->push_back(r); };
    return c;
  }

  PluginWorld() : engine(config_with_log(logs), std::make_unique<SimReactor>(1)) {
    engine.set_event_listener([this](const EngineEvent& e) { events.push_back(e); });
    sink = spawn_recorder("sink", got);
  }

  // Another recorder at /user/<name>, writing to `into`.
  AddrHash spawn_recorder(const std::string& name, std::shared_ptr<std::vector<Got>> into) {
    auto a = engine.spawn(ChildSpec(name, [into] { return std::make_unique<Sink>(into); }));
    EXPECT_TRUE(a.has_value()) << "spawn of " << name << " failed";
    return a ? *a : AddrHash{};
  }

  // An actor of `type` from the registry's factory, at /user/<name>.
  AddrHash spawn(const std::string& name, const std::string& type, std::vector<uint8_t> config = {},
                 RestartPolicy restart = RestartPolicy::Temporary) {
    auto factory = registry.actor_factory(type, std::move(config));
    EXPECT_TRUE(factory.has_value())
        << "actor_factory(" << type << "): " << (factory ? "" : factory.error().to_string());
    if (!factory) return AddrHash{};
    return spawn_with(name, *factory, restart);
  }
  AddrHash spawn_with(const std::string& name, ActorFactory factory,
                      RestartPolicy restart = RestartPolicy::Temporary) {
    auto a = engine.spawn(ChildSpec(name, std::move(factory)).with_restart(restart));
    EXPECT_TRUE(a.has_value()) << "spawn of " << name << " failed";
    engine.run_until_idle();
    return a ? *a : AddrHash{};
  }

  // Serialized bytes to `to`, from the sink (so answers come back to it), then run until idle.
  SendResult send(AddrHash to, std::vector<uint8_t> payload, uint64_t type_tag = 7,
                  AddrHash from = AddrHash{}) {
    AddrHash source = from.is_null() ? sink : from;
    SendResult r = engine.send_raw(Envelope::make(source, to, type_tag, uint32_t(payload.size())),
                                   MessagePayload::serialized(std::move(payload)));
    engine.run_until_idle();
    return r;
  }
  SendResult send(AddrHash to, std::string_view payload, uint64_t type_tag = 7) {
    return send(to, bytes(payload), type_tag);
  }

  // What the sink received, as text.
  std::vector<std::string> texts() const {
    std::vector<std::string> out;
    for (const Got& g : *got) out.push_back(text(g.bytes));
    return out;
  }
  std::vector<ActorError> failures(const std::string& path) const {
    std::vector<ActorError> out;
    for (const EngineEvent& e : events)
      if (e.kind == EngineEvent::Kind::Failed && e.path == path) out.push_back(e.reason.error);
    return out;
  }
  size_t count(EngineEvent::Kind kind, const std::string& path) const {
    return size_t(std::count_if(events.begin(), events.end(), [&](const EngineEvent& e) {
      return e.kind == kind && e.path == path;
    }));
  }
  // The log records of the actor at `path`, as "level:message".
  std::vector<std::string> log_of(const std::string& path) const {
    std::vector<std::string> out;
    for (const LogRecord& r : *logs)
      if (r.path == path) out.push_back(std::to_string(r.level) + ":" + r.message);
    return out;
  }
};

// The error of an Expected that should hold one (otherwise a failed test, and a LoadFailed that
// says there was none).
template <class T>
PluginError error_of(const Expected<T, PluginError>& r) {
  if (r) {
    ADD_FAILURE() << "expected a PluginError, got a value";
    return PluginError{PluginError::Kind::LoadFailed, "", "(none: the call succeeded)"};
  }
  return r.error();
}

}  // namespace pd::test
