// What every plugin actor's send goes through, WASM or native: the namespace policy, the
// source forced to the sender's own address, payload_len set to the payload's size. Returns
// the code the plugin sees (0, or pd_send_code of the SendError).
#pragma once

#include <cstdint>
#include <span>

#include "pd/actor/actor_context.h"
#include "pd/plugin/namespace_policy.h"
#include "pd/plugin/wasm_actor.h"

namespace pd::detail {

// Envelope with source and length fixed, or the refusal code.
inline Expected<Envelope, int32_t> checked_plugin_envelope(ActorContext& ctx,
                                                           const NamespacePolicy& policy,
                                                           Envelope e, size_t payload_size) {
  if (!policy.allowed.empty() || !policy.denied.empty()) {
    if (!policy.permits(ctx.path_of(e.destination)))
      return Unexpected{pd_send_code(SendError::PolicyViolation)};
  }
  e.payload_len = uint32_t(payload_size);
  e.source = ctx.self();  // whatever the plugin wrote there
  return e;
}

inline int32_t plugin_send(ActorContext& ctx, const NamespacePolicy& policy, const Envelope& e,
                           std::span<const uint8_t> payload) {
  auto checked = checked_plugin_envelope(ctx, policy, e, payload.size());
  if (!checked) return checked.error();
  SendResult r = ctx.send_raw(*checked, MessagePayload::serialized(payload));
  return r ? kPdSendOk : pd_send_code(r.error());
}

}  // namespace pd::detail
