/* sdk_probe: exercises the rest of the guest SDK for the registry's specs.
 *   pd_actor_create  allocates its state with pd_heap_alloc (a message counter)
 *   on_start         logs "probe up" (info)
 *   each message     counts it, logs "probe message N" (warn), sends "note" (tag
 *                    pd_type_tag("probe.note")) to pd_path_address("/user/sink"), then answers
 *                    the sender (tag pd_type_tag("probe.report")) with 32 bytes, little-endian:
 *                    [u64 pd_now_micros()] [u64 messages so far]
 *                    [u64 pd_path_address("/user/sink").hi] [i32 the note's pd_send code]
 *                    [i32 the state handle] */
#include "pd_guest.h"

typedef struct probe_state {
  uint64_t messages;
} probe_state;

PD_EXPORT(pd_actor_create) int32_t create(void) {
  probe_state* s = (probe_state*)pd_heap_alloc(sizeof(probe_state));
  if (s == 0) return 0;
  s->messages = 0;
  return (int32_t)(uintptr_t)s;
}

PD_EXPORT(pd_actor_on_start) int32_t on_start(int32_t state, int32_t ctx) {
  (void)ctx;
  if (state == 0) return 1;
  pd_log_str(PD_LOG_INFO, "probe up");
  return 0;
}

static void put_u64(uint8_t* out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out[i] = (uint8_t)(v >> (8 * i));
}

PD_EXPORT(pd_actor_on_message)
int32_t on_message(int32_t state, int32_t ctx, const pd_envelope* request, const uint8_t* payload,
                   int32_t len) {
  (void)ctx;
  (void)payload;
  (void)len;
  probe_state* s = (probe_state*)(uintptr_t)state;
  s->messages += 1;

  char text[40] = "probe message ";
  uint32_t n = 14 + pd_format_u64(s->messages, text + 14);
  pd_log(PD_LOG_WARN, text, (int32_t)n);

  pd_addr sink = pd_path_address("/user/sink");
  int32_t note = pd_send_to(sink, pd_type_tag("probe.note"), "note", 4);

  uint8_t report[32];
  put_u64(report, (uint64_t)pd_now_micros());
  put_u64(report + 8, s->messages);
  put_u64(report + 16, sink.hi);
  put_u64(report + 24, (uint64_t)(uint32_t)note | ((uint64_t)(uint32_t)state << 32));
  return pd_reply(request, pd_type_tag("probe.report"), report, sizeof report) == PD_SEND_OK ? 0
                                                                                              : 1;
}
