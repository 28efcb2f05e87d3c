#include "pd/runtime/log.h"

#include <cstdio>

namespace pd {

std::string log_level_name(int32_t level) {
  switch (level) {
    case 0: return "trace";
    case 1: return "debug";
    case 2: return "info";
    case 3: return "warn";
    case 4: return "error";
  }
  return "level-" + std::to_string(level);
}

void write_log_line(const LogRecord& r) {
  char head[64];
  std::snprintf(head, sizeof head, "[%12.6f s] %-5s ",
                double(r.at.time_since_epoch().count()) / 1e9, log_level_name(r.level).c_str());
  std::string line = head + r.path + ": " + r.message + "\n";
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace pd
