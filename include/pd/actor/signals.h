// Messages the engine itself sends to actors.
#pragma once

#include "pd/core/addr.h"
#include "pd/core/errors.h"

namespace pd {

// Delivered to every actor that monitors `actor` when that incarnation stops. A monitor set on
// an address with no live actor fires at once with existed == false (Erlang's noproc).
// Down bypasses the bounded mailbox, like every lifecycle signal.
struct Down {
  static constexpr const char* kTypeName = "pd::Down";
  AddrHash actor;
  StopReason reason;
  bool existed = true;
};

}  // namespace pd
