/*
 * A small ring of recent scheduling events, counted by Ctrl-T after the
 * process list and printed by a second Ctrl-T: what each hart did last is often the only way to see how a
 * race between harts went.  Recording takes one atomic add and a few
 * stores; it is always on.
 */
#ifndef KERNEL_TRACE_H
#define KERNEL_TRACE_H

#include <stdint.h>
#include "kernel/cpu.h"
#include "arch/riscv.h"

enum trace_event {
    TR_RELEASE,          /* reconcile: the kernel lets go of a thread (a) */
    TR_ACQUIRE,          /* reconcile: takes over a thread parked in user mode */
    TR_PARK,             /* a thread parked itself (yield with parked = 1) */
    TR_PARK_OTHER,       /* a thread that parked is not the kernel's view here */
    TR_CLAIM,            /* the kernel claims a parked thread to resume it */
    TR_CLAIM_FAIL,       /* ...but the process runs it already: deferred */
    TR_SWITCH,           /* schedule(): to thread (a) */
    TR_PREEMPT,          /* block_sched not honoured */
    TR_RESTART,          /* the runtime's restartable sequence restarted */
    TR_NEVENTS
};

#define TRACE_SLOTS 512          /* a power of two */

struct trace_entry {
    uint64_t when;
    uint64_t arg;
    int32_t tid;
    uint8_t hart;
    uint8_t event;
};

extern struct trace_entry trace_ring[TRACE_SLOTS];
extern uint64_t trace_next_slot;

/* Records event `e` on this hart about thread `tid`, with one more number.
 * Inline: every kernel thread switch records one. */
static inline void trace(enum trace_event e, int tid, uint64_t arg)
{
    uint64_t n = __atomic_fetch_add(&trace_next_slot, 1, __ATOMIC_RELAXED);
    struct trace_entry *t = &trace_ring[n % TRACE_SLOTS];
    t->when = read_time();        /* ticks: converted when printed */
    t->arg = arg;
    t->tid = tid;
    t->hart = (uint8_t)this_hartid();
    t->event = (uint8_t)e;
}
/* Prints the ring, oldest first. */
void trace_dump(void);
/* One line: how many events since boot, and the ring's count of each kind. */
void trace_summary(void);

#endif
