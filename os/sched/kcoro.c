/*
 * The kernel's executor (sched/kcoro.h).  Its state is the same layout as
 * a process's (CO_EXEC, a policy queue, TaskSched records) but in kernel
 * memory, and it is driven by the same code: the runtime blob's co_call,
 * called at the kernel's alias of the runtime (SHARED_KALIAS_RUNTIME).
 *
 * The policy is not the active one: env.ops is the kernel's built-in heap
 * (sched_builtin_heap, compiled into the kernel from sched_impls/heap).
 * The kernel trusts it; a policy blob, which the kernel only runs behind
 * a guard (sched/blob_guard.h), could otherwise hang or wreck the very
 * coroutines that complete every process's asynchronous I/O.
 *
 * Every co_call is made with interrupts off (push_off): the executor's
 * lock is a plain spin in the runtime, and a hart interrupted while
 * holding it would deadlock against a wake from the interrupt handler
 * (the timer tick wakes the timer coroutine).
 */
#include "sched/kcoro.h"
#include "sched/shared.h"
#include "sched/policy.h"
#include "kernel/cpu.h"
#include "kernel/panic.h"
#include "kernel/spinlock.h"
#include "mm/frame.h"
#include "mm/kmalloc.h"
#include "arch/riscv.h"
#include "memlayout.h"
#include "kernel/ordered_store.h"

extern const struct sched_policy_desc sched_builtin_heap;

typedef int64_t (*co_call_fn)(uint32_t op, const struct co_env *e, uint64_t a, uint64_t b,
                              uint64_t c, uint64_t d);

static co_call_fn co_call_k;
static CO_EXEC *kx;
static struct sched_queue *kqueue;
static TaskSched *krecs;
static struct sched_ops kops;
volatile uint64_t kcoro_work;
static volatile int holder = -1;            /* kcoro_hold: the only poller */
static volatile uint32_t polling;           /* harts inside kcoro_poll */

static void kcoro_env(struct co_env *e);

void kcoro_init(void)
{
    co_call_k = (co_call_fn)(uintptr_t)shared_kernel_co_call();
    kx = frame_alloc();
    /* The policy's queue for KCORO_CAPACITY records: SCHED_QUEUE_WORDS(n)
     * = 512 + n words. */
    kqueue = kmalloc((512 + KCORO_CAPACITY) * sizeof(uint32_t));
    krecs = kmalloc(KCORO_CAPACITY * sizeof(TaskSched));
    if (!co_call_k || !kx || !kqueue || !krecs)
        panic("kcoro: no memory for the kernel's executor");
    kops = sched_builtin_heap.ops;
    struct co_env e;
    push_off();
    kcoro_env(&e);
    co_call_k(CO_OP_INIT, &e, 0, 0, 0, 0);
    pop_off();
    KASSERT(kx->magic == CO_EXEC_MAGIC);
}

/* The environment for a call from this hart (interrupts off: the hart
 * does not change under it). */
static void kcoro_env(struct co_env *e)
{
    KASSERT(!intr_enabled());
    uint32_t nharts = policy_nharts();
    e->x = kx;
    e->queue = kqueue;
    e->recs = krecs;
    e->ops = &kops;
    e->capacity = KCORO_CAPACITY;
    e->nharts = nharts;
    e->hart = (uint32_t)this_hartid();
    e->kernel = 1;
    e->lock_token = 1;              /* the lock word's "held" (no sleeper) */
    KASSERT(e->hart < e->nharts && e->nharts <= SCHED_MAX_HARTS);
}

static int64_t call(uint32_t op, uint64_t a, uint64_t b, uint64_t c, uint64_t d)
{
    struct co_env e;
    push_off();
    kcoro_env(&e);
    int64_t r = co_call_k(op, &e, a, b, c, d);
    pop_off();
    return r;
}

/* This hart's bit: the hart to poll it, at the latest (kcoro_has_own_work). */
static void note_work(void)
{
    push_off();
    __atomic_fetch_or(&kcoro_work, 1ull << this_hartid(), __ATOMIC_RELEASE);
    pop_off();
}

uint32_t kcoro_spawn(co_poll_fn poll, struct co *frame, uint32_t prio, co_drop_fn drop)
{
    frame->line = 0;
    frame->result = 0;
    uint32_t cid = (uint32_t)call(CO_OP_SPAWN, (uint64_t)(uintptr_t)poll,
                                  (uint64_t)(uintptr_t)frame, prio, (uint64_t)(uintptr_t)drop);
    if (cid != CO_NONE)
        note_work();
    return cid;
}

void kcoro_wake(uint32_t cid)
{
    /* Also when the wake found it RUNNING: its poller queues it again
     * (CO_OP_POLLED), and that poller is inside kcoro_poll, which goes on
     * fetching; the flag costs at most one empty poll. */
    if (call(CO_OP_WAKE, cid, 0, 0, 0) >= 0)
        note_work();
}

/* The caller holds cid (fetched, or taken idle by a cancel): its drop hook,
 * then DONE. */
static void finish_cancelled(uint32_t cid)
{
    TaskSched *r = &krecs[CO_INDEX(cid)];
    co_drop_fn drop = (co_drop_fn)(uintptr_t)r->ctx[CO_CTX_DROP];
    if (drop)
        drop((struct co *)(uintptr_t)r->ctx[CO_CTX_FRAME]);
    call(CO_OP_FINISH, cid, (uint64_t)CO_RESULT_CANCELLED, 0, 0);
}

int kcoro_cancel(uint32_t cid)
{
    int64_t r = call(CO_OP_CANCEL, cid, 0, 0, 0);
    if (r < 0)
        return -1;
    if (r == 1)
        finish_cancelled(cid);       /* it was idle: ours to end */
    else
        note_work();                 /* queued or running: its poller ends it */
    return 0;
}

int kcoro_join(uint32_t cid, int64_t *result)
{
    return (int)call(CO_OP_JOIN, cid, CO_NONE, 0, (uint64_t)(uintptr_t)result);
}

void kcoro_detach(uint32_t cid)
{
    call(CO_OP_DETACH, cid, 0, 0, 0);
}

int64_t kcoro_state(uint32_t cid)
{
    return call(CO_OP_STATE, cid, 0, 0, 0);
}

uint64_t kcoro_polls(uint32_t cid)
{
    return CO_INDEX(cid) < KCORO_CAPACITY ? krecs[CO_INDEX(cid)].ctx[CO_CTX_POLLS] : 0;
}

/* CO_OP_RUN, bounded: a coroutine that keeps waking itself cannot keep a
 * hart here with interrupts off.  Past the bound, kcoro_work stays set and
 * the next poll point goes on. */
int kcoro_poll(void)
{
    push_off();
    /* polling before holder, as kcoro_hold sets holder before it reads
     * polling: one of the two sees the other. */
    __atomic_add_fetch(&polling, 1, __ATOMIC_SEQ_CST);
    int h = __atomic_load_n(&holder, __ATOMIC_SEQ_CST);
    int n = 0;
    if (kx && (h < 0 || h == (int)this_hartid()) &&
        __atomic_exchange_n(&kcoro_work, 0, __ATOMIC_ACQ_REL)) {
        n = (int)call(CO_OP_RUN, CO_NONE, KCORO_POLL_MAX, 0, 0);
        if (n == KCORO_POLL_MAX)
            note_work();
    }
    __atomic_sub_fetch(&polling, 1, __ATOMIC_SEQ_CST);
    pop_off();
    return n;
}

void kcoro_hold(void)
{
    __atomic_store_n(&holder, (int)this_hartid(), __ATOMIC_SEQ_CST);
    /* A poll already under way elsewhere ends within its bound. */
    while (__atomic_load_n(&polling, __ATOMIC_SEQ_CST))
        cpu_relax();
}

void kcoro_release(void)
{
    store_release(&holder, -1);
    note_work();
}
