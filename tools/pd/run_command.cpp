#include "run_command.h"

#include <algorithm>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "../../src/config/toml_reader.h"
#include "hex.h"
#include "pd/core/fnv.h"
#include "pd/plugin/plugin_registry.h"
#include "pd/runtime/engine.h"

namespace pd::cli {

namespace {

struct ActorEntry {
  std::string name;
  std::string parent = "/user";
  std::string type;  // a plugin's actor type; empty: a plain supervisor
  std::vector<uint8_t> config;
  ChildSpec spec;
  int line = 0;
};

struct SendEntry {
  std::string to;
  uint64_t type_tag = 0;
  std::string type_name;  // for display; empty when given as a number
  std::vector<uint8_t> payload;
  Duration at{};
  Duration every{};
  uint64_t count = 1;
};

struct RunConfig {
  std::string name = "run";
  Duration duration = std::chrono::seconds(3);  // zero: until idle
  std::vector<std::string> manifests;
  std::vector<ActorEntry> actors;
  std::vector<SendEntry> sends;
};

std::vector<uint8_t> parse_hex(const config::Reader& r, const toml::table& t, const char* key) {
  std::string text = r.string(t, key, "");
  if (text.size() % 2 != 0)
    r.fail(t.get(key), std::string("'") + key + "' has an odd number of digits");
  std::vector<uint8_t> out;
  for (size_t i = 0; i < text.size(); i += 2) {
    int high = hex_digit(text[i]), low = hex_digit(text[i + 1]);
    if (high < 0 || low < 0)
      r.fail(t.get(key), std::string("'") + key + "' holds '" + text.substr(i, 2) +
                             "', which is not a hex byte");
    out.push_back(uint8_t(high * 16 + low));
  }
  return out;
}

ActorEntry read_actor(const config::Reader& r, const toml::table& t,
                      const std::set<std::string>& declared) {
  std::set<std::string> keys = config::child_policy_keys();
  keys.insert({"name", "parent", "type", "config"});
  r.only_keys(t, keys, "an [[actor]]");
  ActorEntry a;
  a.line = int(t.source().begin.line);
  config::read_actor_place(r, t, declared, a.name, a.parent);
  a.type = r.string(t, "type", "");
  std::string config = r.string(t, "config", "");
  a.config.assign(config.begin(), config.end());
  if (a.type.empty() && t.get("config"))
    r.fail(t.get("config"), "'config' goes to a plugin's actor: give the actor a 'type'");
  config::read_child_policy(r, t, a.spec);
  a.spec.name = a.name;
  return a;
}

SendEntry read_send(const config::Reader& r, const toml::table& t) {
  r.only_keys(t, {"to", "type", "type_tag", "text", "hex", "at_ms", "every_ms", "count"},
              "a [[send]]");
  SendEntry s;
  s.to = r.path(t, "to", "");
  if (s.to.empty()) r.fail(&t, "a [[send]] needs 'to', the destination's path");
  if (t.get("type") && t.get("type_tag"))
    r.fail(t.get("type_tag"), "give 'type' (a name, hashed) or 'type_tag' (a number), not both");
  if (t.get("type")) {
    s.type_name = r.string(t, "type", "");
    s.type_tag = fnv1a64(s.type_name);
  } else if (t.get("type_tag")) {
    s.type_tag = uint64_t(r.non_negative(t, "type_tag", 0));
  } else {
    r.fail(&t, "a [[send]] needs 'type' (a message type name) or 'type_tag'");
  }
  if (t.get("text") && t.get("hex")) r.fail(t.get("hex"), "give 'text' or 'hex', not both");
  std::string text = r.string(t, "text", "");
  s.payload =
      t.get("hex") ? parse_hex(r, t, "hex") : std::vector<uint8_t>(text.begin(), text.end());
  s.at = r.millis(t, "at_ms", Duration::zero());
  s.every = r.millis(t, "every_ms", Duration::zero());
  s.count = uint64_t(r.non_negative(t, "count", 1));
  if (s.count > 1 && s.every == Duration::zero())
    r.fail(t.get("count"), "'count' above 1 needs 'every_ms', the interval between sends");
  return s;
}

Expected<RunConfig, config::Bad> parse(const std::string& text, const std::string& path) {
  config::Reader r(path);
  try {
    toml::table root = toml::parse(text, path);
    r.only_keys(root, {"engine", "plugin", "actor", "send"}, "the run config");
    RunConfig c;
    if (const toml::table* e = r.table(root, "engine")) {
      r.only_keys(*e, {"name", "duration_ms"}, "[engine]");
      c.name = r.string(*e, "name", c.name);
      c.duration = r.millis(*e, "duration_ms", c.duration);
    }
    std::filesystem::path dir = std::filesystem::path(path).parent_path();
    r.each_table(root, "plugin", [&](const toml::table& t) {
      r.only_keys(t, {"manifest"}, "a [[plugin]]");
      std::filesystem::path m = r.string(t, "manifest", "");
      if (m.empty()) r.fail(&t, "a [[plugin]] needs 'manifest', the path of its TOML manifest");
      if (m.is_relative()) m = dir / m;
      c.manifests.push_back(m.lexically_normal().string());
    });
    std::set<std::string> declared;
    r.each_table(root, "actor", [&](const toml::table& t) {
      ActorEntry a = read_actor(r, t, declared);
      std::string full = a.parent + "/" + a.name;
      if (!declared.insert(full).second) r.fail(&t, "actor '" + full + "' is declared twice");
      c.actors.push_back(std::move(a));
    });
    r.each_table(root, "send", [&](const toml::table& t) { c.sends.push_back(read_send(r, t)); });
    return c;
  } catch (const toml::parse_error& e) {
    return Unexpected{config::Bad{path, int(e.source().begin.line), std::string(e.description())}};
  } catch (const config::Bad& b) {
    return Unexpected{b};
  }
}

// Everything printed goes through here: one line, engine time first, flushed at once.
class Printer {
 public:
  explicit Printer(const Engine* engine) : engine_(engine) {}
  void line(Instant at, const std::string& what) const {
    double s = std::chrono::duration<double>(at - start_).count();
    std::printf("[%8.3f s] %s\n", s, what.c_str());
    std::fflush(stdout);
  }
  void now(const std::string& what) const { line(engine_->now(), what); }
  void set_start(Instant t) { start_ = t; }
  void name_type(uint64_t tag, std::string name) { types_[tag] = std::move(name); }
  std::string type(uint64_t tag) const {
    auto it = types_.find(tag);
    if (it != types_.end()) return it->second;
    char buf[32];
    std::snprintf(buf, sizeof buf, "0x%016llx", (unsigned long long)tag);
    return buf;
  }
  static std::string payload(std::span<const uint8_t> bytes) {
    bool text = true;
    for (uint8_t b : bytes) text = text && b >= 0x20 && b < 0x7f;
    if (text) return "\"" + std::string(bytes.begin(), bytes.end()) + "\"";
    std::string hex = "0x" + to_hex(bytes.first(std::min<size_t>(bytes.size(), 64)));
    return bytes.size() > 64 ? hex + "... (" + std::to_string(bytes.size()) + " bytes)" : hex;
  }

 private:
  const Engine* engine_;
  Instant start_{};
  std::map<uint64_t, std::string> types_;
};

// A supervisor and nothing else: what an [[actor]] without a type is.
class PlainSupervisor final : public Actor {
 public:
  HandlerResult on_message(ActorContext&, const Envelope&, MessagePayload&) override { return {}; }
};

// /system/console: sends the config's messages on their schedule and prints what comes back.
class Console final : public Actor {
 public:
  struct Tick {
    static constexpr const char* kTypeName = "pd::cli::Console::Tick";
    uint32_t send;
    uint64_t remaining;
  };
  Console(const std::vector<SendEntry>& sends, const Printer& printer)
      : sends_(sends), printer_(printer) {}

  HandlerResult on_start(ActorContext& ctx) override {
    for (uint32_t i = 0; i < sends_.size(); ++i)
      ctx.send_after(sends_[i].at, ctx.self(), Tick{i, sends_[i].count});
    return {};
  }

  HandlerResult on_message(ActorContext& ctx, const Envelope& e, MessagePayload& p) override {
    if (e.type_tag == type_tag_v<Tick>) {
      Tick tick = p.take<Tick>().value();
      if (tick.remaining == 0) return {};
      const SendEntry& s = sends_[tick.send];
      Envelope out = Envelope::make(ctx.self(), AddrHash(fnv1a64(s.to), 0), s.type_tag, 0);
      SendResult r = ctx.send_raw(out, MessagePayload::serialized(s.payload));
      std::string what = "send       /system/console -> " + s.to + "  " +
                         printer_.type(s.type_tag) + " " + Printer::payload(s.payload);
      printer_.now(r ? what : what + "  REFUSED: " + to_string(r.error()));
      if (tick.remaining > 1)
        ctx.send_after(s.every, ctx.self(), Tick{tick.send, tick.remaining - 1});
      return {};
    }
    std::string from = ctx.path_of(e.source).value_or(e.source.to_string());
    std::string what = std::string(e.is_response() ? "reply      " : "message    ") + from +
                       " -> /system/console  " + printer_.type(e.type_tag) + " ";
    if (p.is_local())
      what += "(a local " + std::string(p.local_type_name()) + ")";
    else
      what += Printer::payload(p.bytes());
    printer_.now(what);
    return {};
  }

 private:
  const std::vector<SendEntry>& sends_;
  const Printer& printer_;
};

std::string padded(std::string s, size_t width) {
  if (s.size() < width) s.append(width - s.size(), ' ');
  return s;
}

void print_event(const Printer& printer, const EngineEvent& e) {
  using K = EngineEvent::Kind;
  std::string what;
  switch (e.kind) {
    case K::Started: what = "started    " + e.path; break;
    case K::Restarted: what = "restarted  " + e.path; break;
    case K::Failed: what = "FAILED     " + e.path + ": " + to_string(e.reason); break;
    case K::Stopped: what = "stopped    " + e.path + " (" + to_string(e.reason) + ")"; break;
    case K::IntensityExceeded:
      what = "GAVE UP    " + e.path + ": too many restarts within its window";
      break;
    case K::SupervisorRestart: what = "supervisor " + e.path + " restarts a child"; break;
    case K::Spawned: return;  // "started" follows (or "FAILED")
  }
  if (e.path.rfind("/system/console", 0) == 0) return;
  printer.now(what);
}

}  // namespace

int run_config(const std::string& path, const std::string& backend_name) {
  auto fail = [&](const std::string& what) {
    std::fprintf(stderr, "pd run: %s\n", what.c_str());
    return 2;
  };
  std::ifstream in(path);
  if (!in) return fail(path + ": cannot open the config: " + std::strerror(errno));
  std::stringstream text;
  text << in.rdbuf();
  auto parsed = parse(text.str(), path);
  if (!parsed) {
    const config::Bad& b = parsed.error();
    return fail(b.file + (b.line > 0 ? ":" + std::to_string(b.line) : "") + ": " + b.message);
  }
  RunConfig& c = *parsed;

  WasmBackend backend = WasmBackend::Interp;
  if (!backend_name.empty()) {
    auto b = parse_wasm_backend(backend_name);
    if (!b) return fail("--backend: " + b.error());
    backend = *b;
  }
  PluginRegistry registry(nullptr, backend);
  for (const std::string& m : c.manifests) {
    auto loaded = registry.load_manifest(m);
    if (!loaded) return fail(loaded.error().to_string());
    std::string types;
    for (const auto& t : loaded->actor_types) types += (types.empty() ? "" : ", ") + t;
    std::string on = loaded->kind == PluginKind::Wasm ? ", " + loaded->backend_note : "";
    std::printf("loaded %s plugin '%s' %s from %s (actor types: %s%s)\n", to_string(loaded->kind),
                loaded->name.c_str(), loaded->version.c_str(), loaded->file.c_str(), types.c_str(),
                on.c_str());
  }
  for (ActorEntry& a : c.actors) {
    if (a.type.empty()) {
      a.spec.factory = [] { return std::make_unique<PlainSupervisor>(); };
      continue;
    }
    auto factory = registry.actor_factory(a.type, a.config);
    if (!factory)
      return fail(path + ":" + std::to_string(a.line) + ": actor '" + a.name +
                  "': " + factory.error().to_string());
    a.spec.factory = std::move(factory).value();
  }

  EngineConfig ec;
  ec.name = c.name;
  Printer* printer_ptr = nullptr;
  ec.log = [&printer_ptr](const LogRecord& r) {
    if (printer_ptr)
      printer_ptr->line(r.at,
                        padded("log " + log_level_name(r.level), 11) + r.path + ": " + r.message);
  };
  Engine engine(ec);
  Printer printer(&engine);
  printer.set_start(engine.now());
  printer_ptr = &printer;
  for (const SendEntry& s : c.sends)
    if (!s.type_name.empty()) printer.name_type(s.type_tag, s.type_name);
  printer.name_type(fnv1a64("demo.text"), "demo.text");
  engine.set_event_listener([&](const EngineEvent& e) { print_event(printer, e); });

  for (ActorEntry& a : c.actors) {
    auto spawned = engine.spawn(a.spec, a.parent);
    if (!spawned)
      return fail(path + ":" + std::to_string(a.line) + ": cannot spawn '" + a.parent + "/" +
                  a.name + "': " + to_string(spawned.error()));
  }
  ChildSpec console("console", [&] { return std::make_unique<Console>(c.sends, printer); });
  if (auto s = engine.spawn(console, "/system"); !s)
    return fail(std::string("cannot spawn /system/console: ") + to_string(s.error()));

  if (c.duration == Duration::zero())
    engine.run_until_idle();
  else
    engine.run_for(c.duration);
  printer.now("shutting down");
  engine.shutdown();
  EngineStats st = engine.stats();
  std::printf("done: %llu messages delivered, %llu failures, %llu restarts, %llu dead letters\n",
              (unsigned long long)st.messages_delivered, (unsigned long long)st.failures,
              (unsigned long long)st.restarts, (unsigned long long)st.dead_letters);
  if (auto f = engine.failure()) {
    std::printf("engine failed: %s\n", to_string(*f).c_str());
    return 1;
  }
  return 0;
}

}  // namespace pd::cli
