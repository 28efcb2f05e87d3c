/* What the generated glue of a compiled module uses from the aot runtime (pd_aot_runtime.c). */
#ifndef PD_AOT_RUNTIME_H_
#define PD_AOT_RUNTIME_H_

#include <stdint.h>

#include "wasm-rt.h"

/* Runs fn(arg) with this thread's trap target set (the outer one restored after: a host
 * function may call into another instance) and the instance's frame count reset to 0 of
 * max_call_depth. 0, or the wasm_rt_trap_t it trapped with. */
int pd_aot_guarded_call(void (*fn)(void*), void* arg, pd_aot_frames* frames,
                        uint32_t max_call_depth);
/* Traps the running guest (from a host function that failed). */
WASM_RT_NO_RETURN void pd_aot_trap(int code);
/* The page and table-element limits of the instance about to be instantiated. */
void pd_aot_set_memory_page_limit(uint32_t pages);
void pd_aot_set_table_element_limit(uint32_t elements);

#endif
