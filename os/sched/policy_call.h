/*
 * The policy's checked call, and what it reads and writes of the kernel's
 * own state: for os/sched/policy.c, which owns all of it, and for the
 * kernel yield in os/sched/sched.c, which inlines policy_yield_fetch
 * (issue 13: one frame, not two, from the trap to the switch).  Nothing
 * else includes this: every other caller goes through sched/policy.h.
 *
 * Everything here runs under sched_lock (held exclusively but for
 * policy_yield_fetch_shared), with interrupts off.
 */
#ifndef SCHED_POLICY_CALL_H
#define SCHED_POLICY_CALL_H

#include <stdbool.h>
#include <stdint.h>
#include "sched/policy.h"
#include "sched/blob_guard.h"
#include "sched/shared.h"
#include "sched/thread_state.h"
#include "sched_abi.h"
#include "proc/thread.h"
#include "kernel/cacheline.h"
#include "kernel/cpu.h"
#include "kernel/panic.h"
#include "trap/trap.h"
#include "arch/riscv.h"
#include "memlayout.h"
#include "kernel/ordered_store.h"

/* The active policy: a blob's operations (from_blob: guarded), or the
 * built-in fallback's. */
struct policy_active {
    char name[SCHED_NAME_LEN];
    uint32_t flags;
    struct sched_ops ops;
    /* The policy's yield then fetch in one call (ABI 2.4, optional: NULL
     * if it has none), which the kernel yield calls under an exclusive
     * hold (policy_call, OP_YIELD_FETCH). */
    sched_yield_fetch_fn yield_fetch;
    bool from_blob;
};
extern struct policy_active policy_active;

/* The kernel's queue as every call but a shared yield sees it: calls one at
 * a time under sched_lock held exclusively (serial_calls), and as a shared
 * yield sees it (yield_shared: harts at once, so serial_calls 0; set up
 * with policy_ctx, the same in all else). */
extern struct sched_ctx policy_ctx, policy_ctx_overlapping;
extern struct thread *policy_owner[SCHED_MAX_TASKS];   /* thread of each record */
extern uint32_t policy_queued_at[SCHED_PRIO_MAX + 1];  /* queued threads per priority */
extern volatile uint32_t policy_queued_levels;         /* bit p: policy_queued_at[p] > 0 */
/* The highest non-empty level above 0 (0: none), kept as levels fill and
 * empty: a level that fills can only raise it, one that empties lowers it
 * only if it was the top, and only then are the levels searched. */
extern uint32_t policy_top_level;
/* Timer ticks taken by all harts (policy_tick; policy.c says why the
 * watchdog counts them). */
struct policy_tick_count {
    uint64_t n;
};
extern struct policy_tick_count policy_ticks;
/* Kernel yields under an exclusive hold, while policy_hart_local() (see
 * yielded_on in policy.c). */
extern uint64_t policy_exclusive_yields;

/* The policy broke its contract: replaced now (exclusive hold), or noted
 * for policy_settle (shared: other harts are in the policy). */
void policy_broke(bool shared, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* It is replaced by the built-in policy, its queue rebuilt. */
void policy_fall_back(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* fetch named a task that is not queued (t: its owner, if any). */
void policy_refuse_fetched(int hart, uint32_t task, const struct thread *t)
    __attribute__((noinline));

/* OP_YIELD_FETCH is yield then fetch under one guard (a kernel yield that
 * has someone to yield to): what a fault report names is the one of the
 * two that was running. */
enum policy_op { OP_INIT, OP_ADD, OP_WAKE, OP_YIELD, OP_REMOVE, OP_FETCH, OP_TOP, OP_TICK,
          OP_YIELD_FETCH, OP_YIELD_FETCH_ENTRY };
/* (OP_YIELD_FETCH_ENTRY is no call of its own: what a report names when
 * OP_YIELD_FETCH ran the policy's yield_fetch entry.) */
extern const char *const policy_op_names[];     /* what a report calls each */


/* Written under sched_lock; stored atomically because sched_yield reads it
 * without the lock (policy.h). */
static inline void set_nqueued(uint32_t n)
{
    store_relaxed(&policy_nqueued, n);
}

/* Level 0 counts the threads parked in user mode: they are left out of
 * the hint, since their own process can run them without the kernel.
 * The hint is written only when the set of non-empty levels changes (a
 * yield to an equal changes no level).  Inline: it is on every switch. */
static inline uint32_t highest_queued_level(void)
{
    /* The highest set bit (bit 0, priority 0, counts parked threads). */
    uint32_t bits = policy_queued_levels & ~1u;
    return bits ? sched_highest_bit(bits) : 0;
}

static inline __attribute__((always_inline)) void count_queued(int prio, int delta)
{
    uint32_t n = policy_queued_at[prio] += (uint32_t)delta;      /* delta: +1 or -1 */
    /* A -1 without its +1 wraps round. */
    KASSERT(n <= SCHED_MAX_TASKS);
    if (n != (delta > 0 ? 1u : 0u))
        return;                                 /* the level was and stays */
    if (n)
        policy_queued_levels |= 1u << prio;
    else
        policy_queued_levels &= ~(1u << prio);
    if (prio == 0)                              /* level 0 (parked) is not in it */
        return;
    if (n)
        policy_top_level = (uint32_t)prio > policy_top_level ? (uint32_t)prio : policy_top_level;
    else if ((uint32_t)prio == policy_top_level)
        policy_top_level = highest_queued_level();
    shared_set_queued_top(policy_top_level);
}

/* What changes between enqueues. */
static inline void fill_record(struct thread *t, int hart)
{
    TaskSched *r = &policy_ctx.tasks[t->task];
    r->prio = (uint8_t)t->priority;
    r->state = TASK_READY;
    r->hart = (uint8_t)hart;
    r->age = t->age;
}

#define POLICY_FAULTED 0xfa17fa17fa17ULL      /* not a value any operation returns */

/* One operation of the active policy.  A blob's call is guarded: if it
 * faults or does not return within a few ticks, the trap handler comes
 * back here (blob_setjmp returns 1), the policy is replaced and POLICY_FAULTED is
 * returned for the caller to retry.  The report names the operation that
 * was running: op, known without a store, but for the yield-fetch pair
 * (`pair_step`, volatile: read after the second return; one store less
 * on every other call, two on the policy's own yield_fetch).  Inlined: each
 * caller passes a constant op and `shared` (the switch goes away).
 * `shared`: under a shared hold of sched_lock (a kernel yield under
 * SCHED_FLAG_HART_LOCAL), where a broken contract is only noted. */
static inline __attribute__((always_inline)) uint64_t policy_call(enum policy_op op, uint32_t hart, uint32_t task, bool shared)
{
    struct cpu *c = this_cpu();
    struct blob_jmp regs;
    /* Which of the pair's two calls runs (OP_YIELD_FETCH by yield then
     * fetch): set only on that way, read after the second return. */
    volatile enum policy_op pair_step;
    if (policy_active.from_blob) {
        if (blob_setjmp(&regs)) {
            blob_guard_close(c);
            /* What the call was: op itself, but for OP_YIELD_FETCH, which
             * ran the policy's own entry or the pair (decided as below:
             * nothing changes policy_active during the call). */
            enum policy_op running = op;
            if (op == OP_YIELD_FETCH)
                running = !shared && policy_active.yield_fetch ? OP_YIELD_FETCH_ENTRY : pair_step;
            if (c->blob_fault_cause == BLOB_CAUSE_TIMEOUT)
                policy_broke(shared, "%s did not return within %d timer ticks (stopped at offset 0x%lx)",
                      policy_op_names[running], BLOB_CALL_MAX_TICKS,
                      c->blob_fault_pc - SHARED_KALIAS);
            else
                policy_broke(shared, "%s faulted: %s at offset 0x%lx, address 0x%lx", policy_op_names[running],
                      trap_cause_name(c->blob_fault_cause),
                      c->blob_fault_pc - SHARED_KALIAS, c->blob_fault_addr);
            return POLICY_FAULTED;
        }
        blob_guard_open(c, &regs);
    }
    uint64_t result = 0;
    /* See yielded_on: only where shared yields happen (a hart-local
     * policy; once off, by fall_back, never on again), so that no other
     * policy pays for the count. */
    if (!shared && (op == OP_YIELD || op == OP_YIELD_FETCH) && policy_hart_local())
        policy_exclusive_yields++;
    switch (op) {
    case OP_INIT:   policy_active.ops.init(&policy_ctx); break;
    case OP_ADD:    policy_active.ops.add(&policy_ctx, hart, task); break;
    case OP_WAKE:   policy_active.ops.wake(&policy_ctx, hart, task); break;
    case OP_YIELD:  policy_active.ops.yield(&policy_ctx, hart, task); break;
    case OP_REMOVE: policy_active.ops.remove(&policy_ctx, hart, task); break;
    case OP_FETCH:  result = policy_active.ops.fetch(&policy_ctx, hart); break;
    case OP_TOP:    result = policy_active.ops.top_priority(&policy_ctx, hart); break;
    case OP_TICK:   result = policy_active.ops.tick(&policy_ctx, hart, task); break;
    case OP_YIELD_FETCH: {
        /* The policy's own yield_fetch if it has one: one call instead of
         * two, and the work the pair would undo skipped (heap's yielded
         * task takes the root's place, fifo's goes in at the tail as the
         * head comes out).  Only under an exclusive hold: the ABI gives it
         * serial_calls (a process's runtime calls it under its queue
         * lock).  Its answer is checked as fetch's would be. */
        if (!shared && policy_active.yield_fetch) {
            result = policy_active.yield_fetch(&policy_ctx, hart, task);
            break;
        }
        /* Else the pair.  The only call made under a shared hold
         * (`shared`): others may overlap it, and the policy is told so. */
        const struct sched_ctx *cx = shared ? &policy_ctx_overlapping : &policy_ctx;
        pair_step = OP_YIELD;
        policy_active.ops.yield(cx, hart, task);
        pair_step = OP_FETCH;
        result = policy_active.ops.fetch(cx, hart);
        break;
    }
    case OP_YIELD_FETCH_ENTRY:           /* only a name for reports (above) */
        panic("sched: OP_YIELD_FETCH_ENTRY is not an operation");
    }
    if (policy_active.from_blob)
        blob_guard_close(c);
    return result;
}

/* The kernel's side of handing t to the policy: its record filled in, its
 * wait stamped, the counts.  In the queue already by its state
 * (thread_state.c): should the call fault, the rebuilt queue counts it.
 * (sched_lock: the transitions of thread_state.c, the only callers, have
 * just asserted it.) */
/* enqueued()'s first half: the record, the wait's stamps, the level. */
static inline __attribute__((always_inline)) void stamp_queued(struct thread *t)
{
    KASSERT(tstate_in_queue(t) && t->task >= 0);
    /* First: the record's byte stores (fill_record) may alias t for the
     * compiler, which would read t->state and t->priority again after
     * them (a kernel yield has just set the state: then no test at all). */
    t->queued_prio = t->state == THREAD_PARKED ? 0 : t->priority;  /* see policy_queued_top */
    fill_record(t, t->hart);
    t->queued_since = read_time();      /* raw: converted only by the watchdog */
    t->queued_at_tick = __atomic_load_n(&policy_ticks.n, __ATOMIC_RELAXED);
}

/* Its second half: t counted in (policy_nqueued, its level), and then
 * told to every process (SCHED_KINFO.enqueues, after policy_top_level). */
static inline __attribute__((always_inline)) void count_in(struct thread *t)
{
    set_nqueued(policy_nqueued + 1);
    count_queued(t->queued_prio, 1);
    if (t->queued_prio)
        shared_count_enqueue();
}

/* The thread whose record fetch named, if the kernel has it queued; else
 * NULL (an answer that breaks the contract). */
static inline __attribute__((always_inline)) struct thread *queued_owner(uint32_t task)
{
    struct thread *t = task < SCHED_MAX_TASKS ? policy_owner[task] : NULL;
    return t && tstate_in_queue(t) ? t : NULL;
}

/* A fetched thread's record. */
static inline __attribute__((always_inline)) void record_running(uint32_t task)
{
    policy_ctx.tasks[task].state = TASK_RUNNING;
    policy_ctx.tasks[task].switches++;
}

/* The kernel's side of t leaving the queue by a fetch, but for its level's
 * count (count_queued). */
static inline __attribute__((always_inline)) void take_fetched(struct thread *t)
{
    tstate_fetched(t);
    set_nqueued(policy_nqueued - 1);
    record_running((uint32_t)t->task);
}

/* Checks fetch's answer.  True with *out the thread taken out (NULL: none
 * was queued); false if the call faulted or the answer broke the contract
 * (the policy has been replaced: ask again). */
static inline __attribute__((always_inline)) bool accept_fetched(uint64_t answer, int hart,
                                                                 struct thread **out)
{
    if (answer == POLICY_FAULTED)
        return false;
    uint32_t task = (uint32_t)answer;
    if (task == SCHED_NONE) {
        if (policy_nqueued == 0) {
            *out = NULL;
            return true;
        }
        policy_fall_back("fetch on hart %d found nothing while %u tasks were queued "
                  "(a task was lost)", hart, policy_nqueued);
        return false;
    }
    struct thread *t = queued_owner(task);
    if (!t) {
        policy_refuse_fetched(hart, task, task < SCHED_MAX_TASKS ? policy_owner[task] : NULL);
        return false;
    }
    take_fetched(t);
    count_queued(t->queued_prio, -1);
    *out = t;
    return true;
}


/* A yield's answer that leaves every count as it was: a thread queued at
 * `level` (t itself, or one of its equals).  NULL for any other answer,
 * right or wrong: accept_fetched judges those. */
static inline __attribute__((always_inline)) struct thread *queued_at_level(uint64_t answer,
                                                                          int level)
{
    struct thread *n = answer < SCHED_MAX_TASKS ? queued_owner((uint32_t)answer) : NULL;
    return n && n->queued_prio == level ? n : NULL;
}

/* policy_enqueue(t, hart, ENQUEUE_YIELD) then policy_fetch(hart), with one
 * guard around both calls into the policy (a kernel yield: sched_yield,
 * and the plain yield from user mode, trap_user_yield, both in
 * sched/sched.c, which inline it).  t is QUEUED already (tstate_yield). */
static inline __attribute__((always_inline)) struct thread *policy_yield_fetch(struct thread *t,
                                                                             int hart)
{
    stamp_queued(t);
    /* Counting t in and the fetched thread out change nothing when both
     * are of one level that has others queued (the usual switch between
     * equals): then the counts wait for the answer.  A level that t alone
     * fills is counted at once, as any enqueue: the rise it makes in
     * SCHED_KINFO.queued_top, brief when t comes straight back, is what
     * every process sees (performance.md: taking it away made a
     * multiqueue test fail).  The counts are never read without
     * sched_lock but for policy_nqueued's hint, to which the wait is the
     * same as a yield a moment later. */
    bool count_later = policy_queued_at[t->queued_prio] != 0;
    if (!count_later)
        count_in(t);
    uint64_t answer = policy_call(OP_YIELD_FETCH, (uint32_t)hart, (uint32_t)t->task, false);
    struct thread *next;
    if (count_later) {
        next = queued_at_level(answer, t->queued_prio);
        if (next) {
            /* count_in and take_fetched, with the counts one in, one
             * out: only what every process is told.  next's state step
             * first: after shared_count_enqueue's release store the
             * compiler would read the state again to assert it. */
            tstate_fetched(next);
            if (t->queued_prio)
                shared_count_enqueue();
            record_running((uint32_t)next->task);
            return next;
        }
        count_in(t);            /* and the answer judged as any other */
    }
    if (accept_fetched(answer, hart, &next))
        return next;
    return policy_fetch(hart);      /* replaced: the new policy's queue has t */
}

#endif
