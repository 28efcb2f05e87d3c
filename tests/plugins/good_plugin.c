/* good: a well-behaved native plugin for the registry's specs
 * (tests/unit/plugin_registry_test.cpp).
 * Name "good", version "1.0.0", ABI 1, actor types "greeter" and "adder".
 *
 *   greeter  on_start logs "greeter up" (info); each message is answered (pd_plugin_reply, same
 *            type tag) with "hello, " + payload; on_stop logs "stopped <reason>" (info).
 *            A message tagged pd_type_tag("send.spoof") carries an actor path: the greeter
 *            sends "spoofed" (tag pd_type_tag("spoofed")) to that path's address in an
 *            envelope whose source claims kSpoofedSource, then answers the original sender
 *            (tag pd_type_tag("send.code")) with pd_send's code as 4 bytes little-endian.
 *   adder    config: a decimal starting value (empty = 0; "fail", or anything not decimal,
 *            makes pd_actor_create return NULL). Each 8-byte little-endian payload is added to
 *            the sum, which is answered as 8 bytes little-endian; a payload of another length
 *            (0 included) makes on_message return PD_ERR_HANDLER.
 *
 * What the host did to the library is observable when GOOD_PLUGIN_EVENTS_FILE is set: each of
 * these appends a line "<image> <event>" to that file (the only record that outlives the
 * library's dlclose):
 *   init                    pd_plugin_init
 *   shutdown                pd_plugin_shutdown
 *   create <type>           pd_actor_create made an object of <type>
 *   create <type> failed    pd_actor_create returned NULL (an adder's bad config, an unknown type)
 *   destroy <type>          pd_actor_destroy of an object of <type> ("destroy NULL" for NULL)
 *   called after shutdown   an actor export reached this image after pd_plugin_shutdown and
 *                           before another pd_plugin_init (the ABI promises none: shutdown
 *                           comes when the host lets the library go)
 * <image> numbers the image (the library's code and globals in memory) that wrote the line:
 * an image takes 1 + the highest number in the file when it writes its first line, so in a
 * fresh file the first image loaded is 1, the next 2, and so on; two inits of one image would
 * both say its number. The plugin behaves the same whether the file is set or not. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pd_plugin.h"

#define GOOD_PATH_LEN_MAX 255u

static const char* const kTypes[] = {"greeter", "adder"};
static const PdPluginInfo kInfo = {"good", "1.0.0", PD_ABI_VERSION, kTypes, 2};
static const pd_addr kSpoofedSource = {0x5150u, 0xDEADBEEFu};

static int g_image = 0;     /* this image's number in the events file; 0 until its first line */
static int g_shut_down = 0; /* pd_plugin_shutdown ran, and no pd_plugin_init since */

enum good_kind { GOOD_NONE = 0, GOOD_GREETER = 1, GOOD_ADDER = 2 };

typedef struct good_actor {
  enum good_kind kind;
  uint64_t sum;
} good_actor;

/* 1 + the highest image number in the events file at `path` (1 when it is empty or absent). */
static int next_image(const char* path) {
  char line[128];
  int highest = 0;
  FILE* f = fopen(path, "r");
  if (f == NULL) return 1;
  while (fgets(line, sizeof line, f) != NULL) {
    int n = atoi(line);
    if (n > highest) highest = n;
  }
  fclose(f);
  return highest + 1;
}

/* Appends "<image> " and the printf-formatted event to the events file, if there is one. */
static void record_event(const char* format, ...) {
  const char* path = getenv("GOOD_PLUGIN_EVENTS_FILE");
  FILE* f;
  va_list args;
  if (path == NULL || path[0] == '\0') return;
  if (g_image == 0) g_image = next_image(path);
  f = fopen(path, "a");
  if (f == NULL) return;
  fprintf(f, "%d ", g_image);
  va_start(args, format);
  vfprintf(f, format, args);
  va_end(args);
  fputc('\n', f);
  fclose(f);
}

/* Each actor export starts here: a call after shutdown is the host breaking the ABI. */
static void check_not_shut_down(void) {
  if (g_shut_down) record_event("called after shutdown");
}

static int type_is(const char* name, uint32_t len, const char* want) {
  return len == strlen(want) && memcmp(name, want, len) == 0;
}

static const char* kind_name(enum good_kind kind) {
  return kind == GOOD_GREETER ? "greeter" : "adder";
}

PD_PLUGIN_EXPORT const PdPluginInfo* pd_plugin_init(void) {
  g_shut_down = 0;
  record_event("init");
  return &kInfo;
}

PD_PLUGIN_EXPORT void pd_plugin_shutdown(void) {
  g_shut_down = 1;
  record_event("shutdown");
}

/* The decimal in `config`; 0 when it is not one (or too long to be one). */
static int parse_start(const uint8_t* config, uint32_t len, uint64_t* out) {
  uint64_t v = 0;
  if (len > 19) return 0;
  for (uint32_t i = 0; i < len; ++i) {
    if (config[i] < '0' || config[i] > '9') return 0;
    v = v * 10 + (uint64_t)(config[i] - '0');
  }
  *out = v;
  return 1;
}

PD_PLUGIN_EXPORT void* pd_actor_create(const char* type_name, uint32_t type_name_len,
                                       const uint8_t* config, uint32_t config_len) {
  good_actor* a;
  uint64_t start = 0;
  enum good_kind kind;
  check_not_shut_down();
  if (type_is(type_name, type_name_len, "greeter")) {
    kind = GOOD_GREETER;
  } else if (type_is(type_name, type_name_len, "adder")) {
    kind = GOOD_ADDER;
    if (!parse_start(config, config_len, &start)) kind = GOOD_NONE; /* "fail" lands here */
  } else {
    kind = GOOD_NONE;
  }
  a = kind != GOOD_NONE ? (good_actor*)malloc(sizeof *a) : NULL;
  if (a == NULL) {
    record_event("create %.*s failed", (int)type_name_len, type_name);
    return NULL;
  }
  a->kind = kind;
  a->sum = start;
  record_event("create %s", kind_name(kind));
  return a;
}

PD_PLUGIN_EXPORT void pd_actor_destroy(void* actor) {
  check_not_shut_down();
  if (actor == NULL) {
    record_event("destroy NULL");
    return;
  }
  record_event("destroy %s", kind_name(((good_actor*)actor)->kind));
  free(actor);
}

PD_PLUGIN_EXPORT int32_t pd_actor_on_start(void* actor, PdActorContext* ctx) {
  good_actor* a = (good_actor*)actor;
  check_not_shut_down();
  if (a->kind == GOOD_GREETER) pd_plugin_log(ctx, PD_LOG_INFO, "greeter up");
  return PD_OK;
}

static void put_u64_le(uint8_t* out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_u64_le(const uint8_t* in) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= (uint64_t)in[i] << (8 * i);
  return v;
}

static int32_t greeter_spoof(PdActorContext* ctx, const pd_envelope* request,
                             const uint8_t* payload, uint32_t len) {
  char path[GOOD_PATH_LEN_MAX + 1];
  pd_envelope e;
  int32_t code;
  uint8_t code_le[4];
  if (len > GOOD_PATH_LEN_MAX) return PD_ERR_HANDLER;
  memcpy(path, payload, len);
  path[len] = '\0';
  e = pd_envelope_to(pd_path_address(path), pd_type_tag("spoofed"));
  e.source = kSpoofedSource;
  e.payload_len = 9999; /* the host sets it to the real length */
  code = pd_plugin_send(ctx, &e, "spoofed", 7);
  for (int i = 0; i < 4; ++i) code_le[i] = (uint8_t)((uint32_t)code >> (8 * i));
  return pd_plugin_reply(ctx, request, pd_type_tag("send.code"), code_le, 4) == PD_SEND_OK
             ? PD_OK
             : PD_ERR_HANDLER;
}

static int32_t greeter_on_message(PdActorContext* ctx, const pd_envelope* request,
                                  const uint8_t* payload, uint32_t len) {
  static const char kHello[] = "hello, ";
  const uint32_t hello_len = (uint32_t)(sizeof kHello - 1);
  uint8_t* text;
  int32_t sent;
  if (request->type_tag == pd_type_tag("send.spoof"))
    return greeter_spoof(ctx, request, payload, len);
  text = (uint8_t*)malloc(hello_len + len + 1);
  if (text == NULL) return PD_ERR_HANDLER;
  memcpy(text, kHello, hello_len);
  if (len > 0) memcpy(text + hello_len, payload, len);
  sent = pd_plugin_reply(ctx, request, request->type_tag, text, hello_len + len);
  free(text);
  return sent == PD_SEND_OK ? PD_OK : PD_ERR_HANDLER;
}

static int32_t adder_on_message(good_actor* a, PdActorContext* ctx, const pd_envelope* request,
                                const uint8_t* payload, uint32_t len) {
  uint8_t sum_le[8];
  if (len != 8) return PD_ERR_HANDLER;
  a->sum += get_u64_le(payload);
  put_u64_le(sum_le, a->sum);
  return pd_plugin_reply(ctx, request, request->type_tag, sum_le, 8) == PD_SEND_OK
             ? PD_OK
             : PD_ERR_HANDLER;
}

PD_PLUGIN_EXPORT int32_t pd_actor_on_message(void* actor, PdActorContext* ctx,
                                             const uint8_t* envelope, const uint8_t* payload,
                                             uint32_t payload_len) {
  good_actor* a = (good_actor*)actor;
  pd_envelope request = pd_envelope_read(envelope);
  check_not_shut_down();
  if (a->kind == GOOD_GREETER) return greeter_on_message(ctx, &request, payload, payload_len);
  return adder_on_message(a, ctx, &request, payload, payload_len);
}

PD_PLUGIN_EXPORT void pd_actor_on_stop(void* actor, PdActorContext* ctx, int32_t reason) {
  good_actor* a = (good_actor*)actor;
  char text[32];
  check_not_shut_down();
  if (a->kind != GOOD_GREETER) return;
  snprintf(text, sizeof text, "stopped %d", (int)reason);
  pd_plugin_log(ctx, PD_LOG_INFO, text);
}
