/*
 * The process's timeline ring (sched_abi/utrace.h): allocated at start-up
 * if the kernel is recording a timeline (make trace), so that the runtime
 * can record what the process does in user mode.  A process started while
 * tracing is off records nothing in user mode (the kernel still records its
 * thread switches), and costs nothing.
 */
#include <stdlib.h>
#include <stdint.h>
#include "vdso.h"
#include "utrace.h"

void __trace_ring_setup(void);

void __trace_ring_setup(void)
{
    const SCHED_KINFO *k = (const SCHED_KINFO *)SHARED_KINFO_ADDR;
    VDSO_DATA *v = (VDSO_DATA *)SHARED_BASE_ADDR;
    if (!k->trace_on || v->trace_ring)
        return;
    utrace_ring *r = malloc(sizeof(*r) + UTRACE_CAP * sizeof(utrace_entry));
    if (!r)
        return;                 /* no user-mode events, only the kernel's */
    r->cap = UTRACE_CAP;
    r->head = 0;
    r->magic = UTRACE_MAGIC;    /* last: the ring is whole before it counts */
    __atomic_store_n(&v->trace_ring, (uint64_t)(uintptr_t)r, __ATOMIC_RELEASE);
}
