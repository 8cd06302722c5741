/*
 * Where a thread is: the one state machine of the kernel's side of every
 * user thread, and the only code that changes it.  Every transition is a
 * function below that asserts where the thread comes from; all are called
 * with sched_lock held.  (Idle threads are outside it: always RUNNING.)
 *
 *    NEW ── enqueue (its creator, once) ──┐
 *                    enqueue             ▼  fetch            run
 *       BLOCKED ────────────▶ QUEUED ─────────────▶ PICKED ────────▶ RUNNING
 *                 ◀─┐           ▲ ◀────────────────────┘ enqueue      │ │ │ │
 *          ▲        │           └──────────────── enqueue (yield) ────┘ │ │ │
 *          └────────┼──────────────────────────── block ───────────────┘ │ │
 *                   │                                                    │ │
 *    RUNNING ── park ──▶ PARKED ── fetch ──▶ PICKED_PARKED ── claim ──▶ PICKED
 *   (the runtime, or    │  ▲  ▲                   │
 *    release after a    │  │  └──── undefer ── DEFERRED ◀── defer ──┘
 *    user-mode switch)  │  └─ enqueue ─ PICKED_PARKED (priority change)
 *                       └──── acquire (also from DEFERRED) ──▶ RUNNING
 *    RUNNING ── exit ──▶ ZOMBIE   (freed by the next thread on its hart)
 *
 * QUEUED and PARKED are the two states in which the policy holds the
 * thread.  PARKED and DEFERRED threads have no kernel frames: their user
 * registers are in their TaskSched record.  PICKED and PICKED_PARKED last
 * only while sched_lock is held (a fetch and what follows it).
 *
 * What the process sees of this is written by sched/shared.c, at fixed
 * points of the machine (the process writes these words too, and the
 * kernel trusts none of them):
 *   - RUNNING, back to user mode: current[hart] = slot, off_hart[slot] =
 *     0, and the record RUNNING on its hart unless the kernel wrote just
 *     that last and the thread has not parked since (shared_publish);
 *   - leaving RUNNING in schedule(): off_hart[slot] = 1 (shared_set_off_hart);
 *   - the kernel finishing a park (-> PARKED): record RUNNING -> READY and
 *     the queue lock released (shared_finish_park);
 *   - claim: record READY -> RUNNING by compare-and-swap (fails: defer).
 * Between those, the runtime moves records and current[] itself (a
 * user-mode switch); the next trap from that hart reconciles
 * (sched/reconcile.c): release is park, taking over is acquire.
 */
#ifndef SCHED_THREAD_STATE_H
#define SCHED_THREAD_STATE_H

#include <stdbool.h>
#include "proc/thread.h"
#include "sched/policy.h"
#include "sched/sched.h"
#include "kernel/cpu.h"
#include "kernel/panic.h"
#include "kernel/ordered_store.h"

/* In the policy's queue. */
static inline bool tstate_in_queue(const struct thread *t)
{
    return t->state == THREAD_QUEUED || t->state == THREAD_PARKED;
}
/* Parked in user mode: registers in the record, no kernel frames. */
static inline bool tstate_parked(const struct thread *t)
{
    return t->state == THREAD_PARKED || t->state == THREAD_DEFERRED ||
           t->state == THREAD_PICKED_PARKED;
}

/* NEW (by its creator), BLOCKED, RUNNING (a yield) or PICKED -> QUEUED;
 * PICKED_PARKED -> PARKED: handed to the policy (add, wake or yield by
 * `why`). */
void tstate_enqueue(struct thread *t, enum policy_enqueue_reason why);
/* RUNNING -> PARKED: it left its hart by a user-mode switch. */
void tstate_park(struct thread *t);
/* Every transition starts here: under sched_lock, never an idle thread. */
static inline void tstate_held(const struct thread *t)
{
    KASSERT(spin_holding(&sched_lock));
    KASSERT(t->proc != NULL);              /* idle threads never move */
}

/* QUEUED -> PICKED, PARKED -> PICKED_PARKED: the policy gave it out
 * (policy_fetch) or it was taken out (policy_remove).  Inline, as
 * tstate_run: both are on every switch.  Neither asserts sched_lock again:
 * they are steps of a decision whose start asserted it (begin_decision,
 * tstate_yield, tstate_dequeue), four times a switch otherwise. */
static inline void tstate_fetched(struct thread *t)
{
    KASSERT(tstate_in_queue(t));
    t->state = t->state == THREAD_PARKED ? THREAD_PICKED_PARKED : THREAD_PICKED;
}
/* The last age given out: a fresh one puts a thread behind its equals. */
extern uint64_t tstate_next_age;
/* RUNNING -> QUEUED (a kernel yield): then the thread the policy picks
 * next is fetched in the same guarded call (policy_yield_fetch, which
 * the yield in sched.c inlines): t itself if it is still the one to run,
 * NULL never (t is queued).  Inline: the kernel yield's way. */
static inline void tstate_yield(struct thread *t)
{
    /* sched_lock: the decision this starts asserted it (begin_decision). */
    KASSERT(t->proc != NULL && t->state == THREAD_RUNNING);
    t->state = THREAD_QUEUED;
    t->age = ++tstate_next_age;            /* behind its equals, as enqueue */
}
/* Under a shared hold of sched_lock (policy_yield_fetch_shared), where
 * other harts' shared yields run at the same time: they may be handed the
 * same thread by a broken policy, so taking a QUEUED thread is an atomic
 * transition.  (No exclusive holder exists meanwhile.) */
/* The first step of a yield: a fresh age (behind its equals), before the
 * record is filled from it. */
static inline void tstate_age_shared(struct thread *t)
{
    KASSERT(t->proc != NULL && t->state == THREAD_RUNNING);
    t->age = __atomic_add_fetch(&tstate_next_age, 1, __ATOMIC_RELAXED);
}
/* RUNNING -> QUEUED: the yield itself.  Published last: whoever claims t
 * after sees its record and yielded_on. */
static inline void tstate_yield_shared(struct thread *t)
{
    KASSERT(t->state == THREAD_RUNNING);
    store_release(&t->state, THREAD_QUEUED);
}
/* QUEUED -> PICKED, if no other hart took it first. */
static inline bool tstate_fetched_shared(struct thread *t)
{
    enum thread_state queued = THREAD_QUEUED;
    return __atomic_compare_exchange_n(&t->state, &queued, THREAD_PICKED, false,
                                       __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}
/* PICKED -> QUEUED: taken, then found not this hart's to take. */
static inline void tstate_unfetch_shared(struct thread *t)
{
    KASSERT(t->state == THREAD_PICKED);
    store_release(&t->state, THREAD_QUEUED);
}
/* QUEUED -> RUNNING: the yield undone (its answer was not taken).  Only
 * this hart may keep t; another that claimed it by mistake puts it back
 * at once (tstate_unfetch_shared), so this waits for that. */
static inline void tstate_unyield_shared(struct thread *t)
{
    enum thread_state queued = THREAD_QUEUED;
    while (!__atomic_compare_exchange_n(&t->state, &queued, THREAD_RUNNING, false,
                                        __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
        KASSERT(queued == THREAD_PICKED);
        queued = THREAD_QUEUED;
        cpu_relax();
    }
}
/* QUEUED -> PICKED, PARKED -> PICKED_PARKED: taken out of the queue. */
void tstate_dequeue(struct thread *t);
/* PICKED_PARKED -> DEFERRED: claimed elsewhere; set aside on its process. */
void tstate_defer(struct thread *t);
/* DEFERRED -> PARKED, every deferred thread of p. */
void tstate_undefer_all(struct proc *p);
/* PICKED_PARKED -> PICKED: its record was claimed for the kernel. */
void tstate_claim(struct thread *t);
/* (RUNNING again, here: the end of tstate_run and tstate_acquire.) */
static inline void tstate_now_here(struct thread *t)
{
    t->state = THREAD_RUNNING;
    t->hart = (int)this_hartid();
    t->ticks_left = TIMESLICE_TICKS;
}
/* PICKED -> RUNNING on this hart (switch_to, within a decision: see
 * tstate_fetched). */
static inline void tstate_run(struct thread *t)
{
    KASSERT(t->state == THREAD_PICKED);
    tstate_now_here(t);
}
/* PARKED or DEFERRED -> RUNNING on this hart: the process switched to it
 * in user mode (reconcile). */
void tstate_acquire(struct thread *t);
/* BLOCKED -> QUEUED: a wake-up, tstate_enqueue's way for it alone.
 * Inline: every wake-up (a pipe's, say) takes it. */
static inline void tstate_wake(struct thread *t)
{
    tstate_held(t);
    KASSERT(t->state == THREAD_BLOCKED);
    t->state = THREAD_QUEUED;
    t->age = ++tstate_next_age;            /* behind its equals, as enqueue */
    policy_enqueue(t, (int)this_hartid(), ENQUEUE_WAKE);
}
/* RUNNING -> BLOCKED.  Inline: every wait (a pipe's, say) takes it. */
static inline void tstate_block(struct thread *t)
{
    tstate_held(t);
    KASSERT(t->state == THREAD_RUNNING && t == thread_current());
    t->state = THREAD_BLOCKED;
}
/* RUNNING -> ZOMBIE. */
void tstate_exit(struct thread *t);
/* The state's name (Ctrl-T). */
const char *tstate_name(const struct thread *t);

#endif
