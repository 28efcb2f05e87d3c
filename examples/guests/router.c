/* router: fans every request out to the actors that subscribed.
 *   "router.subscribe"  payload: an actor path ("/user/guests/echo"); up to 16 subscribers
 *   anything else       forwarded, same type tag and payload, to every subscriber
 *   responses           logged (the subscribers' answers come back to the router) */
#include "pd_guest.h"

#define ROUTER_SUBSCRIBERS_MAX 16

typedef struct router_state {
  uint32_t count;
  pd_addr subscribers[ROUTER_SUBSCRIBERS_MAX];
} router_state;

PD_EXPORT(pd_actor_create) int32_t create(void) {
  router_state* s = (router_state*)pd_heap_alloc(sizeof(router_state));
  if (s == 0) return 0;
  s->count = 0;
  return (int32_t)(uintptr_t)s;
}

static int32_t subscribe(router_state* s, const uint8_t* path, int32_t len) {
  char text[256];
  if (len <= 0 || len >= (int32_t)sizeof text || s->count == ROUTER_SUBSCRIBERS_MAX) {
    pd_log_str(PD_LOG_WARN, "router: subscription refused (empty, too long, or list full)");
    return 0;
  }
  for (int32_t i = 0; i < len; ++i) text[i] = (char)path[i];
  text[len] = '\0';
  s->subscribers[s->count++] = pd_path_address(text);
  char line[300] = "router: subscribed ";
  uint32_t n = 19;
  for (int32_t i = 0; i < len; ++i) line[n++] = text[i];
  pd_log(PD_LOG_INFO, line, (int32_t)n);
  return 0;
}

PD_EXPORT(pd_actor_on_message)
int32_t on_message(int32_t state, int32_t ctx, const pd_envelope* request, const uint8_t* payload,
                   int32_t len) {
  (void)ctx;
  router_state* s = (router_state*)(uintptr_t)state;
  if (request->flags & PD_FLAG_RESPONSE) {
    char line[200] = "router: a subscriber answered: ";
    uint32_t n = 31;
    for (int32_t i = 0; i < len && n < sizeof line; ++i) line[n++] = (char)payload[i];
    pd_log(PD_LOG_INFO, line, (int32_t)n);
    return 0;
  }
  if (request->type_tag == pd_type_tag("router.subscribe")) return subscribe(s, payload, len);
  uint32_t delivered = 0;
  for (uint32_t i = 0; i < s->count; ++i)
    if (pd_send_to(s->subscribers[i], request->type_tag, payload, (uint32_t)len) == PD_SEND_OK)
      ++delivered;
  char line[64] = "router: fanned out to ";
  uint32_t n = 22 + pd_format_u64(delivered, line + 22);
  pd_log(PD_LOG_INFO, line, (int32_t)n);
  return 0;
}
