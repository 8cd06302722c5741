/*
 * The scheduling policy as the scheduler core sees it: the active policy
 * (a blob from sched_impls/, or the built-in fallback) behind checks.
 *
 * Every thread that can be scheduled owns a record in the kernel's task
 * table (SCHED_MAX_TASKS of them); the policy sees only indices into it.
 * Every call is made with sched_lock held and interrupts off (held
 * exclusively, but for policy_yield_fetch_shared).  Whatever the
 * policy answers is checked against what the kernel knows; a policy that
 * breaks the contract (returns a task that is not queued, loses one, lets
 * one starve) is reported and replaced by the built-in heap policy.
 */
#ifndef SCHED_POLICY_H
#define SCHED_POLICY_H

#include <stdbool.h>
#include <stdint.h>
#include "proc/thread.h"

/* Why a thread is handed to the policy (which operation is called). */
enum policy_enqueue_reason {
    ENQUEUE_NEW,       /* add: created, or its priority changed */
    ENQUEUE_WAKE,      /* wake: was blocked */
    ENQUEUE_YIELD,     /* yield: gave the hart up, or was preempted */
};

/* Picks the policy from the command line, installs and initializes it. */
void policy_init(void);
const char *policy_name(void);
uint32_t policy_flags(void);
uint32_t policy_nharts(void);
/* The highest priority among queued threads that only the kernel can run
 * (not those parked in user mode), 0 if none: kept by the kernel itself,
 * whatever the policy, as a hint for the runtime's user-mode switching
 * (SCHED_KINFO.queued_top). */
int policy_queued_top(void);

/* Threads in the policy's queue by the kernel's own count (QUEUED and
 * PARKED).  Changed under sched_lock; read without it only as a hint that
 * is allowed to be stale (sched_yield's test for nobody to yield to). */
extern uint32_t policy_nqueued;
static inline uint32_t policy_nqueued_hint(void)
{
    return __atomic_load_n(&policy_nqueued, __ATOMIC_RELAXED);
}

/* A task record for t, or -EAGAIN if the table is full. */
int policy_attach(struct thread *t);
void policy_detach(struct thread *t);

void policy_enqueue(struct thread *t, int hart, enum policy_enqueue_reason why);
/* Removes and returns the thread `hart` should run next, or NULL. */
struct thread *policy_fetch(int hart);
/* A kernel yield's policy_enqueue then policy_fetch, under one guard, is
 * policy_yield_fetch (sched/policy_call.h: inline in the yield). */
/* SCHED_FLAG_HART_LOCAL (sched_abi.h): the active policy lets kernel
 * yields on different harts overlap.  Changes only under an exclusive
 * hold; read without one only as a hint. */
extern bool policy_shared_yields;
static inline bool policy_hart_local(void)
{
    return __atomic_load_n(&policy_shared_yields, __ATOMIC_RELAXED);
}
/* No thread parked in user mode is in the queue (then every thread a
 * fetch may give is QUEUED).  Under a hold of sched_lock. */
bool policy_none_parked(void);
/* How many parked threads the kernel has queued (sched_lock held). */
uint32_t policy_parked_count(void);
/* The kernel yield of policy_yield_fetch, under a shared hold of
 * sched_lock (kernel/rwlock.h), SCHED_FLAG_HART_LOCAL and
 * policy_none_parked(): t (RUNNING here) queued and the next thread
 * fetched, PICKED (t itself maybe).  NULL if the answer could not be
 * taken: t is RUNNING again, the kernel's counts as before, and the broken
 * contract is noted for policy_settle. */
struct thread *policy_yield_fetch_shared(struct thread *t, int hart);
/* Under an exclusive hold: replaces the policy if this hart noted it broke
 * its contract under a shared hold (unless it has been replaced since). */
void policy_settle(void);
/* Takes a queued thread out. */
void policy_remove(struct thread *t);
/* Priority of the thread fetch(hart) would return, 0 if none. */
int policy_top_priority(int hart);
/* Timer tick on `hart` while `running` runs (NULL: idle).  True if the
 * policy asks for a reschedule.  Also runs the starvation watchdog. */
bool policy_tick(int hart, struct thread *running);

#ifdef KDEBUG
/* The kernel's own bookkeeping of the queue, for kernel/invariants.c to
 * check against the threads' states (debug builds only).  queued_at is
 * writable for its fault injection only. */
struct policy_view {
    struct thread *const *owner;     /* SCHED_MAX_TASKS: the thread of each record */
    uint32_t *queued_at;             /* SCHED_PRIO_MAX + 1: queued threads per level */
    uint32_t levels;                 /* bit p: queued_at[p] > 0 */
    uint32_t top;                    /* the highest non-empty level above 0 */
    uint32_t nqueued;
};
struct policy_view policy_debug_view(void);
#endif

#endif
