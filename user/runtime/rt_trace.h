/*
 * The runtime's half of the scheduling timeline (make trace): appends one
 * event to the process's own ring (sched_abi/utrace.h) while the kernel
 * records (SCHED_KINFO.trace_on).  Off, it costs a load and a branch.
 *
 * User mode only: the kernel's executor runs this code too, through its
 * alias, and must never read the user pages below (callers check).  The
 * ring is the process's own memory: a process that wrecks it can only
 * fault itself here, and the kernel checks what it reads there.
 */
#ifndef RUNTIME_RT_TRACE_H
#define RUNTIME_RT_TRACE_H

#include <stdint.h>
#include "vdso.h"
#include "utrace.h"

static inline void rt_trace(uint32_t kind, uint32_t task, uint32_t arg)
{
    const SCHED_KINFO *k = (const SCHED_KINFO *)SHARED_KINFO_ADDR;
    if (__builtin_expect(!__atomic_load_n(&k->trace_on, __ATOMIC_RELAXED), 1))
        return;
    const VDSO_DATA *v = (const VDSO_DATA *)SHARED_BASE_ADDR;
    utrace_ring *r = (utrace_ring *)(uintptr_t)v->trace_ring;
    /* Records past nrecords are not mapped: reading one would fault. */
    if (!r || task >= SCHED_MAX_TASKS || task >= v->nrecords)
        return;
    uint32_t cap = r->cap;
    if (r->magic != UTRACE_MAGIC || cap == 0 || (cap & (cap - 1)))
        return;
    const TaskSched *me = &((const TaskSched *)SHARED_TASKS_ADDR)[task];
    uint64_t n = __atomic_fetch_add(&r->head, 1, __ATOMIC_RELAXED);
    utrace_entry *e = &r->e[n & (cap - 1)];
    uint64_t now;
    __asm__ volatile("rdtime %0" : "=r"(now));
    e->when = now;
    e->arg = arg;
    e->tid = me->tid;
    e->hart = me->hart;
    e->kind = (uint8_t)kind;
}

#endif
