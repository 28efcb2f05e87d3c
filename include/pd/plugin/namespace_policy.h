// NamespacePolicy: which destinations a plugin's actors may send to, by path prefix.
// Deny wins over allow; an empty allow list allows everything not denied. A destination whose
// path cannot be established (no live actor there) is refused by any non-empty policy: it
// cannot vouch for a destination it cannot name.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "pd/core/addr.h"

namespace pd {

struct NamespacePolicy {
  std::vector<std::string> allowed;  // path prefixes ("/plugins/echo", "/system")
  std::vector<std::string> denied;

  // The reference's default for a plugin named `name`: /plugins/<name>/* and /system/*.
  static NamespacePolicy for_plugin(const std::string& name) {
    return {{"/plugins/" + name, "/system"}, {}};
  }
  bool permits(const std::optional<std::string>& destination_path) const {
    if (!destination_path) return allowed.empty() && denied.empty();
    auto path = ActorPath::parse(*destination_path);
    if (!path) return false;
    auto under = [&](const std::vector<std::string>& prefixes) {
      for (const auto& p : prefixes) {
        auto prefix = ActorPath::parse(p);
        if (prefix && path->starts_with(*prefix)) return true;
      }
      return false;
    };
    if (under(denied)) return false;
    return allowed.empty() || under(allowed);
  }
};

}  // namespace pd
