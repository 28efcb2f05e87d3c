/* wrong_abi: every export of the C ABI, but pd_plugin_init claims ABI version 2. The host must
 * refuse it after reading the version, and call nothing else of it. */
#include <stddef.h>

#include "pd_plugin.h"

static const char* const kTypes[] = {"wrong"};
static const PdPluginInfo kInfo = {"wrong_abi", "2.0.0", 2u, kTypes, 1};

PD_PLUGIN_EXPORT const PdPluginInfo* pd_plugin_init(void) { return &kInfo; }
PD_PLUGIN_EXPORT void pd_plugin_shutdown(void) {}
PD_PLUGIN_EXPORT void* pd_actor_create(const char* type_name, uint32_t type_name_len,
                                       const uint8_t* config, uint32_t config_len) {
  (void)type_name;
  (void)type_name_len;
  (void)config;
  (void)config_len;
  return NULL;
}
PD_PLUGIN_EXPORT void pd_actor_destroy(void* actor) { (void)actor; }
PD_PLUGIN_EXPORT int32_t pd_actor_on_start(void* actor, PdActorContext* ctx) {
  (void)actor;
  (void)ctx;
  return PD_OK;
}
PD_PLUGIN_EXPORT int32_t pd_actor_on_message(void* actor, PdActorContext* ctx,
                                             const uint8_t* envelope, const uint8_t* payload,
                                             uint32_t payload_len) {
  (void)actor;
  (void)ctx;
  (void)envelope;
  (void)payload;
  (void)payload_len;
  return PD_OK;
}
PD_PLUGIN_EXPORT void pd_actor_on_stop(void* actor, PdActorContext* ctx, int32_t reason) {
  (void)actor;
  (void)ctx;
  (void)reason;
}
