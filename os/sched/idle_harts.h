/*
 * The harts asleep in the idle loop, as a mask (bit h: hart h), so that a
 * wake-up finds a hart to nudge with one load instead of a scan of every
 * hart (sched.c, nudge_a_hart): with one hart, or every hart busy, the
 * mask is empty and the load is all a wake-up pays for it.
 *
 * The protocol, which keeps a wake-up from being lost when a hart goes to
 * sleep at the same moment (both sides under sched_lock):
 *   - the idle loop marks its hart only under sched_lock, after it found
 *     nothing queued there, and with interrupts off until it has slept;
 *   - whoever queues a thread does it under sched_lock, then loads the mask.
 * So of the two holds, one comes first.  If the idle hart's, the waker
 * sees its bit and sends an IPI, which stays pending while the hart's
 * interrupts are off and ends its wfi at once.  If the waker's, the idle
 * hart's look finds the thread and it does not sleep.
 *
 * A bit set means: this hart runs its idle thread, is not resting, and
 * will look at the queue under sched_lock before it sleeps again.  The
 * hart clears its own bit when its wfi ends (without the lock: a clear
 * only makes a waker scan, as it did before the mask); a waker that picks
 * a hart clears its bit, so that the next wake-up in the same hold (a
 * waitq_wake of many) goes to another hart.
 */
#ifndef SCHED_IDLE_HARTS_H
#define SCHED_IDLE_HARTS_H

#include <stdint.h>
#include "memlayout.h"

_Static_assert(MAX_HARTS <= 64, "a bit per hart in idle_harts");

extern uint64_t idle_harts;

static inline uint64_t idle_harts_load(void)
{
    return __atomic_load_n(&idle_harts, __ATOMIC_RELAXED);
}

/* sched_lock held, interrupts off, in the idle loop only. */
static inline void idle_harts_mark(uint64_t hart)
{
    __atomic_fetch_or(&idle_harts, 1ull << hart, __ATOMIC_RELAXED);
}

static inline void idle_harts_clear(uint64_t hart)
{
    __atomic_fetch_and(&idle_harts, ~(1ull << hart), __ATOMIC_RELAXED);
}

#endif
