/* counter: state kept across messages, and the two ways a guest fails.
 *   "counter.add"   payload: a decimal number; adds it and replies "count=N"
 *   "counter.get"   replies "count=N"
 *   "counter.crash" traps (unreachable): the supervisor restarts it, the count starts over
 *   "counter.spin"  loops forever: the fuel budget ends it (ResourceExhausted), then the same
 * Its state lives in guest memory allocated by pd_actor_create; the handle it returns reaches
 * every later call. */
#include "pd_guest.h"

typedef struct counter_state {
  uint64_t count;
  uint64_t messages;
} counter_state;

static uint64_t parse_decimal(const uint8_t* text, int32_t len) {
  uint64_t v = 0;
  for (int32_t i = 0; i < len && text[i] >= '0' && text[i] <= '9'; ++i) v = v * 10 + (text[i] - '0');
  return v;
}

static int32_t reply_count(const pd_envelope* request, const counter_state* s) {
  char text[32] = "count=";
  uint32_t n = 6 + pd_format_u64(s->count, text + 6);
  int32_t sent = pd_reply(request, pd_type_tag("demo.text"), text, n);
  return sent == PD_SEND_OK || sent == PD_SEND_ACTOR_STOPPED ? 0 : 1;
}

PD_EXPORT(pd_actor_create) int32_t create(void) {
  counter_state* s = (counter_state*)pd_heap_alloc(sizeof(counter_state));
  if (s == 0) return 0;
  s->count = 0;
  s->messages = 0;
  return (int32_t)(uintptr_t)s;
}

PD_EXPORT(pd_actor_on_start) int32_t on_start(int32_t state, int32_t ctx) {
  (void)ctx;
  if (state == 0) return 1; /* pd_actor_create could not allocate */
  pd_log_str(PD_LOG_INFO, "counter: started at 0");
  return 0;
}

PD_EXPORT(pd_actor_on_message)
int32_t on_message(int32_t state, int32_t ctx, const pd_envelope* request, const uint8_t* payload,
                   int32_t len) {
  (void)ctx;
  counter_state* s = (counter_state*)(uintptr_t)state;
  s->messages += 1;
  uint64_t tag = request->type_tag;
  if (tag == pd_type_tag("counter.add")) {
    s->count += parse_decimal(payload, len);
    return reply_count(request, s);
  }
  if (tag == pd_type_tag("counter.get")) return reply_count(request, s);
  if (tag == pd_type_tag("counter.crash")) __builtin_trap();
  if (tag == pd_type_tag("counter.spin")) {
    volatile uint64_t spins = 0;
    for (;;) spins = spins + 1;
  }
  pd_log_str(PD_LOG_WARN, "counter: unknown message type, ignored");
  return 0;
}

PD_EXPORT(pd_actor_on_stop) void on_stop(int32_t state, int32_t ctx, int32_t reason) {
  (void)ctx;
  counter_state* s = (counter_state*)(uintptr_t)state;
  char text[80] = "counter: stopping with count=";
  uint32_t n = 29 + pd_format_u64(s->count, text + 29);
  const char* why = reason == PD_STOP_SHUTDOWN ? " (shutdown)"
                    : reason == PD_STOP_ERROR  ? " (it failed)"
                                               : " (stopped)";
  for (uint32_t i = 0; why[i] != '\0'; ++i) text[n++] = why[i];
  pd_log(PD_LOG_INFO, text, (int32_t)n);
}
