/*
 * Which hart runs a thread that has just become runnable (woken, new, or
 * moved to another priority): nudge_a_hart, under sched_lock, right after
 * the thread is queued.  An idle hart if there is one, else the hart
 * running the least urgent thread, if less urgent than the new one; that
 * hart is told to reschedule (need_resched), by an IPI if it is another.
 *
 * The harts asleep in the idle loop are kept in a mask (bit h: hart h),
 * so that the usual wake-up finds one with a load instead of a scan of
 * every hart: with one hart, or every hart busy, the mask is empty, and
 * the load and a branch are all a wake-up pays for it.
 *
 * The protocol, which keeps a wake-up from being lost when a hart goes to
 * sleep at the same moment (both sides under sched_lock):
 *   - the idle loop marks its hart only under sched_lock, after its look
 *     at the queue found nothing, and keeps interrupts off until it has
 *     slept (sched_idle_loop);
 *   - whoever queues a thread does it under sched_lock, then loads the
 *     mask (nudge_a_hart).
 * So of the two holds, one comes first.  If the idle hart's, the waker
 * sees its bit and sends an IPI, which stays pending while the hart's
 * interrupts are off and ends its wfi at once.  If the waker's, the idle
 * hart's look finds the thread, and it does not sleep.
 *
 * A bit set means: this hart runs its idle thread, is not resting, and
 * will look at the queue under sched_lock before it sleeps again.  The
 * hart clears its own bit when its wfi ends, before interrupts come on
 * (a trap may then switch away from the idle thread), without the lock: a
 * clear only sends a waker to the scan, which finds an idle hart by its
 * current thread, as it did before the mask.  A waker that picks a hart
 * clears its bit, so that the next wake-up in the same hold (a waitq_wake
 * of many) goes to another hart.  ktest=nudge checks both ways and the
 * bits' meaning at random moments of the idle loops.
 */
#ifndef SCHED_NUDGE_H
#define SCHED_NUDGE_H

#include <stdint.h>
#include "kernel/cpu.h"
#include "kernel/panic.h"
#include "memlayout.h"
#include "proc/thread.h"
#include "uapi/syscall.h"

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

/* nudge_a_hart's two ways out of line (nudge.c): a hart is asleep (the
 * lowest in `asleep` is nudged, unless this hart runs its idle thread
 * outside a reconcile: then this one), or there are several harts and
 * none is asleep (the scan). */
void nudge_asleep(uint64_t asleep);
void nudge_least_urgent(int prio);

/* For a thread of priority `prio` just queued; sched_lock held.  In the
 * order of what is common: a hart asleep, one hart (this one is the only
 * one to nudge: inline, as every wake-up on one hart goes this way), then
 * the scan. */
static inline __attribute__((always_inline)) void nudge_a_hart(int prio)
{
    KASSERT(prio >= MIN_PRIORITY);
    uint64_t asleep = idle_harts_load();
    if (asleep) {
        nudge_asleep(asleep);
    } else if (hart_count == 1) {
        /* The scan's answer without the loop: this hart, if what it runs
         * is less urgent (an idle thread's priority is 0). */
        struct cpu *c = this_cpu();
        if (c->online && !c->resting && c->current->priority < prio)
            c->need_resched = true;
    } else {
        nudge_least_urgent(prio);
    }
}

#endif
