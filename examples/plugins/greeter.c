/* greeter: a native plugin (sdk/pd_plugin.h, C ABI v1). Actor type "greeter" answers every
 * request with "hello, <payload>" and counts whom it greeted; its config, if any, replaces
 * "hello". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pd_plugin.h"

typedef struct greeter {
  char greeting[32];
  uint64_t greeted;
} greeter;

static const char* const kTypes[] = {"greeter"};
static const PdPluginInfo kInfo = {"greeter", "1.0.0", PD_ABI_VERSION, kTypes, 1};

PD_PLUGIN_EXPORT const PdPluginInfo* pd_plugin_init(void) { return &kInfo; }
PD_PLUGIN_EXPORT void pd_plugin_shutdown(void) {}

PD_PLUGIN_EXPORT void* pd_actor_create(const char* type_name, uint32_t type_name_len,
                                       const uint8_t* config, uint32_t config_len) {
  if (type_name_len != 7 || memcmp(type_name, "greeter", 7) != 0) return NULL;
  if (config_len >= sizeof(((greeter*)0)->greeting)) return NULL;
  greeter* g = calloc(1, sizeof *g);
  if (g == NULL) return NULL;
  if (config_len > 0)
    memcpy(g->greeting, config, config_len);
  else
    strcpy(g->greeting, "hello");
  return g;
}

PD_PLUGIN_EXPORT void pd_actor_destroy(void* actor) { free(actor); }

PD_PLUGIN_EXPORT int32_t pd_actor_on_start(void* actor, PdActorContext* ctx) {
  greeter* g = actor;
  char line[64];
  strcpy(line, "greeter: ready to say ");
  strncat(line, g->greeting, sizeof line - strlen(line) - 1);
  pd_plugin_log(ctx, PD_LOG_INFO, line);
  return PD_OK;
}

PD_PLUGIN_EXPORT int32_t pd_actor_on_message(void* actor, PdActorContext* ctx,
                                             const uint8_t* envelope, const uint8_t* payload,
                                             uint32_t payload_len) {
  greeter* g = actor;
  pd_envelope request = pd_envelope_read(envelope);
  if (request.flags & PD_FLAG_RESPONSE) return PD_OK;
  char text[256];
  size_t n = strlen(g->greeting);
  memcpy(text, g->greeting, n);
  text[n++] = ',';
  text[n++] = ' ';
  size_t take = payload_len < sizeof text - n ? payload_len : sizeof text - n;
  memcpy(text + n, payload, take);
  g->greeted += 1;
  int32_t sent = pd_plugin_reply(ctx, &request, pd_type_tag("demo.text"), text,
                                 (uint32_t)(n + take));
  return sent == PD_SEND_OK || sent == PD_SEND_ACTOR_STOPPED ? PD_OK : PD_ERR_HANDLER;
}

PD_PLUGIN_EXPORT void pd_actor_on_stop(void* actor, PdActorContext* ctx, int32_t reason) {
  greeter* g = actor;
  char line[80];
  int n = snprintf(line, sizeof line, "greeter: greeted %llu, stopping (reason %d)",
                   (unsigned long long)g->greeted, (int)reason);
  if (n > 0) ctx->host->log(ctx, PD_LOG_INFO, line, (uint32_t)n);
}
