// Reading TOML configuration files (scenarios, plugin manifests, `pd run` configs) with errors
// that name the file, the line and what is allowed there. Private to the modules that read
// TOML; header-only.
#pragma once

#include <toml++/toml.h>

#include <set>
#include <string>

#include "pd/actor/child_spec.h"
#include "pd/core/addr.h"
#include "pd/core/time.h"

namespace pd::config {

// What a Reader throws; the caller turns it into its own error type.
struct Bad {
  std::string file;
  int line = 0;
  std::string message;
};

class Reader {
 public:
  explicit Reader(std::string file) : file_(std::move(file)) {}

  [[noreturn]] void fail(const toml::node* n, std::string msg) const {
    int line = n ? int(n->source().begin.line) : 0;
    throw Bad{file_, line, std::move(msg)};
  }

  void only_keys(const toml::table& t, const std::set<std::string>& allowed,
                 const std::string& where) const {
    for (auto&& [k, v] : t) {
      if (allowed.count(std::string(k.str()))) continue;
      std::string list;
      for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
      throw Bad{
          file_, int(k.source().begin.line),
          "unknown key '" + std::string(k.str()) + "' in " + where + " (allowed: " + list + ")"};
    }
  }

  const toml::table* table(const toml::table& t, const char* key) const {
    const toml::node* n = t.get(key);
    if (!n) return nullptr;
    if (!n->is_table()) fail(n, std::string("'") + key + "' must be a table");
    return n->as_table();
  }

  double number(const toml::table& t, const char* key, double dflt) const {
    const toml::node* n = t.get(key);
    if (!n) return dflt;
    if (auto i = n->value_exact<int64_t>()) return double(*i);
    if (auto d = n->value_exact<double>()) return *d;
    fail(n, std::string("'") + key + "' must be a number");
  }
  int64_t integer(const toml::table& t, const char* key, int64_t dflt) const {
    const toml::node* n = t.get(key);
    if (!n) return dflt;
    auto i = n->value_exact<int64_t>();
    if (!i) fail(n, std::string("'") + key + "' must be an integer");
    return *i;
  }
  int64_t non_negative(const toml::table& t, const char* key, int64_t dflt) const {
    int64_t v = integer(t, key, dflt);
    if (v < 0) fail(t.get(key), std::string("'") + key + "' must not be negative");
    return v;
  }
  double rate(const toml::table& t, const char* key) const {
    double r = number(t, key, 0);
    if (r < 0 || r > 1) fail(t.get(key), std::string("'") + key + "' must be between 0 and 1");
    return r;
  }
  Duration millis(const toml::table& t, const char* key, Duration dflt) const {
    if (!t.get(key)) return dflt;
    double ms = number(t, key, 0);
    if (ms < 0) fail(t.get(key), std::string("'") + key + "' must not be negative");
    return Duration(int64_t(ms * 1e6));
  }
  std::string string(const toml::table& t, const char* key, std::string dflt) const {
    const toml::node* n = t.get(key);
    if (!n) return dflt;
    auto s = n->value_exact<std::string>();
    if (!s) fail(n, std::string("'") + key + "' must be a string");
    return *s;
  }
  std::string path(const toml::table& t, const char* key, std::string dflt) const {
    std::string p = string(t, key, dflt);
    if (p.empty()) return p;
    auto parsed = ActorPath::parse(p);
    if (!parsed)
      fail(t.get(key), std::string("'") + key + "' = \"" + p + "\" is not an actor path (" +
                           pd::to_string(parsed.error()) + ")");
    return p;
  }
  // An array of strings; empty when the key is absent.
  std::vector<std::string> strings(const toml::table& t, const char* key) const {
    std::vector<std::string> out;
    const toml::node* n = t.get(key);
    if (!n) return out;
    const toml::array* a = n->as_array();
    if (!a) fail(n, std::string("'") + key + "' must be an array of strings");
    for (const toml::node& e : *a) {
      auto s = e.value_exact<std::string>();
      if (!s) fail(&e, std::string("'") + key + "' holds strings only");
      out.push_back(*s);
    }
    return out;
  }
  bool boolean(const toml::table& t, const char* key, bool dflt) const {
    const toml::node* n = t.get(key);
    if (!n) return dflt;
    auto b = n->value_exact<bool>();
    if (!b) fail(n, std::string("'") + key + "' must be true or false");
    return *b;
  }
  const std::string& file() const { return file_; }

  // An array of tables (the [[x]] form, or an inline array of inline tables).
  template <class F>
  void each_table(const toml::table& t, const char* key, F&& f) const {
    const toml::node* n = t.get(key);
    if (!n) return;
    const toml::array* a = n->as_array();
    if (!a) fail(n, std::string("'") + key + "' must be an array of tables");
    for (const toml::node& e : *a) {
      if (!e.is_table()) fail(&e, std::string("each '") + key + "' entry must be a table");
      f(*e.as_table());
    }
  }

 private:
  std::string file_;
};

inline RestartPolicy restart_policy(const Reader& r, const toml::table& t) {
  std::string s = r.string(t, "restart", "permanent");
  if (s == "permanent") return RestartPolicy::Permanent;
  if (s == "transient") return RestartPolicy::Transient;
  if (s == "temporary") return RestartPolicy::Temporary;
  r.fail(t.get("restart"), "'restart' must be permanent, transient or temporary, not '" + s + "'");
}

inline SupervisionStrategy strategy(const Reader& r, const toml::table& t) {
  std::string s = r.string(t, "strategy", "one-for-one");
  if (s == "one-for-one") return SupervisionStrategy::OneForOne;
  if (s == "one-for-all") return SupervisionStrategy::OneForAll;
  if (s == "rest-for-one") return SupervisionStrategy::RestForOne;
  r.fail(t.get("strategy"),
         "'strategy' must be one-for-one, one-for-all or rest-for-one, not '" + s + "'");
}

// The supervision keys every actor declaration shares, into `spec` (not its factory):
// restart, strategy, max_restarts, window_ms, mailbox, shutdown_ms, brutal.
inline const std::set<std::string>& child_policy_keys() {
  static const std::set<std::string> keys = {"restart", "strategy",    "max_restarts", "window_ms",
                                             "mailbox", "shutdown_ms", "brutal"};
  return keys;
}
inline void read_child_policy(const Reader& r, const toml::table& t, ChildSpec& spec) {
  spec.restart = restart_policy(r, t);
  spec.strategy = strategy(r, t);
  spec.intensity.max_restarts = uint32_t(r.non_negative(t, "max_restarts", 3));
  spec.intensity.window = r.millis(t, "window_ms", std::chrono::seconds(5));
  int64_t mailbox = r.integer(t, "mailbox", kMailboxCapacityDefault);
  if (mailbox < 1 || mailbox > int64_t(kMailboxCapacityMax))
    r.fail(t.get("mailbox"),
           "'mailbox' must be between 1 and " + std::to_string(kMailboxCapacityMax));
  spec.mailbox_capacity = uint32_t(mailbox);
  if (r.boolean(t, "brutal", false))
    spec.shutdown = ShutdownPolicy::brutal();
  else
    spec.shutdown =
        ShutdownPolicy::with_timeout(r.millis(t, "shutdown_ms", std::chrono::seconds(5)));
}

// An [[actor]]'s `name` (a path segment) and `parent` (default /user; /user, /system or a path
// declared above it), the keys every actor tree shares.
inline void read_actor_place(const Reader& r, const toml::table& t,
                             const std::set<std::string>& declared, std::string& name,
                             std::string& parent) {
  name = r.string(t, "name", "");
  if (!ActorPath::valid_segment(name))
    r.fail(t.get("name") ? t.get("name") : &t,
           "an actor needs a 'name' made of letters, digits and . _ : - (got '" + name + "')");
  parent = r.path(t, "parent", "/user");
  if (parent != "/user" && parent != "/system" && !declared.count(parent))
    r.fail(t.get("parent"), "parent '" + parent + "' is not declared above this actor");
}

}  // namespace pd::config
