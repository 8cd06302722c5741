/*
 * A small ring of recent scheduling events, counted by Ctrl-T after the
 * process list and printed by a second Ctrl-T: what each hart did last is often the only way to see how a
 * race between harts went.  Recording takes one atomic add and a few
 * stores; it is always on.
 */
#ifndef KERNEL_TRACE_H
#define KERNEL_TRACE_H

#include <stdint.h>

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

/* Records event `e` on this hart about thread `tid`, with one more number. */
void trace(enum trace_event e, int tid, uint64_t arg);
/* Prints the ring, oldest first. */
void trace_dump(void);
/* One line: how many events since boot, and the ring's count of each kind. */
void trace_summary(void);

#endif
