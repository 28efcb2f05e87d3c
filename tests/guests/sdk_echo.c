/* sdk_echo: answers every message with its own payload and type tag (pd_reply), through the
 * SDK's pd_alloc receive buffer, so payloads of any size arrive. Responses are not answered. */
#include "pd_guest.h"

PD_EXPORT(pd_actor_on_message)
int32_t on_message(int32_t state, int32_t ctx, const pd_envelope* request, const uint8_t* payload,
                   int32_t len) {
  (void)state;
  (void)ctx;
  if (request->flags & PD_FLAG_RESPONSE) return 0;
  return pd_reply(request, request->type_tag, payload, (uint32_t)len) == PD_SEND_OK ? 0 : 1;
}
