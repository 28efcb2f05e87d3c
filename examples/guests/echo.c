/* echo: replies to every request with the same type tag and payload. Responses it receives are
 * not answered (two echoes would otherwise bounce a message between them forever). */
#include "pd_guest.h"

PD_EXPORT(pd_actor_on_message)
int32_t on_message(int32_t state, int32_t ctx, const pd_envelope* request, const uint8_t* payload,
                   int32_t len) {
  (void)state;
  (void)ctx;
  if (request->flags & PD_FLAG_RESPONSE) return 0;
  int32_t sent = pd_reply(request, request->type_tag, payload, (uint32_t)len);
  /* The sender may be gone; that is not the echo's failure. */
  return sent == PD_SEND_OK || sent == PD_SEND_ACTOR_STOPPED ? 0 : 1;
}
