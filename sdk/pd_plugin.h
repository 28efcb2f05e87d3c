/* pd_plugin.h — the C ABI, version 1, between Palladium and a native plugin (a shared library
 * loaded with dlopen). C99 or C++.
 *
 * A plugin exports, with C linkage (PD_PLUGIN_EXPORT):
 *   const PdPluginInfo* pd_plugin_init(void);        once, at load; NULL = refuse to load
 *   void pd_plugin_shutdown(void);                    once, when the host lets the library go
 *   void* pd_actor_create(const char* type_name, uint32_t type_name_len,
 *                         const uint8_t* config, uint32_t config_len);   NULL = cannot create
 *   void pd_actor_destroy(void* actor);
 *   int32_t pd_actor_on_start(void* actor, PdActorContext* ctx);         optional
 *   int32_t pd_actor_on_message(void* actor, PdActorContext* ctx, const uint8_t* envelope,
 *                               const uint8_t* payload, uint32_t payload_len);
 *   void pd_actor_on_stop(void* actor, PdActorContext* ctx, int32_t reason);  optional
 * Handlers return PD_OK or an error code; a non-zero return fails the actor (on_start: Init;
 * on_message: Handler) and its supervisor decides what happens next.
 *
 * The host calls an actor's functions on one thread at a time (the actor's core); different
 * actors of one plugin may run on different cores at once. Pointers the host passes are valid
 * for the call only. Native code runs unsandboxed, in the host's process: load only plugins
 * you trust (untrusted code belongs in a WASM guest). */
#ifndef PD_PLUGIN_H
#define PD_PLUGIN_H

#include "pd_envelope.h"

#ifdef __cplusplus
extern "C" {
#define PD_PLUGIN_EXPORT extern "C" __attribute__((visibility("default")))
#else
#define PD_PLUGIN_EXPORT __attribute__((visibility("default")))
#endif

#define PD_ABI_VERSION 1u

/* Return codes of the ABI. */
#define PD_OK 0
#define PD_ERR_INIT (-1)
#define PD_ERR_HANDLER (-2)
#define PD_ERR_NOT_FOUND (-3)

typedef struct PdActorContext PdActorContext;

/* What the host offers a plugin's actors, through their context. */
typedef struct PdHostVtable {
  uint32_t abi_version; /* PD_ABI_VERSION of the host */
  /* Sends: `envelope` is 80 bytes (a pd_envelope); the host sets its source to this actor,
   * its id, and payload_len to `payload_len`. Returns a PD_SEND_* code (pd_envelope.h). */
  int32_t (*send)(PdActorContext* ctx, const uint8_t* envelope, const uint8_t* payload,
                  uint32_t payload_len);
  /* Engine time in microseconds (virtual under simulation). */
  uint64_t (*now_micros)(PdActorContext* ctx);
  /* Writes to the engine's log, tagged with the actor's path. */
  void (*log)(PdActorContext* ctx, int32_t level, const char* message, uint32_t message_len);
} PdHostVtable;

struct PdActorContext {
  const PdHostVtable* host;
  pd_addr self;    /* this actor's address */
  void* host_data; /* the host's own; a plugin must not touch it */
};

typedef struct PdPluginInfo {
  const char* name;    /* the plugin's name; its manifest must agree */
  const char* version; /* free-form ("1.2.0") */
  uint32_t abi_version; /* PD_ABI_VERSION the plugin was built against */
  const char* const* actor_types; /* the type names pd_actor_create accepts */
  uint32_t actor_type_count;
} PdPluginInfo;

/* The exports' types, for the host and for plugins that want the compiler to check them. */
typedef const PdPluginInfo* (*pd_plugin_init_fn)(void);
typedef void (*pd_plugin_shutdown_fn)(void);
typedef void* (*pd_actor_create_fn)(const char* type_name, uint32_t type_name_len,
                                    const uint8_t* config, uint32_t config_len);
typedef void (*pd_actor_destroy_fn)(void* actor);
typedef int32_t (*pd_actor_on_start_fn)(void* actor, PdActorContext* ctx);
typedef int32_t (*pd_actor_on_message_fn)(void* actor, PdActorContext* ctx,
                                          const uint8_t* envelope, const uint8_t* payload,
                                          uint32_t payload_len);
typedef void (*pd_actor_on_stop_fn)(void* actor, PdActorContext* ctx, int32_t reason);

/* Helpers over the vtable. */
static inline int32_t pd_plugin_send(PdActorContext* ctx, const pd_envelope* envelope,
                                     const void* payload, uint32_t len) {
  return ctx->host->send(ctx, (const uint8_t*)envelope, (const uint8_t*)payload, len);
}
static inline int32_t pd_plugin_send_to(PdActorContext* ctx, pd_addr destination,
                                        uint64_t type_tag, const void* payload, uint32_t len) {
  pd_envelope e = pd_envelope_to(destination, type_tag);
  return pd_plugin_send(ctx, &e, payload, len);
}
static inline int32_t pd_plugin_reply(PdActorContext* ctx, const pd_envelope* request,
                                      uint64_t type_tag, const void* payload, uint32_t len) {
  pd_envelope e = pd_envelope_reply(request, type_tag);
  return pd_plugin_send(ctx, &e, payload, len);
}
static inline void pd_plugin_log(PdActorContext* ctx, int32_t level, const char* text) {
  ctx->host->log(ctx, level, text, (uint32_t)pd_strlen(text));
}
/* Reads the 80 bytes the host passed to pd_actor_on_message (which may be unaligned). */
static inline pd_envelope pd_envelope_read(const uint8_t* bytes) {
  pd_envelope e;
  uint8_t* out = (uint8_t*)&e;
  for (size_t i = 0; i < sizeof e; ++i) out[i] = bytes[i];
  return e;
}

#ifdef __cplusplus
}
#endif

#endif /* PD_PLUGIN_H */
