/* pd_guest.h — the SDK for Palladium WASM guests (guest ABI version 1), header-only C99/C++.
 *
 * Build a guest with clang for wasm32, no libc:
 *   clang-14 --target=wasm32 -O2 -nostdlib -ffreestanding -mbulk-memory -I sdk -c guest.c
 *   wasm-ld-14 --no-entry --export-dynamic guest.o -o guest.wasm
 * (-mbulk-memory lets the compiler copy memory with memory.copy instead of calling a memcpy
 * that a libc-less guest does not have.)
 *
 * A guest exports `pd_actor_on_message` and, optionally, `pd_actor_create`,
 * `pd_actor_on_start` and `pd_actor_on_stop` (see PD_EXPORT below and the examples in
 * examples/guests/). This header also exports, unless told not to:
 *   - `pd_alloc(size)`: the host asks it for a buffer to write each incoming envelope and
 *     payload into, so payloads of any size arrive without touching the guest's data. The
 *     buffer is reused: what a handler receives is valid until it returns. Define
 *     PD_GUEST_NO_ALLOC before including to receive at offset 0 instead (then payloads must end
 *     below 1024, where the guest's data begins);
 *   - `pd_abi_version()`: 1, which the host checks before starting the guest. */
#ifndef PD_GUEST_H
#define PD_GUEST_H

#include "pd_envelope.h"

#if !defined(__wasm32__)
#error "pd_guest.h is for WebAssembly guests: compile with clang --target=wasm32"
#endif
#if !defined(__wasm_bulk_memory__)
#error "compile WASM guests with -mbulk-memory (copies become memory.copy, not calls to memcpy)"
#endif

#ifdef __cplusplus
extern "C" {
#endif

#define PD_GUEST_ABI_VERSION 1

#define PD_IMPORT(name) __attribute__((import_module("env"), import_name(#name)))
/* Marks a function as the guest's export `name`: PD_EXPORT(pd_actor_on_message) int32_t f(...) */
#define PD_EXPORT(name) __attribute__((export_name(#name)))

/* The host's imports (module "env"). */
PD_IMPORT(pd_send)
int32_t pd_send(const void* envelope, int32_t envelope_len, const void* payload,
                int32_t payload_len);
PD_IMPORT(pd_now_micros) int64_t pd_now_micros(void);
PD_IMPORT(pd_log) void pd_log(int32_t level, const char* message, int32_t message_len);

/* Sends `len` bytes to `destination`; the host fills in the source, id and length. */
static inline int32_t pd_send_to(pd_addr destination, uint64_t type_tag, const void* payload,
                                 uint32_t len) {
  pd_envelope e = pd_envelope_to(destination, type_tag);
  return pd_send(&e, (int32_t)PD_ENVELOPE_SIZE, payload, (int32_t)len);
}

/* Replies to `request`'s sender, correlated with it. */
static inline int32_t pd_reply(const pd_envelope* request, uint64_t type_tag, const void* payload,
                               uint32_t len) {
  pd_envelope e = pd_envelope_reply(request, type_tag);
  return pd_send(&e, (int32_t)PD_ENVELOPE_SIZE, payload, (int32_t)len);
}

static inline void pd_log_str(int32_t level, const char* text) {
  pd_log(level, text, (int32_t)pd_strlen(text));
}

/* Writes `value` in decimal at `out` (at least 20 bytes); returns the number of digits. */
static inline uint32_t pd_format_u64(uint64_t value, char* out) {
  char digits[20];
  uint32_t n = 0;
  do {
    digits[n++] = (char)('0' + value % 10);
    value /= 10;
  } while (value != 0);
  for (uint32_t i = 0; i < n; ++i) out[i] = digits[n - 1 - i];
  return n;
}

/* A bump allocator over the guest's memory above the linker's __heap_base, growing memory
 * as needed. Returns 0 when memory cannot grow (the host's page limit). Memory is never
 * freed: allocate state once (in pd_actor_create), not per message. */
extern unsigned char __heap_base;
__attribute__((weak)) uintptr_t pd_heap_top_ = 0;

static inline void* pd_heap_alloc(uint32_t size) {
  if (pd_heap_top_ == 0) pd_heap_top_ = ((uintptr_t)&__heap_base + 15u) & ~(uintptr_t)15u;
  uintptr_t start = pd_heap_top_;
  uint64_t end = (uint64_t)start + size;
  uint64_t have = (uint64_t)__builtin_wasm_memory_size(0) * 65536u;
  if (end > have) {
    uint64_t pages = (end - have + 65535u) / 65536u;
    if (end > 0xFFFFFFFFull || __builtin_wasm_memory_grow(0, (uintptr_t)pages) == (uintptr_t)-1)
      return 0;
  }
  pd_heap_top_ = (uintptr_t)((end + 15u) & ~(uint64_t)15u);
  return (void*)start;
}

#ifndef PD_GUEST_NO_ALLOC
__attribute__((weak)) void* pd_receive_buffer_ = 0;
__attribute__((weak)) uint32_t pd_receive_capacity_ = 0;

/* The host calls this before each message for envelope + payload bytes. One buffer, grown by
 * doubling, serves every message. */
__attribute__((weak)) PD_EXPORT(pd_alloc) int32_t pd_alloc(int32_t size) {
  if (size <= 0) return 0;
  if ((uint32_t)size > pd_receive_capacity_) {
    uint32_t capacity = pd_receive_capacity_ < 1024u ? 1024u : pd_receive_capacity_;
    while (capacity < (uint32_t)size) capacity = capacity > 0x7FFFFFFFu ? (uint32_t)size : capacity * 2u;
    void* buffer = pd_heap_alloc(capacity);
    if (buffer == 0) return 0;
    pd_receive_buffer_ = buffer;
    pd_receive_capacity_ = capacity;
  }
  return (int32_t)(uintptr_t)pd_receive_buffer_;
}
#endif

__attribute__((weak)) PD_EXPORT(pd_abi_version) int32_t pd_abi_version(void) {
  return PD_GUEST_ABI_VERSION;
}

#ifdef __cplusplus
}
#endif

#endif /* PD_GUEST_H */
