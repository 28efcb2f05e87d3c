/* missing_export: the C ABI's exports except pd_actor_on_message. The host must refuse it,
 * naming the missing export, without calling pd_plugin_init. */
#include <stddef.h>

#include "pd_plugin.h"

static const char* const kTypes[] = {"incomplete"};
static const PdPluginInfo kInfo = {"missing_export", "1.0.0", PD_ABI_VERSION, kTypes, 1};

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
