// What actors write with ctx.log(): a level, the actor's path, the text, the engine time.
#pragma once

#include <cstdint>
#include <string>

#include "pd/core/time.h"

namespace pd {

struct LogRecord {
  int32_t level = 2;
  std::string path;
  std::string message;
  Instant at{};
};

// "trace", "debug", "info", "warn", "error", or "level-N".
std::string log_level_name(int32_t level);
// "[   0.001234 s] info  /user/a: text" on stderr, in one write.
void write_log_line(const LogRecord& r);

}  // namespace pd
