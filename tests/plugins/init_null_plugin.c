/* init_null: every export of the C ABI, but pd_plugin_init refuses to load (returns NULL). */
#include <stddef.h>

#include "pd_plugin.h"

PD_PLUGIN_EXPORT const PdPluginInfo* pd_plugin_init(void) { return NULL; }
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
