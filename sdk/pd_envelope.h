/* pd_envelope.h — the 80-byte message envelope, addresses and type tags, as plugin code sees
 * them. Shared by pd_guest.h (WASM guests) and pd_plugin.h (native plugins); C99 or C++,
 * freestanding (no libc).
 *
 * The layout is the wire and ABI layout (little-endian; every target we run on is):
 *   offset  0 message_id  u128    assigned by the engine
 *   offset 16 source      u128    the host always overwrites it with the sender's address
 *   offset 32 destination u128
 *   offset 48 type_tag    u64     FNV-1a 64 of the message type's name
 *   offset 56 payload_len u32     the host sets it to the length passed to pd_send
 *   offset 60 flags       u32     bit 0 response; bits 1-2 priority (3 = most urgent)
 *   offset 64 correlation u64     in a response: the request's message_id (low 64 bits)
 *   offset 72 padding     8 bytes zero on write, ignored on read
 * An address (AddrHash) is (FNV-1a 64 of the actor's path) << 64 | generation; generation 0
 * is the path address, which reaches whichever incarnation of the path is alive. */
#ifndef PD_ENVELOPE_H
#define PD_ENVELOPE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PD_ENVELOPE_SIZE 80u
#define PD_FLAG_RESPONSE 1u
#define PD_FLAG_PRIORITY_MASK 6u
#define PD_FLAG_PRIORITY_SHIFT 1u

/* Log levels of pd_log. */
#define PD_LOG_TRACE 0
#define PD_LOG_DEBUG 1
#define PD_LOG_INFO 2
#define PD_LOG_WARN 3
#define PD_LOG_ERROR 4

/* Stop reasons passed to pd_actor_on_stop. */
#define PD_STOP_NORMAL 0
#define PD_STOP_REQUESTED 1
#define PD_STOP_SUPERVISOR 2 /* also Hierarchical */
#define PD_STOP_SHUTDOWN 3
#define PD_STOP_KILLED 4
#define PD_STOP_ERROR (-1)

/* What pd_send returns: 0 sent; -1 refused (an envelope length other than 80, or no actor
 * to send as); -2 a pointer or length outside the guest's memory; -16 - SendError when the
 * engine refused it. Nothing is sent unless the result is PD_SEND_OK. */
#define PD_SEND_OK 0
#define PD_SEND_REFUSED (-1)
#define PD_SEND_OUT_OF_BOUNDS (-2)
#define PD_SEND_MAILBOX_FULL (-16)
#define PD_SEND_CONNECTION_FAILED (-17)
#define PD_SEND_ACTOR_STOPPED (-18)
#define PD_SEND_UNROUTABLE (-19)
#define PD_SEND_POLICY_VIOLATION (-20)
#define PD_SEND_SERIALIZATION_FAILED (-21)
#define PD_SEND_UNBOUND (-22)

/* A 128-bit address as two little-endian halves: `lo` is the generation, `hi` the path hash. */
typedef struct pd_addr {
  uint64_t lo;
  uint64_t hi;
} pd_addr;

typedef struct pd_envelope {
  pd_addr message_id;
  pd_addr source;
  pd_addr destination;
  uint64_t type_tag;
  uint32_t payload_len;
  uint32_t flags;
  uint64_t correlation_id;
  uint8_t padding[8];
} pd_envelope;

#ifdef __cplusplus
static_assert(sizeof(pd_envelope) == PD_ENVELOPE_SIZE, "pd_envelope must be 80 bytes");
static_assert(offsetof(pd_envelope, source) == 16 && offsetof(pd_envelope, destination) == 32 &&
                  offsetof(pd_envelope, type_tag) == 48 &&
                  offsetof(pd_envelope, payload_len) == 56 && offsetof(pd_envelope, flags) == 60 &&
                  offsetof(pd_envelope, correlation_id) == 64,
              "pd_envelope's layout is the ABI's");
#else
_Static_assert(sizeof(pd_envelope) == PD_ENVELOPE_SIZE, "pd_envelope must be 80 bytes");
_Static_assert(offsetof(pd_envelope, source) == 16 && offsetof(pd_envelope, destination) == 32 &&
                   offsetof(pd_envelope, type_tag) == 48 &&
                   offsetof(pd_envelope, payload_len) == 56 &&
                   offsetof(pd_envelope, flags) == 60 && offsetof(pd_envelope, correlation_id) == 64,
               "pd_envelope's layout is the ABI's");
#endif

/* FNV-1a 64 of `len` bytes: the hash behind paths and type tags. */
static inline uint64_t pd_fnv1a64(const char* bytes, size_t len) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (size_t i = 0; i < len; ++i) {
    h ^= (uint8_t)bytes[i];
    h *= 0x100000001b3ull;
  }
  return h;
}

static inline size_t pd_strlen(const char* s) {
  size_t n = 0;
  while (s[n] != '\0') ++n;
  return n;
}

/* The type tag of a message type named `name` (the host's pd::type_tag of a type whose
 * kTypeName is `name`). */
static inline uint64_t pd_type_tag(const char* name) { return pd_fnv1a64(name, pd_strlen(name)); }

/* The path address of `path` ("/user/workers/w1"): reaches whichever incarnation is alive. */
static inline pd_addr pd_path_address(const char* path) {
  pd_addr a;
  a.lo = 0;
  a.hi = pd_fnv1a64(path, pd_strlen(path));
  return a;
}

static inline int pd_addr_equal(pd_addr a, pd_addr b) { return a.lo == b.lo && a.hi == b.hi; }

/* An envelope to `destination` (source, id and length are the host's to fill in). */
static inline pd_envelope pd_envelope_to(pd_addr destination, uint64_t type_tag) {
  pd_envelope e;
  uint8_t* bytes = (uint8_t*)&e;
  for (size_t i = 0; i < sizeof e; ++i) bytes[i] = 0;
  e.destination = destination;
  e.type_tag = type_tag;
  return e;
}

/* The envelope of a reply to `request`: to its sender, flagged as a response, correlated with
 * its id, at its priority. */
static inline pd_envelope pd_envelope_reply(const pd_envelope* request, uint64_t type_tag) {
  pd_envelope e = pd_envelope_to(request->source, type_tag);
  e.flags = PD_FLAG_RESPONSE | (request->flags & PD_FLAG_PRIORITY_MASK);
  e.correlation_id = request->message_id.lo;
  return e;
}

static inline uint32_t pd_envelope_priority(const pd_envelope* e) {
  return (e->flags & PD_FLAG_PRIORITY_MASK) >> PD_FLAG_PRIORITY_SHIFT;
}

#ifdef __cplusplus
}
#endif

#endif /* PD_ENVELOPE_H */
