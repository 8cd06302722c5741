/* nudge_a_hart's ways out of line (sched/nudge.h). */
#include "sched/nudge.h"
#include "sched/sched.h"
#include "kernel/spinlock.h"
#include "lib/bits.h"
#include "proc/thread.h"
#include "trap/ipi.h"

uint64_t idle_harts;

void nudge_asleep(uint64_t asleep)
{
    KASSERT(spin_holding(&sched_lock) && asleep);
    /* A waker on its own idle thread (a kernel coroutine polled by the idle
     * loop, an interrupt there) nudges itself: it is awake and looks at the
     * queue next, so no hart need be woken (the scan chose it too, when it
     * came to it first).  Not a hart in the middle of a reconcile (from
     * release_prev to the thread it takes over: cpu.carrying), whose
     * current is its idle thread meanwhile: it goes back to user mode with
     * that thread, and a tick's wake-up while it waits there would wait
     * for some sleeping hart's tick. */
    struct cpu *self = this_cpu();
    if (self->current == self->idle && !self->resting && !self->carrying) {
        self->need_resched = true;
        return;
    }
    uint64_t h = (uint64_t)ctz64(asleep);
    struct cpu *c = &cpus[h];
    /* Marked under sched_lock, which this hart holds: that hart sleeps or
     * is about to, interrupts off, its idle thread current (so it is not
     * this one, which runs the waker). */
    KASSERT(c != this_cpu() && c->current == c->idle && !c->resting);
    idle_harts_clear(h);
    c->need_resched = true;
    ipi_send(h, IPI_WAKE);
}

/* The hart running the least urgent thread, if less urgent than `prio`.
 * An idle thread's priority is 0 (sched_init_this_hart), below every
 * thread's, so a hart between two sleeps of its idle loop is found too. */
static struct cpu *least_urgent_hart(int prio)
{
    struct cpu *best = NULL;
    int best_prio = prio;
    for (uint64_t i = 0; i < hart_count; i++) {
        struct cpu *c = &cpus[hart_ids[i]];
        if (!c->online || !c->current || c->resting)
            continue;                    /* a resting hart waits for its tick */
        if (c->current->priority < best_prio) {
            best = c;
            best_prio = c->current->priority;
        }
    }
    return best;
}

void nudge_least_urgent(int prio)
{
    KASSERT(spin_holding(&sched_lock));
    struct cpu *best = least_urgent_hart(prio);
    if (!best)
        return;
    best->need_resched = true;
    if (best != this_cpu())
        ipi_send(best->hartid, IPI_WAKE);
}
