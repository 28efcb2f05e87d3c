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

// 0 when the namespace policy lets the plugin send to e.destination, else the refusal code.
inline int32_t policy_refusal(ActorContext& ctx, const NamespacePolicy& policy, const Envelope& e) {
  if (policy.allowed.empty() && policy.denied.empty()) return 0;
  return policy.permits(ctx.path_of(e.destination)) ? 0 : pd_send_code(SendError::PolicyViolation);
}

// Fixes the envelope in place (source, length) and returns 0, or the refusal code.
inline int32_t check_plugin_envelope(ActorContext& ctx, const NamespacePolicy& policy, Envelope& e,
                                     size_t payload_size) {
  if (int32_t refused = policy_refusal(ctx, policy, e)) return refused;
  e.payload_len = uint32_t(payload_size);
  e.source = ctx.self();  // whatever the plugin wrote there
  return 0;
}

inline int32_t plugin_send(ActorContext& ctx, const NamespacePolicy& policy, Envelope& e,
                           std::span<const uint8_t> payload) {
  if (int32_t refused = policy_refusal(ctx, policy, e)) return refused;
  e.payload_len = uint32_t(payload.size());
  // The source: ActorContext::send_raw always sends as the context's actor, whatever the plugin
  // wrote there. (Setting it here too cost a store-forwarding stall on every send.)
  SendResult r = ctx.send_raw(e, MessagePayload::serialized(payload));
  return r ? kPdSendOk : pd_send_code(r.error());
}

}  // namespace pd::detail
