/*
 * The coroutine executor: one piece of code for every process's executor
 * (in its shared pages, run in user mode by its worker threads) and for
 * the kernel's own (in kernel memory, run by every hart).  It is part of
 * the runtime blob, so it keeps no state of its own: everything is in the
 * executor the caller's `struct co_env` points at (sched_abi/coro.h has
 * the layout and the waker state machine; docs/coroutines.md the model).
 *
 * Ready coroutines wait in the selected policy's queue as TaskSched
 * records, exactly as threads do: the policy picks the most urgent, FIFO
 * among equals by age.
 *
 * The handoff slot (CO_EXEC.slot) holds at most one ready coroutine out of
 * the policy's queue, and only while that queue is empty (x->queued == 0):
 * so it is what the policy's fetch would return, and it goes back into the
 * queue (add, with a fresh age) before anything else enters it, which
 * keeps every policy's order.  A co_yield between two coroutines of equal
 * priority swaps the yielder and the slot's coroutine under the lock, with
 * no policy call: every policy puts a yielding task behind an older equal
 * (the ABI's yield).  Other cases take the policy's path.  The slot's
 * coroutine stays RUNNING in its state word, held by the executor as a
 * poller holds one: a wake sets QUEUED and nothing more, a cancel is seen
 * by whoever takes it out (so a swap changes no state word); QUEUED is
 * cleared when it is taken out to be polled, the poll serving that wake.
 *
 * Locking: the executor lock guards the queue, the slot, the free list and
 * the records' IN_QUEUE flag (set for the slot's coroutine too).  A coroutine's state word is changed only by
 * compare-and-swap, so a wake needs the lock only when it is the one wake
 * that must put the coroutine in the queue.  The kernel never takes a
 * process's lock: it rings the doorbell, which workers take in here.
 *
 * In a process, everything here can be wrecked by the process itself; the
 * code then fails in that process only (the kernel does not run it on a
 * process's executor).  It still checks what it can cheaply (an index in
 * range, a record that is in the queue) and stops the executor
 * (CO_EXEC_WRECKED) rather than wander.
 */
#include <stdbool.h>
#include "coro.h"
#include "rt_trace.h"

int rt_setjmp(uint64_t buf[16]) __attribute__((returns_twice));   /* switch.S */

#define SYS_SET_PRIORITY 21
#define SYS_GET_PRIORITY 22
#define SYS_FUTEX_WAIT   23
#define SYS_FUTEX_WAKE   24
#define SYS_GET_CEILING  31
#define EPERM            1
#define EAGAIN           11

#define CO_JOINER_THREAD 0xfffffffeu   /* JOINER: a thread waits (CO_OP_RUN) */
#define CAS_TRIES        64            /* against a state word flipped for ever */

static long ecall3(long n, long a, long b, long c)
{
    register long a0 __asm__("a0") = a;
    register long a1 __asm__("a1") = b;
    register long a2 __asm__("a2") = c;
    register long a7 __asm__("a7") = n;
    __asm__ volatile("ecall" : "+r"(a0) : "r"(a1), "r"(a2), "r"(a7) : "memory");
    return a0;
}

/* Records mapped now.  A process's executor grows while its workers run
 * (SYS_co_setup maps more records, then the kernel raises `capacity`), so
 * it is read afresh, never kept: a snapshot would take a coroutine spawned
 * into new records for a wrecked queue.  The kernel's own executor does
 * not grow. */
static uint32_t capacity(const struct co_env *e)
{
    uint32_t c = e->kernel ? e->capacity : __atomic_load_n(&e->x->capacity, __ATOMIC_ACQUIRE);
    return c < CO_MAX ? c : CO_MAX;
}

static struct sched_ctx policy_ctx(const struct co_env *e)
{
    /* serial_calls: every call is made under the executor's lock. */
    return (struct sched_ctx){ e->recs, e->queue, capacity(e), e->nharts, 1 };
}

static uint64_t *wstate(TaskSched *r)
{
    return &r->ctx[CO_CTX_WSTATE];
}

static uint32_t gen_of(uint64_t w)
{
    return (uint32_t)(w >> 32) & CO_GEN_MASK;
}

/* The record a CID names, if it names a live coroutine now. */
static TaskSched *lookup(const struct co_env *e, uint32_t cid)
{
    uint32_t i = CO_INDEX(cid);
    if (cid == CO_NONE || i >= capacity(e))
        return 0;
    TaskSched *r = &e->recs[i];
    uint64_t w = __atomic_load_n(wstate(r), __ATOMIC_ACQUIRE);
    if (!(w & CO_LIVE) || gen_of(w) != CO_GEN(cid))
        return 0;
    return r;
}

/* The executor lock.  In the kernel (interrupts off: a holder is never
 * preempted) a spin lock.  In a process a holder can be preempted, and may
 * run at a lower priority than its waiters (a worker takes its coroutine's
 * priority): a waiter that spinning and yielding leave waiting would only
 * ever hand the hart to threads at least as urgent as itself, never to the
 * holder.  So a waiter sleeps in the kernel on the lock word (a futex
 * mutex after Drepper's, below), and the holder gets the hart.
 *
 * But it sleeps only when spinning cannot end soon: a sleep costs a futex
 * call, a switch to the hart's idle thread and back (each loading satp),
 * and a wake-up IPI, while a holder that runs on another hart lets go
 * within a few hundred instructions.  The lock word names its holder (the
 * co_env's lock_token: task + 1), so a waiter spins only while that task
 * is on a hart (VDSO_DATA.off_hart, which the kernel rewrites whenever it
 * takes a thread off its hart or gives it back), and never on one hart,
 * where the holder cannot run while the waiter does.  The spin is bounded
 * (LOCK_SPINS_MAX) all the same: the word and off_hart are the process's
 * to scribble on, and a holder may run for long.  A lock word the process
 * wrote over leaves only its own threads asleep, or spinning that long. */
#define LOCK_SPINS_MAX 4096

static bool try_lock(const struct co_env *e)
{
    uint32_t free = 0;
    return __atomic_load_n(&e->x->lock, __ATOMIC_RELAXED) == 0 &&
           __atomic_compare_exchange_n(&e->x->lock, &free, e->lock_token, 0, __ATOMIC_ACQUIRE,
                                       __ATOMIC_RELAXED);
}

/* Is the holder that lock word `word` names known to be off any hart (or
 * is it the caller, or no thread at all)?  Then spinning cannot help. */
static bool holder_off_hart(const struct co_env *e, uint32_t word)
{
    uint32_t task = (word & ~CO_LOCK_SLEEPERS) - 1;
    return task >= SCHED_MAX_TASKS || task == e->task ||
           ((const VDSO_DATA *)SHARED_BASE_ADDR)->off_hart[task];
}

/* Spins while the holder runs on another hart: true once the lock is
 * taken.  `was` names the holder the first swap found, which the word
 * hides while it still holds the caller's own token (that swap wrote it). */
static bool spin_while_holder_runs(const struct co_env *e, uint32_t was, uint64_t *spins)
{
    uint32_t me = e->lock_token;
    for (uint32_t i = 0; i < LOCK_SPINS_MAX; i++) {
        uint32_t w = __atomic_load_n(&e->x->lock, __ATOMIC_RELAXED);
        if (w == 0) {
            if (try_lock(e))
                return true;
            continue;
        }
        if ((w & CO_LOCK_SLEEPERS) || holder_off_hart(e, w == me ? was : w))
            return false;       /* sleepers first, or a holder that does not run */
        ++*spins;
    }
    return false;
}

/* `was`: the word that the first try's swap found (and replaced by the
 * caller's token). */
static __attribute__((noinline)) void lock_contended(const struct co_env *e, uint32_t was)
{
    if (e->kernel) {
        while (!try_lock(e))
            ;
        return;
    }
    /* A word with CO_LOCK_SLEEPERS that the swap replaced may have
     * sleepers behind it, whose wake-up is owed by whoever unlocks such a
     * word: the flag must be set again before this thread may take the
     * lock, so no spinning then (a 0 -> token taken now would unlock
     * without the flag and wake nobody). */
    CO_EXEC *x = e->x;
    uint64_t spins = 0, sleeps = 0;
    bool taken = !(was & CO_LOCK_SLEEPERS) && e->nharts > 1 &&
                 spin_while_holder_runs(e, was, &spins);
    if (!taken) {
        uint32_t mine = e->lock_token | CO_LOCK_SLEEPERS;
        uint32_t c = __atomic_exchange_n(&x->lock, mine, __ATOMIC_ACQUIRE);
        while (c != 0) {
            sleeps++;
            ecall3(SYS_FUTEX_WAIT, (long)&x->lock, mine, 0);
            c = __atomic_exchange_n(&x->lock, mine, __ATOMIC_ACQUIRE);
        }
    }
    /* Statistics (their own line: only waiters write it). */
    __atomic_add_fetch(&x->lock_waits, 1, __ATOMIC_RELAXED);
    if (spins)
        __atomic_add_fetch(&x->lock_spins, spins, __ATOMIC_RELAXED);
    if (sleeps)
        __atomic_add_fetch(&x->lock_sleeps, sleeps, __ATOMIC_RELAXED);
}

/* The lock word's swaps.  RISC-V has each as one instruction with its
 * ordering built in (amoswap.w.aq, amoswap.w.rl, as in the ISA manual's
 * spin lock); GCC 12 spells the release swap as a fence and the swap, and
 * widens each result again.  Elsewhere (the host test) the builtins. */
static inline long swap_acquire(volatile uint32_t *word, uint32_t v)
{
#ifdef __riscv
    long old;       /* (the instruction sign-extends: so the compiler need not) */
    __asm__ volatile("amoswap.w.aq %0, %z2, %1" : "=r"(old), "+A"(*word) : "rJ"(v) : "memory");
    return old;
#else
    return (int32_t)__atomic_exchange_n(word, v, __ATOMIC_ACQUIRE);   /* as amoswap.w */
#endif
}

static inline long swap_release(volatile uint32_t *word, uint32_t v)
{
#ifdef __riscv
    long old;
    __asm__ volatile("amoswap.w.rl %0, %z2, %1" : "=r"(old), "+A"(*word) : "rJ"(v) : "memory");
    return old;
#else
    return (int32_t)__atomic_exchange_n(word, v, __ATOMIC_RELEASE);   /* as amoswap.w */
#endif
}

/* Release stores, as RVWMO maps them: `fence rw,w` and a plain store.
 * GCC 12 spells __atomic_store_n as an atomic swap, which a machine of two
 * harts under QEMU runs out of line (os/kernel/ordered_store.h, the
 * kernel's, says more).  Elsewhere (the host test) the builtin. */
static inline void store_release32(volatile uint32_t *word, uint32_t v)
{
#ifdef __riscv
    __asm__ volatile("fence rw, w\n\tsw %z1, %0" : "=m"(*word) : "rJ"(v) : "memory");
#else
    __atomic_store_n(word, v, __ATOMIC_RELEASE);
#endif
}

static inline void store_release64(volatile uint64_t *word, uint64_t v)
{
#ifdef __riscv
    __asm__ volatile("fence rw, w\n\tsd %z1, %0" : "=m"(*word) : "rJ"(v) : "memory");
#else
    __atomic_store_n(word, v, __ATOMIC_RELEASE);
#endif
}

/* x is e->x (a caller that keeps it in a register passes it).  The first
 * try is a swap, not a compare-and-swap: one atomic instruction where a
 * compare-and-swap is a loop of four.  It writes the caller's token
 * whatever it finds (a load from e where the constant 1 was a load
 * immediate: no instruction more): over a holder's token it hides who
 * holds the lock from later waiters until that holder lets go (a waiter
 * then takes the first waiter for the holder, and spins while that one
 * spins); over CO_LOCK_SLEEPERS see lock_contended. */
static inline void lock_at(const struct co_env *e, CO_EXEC *x)
{
    long was = swap_acquire(&x->lock, e->lock_token);
    if (was != 0)
        lock_contended(e, (uint32_t)was);
}

/* CO_LOCK_SLEEPERS is bit 31, and the swap sign-extends: a sign test. */
static inline void unlock_at(const struct co_env *e, CO_EXEC *x)
{
    if (swap_release(&x->lock, 0) < 0 && !e->kernel)
        ecall3(SYS_FUTEX_WAKE, (long)&x->lock, 1, 0);
}

static inline void lock(const struct co_env *e)
{
    lock_at(e, e->x);
}

static void unlock(const struct co_env *e)
{
    unlock_at(e, e->x);
}

static void wreck(const struct co_env *e)
{
    __atomic_or_fetch(&e->x->flags, CO_EXEC_WRECKED, __ATOMIC_RELEASE);
}

/* The owner's code that the executor calls (a poll function, a drop
 * hook) may set the thread's rescue slot itself (a thread yield does):
 * pointed back at this call's buffer after each (see co_call). */
static void rescue_again(const struct co_env *e)
{
    if (!e->kernel)
        ((TaskSched *)SHARED_TASKS_ADDR)[e->task].ctx[TASK_CTX_RESCUE] = e->rescue;
}

/* The last coroutine ended, or the run awaited did: every sleeping
 * worker looks. */
static void notify_all(const struct co_env *e)
{
    __atomic_add_fetch(&e->x->seq, 1, __ATOMIC_SEQ_CST);
    if (!e->kernel && __atomic_load_n(&e->x->sleepers, __ATOMIC_SEQ_CST))
        ecall3(SYS_FUTEX_WAKE, (long)&e->x->seq, 1 << 30, 0);
}

#define V_DATA ((const VDSO_DATA *)SHARED_BASE_ADDR)
#define TASKS  ((const TaskSched *)SHARED_TASKS_ADDR)

/*
 * No worker left below the work (docs/coroutines.md).  A coroutine was
 * made ready at `prio` (spawned, or woken) and nobody sleeps: an awake
 * worker polls it when it next fetches, if it gets a hart, which it does
 * not while a thread of the process at `prio` or above yields in a loop
 * and the worker was left below (at the priority of what it polled last,
 * until it polls the next): a yield passes over less urgent threads
 * (docs/scheduler.md).  So the least urgent thread in a run of the
 * executor (CO_EXEC.worker_task) but the caller is raised to `prio`
 * (within the ceiling) if it is below, or, if none but the caller is
 * below, the caller; it follows what it polls from then on.  Not "unless
 * one is at `prio` already": that one may be the thread
 * that yields (a coroutine of its own spinning with yield()).  The
 * priorities are the kernel's view (VDSO_DATA.kprio), current as of each
 * thread's last run.  A system call only when one is below: a few loads
 * otherwise.  The kernel applies the same rule to what it rings the
 * doorbell for (os/sched/coexec.c, coexec_raise_pick_locked).
 */
static __attribute__((noinline)) void raise_a_worker(const struct co_env *e, uint32_t prio)
{
    uint32_t end = __atomic_load_n(&e->x->workers_end, __ATOMIC_RELAXED);
    if (end > CO_WORKER_SLOTS)
        end = CO_WORKER_SLOTS;
    uint32_t lowest = SCHED_MAX_TASKS, low = prio;
    bool caller_below = false;
    for (uint32_t k = 0; k < end; k++) {
        uint32_t task = (uint32_t)__atomic_load_n(&e->x->worker_task[k], __ATOMIC_RELAXED) - 1;
        if (task >= SCHED_MAX_TASKS)
            continue;           /* free (0 - 1), or written over */
        uint32_t now = V_DATA->kprio[task];
        if (task == e->task) {
            caller_below = now < prio;
            continue;
        }
        if (now < low) {
            low = now;
            lowest = task;
        }
    }
    /* Nobody else below: the caller, if it is a worker below the work.
     * Passed over, it polls what it woke only after the poll it is in,
     * at that poll's priority, below a thread of the process that may
     * yield above it for good (t_cowakefromlow, "event": never ran). */
    if (lowest == SCHED_MAX_TASKS && caller_below) {
        lowest = e->task;
        low = V_DATA->kprio[e->task];
    }
    if (lowest == SCHED_MAX_TASKS)
        return;
    /* A raise only (CO_RAISE_ONLY): `low` was read before the call, and
     * the worker may have raised itself above `prio` since, for a more
     * urgent pick; a plain set put it down to `prio`, below what it
     * polls, and its runtime, believing itself above, did not ask again
     * while its picks stayed there (t_coraiseonly). */
    long tid = lowest == e->task ? 0 : (long)TASKS[lowest].tid;
    if (ecall3(SYS_SET_PRIORITY, tid, (long)prio, (long)CO_RAISE_ONLY) == -EPERM) {
        long ceiling = ecall3(SYS_GET_CEILING, 0, 0, 0);
        if (ceiling > (long)low)        /* above it: to it */
            ecall3(SYS_SET_PRIORITY, tid, ceiling, (long)CO_RAISE_ONLY);
    }
}

/* Work arrived at priority `prio`: one rule for every way a coroutine is
 * made ready (a spawn, a wake, a wake during its poll).  A sleeping
 * worker is woken for it (it sleeps at the ceiling); with none asleep,
 * an awake one is raised to it (raise_a_worker). */
static void work_arrived(const struct co_env *e, uint32_t prio)
{
    __atomic_add_fetch(&e->x->seq, 1, __ATOMIC_SEQ_CST);
    if (e->kernel)
        return;
    if (__atomic_load_n(&e->x->sleepers, __ATOMIC_SEQ_CST))
        ecall3(SYS_FUTEX_WAKE, (long)&e->x->seq, 1, 0);
    else
        raise_a_worker(e, prio);
}

/* The calling thread starts a worker's run of the executor: its entry in
 * CO_EXEC.worker_task, or CO_WORKER_SLOTS if none is free (then it is
 * never raised by a waker: only a hint is lost). */
static uint32_t enter_workers(const struct co_env *e)
{
    for (uint32_t k = 0; k < CO_WORKER_SLOTS; k++) {
        uint32_t free = 0;
        if (__atomic_load_n(&e->x->worker_task[k], __ATOMIC_RELAXED) == 0 &&
            __atomic_compare_exchange_n(&e->x->worker_task[k], &free, e->task + 1, 0,
                                        __ATOMIC_SEQ_CST, __ATOMIC_RELAXED)) {
            uint32_t end = __atomic_load_n(&e->x->workers_end, __ATOMIC_RELAXED);
            while (end < k + 1 &&
                   !__atomic_compare_exchange_n(&e->x->workers_end, &end, k + 1, 0,
                                                __ATOMIC_SEQ_CST, __ATOMIC_RELAXED))
                ;
            __atomic_add_fetch(&e->x->workers_gen, 1, __ATOMIC_SEQ_CST);
            return k;
        }
    }
    return CO_WORKER_SLOTS;
}

static void leave_workers(const struct co_env *e, uint32_t k)
{
    if (k < CO_WORKER_SLOTS) {
        store_release32(&e->x->worker_task[k], 0);
        __atomic_add_fetch(&e->x->workers_gen, 1, __ATOMIC_SEQ_CST);
    }
}

/* Record i (IN_QUEUE: the slot's, or one the process wrote over?). */
static bool queued_record(const struct co_env *e, uint32_t i, uint32_t ntasks)
{
    return i < ntasks && (e->recs[i].flags & TASK_FLAG_IN_QUEUE);
}

/* The slot's coroutine goes back into the policy's queue (which is empty
 * while the slot is used), with its age: before anything else enters the
 * queue, so the policy sees the order it would have seen.  Lock held. */
static void flush_slot_locked(const struct co_env *e)
{
    uint32_t s = e->x->slot;
    if (!s)
        return;
    e->x->slot = 0;
    struct sched_ctx c = policy_ctx(e);
    if (!queued_record(e, s - 1, c.ntasks)) {
        wreck(e);               /* the process wrote over the slot */
        return;
    }
    /* Held (RUNNING) -> QUEUED, as if it had been queued all along (a
     * wake it got meanwhile merges). */
    TaskSched *r = &e->recs[s - 1];
    uint64_t *w = wstate(r);
    uint64_t old = __atomic_load_n(w, __ATOMIC_ACQUIRE);
    for (int t = 0; t < CAS_TRIES && (old & CO_RUNNING); t++)
        if (__atomic_compare_exchange_n(w, &old, (old & ~(uint64_t)CO_RUNNING) | CO_QUEUED, 0,
                                        __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
            break;
    r->age = ++e->x->age_clock;
    r->state = TASK_READY;
    r->hart = (uint8_t)e->hart;
    e->ops->add(&c, e->hart, s - 1);
    e->x->queued++;
}

/* Puts record i in the policy's queue.  Lock held. */
static void enqueue_locked(const struct co_env *e, uint32_t i, int op)
{
    flush_slot_locked(e);
    struct sched_ctx c = policy_ctx(e);
    TaskSched *r = &e->recs[i];
    e->x->queued++;
    r->age = ++e->x->age_clock;
    r->state = TASK_READY;
    r->hart = (uint8_t)e->hart;
    r->flags |= TASK_FLAG_IN_QUEUE;
    if (op == SCHED_OP_ADD)
        e->ops->add(&c, e->hart, i);
    else if (op == SCHED_OP_YIELD)
        e->ops->yield(&c, e->hart, i);
    else
        e->ops->wake(&c, e->hart, i);
}

/* Sets QUEUED on record i if its state word is still `expect_gen`'s and it
 * is neither done nor queued.  Returns the old word, or 0 if the wake does
 * nothing. */
static uint64_t mark_queued(TaskSched *r, uint32_t expect_gen, bool any_gen)
{
    uint64_t *w = wstate(r);
    uint64_t old = __atomic_load_n(w, __ATOMIC_ACQUIRE);
    for (int tries = 0; tries < CAS_TRIES; tries++) {
        if (!(old & CO_LIVE) || (!any_gen && gen_of(old) != expect_gen) ||
            (old & (CO_DONE | CO_QUEUED)))
            return 0;
        if (__atomic_compare_exchange_n(w, &old, old | CO_QUEUED, 0, __ATOMIC_ACQ_REL,
                                        __ATOMIC_ACQUIRE))
            return old;
    }
    return 0;
}

static int64_t co_wake(const struct co_env *e, uint32_t cid)
{
    TaskSched *r = lookup(e, cid);
    if (!r)
        return -1;
    uint64_t old = mark_queued(r, CO_GEN(cid), false);
    if (!old || (old & CO_RUNNING))
        return 0;               /* already queued, or its poller re-queues it */
    lock(e);
    enqueue_locked(e, CO_INDEX(cid), SCHED_OP_WAKE);
    e->x->wakes++;
    uint32_t prio = r->prio;
    unlock(e);
    work_arrived(e, prio);
    return 1;
}

/* Index of the lowest set bit of x (x != 0), without a libgcc call. */
static uint32_t lowest_bit(uint64_t x)
{
    uint64_t low = x & (~x + 1);
    uint32_t lo = (uint32_t)low;
    return lo ? sched_highest_bit(lo) : 32 + sched_highest_bit((uint32_t)(low >> 32));
}

/* Rung record i, its doorbell bit taken, is woken (as take_doorbell_locked
 * wakes each).  Lock held. */
static inline __attribute__((always_inline)) void wake_rung_locked(const struct co_env *e,
                                                                   uint32_t i)
{
    e->x->bells++;
    uint64_t old = mark_queued(&e->recs[i], 0, true);
    if (old && !(old & CO_RUNNING)) {
        enqueue_locked(e, i, SCHED_OP_WAKE);
        e->x->wakes++;
    }
}

/* Takes in the doorbell: every rung record is woken.  Lock held.  Inline
 * (next_locked's, on every fetch's way): with hand_over_ready a second
 * caller, the compiler made it a call (b_coro spawn 2,577 -> 2,594). */
static inline __attribute__((always_inline)) void take_doorbell_locked(const struct co_env *e)
{
    for (uint32_t s = 0; s < CO_SUMMARY_WORDS; s++) {
        if (!__atomic_load_n(&e->x->bell_summary[s], __ATOMIC_RELAXED))
            continue;
        uint64_t words = __atomic_exchange_n(&e->x->bell_summary[s], 0, __ATOMIC_ACQ_REL);
        while (words) {
            uint32_t b = lowest_bit(words);
            words &= words - 1;
            uint32_t wi = s * 64 + b;
            uint64_t bits = __atomic_exchange_n(&e->x->bell[wi], 0, __ATOMIC_ACQ_REL);
            while (bits) {
                uint32_t i = wi * 64 + lowest_bit(bits);
                bits &= bits - 1;
                if (i >= capacity(e))
                    continue;
                e->x->bells++;
                uint64_t old = mark_queued(&e->recs[i], 0, true);
                if (old && !(old & CO_RUNNING)) {
                    enqueue_locked(e, i, SCHED_OP_WAKE);
                    e->x->wakes++;
                }
            }
        }
    }
}

/* Left to the thread that woke it (docs/coroutines.md, "Affinity").  The
 * kernel names the thread whose system call rang a coroutine
 * (CO_EXEC.woke_by); that thread, back from its poll, takes the wake
 * itself (take_own_wake), so the coroutine runs on the hart where its
 * data just went.  But its poll goes on after the call that rang (a
 * ring's stage writes, then submits its next read), and another worker
 * that looked at the doorbell meanwhile took the wake in, and ran it
 * there, or queued it for whoever came next (b_prings on 2 workers: a
 * quarter of the hops).  So before a worker takes in the doorbell, it
 * holds back one rung coroutine that a hint of another thread names, if
 * that thread is on a hart (VDSO_DATA.off_hart, the kernel's word: a
 * thread off its hart is not coming back soon): its doorbell bit is
 * taken out, and settle_left_locked either puts it back for that thread
 * or wakes it here.  Returns the hint (0: none held).  Once per hint and
 * worker: the hint this worker left last (CO_WOKE_LEFT), found again,
 * is cleared here (its bit is then taken in as any), so that the
 * thread's next ring of the same coroutine is a fresh hint.  The slots
 * are the process's to write: a forged hint holds back, at worst, one of
 * its own coroutines for one look of each worker.  Lock held. */
static __attribute__((noinline)) uint64_t hold_for_waker_locked(const struct co_env *e)
{
    uint32_t mine = e->task % CO_WOKE_SLOTS;
    volatile uint64_t *last_left = &e->x->woke_by[mine][CO_WOKE_LEFT];
    uint64_t was_left = *last_left, leave = 0;
    for (uint32_t s = 0; s < CO_WOKE_SLOTS; s++) {
        volatile uint64_t *hint = &e->x->woke_by[s][CO_WOKE_HINT];
        uint64_t h = __atomic_load_n(hint, __ATOMIC_RELAXED);
        uint32_t task = (uint32_t)(h >> 32) - 1;
        if (s == mine || !h || task >= SCHED_MAX_TASKS || task == e->task)
            continue;
        if (h == was_left) {
            __atomic_compare_exchange_n(hint, &h, 0, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
            *last_left = 0;
            continue;
        }
        if (!leave && !V_DATA->off_hart[task] && CO_INDEX((uint32_t)h) < capacity(e))
            leave = h;
    }
    if (!leave)
        return 0;
    uint32_t i = CO_INDEX((uint32_t)leave);
    uint64_t bit = 1ULL << (i % 64);
    if (!(__atomic_load_n(&e->x->bell[i / 64], __ATOMIC_RELAXED) & bit))
        return 0;               /* not rung (or taken by its thread already) */
    uint64_t old = __atomic_fetch_and(&e->x->bell[i / 64], ~bit, __ATOMIC_ACQ_REL);
    return old & bit ? leave : 0;
}

static bool doorbell_rung(const struct co_env *e)
{
    for (uint32_t s = 0; s < CO_SUMMARY_WORDS; s++)
        if (__atomic_load_n(&e->x->bell_summary[s], __ATOMIC_ACQUIRE))
            return true;
    return false;
}

/* The fetcher takes record r out of the policy's queue: QUEUED ->
 * RUNNING.  False if it is not a queued coroutine (written over): the
 * caller drops it.  *word: the state word before. */
static bool claim(TaskSched *r, uint64_t *word)
{
    r->flags &= ~TASK_FLAG_IN_QUEUE;
    r->state = TASK_RUNNING;
    uint64_t *w = wstate(r);
    uint64_t old = __atomic_load_n(w, __ATOMIC_ACQUIRE);
    for (int t = 0; t < CAS_TRIES && (old & (CO_LIVE | CO_QUEUED)) == (CO_LIVE | CO_QUEUED) &&
                    !(old & (CO_RUNNING | CO_DONE)); t++) {
        uint64_t new_word = (old & ~(uint64_t)CO_QUEUED) | CO_RUNNING;
        if (__atomic_compare_exchange_n(w, &old, new_word, 0, __ATOMIC_ACQ_REL,
                                        __ATOMIC_ACQUIRE)) {
            *word = old;
            return true;
        }
    }
    return false;
}

/* The fetcher takes the slot's record r, held RUNNING already: a wake
 * that came while it waited there is served by the poll to come.  False
 * if it is not a held coroutine (written over): the caller drops it. */
static __attribute__((noinline)) bool take_held(TaskSched *r, uint64_t *word)
{
    r->flags &= ~TASK_FLAG_IN_QUEUE;
    uint64_t *w = wstate(r);
    uint64_t old = __atomic_load_n(w, __ATOMIC_RELAXED);
    if ((old & (CO_LIVE | CO_RUNNING | CO_DONE)) != (CO_LIVE | CO_RUNNING))
        return false;
    if (old & CO_QUEUED)
        old = __atomic_fetch_and(w, ~(uint64_t)CO_QUEUED, __ATOMIC_ACQ_REL);
    *word = old;
    return true;
}

/* The best priority ready (what the next fetch would give), 0 if none.
 * Lock held. */
static uint32_t top_locked(const struct co_env *e, const struct sched_ctx *c)
{
    uint32_t s = e->x->slot;
    if (s)
        return s - 1 < c->ntasks ? e->recs[s - 1].prio : 0;
    return e->ops->top_priority(c, e->hart);
}

/* The slot's coroutine (*held), or else the policy's answer.  Lock held. */
static uint32_t fetch_locked(const struct co_env *e, const struct sched_ctx *c, bool *held)
{
    uint32_t s = e->x->slot;
    *held = s != 0;
    if (s) {
        e->x->slot = 0;
        return s - 1;
    }
    uint32_t i = e->ops->fetch(c, e->hart);
    if (i != SCHED_NONE && e->x->queued)
        e->x->queued--;
    return i;
}

/* Affinity (docs/coroutines.md, "Affinity").  A coroutine that this
 * worker's own system call made ready (the kernel completed its read in
 * the call and says so in CO_EXEC.woke_by) runs next on this worker: its
 * data is in this hart's cache, where the call just put it.  Only when it
 * is at least as urgent as anything waiting: the policy's order is kept
 * but among equals, where the affinity is the tie-break, and that at most
 * AFFINITY_TIES times in a row, after which it queues behind the older
 * equals as the policy says (so none waits for ever). */
#define AFFINITY_TIES 16

/* The caller's own take (take_own_wake) emptied bell word w: its bit in
 * bell_summary goes too.  Left set, the next look at the doorbell, this
 * worker's own in the same hold of the lock or another worker's, swapped
 * the summary word and then bell word w, both lines the kernel writes from
 * whichever hart completed an operation: two atomic writes on other harts'
 * lines at nearly every hop, for nothing (b_prings on 2 harts,
 * docs/performance.md, "Scaling over harts").  A bit the kernel rings in w
 * meanwhile must not be hidden: it sets the bell bit before the summary
 * bit, so once the summary bit is cleared, a second look at w (both in
 * one total order with the kernel's) finds any such bell bit, and the
 * summary bit goes back.  Lock held: no other worker takes the doorbell in
 * between, so none can find the summary bit missing while the bell bit
 * is there. */
static void summary_after_own_take(const struct co_env *e, uint32_t w)
{
    volatile uint64_t *summary = &e->x->bell_summary[w / 64];
    uint64_t sbit = 1ULL << (w % 64);
    if (!(__atomic_load_n(summary, __ATOMIC_RELAXED) & sbit))
        return;
    __atomic_fetch_and(summary, ~sbit, __ATOMIC_SEQ_CST);
    if (__atomic_load_n(&e->x->bell[w], __ATOMIC_SEQ_CST))
        __atomic_fetch_or(summary, sbit, __ATOMIC_SEQ_CST);
}

/* The index of the coroutine the kernel says this worker's thread woke,
 * if its doorbell bit is still set; the bit is taken here, so no other
 * worker takes that wake in.  CO_NONE if none (or the hint is stale,
 * another's, or written over: then the doorbell decides, as always). */
static uint32_t take_own_wake(const struct co_env *e)
{
    if (e->kernel)
        return CO_NONE;
    volatile uint64_t *slot = e->x->woke_by[e->task % CO_WOKE_SLOTS];
    if (__atomic_load_n(&slot[CO_WOKE_HINT], __ATOMIC_RELAXED) >> 32 != (uint64_t)e->task + 1)
        return CO_NONE;
    uint64_t hint = __atomic_exchange_n(&slot[CO_WOKE_HINT], 0, __ATOMIC_ACQUIRE);
    uint32_t i = CO_INDEX((uint32_t)hint);
    if (hint >> 32 != (uint64_t)e->task + 1 || i >= capacity(e))
        return CO_NONE;
    uint64_t bit = 1ULL << (i % 64);
    uint64_t old = __atomic_fetch_and(&e->x->bell[i / 64], ~bit, __ATOMIC_ACQ_REL);
    if (!(old & bit))
        return CO_NONE;         /* another worker took it in already */
    if (old == bit)
        summary_after_own_take(e, i / 64);
    return i;
}

/* May this worker run its own wake (priority prio) before what waits
 * (best priority top, 0 if nothing)?  Counts the ties it wins.  Lock held. */
static bool affinity_wins(const struct co_env *e, uint32_t prio, uint32_t top)
{
    volatile uint64_t *ties = &e->x->woke_by[e->task % CO_WOKE_SLOTS][CO_WOKE_TIES];
    if (prio > top)
        return true;            /* what the policy would give anyway */
    if (prio < top || *ties >= AFFINITY_TIES) {
        *ties = 0;              /* the policy's order, older equals first */
        return false;
    }
    (*ties)++;
    return true;
}

/* Record i, rung for this worker (take_own_wake), is woken: RUNNING for
 * the caller if affinity_wins, else queued as the doorbell would have.
 * Its CID, or CO_NONE.  Lock held, the doorbell taken in. */
static uint32_t own_wake_locked(const struct co_env *e, const struct sched_ctx *c, uint32_t i,
                                uint32_t *top)
{
    TaskSched *r = &e->recs[i];
    e->x->bells++;
    uint64_t old = mark_queued(r, 0, true);
    if (!old || (old & CO_RUNNING))
        return CO_NONE;         /* already queued, done, or its poller re-queues it */
    uint32_t waiting = top_locked(e, c);
    if (affinity_wins(e, r->prio, waiting) && claim(r, &old)) {
        r->ctx[CO_CTX_POLLS]++;
        e->x->polls++;
        e->x->wakes++;
        *top = waiting;
        return CO_MAKE_CID(i, gen_of(old));
    }
    if (!(__atomic_load_n(wstate(r), __ATOMIC_ACQUIRE) & CO_QUEUED))
        return CO_NONE;         /* claim found it written over: dropped */
    enqueue_locked(e, i, SCHED_OP_WAKE);
    e->x->wakes++;
    return CO_NONE;
}

/* hold_for_waker_locked held back record i, rung for the thread that
 * `hint` names, and the rest of the doorbell is taken in.  It is left
 * rung for that thread while this worker has something of its own to run
 * (its own wake, `own`, or what waits), even something less urgent: the
 * thread that woke it is on its hart, finishing the poll that woke it,
 * and will run it next if it is still the most urgent (own_wake_locked);
 * so the policy's order gives way only for as long as that, at most one
 * poll of this worker (its next look takes it in), and no worker goes
 * idle while it waits.  (Left only when at least as urgent as what this
 * worker has, a ring's coroutines crossed workers as often as before: a
 * ring whose stage is more urgent than the other worker's work is then
 * taken by it, and the other's own wake is queued for the first: the
 * two swap, tokens and all; docs/performance.md, "Scaling over harts".)
 * With nothing to run it is woken here.  Lock held. */
static __attribute__((noinline)) void settle_left_locked(const struct co_env *e,
                                                        const struct sched_ctx *c,
                                                        uint32_t own, uint64_t hint)
{
    uint32_t i = CO_INDEX((uint32_t)hint);
    if (own == CO_NONE && !top_locked(e, c)) {
        wake_rung_locked(e, i);
        return;
    }
    /* Back in the doorbell, as the kernel rings: the bit, then its
     * summary bit, then seq.  seq moves as if rung again: a caller whose
     * last look was before this one takes the yield's fast path, which
     * looks at the doorbell only once seq moved (co_run), and would poll
     * its yielder for ever past the rung one. */
    __atomic_fetch_or(&e->x->bell[i / 64], 1ULL << (i % 64), __ATOMIC_SEQ_CST);
    __atomic_fetch_or(&e->x->bell_summary[i / 64 / 64], 1ULL << (i / 64 % 64),
                      __ATOMIC_SEQ_CST);
    e->x->woke_by[e->task % CO_WOKE_SLOTS][CO_WOKE_LEFT] = hint;
    e->x->bells_left++;
    __atomic_add_fetch(&e->x->seq, 1, __ATOMIC_SEQ_CST);
}

/* Hands the caller the most urgent ready coroutine, now RUNNING; *top is
 * then the best priority still waiting.  Lock held. */
static uint32_t next_locked(const struct co_env *e, uint32_t *top)
{
    struct sched_ctx c = policy_ctx(e);
    uint32_t own = take_own_wake(e);
    /* (On one hart no other thread is on a hart while this one looks;
     * the kernel's executor has no hints.) */
    uint64_t held = e->nharts > 1 && !e->kernel ? hold_for_waker_locked(e) : 0;
    take_doorbell_locked(e);
    if (held)
        settle_left_locked(e, &c, own, held);
    if (own != CO_NONE) {
        uint32_t cid = own_wake_locked(e, &c, own, top);
        if (cid != CO_NONE)
            return cid;
    }
    for (uint32_t tries = 0; tries <= c.ntasks; tries++) {
        bool held;
        uint32_t i = fetch_locked(e, &c, &held);
        if (i == SCHED_NONE)
            return CO_NONE;
        if (!queued_record(e, i, c.ntasks)) {
            wreck(e);           /* the policy (or the slot) gave what it was not given */
            return CO_NONE;
        }
        uint64_t old;
        TaskSched *r = &e->recs[i];
        if (held ? !take_held(r, &old) : !claim(r, &old))
            continue;           /* not a queued coroutine (written over): drop */
        r->ctx[CO_CTX_POLLS]++;
        e->x->polls++;
        *top = top_locked(e, &c);
        return CO_MAKE_CID(i, gen_of(old));
    }
    wreck(e);                   /* more fetched than there are records */
    return CO_NONE;
}

/* After a yield's fetch: if one coroutine is left in the policy's queue,
 * it moves to the slot, so that the next yield between the two is a
 * swap.  Lock held. */
static void fill_slot_locked(const struct co_env *e)
{
    if (e->x->slot || e->x->queued != 1)
        return;
    struct sched_ctx c = policy_ctx(e);
    uint32_t i = e->ops->fetch(&c, e->hart);
    if (i == SCHED_NONE)
        return;                 /* the count was written over */
    e->x->queued--;
    if (!queued_record(e, i, c.ntasks)) {
        wreck(e);
        return;
    }
    uint64_t old;
    if (!claim(&e->recs[i], &old))
        return;                 /* not a queued coroutine (written over): dropped */
    e->recs[i].flags |= TASK_FLAG_IN_QUEUE;
    e->x->slot = i + 1;
}

static uint32_t co_next(const struct co_env *e, uint32_t *top)
{
    lock(e);
    uint32_t cid = next_locked(e, top);
    unlock(e);
    return cid;
}

/* Record i goes back to the free list, under a new generation.  Lock held. */
static void free_locked(const struct co_env *e, uint32_t i)
{
    TaskSched *r = &e->recs[i];
    uint64_t w = __atomic_load_n(wstate(r), __ATOMIC_ACQUIRE);
    store_release64(wstate(r), (uint64_t)((gen_of(w) + 1) & CO_GEN_MASK) << 32);
    r->state = TASK_FREE;
    r->ctx[CO_CTX_NEXT_FREE] = e->x->free_head;
    e->x->free_head = i + 1;
}

static int64_t co_spawn(const struct co_env *e, uint64_t poll, uint64_t frame, uint64_t prio,
                        uint64_t drop)
{
    if (prio < SCHED_PRIO_MIN || prio > SCHED_PRIO_MAX || !poll || !frame)
        return CO_NONE;
    lock(e);
    uint32_t i;
    if (e->x->free_head) {
        i = e->x->free_head - 1;
        if (i >= capacity(e) || (__atomic_load_n(wstate(&e->recs[i]), __ATOMIC_ACQUIRE) &
                                 CO_LIVE)) {
            wreck(e);
            unlock(e);
            return CO_NONE;
        }
        e->x->free_head = (uint32_t)e->recs[i].ctx[CO_CTX_NEXT_FREE];
    } else if (e->x->used < capacity(e)) {
        i = e->x->used++;
    } else {
        unlock(e);
        return CO_NONE;         /* full: the caller grows the table */
    }
    TaskSched *r = &e->recs[i];
    uint32_t gen = gen_of(__atomic_load_n(wstate(r), __ATOMIC_ACQUIRE));
    uint32_t cid = CO_MAKE_CID(i, gen);
    for (uint32_t k = 0; k < 16; k++)
        r->ctx[k] = 0;
    r->id = i;
    r->prio = (uint8_t)prio;
    r->flags = 0;
    r->link[0] = r->link[1] = r->policy[0] = r->policy[1] = 0;
    r->tid = gen;
    r->switches = 0;
    r->ctx[CO_CTX_POLL] = poll;
    r->ctx[CO_CTX_FRAME] = frame;
    r->ctx[CO_CTX_DROP] = drop;
    r->ctx[CO_CTX_JOINER] = CO_NONE;
    ((struct co *)(uintptr_t)frame)->cid = cid;
    store_release64(wstate(r), ((uint64_t)gen << 32) | CO_LIVE | CO_QUEUED);
    e->x->live++;
    e->x->spawns++;
    enqueue_locked(e, i, SCHED_OP_ADD);
    unlock(e);
    work_arrived(e, (uint32_t)prio);
    return cid;
}

/* The caller holds `cid` RUNNING (it polled it to Ready, or is finishing a
 * cancelled one): it becomes DONE, and its joiner is woken. */
static int64_t co_finish(const struct co_env *e, uint32_t cid, int64_t result)
{
    TaskSched *r = lookup(e, cid);
    if (!r)
        return -1;
    r->ctx[CO_CTX_RESULT] = (uint64_t)result;
    /* DONE is published under the lock: a join that sees it frees the
     * record under the lock too, so not before this is over (a record
     * freed and reused meanwhile would have the new coroutine taken out
     * of the queue here). */
    lock(e);
    if (r->flags & TASK_FLAG_IN_QUEUE) {        /* cancelled while queued */
        flush_slot_locked(e);
        struct sched_ctx c = policy_ctx(e);
        e->ops->remove(&c, e->hart, CO_INDEX(cid));
        r->flags &= ~TASK_FLAG_IN_QUEUE;
        if (e->x->queued)
            e->x->queued--;
    }
    r->state = TASK_EXITED;
    uint64_t *w = wstate(r);
    uint64_t old = __atomic_load_n(w, __ATOMIC_ACQUIRE);
    while (!__atomic_compare_exchange_n(w, &old, (old & ~(uint64_t)(CO_QUEUED | CO_RUNNING)) |
                                        CO_DONE, 0, __ATOMIC_SEQ_CST, __ATOMIC_ACQUIRE))
        ;
    uint32_t joiner = (uint32_t)__atomic_load_n(&r->ctx[CO_CTX_JOINER], __ATOMIC_SEQ_CST);
    uint32_t live = --e->x->live;
    if (old & CO_DETACHED)
        free_locked(e, CO_INDEX(cid));
    unlock(e);
    if (joiner == CO_JOINER_THREAD || live == 0)
        notify_all(e);
    else if (joiner != CO_NONE)
        co_wake(e, joiner);
    return 0;
}

/* After a poll that returned `rc`: Ready finishes it; Pending lets it
 * wait for its waker, unless a wake came during the poll; Yield is a
 * Pending woken at once.  Returns 1 if it was cancelled (the caller
 * finishes it), else 0; *requeue: it must go back into the queue, which
 * is the caller's to do (under the lock, maybe with its next fetch). */
static int64_t after_poll(const struct co_env *e, uint32_t cid, TaskSched *r, uint64_t rc,
                          int64_t result, bool *requeue)
{
    *requeue = false;
    uint64_t *w = wstate(r);
    uint64_t old = __atomic_load_n(w, __ATOMIC_ACQUIRE);
    if (old & CO_CANCELLED)
        return 1;
    if (rc == CO_READY) {
        co_drop_fn drop = (co_drop_fn)(uintptr_t)r->ctx[CO_CTX_DROP];
        if (drop)
            drop((struct co *)(uintptr_t)r->ctx[CO_CTX_FRAME]);
        rescue_again(e);
        co_finish(e, cid, result);
        return 0;
    }
    uint64_t woken = rc == CO_YIELD ? CO_QUEUED : 0;
    for (;;) {
        if (old & CO_CANCELLED)
            return 1;
        uint64_t new_word = (old & ~(uint64_t)CO_RUNNING) | woken;
        if (__atomic_compare_exchange_n(w, &old, new_word, 0, __ATOMIC_ACQ_REL,
                                        __ATOMIC_ACQUIRE))
            break;
    }
    *requeue = (old | woken) & CO_QUEUED;      /* woken while it ran: once more */
    return 0;
}

static int64_t co_polled(const struct co_env *e, uint32_t cid, uint64_t rc, int64_t result)
{
    TaskSched *r = lookup(e, cid);
    if (!r)
        return -1;
    bool requeue;
    if (after_poll(e, cid, r, rc, result, &requeue))
        return 1;
    if (requeue) {
        lock(e);
        enqueue_locked(e, CO_INDEX(cid), SCHED_OP_YIELD);
        uint32_t prio = r->prio;
        unlock(e);
        work_arrived(e, prio);
    }
    return 0;
}

static int64_t co_cancel(const struct co_env *e, uint32_t cid)
{
    TaskSched *r = lookup(e, cid);
    if (!r)
        return -1;
    uint64_t *w = wstate(r);
    uint64_t old = __atomic_load_n(w, __ATOMIC_ACQUIRE);
    for (;;) {
        if (gen_of(old) != CO_GEN(cid) || (old & CO_DONE))
            return -1;
        if (old & CO_CANCELLED)
            return 0;
        bool held = old & (CO_QUEUED | CO_RUNNING);
        /* Idle (waiting for its waker): the canceller takes it, as a
         * poller would, and finishes it itself. */
        uint64_t new_word = old | CO_CANCELLED | (held ? 0 : CO_RUNNING);
        if (__atomic_compare_exchange_n(w, &old, new_word, 0, __ATOMIC_ACQ_REL,
                                        __ATOMIC_ACQUIRE))
            return held ? 0 : 1;
    }
}

static int64_t co_set_prio(const struct co_env *e, uint32_t cid, uint64_t prio)
{
    if (prio < SCHED_PRIO_MIN || prio > SCHED_PRIO_MAX)
        return -1;
    lock(e);
    TaskSched *r = lookup(e, cid);
    if (!r) {
        unlock(e);
        return -1;
    }
    bool queued = r->flags & TASK_FLAG_IN_QUEUE;
    uint32_t was = r->prio;
    if (r->flags & TASK_FLAG_IN_QUEUE) {
        flush_slot_locked(e);
        struct sched_ctx c = policy_ctx(e);
        e->ops->remove(&c, e->hart, CO_INDEX(cid));
        r->prio = (uint8_t)prio;
        r->age = ++e->x->age_clock;
        e->ops->add(&c, e->hart, CO_INDEX(cid));
    } else {
        r->prio = (uint8_t)prio;
    }
    unlock(e);
    if (queued && prio > was)
        work_arrived(e, (uint32_t)prio);    /* ready work, more urgent now */
    return 0;
}

static int64_t co_top(const struct co_env *e)
{
    struct sched_ctx c = policy_ctx(e);
    lock(e);
    uint32_t top = top_locked(e, &c);
    unlock(e);
    return top;
}

/* 1 and *result: done (the record is freed); 0: not yet, `joiner` will be
 * woken when it is; -1: no such coroutine, or another joins it. */
static int64_t co_join(const struct co_env *e, uint32_t cid, uint32_t joiner, int64_t *result)
{
    TaskSched *r = lookup(e, cid);
    if (!r || (__atomic_load_n(wstate(r), __ATOMIC_ACQUIRE) & CO_DETACHED))
        return -1;
    uint32_t had = (uint32_t)__atomic_load_n(&r->ctx[CO_CTX_JOINER], __ATOMIC_ACQUIRE);
    if (had != CO_NONE && had != joiner && had != CO_JOINER_THREAD)
        return -1;
    __atomic_store_n(&r->ctx[CO_CTX_JOINER], (uint64_t)joiner, __ATOMIC_SEQ_CST);
    uint64_t w = __atomic_load_n(wstate(r), __ATOMIC_SEQ_CST);
    if (!(w & CO_DONE))
        return 0;
    lock(e);
    if (!lookup(e, cid)) {       /* another joiner took it meanwhile */
        unlock(e);
        return -1;
    }
    if (result)
        *result = (int64_t)r->ctx[CO_CTX_RESULT];
    free_locked(e, CO_INDEX(cid));
    unlock(e);
    return 1;
}

static int64_t co_detach(const struct co_env *e, uint32_t cid)
{
    TaskSched *r = lookup(e, cid);
    if (!r)
        return -1;
    uint64_t old = __atomic_fetch_or(wstate(r), CO_DETACHED, __ATOMIC_ACQ_REL);
    if (old & CO_DONE) {         /* ended already: nobody else frees it */
        lock(e);
        if (lookup(e, cid))
            free_locked(e, CO_INDEX(cid));
        unlock(e);
    }
    return 0;
}

static int64_t co_init(const struct co_env *e)
{
    struct sched_ctx c = policy_ctx(e);
    e->x->nharts = e->nharts;
    e->x->free_head = 0;
    e->x->used = 0;
    e->x->live = 0;
    e->x->slot = 0;
    e->x->queued = 0;
    e->ops->init(&c);
    store_release32(&e->x->magic, CO_EXEC_MAGIC);
    return 0;
}

/* Ends a coroutine that will not be polled again: its drop hook, then DONE. */
static void finish_cancelled(const struct co_env *e, uint32_t cid, TaskSched *r)
{
    co_drop_fn drop = (co_drop_fn)(uintptr_t)r->ctx[CO_CTX_DROP];
    if (drop)
        drop((struct co *)(uintptr_t)r->ctx[CO_CTX_FRAME]);
    rescue_again(e);
    co_finish(e, cid, CO_RESULT_CANCELLED);
}

/* A user worker's thread priority follows the work it does: the coroutine
 * it polls, or a more urgent one still waiting (seed 002).  Within the
 * process's ceiling, which the kernel enforces. */
struct worker_prio {
    int32_t now, ceiling;
    /* And whether the run slept on seq (run_fetch): a ring's futex wake
     * may have gone to it (hand_over_ready).  Here, where the sleep path
     * writes already: no word more on the switch path. */
    bool slept;
};

static void follow_priority(struct worker_prio *wp, uint32_t want)
{
    if (wp->ceiling && want > (uint32_t)wp->ceiling)
        want = (uint32_t)wp->ceiling;
    if ((int32_t)want == wp->now)
        return;
    if (ecall3(SYS_SET_PRIORITY, 0, want, 0) == -EPERM) {
        wp->ceiling = (int32_t)ecall3(SYS_GET_CEILING, 0, 0, 0);
        if (wp->ceiling <= 0 || ecall3(SYS_SET_PRIORITY, 0, wp->ceiling, 0) < 0)
            return;
        want = (uint32_t)wp->ceiling;
    }
    wp->now = (int32_t)want;
}

/* The worker lowers itself to `want` (below wp->now) for a pick made as
 * of seq `seen`, unless seq moved by the time the kernel's word of the
 * lower priority is out (CO_LOWER_UNLESS_MOVED, sched_abi/coro.h): then
 * the kernel gives the old priority back and this says false.  The look
 * must be the kernel's, before the way back: a worker lowered below a
 * thread that yields above it is switched out there, and may never run
 * again to look at seq itself (co_run). */
static bool lower_unless_moved(CO_EXEC *x, struct worker_prio *wp, uint32_t want,
                               uint32_t seen)
{
    long r = ecall3(SYS_SET_PRIORITY, 0, (long)want, (long)(CO_LOWER_UNLESS_MOVED | seen));
    if (r == -EAGAIN) {
        __atomic_add_fetch(&x->lowers_refused, 1, __ATOMIC_RELAXED);
        return false;
    }
    if (r == 0)
        wp->now = (int32_t)want;
    return true;
}

/* Is the run over?  `until` done (or never was), or no coroutine left. */
static bool run_over(const struct co_env *e, uint32_t until)
{
    if (e->x->flags & CO_EXEC_WRECKED)
        return true;
    if (until == CO_NONE)
        return __atomic_load_n(&e->x->live, __ATOMIC_ACQUIRE) == 0;
    TaskSched *r = lookup(e, until);
    return !r || (__atomic_load_n(wstate(r), __ATOMIC_ACQUIRE) & CO_DONE);
}

/* What co_yield's fast path did (yield_fast_locked). */
enum swap {
    SWAP_NONE,      /* not taken, nothing changed: the policy's path decides */
    SWAP_POLL,      /* the next to poll is set, and neither woken nor
                       cancelled while it waited: poll it at once */
    SWAP_CHECK,     /* the next is set (CO_NONE: fetch one): through the
                       loop's checks first */
};

/* co_yield's fast path: *rp (`*cid`, RUNNING, ours) returned CO_YIELD,
 * and the doorbell is silent (the caller knows: seq has not moved).
 * Nothing in the policy's queue: alone, it goes on; with an equal in the
 * slot, the two swap (it takes the slot, still RUNNING; the slot's is
 * ours to poll, and becomes *rp and *cid).  No policy call, no state word
 * changed; no worker to wake either, as many coroutines are ready as
 * before.  SWAP_NONE, with nothing changed: the policy's queue holds
 * others, the slot an unequal one, or, alone, a wake or a cancel came
 * during its poll; the policy's path decides.  *top (the best priority
 * waiting) is set for SWAP_CHECK, whose checks read it; after SWAP_POLL
 * nothing reads it before a fetch or a SWAP_CHECK sets it again (the
 * caller knows it: the slot's, equal, or nothing).  Lock held. */
static inline enum swap yield_fast_locked(const struct co_env *e, CO_EXEC *x, TaskSched *recs,
                                          TaskSched **rp, uint32_t *cid, uint32_t *top)
{
    if (x->queued)
        return SWAP_NONE;
    TaskSched *r = *rp;
    uint32_t s = x->slot;
    if (!s) {
        if (__atomic_load_n(wstate(r), __ATOMIC_RELAXED) & (CO_CANCELLED | CO_QUEUED))
            return SWAP_NONE;
        r->ctx[CO_CTX_POLLS]++;             /* as if fetched again */
        x->polls++;
        return SWAP_POLL;
    }
    uint32_t i = (uint32_t)(r - recs), j = s - 1;      /* i: CO_INDEX(*cid) */
    /* e->capacity first: the records this call was told of, a snapshot
     * (the executor may have grown since: then the fresh count). */
    if (j == i || (j >= e->capacity && j >= capacity(e)))
        return SWAP_NONE;
    /* (j < CO_MAX: as an int it is the same index, which the compiler
     * need not widen.)  Its flags and priority read once: the atomic
     * load below would make the compiler read them again. */
    TaskSched *n = &recs[(int32_t)j];
    uint8_t flags = n->flags, prio = n->prio;
    if (!(flags & TASK_FLAG_IN_QUEUE) || prio != r->prio)
        return SWAP_NONE;
    /* Ours takes the slot, held as it is (RUNNING): a wake or a cancel
     * that came during the poll is for whoever takes it out. */
    r->flags |= TASK_FLAG_IN_QUEUE;
    x->slot = i + 1;
    /* The slot's is taken out.  Mostly it is held and was neither woken
     * nor cancelled while it waited: one test for all of that.  Else
     * take_held (a wake: served by this poll), and the loop's checks (a
     * cancel: it finishes it; the word read here is as fresh as the
     * loop's own look). */
    uint64_t next_old = __atomic_load_n(wstate(n), __ATOMIC_RELAXED);
    bool plain = (next_old & (CO_LIVE | CO_QUEUED | CO_RUNNING | CO_DONE | CO_CANCELLED)) ==
                 (CO_LIVE | CO_RUNNING);
    if (plain) {
        n->flags = flags & ~TASK_FLAG_IN_QUEUE;
    } else {
        uint64_t word;                      /* (apart: next_old stays in a register) */
        if (!take_held(n, &word)) {
            *cid = CO_NONE;                 /* written over: dropped; the slot's is next */
            return SWAP_CHECK;
        }
        next_old = word;
    }
    n->ctx[CO_CTX_POLLS]++;
    x->polls++;
    *cid = CO_MAKE_CID(j, gen_of(next_old));
    *rp = n;
    if (plain)
        return SWAP_POLL;
    *top = prio;
    return SWAP_CHECK;
}

/* co_run's fetch: the next coroutine, now RUNNING for the caller; or
 * CO_NONE with *over set when the run is over; or CO_NONE after a user
 * worker slept until work arrived (the caller asks again).  *seen: seq as
 * of the look at run_over and the doorbell. */
static __attribute__((noinline)) uint32_t
run_fetch(const struct co_env *e, uint32_t until, uint32_t *top, uint32_t *seen,
          struct worker_prio *wp, bool *over)
{
    CO_EXEC *x = e->x;
    *seen = __atomic_load_n(&x->seq, __ATOMIC_SEQ_CST);
    if (run_over(e, until)) {
        *over = true;
        return CO_NONE;
    }
    uint32_t cid = co_next(e, top);
    if (cid != CO_NONE || e->kernel) {
        *over = cid == CO_NONE;     /* the kernel's run ends when nothing is ready */
        return cid;
    }
    /* Work came meanwhile (or another worker took it): look again before
     * paying for a priority change and a sleep. */
    if (__atomic_load_n(&x->seq, __ATOMIC_SEQ_CST) != *seen)
        return CO_NONE;
    /* Sleep until work arrives.  Woken, the worker must get a hart before
     * the work it is woken for waits behind anything less urgent: it
     * sleeps at the top of what the process may take, and takes the
     * priority of what it polls once it polls.  sleepers before seq, as a
     * waker bumps seq before it reads sleepers: one of us sees the other.
     * The sleep is counted before the sleeper and taken back if it is not
     * made, so that one who sees every worker among the sleepers sees
     * each one's sleep counted too (t_coidle relies on it). */
    follow_priority(wp, SCHED_PRIO_MAX);
    __atomic_add_fetch(&x->sleeps, 1, __ATOMIC_RELAXED);
    __atomic_add_fetch(&x->sleepers, 1, __ATOMIC_SEQ_CST);
    if (__atomic_load_n(&x->seq, __ATOMIC_SEQ_CST) == *seen && !doorbell_rung(e) &&
        !run_over(e, until)) {
        ecall3(SYS_FUTEX_WAIT, (long)&x->seq, *seen, 0);
        wp->slept = true;
    } else {
        __atomic_sub_fetch(&x->sleeps, 1, __ATOMIC_RELAXED);
    }
    __atomic_sub_fetch(&x->sleepers, 1, __ATOMIC_SEQ_CST);
    return CO_NONE;
}

/* co_run after a poll that the yield fast path did not take: `cid`
 * returned rc.  Returns the next coroutine to poll, RUNNING for the
 * caller, or CO_NONE (fetch afresh).  `stop`: the run must not go on to
 * another poll (its bound is reached). */
static __attribute__((noinline)) uint32_t
run_after_poll(const struct co_env *e, uint32_t cid, TaskSched *r, int rc, int64_t result,
               uint32_t until, bool stop, uint32_t *top, uint32_t *seen)
{
    bool requeue;
    if (after_poll(e, cid, r, (uint64_t)rc, result, &requeue)) {
        finish_cancelled(e, cid, r);        /* cancelled meanwhile */
        return CO_NONE;
    }
    if (!requeue)
        return CO_NONE;
    /* Back into the queue and the next one out, under one lock.  A yield
     * leaves as many coroutines ready as before: no worker to wake; a
     * wake that came during the poll has one to wake. */
    *seen = __atomic_load_n(&e->x->seq, __ATOMIC_SEQ_CST);
    lock(e);
    enqueue_locked(e, CO_INDEX(cid), SCHED_OP_YIELD);
    uint32_t next = stop || run_over(e, until) ? CO_NONE : next_locked(e, top);
    if (next != CO_NONE && rc == CO_YIELD)
        fill_slot_locked(e);
    uint32_t prio = r->prio;
    unlock(e);
    if (rc != CO_YIELD)
        work_arrived(e, prio);
    return next;
}

/* A run ends (co_join's: `until` is done, or the executor wrecked; or a
 * run bounded by CO_OP_RUN's max) and may leave ready what no other
 * worker was woken for: a coroutine it put back as a yield
 * (run_after_poll wakes nobody for one: its caller fetches the next
 * itself, but a run that is over fetches nothing), the pick it put back
 * unpolled (co_run's second look at seq), a yielder it left in the slot.
 * The other workers may all sleep by then, for good (t_cojoinwake: X
 * never ran while main slept).  And co_join's run sleeps on seq beside
 * the workers: a ring's futex wake (the kernel wakes one sleeper, and
 * raises a worker only if it woke none) may have gone to it, and the
 * run, over once it wakes, never took the doorbell in (t_cojoinbell: the
 * rung coroutine never ran).  So the doorbell is taken in here, and one
 * worker woken (or, none asleep, one raised: work_arrived) for the best
 * priority ready.  A worker's run that ends as no coroutine is left
 * (until == CO_NONE, no bound) has nothing ready to leave.
 *
 * co_run looks at `queued` and the slot first, without the lock
 * (left_ready): what this run left there is its own last write, which it
 * sees; a coroutine that another thread made ready came with a wake of
 * its own, and one taken out since is another worker's.  Mostly both are
 * 0: two loads a join.  The doorbell (doorbell_rung) only if the run
 * slept (worker_prio.slept): a ring's wake can have gone to it only
 * then, and the ring set its bits before it bumped seq and woke it. */
static inline bool left_ready(const CO_EXEC *x)
{
    return (__atomic_load_n(&x->queued, __ATOMIC_RELAXED) |
            __atomic_load_n(&x->slot, __ATOMIC_RELAXED)) != 0;
}

static __attribute__((noinline)) void hand_over_ready(const struct co_env *e)
{
    if (e->x->flags & CO_EXEC_WRECKED)
        return;
    struct sched_ctx c = policy_ctx(e);
    lock(e);
    take_doorbell_locked(e);
    uint32_t top = top_locked(e, &c);
    unlock(e);
    if (top)
        work_arrived(e, top);
}

/* Polls until `until` is done (all, for CO_NONE), or nothing is ready (the
 * kernel).  With max > 0 (the kernel: its harts poll with interrupts off)
 * at most that many polls, and returns how many it made; else 0.
 *
 * `seen` is CO_EXEC.seq as of the last look at the doorbell and at
 * run_over: whatever could end the run or ring the doorbell bumps seq
 * after it, so while seq still equals it a yield may take the fast path
 * without looking at either.  The inner loop is the path of a coroutine
 * switch: poll, and while the poll yields and the fast path swaps, poll
 * the next one.  What it does not need is in run_fetch and run_after_poll,
 * and in the outer loop's checks, which a swap skips only when they would
 * find nothing to do (yield_fast_locked's SWAP_POLL). */
static __attribute__((noinline)) int64_t
co_run(const struct co_env *e, uint32_t until, uint64_t max)
{
    /* Polls this run may still make (max 0: no bound). */
    uint64_t left = max ? max : UINT64_MAX;
    struct worker_prio wp = { -1, 0, false };
    if (until != CO_NONE) {
        TaskSched *r = lookup(e, until);
        if (r)
            __atomic_store_n(&r->ctx[CO_CTX_JOINER], (uint64_t)CO_JOINER_THREAD,
                             __ATOMIC_SEQ_CST);
    }
    const bool kernel = e->kernel;
    uint64_t *rescue_slot = 0, rescue = e->rescue;
    uint32_t entry = CO_WORKER_SLOTS;
    if (!kernel) {
        wp.now = (int32_t)ecall3(SYS_GET_PRIORITY, 0, 0, 0);
        rescue_slot = &((TaskSched *)SHARED_TASKS_ADDR)[e->task].ctx[TASK_CTX_RESCUE];
        /* A worker's run, not co_join's: the thread that joins is the
         * one that spawned or woke what it waits for, and wants its own
         * priority back (co_join); a registration per join also cost
         * every spawn and join about 70 instructions. */
        if (until == CO_NONE)
            entry = enter_workers(e);
    }
    /* Whether to record a poll in the timeline: the kernel's flag, read
     * at every poll through a pointer found once (never set for the
     * kernel's executor, which must not write the process's ring). */
    const uint32_t never = 0;
    const volatile uint32_t *tracing =
        kernel ? &never : &((const SCHED_KINFO *)SHARED_KINFO_ADDR)->trace_on;
    /* Kept in registers: the stores below could alias *e. */
    CO_EXEC *const x = e->x;
    TaskSched *const recs = e->recs;
    uint32_t cid = CO_NONE, top = 0, seen = 0;
    /* The kernel refused this worker's last lowering (seq moved) and it
     * has polled nothing since: its next pick is polled at the priority
     * it kept, not lowered for again (below). */
    bool refused = false;
    for (;;) {
        if (cid == CO_NONE) {
            if (left == 0)
                break;          /* the bound (the kernel's runs only) */
            bool over = false;
            /* Through copies: top and seen stay in registers for the
             * switch path below (an address handed out would pin them
             * to the stack). */
            uint32_t top_out = top, seen_out = seen;
            cid = run_fetch(e, until, &top_out, &seen_out, &wp, &over);
            top = top_out;
            seen = seen_out;
            if (over)
                break;
            if (cid == CO_NONE)
                continue;
        }
        left--;
        TaskSched *r = &recs[CO_INDEX(cid)];
        if (__atomic_load_n(wstate(r), __ATOMIC_RELAXED) & CO_CANCELLED) {
            finish_cancelled(e, cid, r);
            cid = CO_NONE;
            continue;
        }
        uint32_t want = top > r->prio ? top : r->prio;
        /* Refused once, the pick is polled at the priority kept: a thread
         * of the process that moves seq within every round trip to the
         * kernel (a ring per completion, or one that bumps seq in a loop)
         * had the worker pick, put back and ask again for as long as it
         * did, polling nothing (t_colowerlive).  Polling above its
         * priority is the bend of any raised worker, for one poll: after
         * it, the next pick asks again.  Not lowered, the worker is seen
         * at the priority it has: nothing the ring needs is missed. */
        if (!kernel && (int32_t)want != wp.now && !(refused && (int32_t)want < wp.now)) {
            bool lowered = (int32_t)want < wp.now;
            bool stayed = false;
            if (lowered)
                refused = stayed = !lower_unless_moved(x, &wp, want, seen);
            else
                follow_priority(&wp, want);
            /* A ring (or a wake) between the pick and the kernel's word
             * of the lower priority saw this worker at the old one and
             * raised nobody: the work it made ready, more urgent than
             * `want` perhaps, would wait behind a long poll of a worker
             * left below it (t_cowakelow's sleep check after h_coforge's
             * exec, 20 s).  So the lowering is the kernel's look at seq
             * (lower_unless_moved): it publishes the new priority, then
             * reads seq, and a ring bumps seq before it reads the
             * workers' words: either seq moved and the worker keeps its
             * priority (`stayed`), or the ring sees this worker low and
             * raises it.  Not this thread's own look after the call
             * alone: switched out on the way back below a thread that
             * yields above it, it may never run again to make it
             * (t_colowerring).  That look, all there was at first,
             * stays as one load more (a waker in the process bumps seq
             * before it reads the workers' words too: it finds nothing
             * the kernel's look missed).  Either way the pick goes back
             * unpolled (as if it yielded at once) and the doorbell is
             * taken in again. */
            if (stayed || (lowered && __atomic_load_n(&x->seq, __ATOMIC_SEQ_CST) != seen)) {
                r->ctx[CO_CTX_POLLS]--;     /* counted at the pick; not polled */
                /* Nor is it one of the run's polls: counted, a run bounded
                 * to one (CO_OP_RUN's max) went on with `left` at 0 to
                 * the next pick, and `left--` there wrapped: no bound at
                 * all (t_cojoinwake, "bounded": made 2). */
                left++;
                uint32_t top_out = top, seen_out = seen;
                cid = run_after_poll(e, cid, r, CO_YIELD, 0, until, false, &top_out,
                                     &seen_out);
                top = top_out;
                seen = seen_out;
                continue;
            }
        }
        /* The switch path. */
        refused = false;
        int rc;
        enum swap swap;
        for (;;) {
            struct co *frame = (struct co *)(uintptr_t)r->ctx[CO_CTX_FRAME];
            co_poll_fn poll = (co_poll_fn)(uintptr_t)r->ctx[CO_CTX_POLL];
            bool traced = __builtin_expect(*tracing != 0, 0);
            if (traced)
                rt_trace(UT_POLL_BEGIN, e->task, cid);
            rc = poll(frame);
            if (traced)
                rt_trace(UT_POLL_END, e->task, cid);
            swap = SWAP_NONE;
            if (rc == CO_YIELD && __atomic_load_n(&x->seq, __ATOMIC_RELAXED) == seen &&
                left != 0) {
                lock_at(e, x);
                swap = yield_fast_locked(e, x, recs, &r, &cid, &top);
                unlock_at(e, x);
            }
            if (swap != SWAP_POLL)
                break;
            /* The outer loop's rule, with the best priority waiting known:
             * the slot's, equal, or none.  Lower (the yielder set its own
             * priority down during its poll): through the outer loop,
             * whose lowering is the kernel's look at seq, as a swap
             * (t_colowerring, "yield": the doorbell rung while this
             * worker waited for the lock was never seen, and the worker,
             * lowered, never ran again). */
            if ((int32_t)r->prio != wp.now && !kernel) {
                if ((int32_t)r->prio < wp.now) {
                    top = r->prio;
                    swap = SWAP_CHECK;
                    break;
                }
                follow_priority(&wp, r->prio);
            }
            left--;
        }
        /* The thread's rescue slot, for the policy calls ahead (code a
         * poll runs, such as a thread yield, sets it too): rescue_again,
         * the slot found once.  Only here: the switch path calls no
         * policy. */
        if (rescue_slot)
            *rescue_slot = rescue;
        if (swap == SWAP_CHECK)
            continue;
        bool stop = left == 0;
        /* Read now: the drop hook may free the frame. */
        int64_t result = ((struct co *)(uintptr_t)r->ctx[CO_CTX_FRAME])->result;
        uint32_t top_out = top, seen_out = seen;
        cid = run_after_poll(e, cid, r, rc, result, until, stop, &top_out, &seen_out);
        top = top_out;
        seen = seen_out;
    }
    if (!kernel && until == CO_NONE)
        notify_all(e);          /* the other workers see it too */
    /* Out of the workers first: a raise for what it leaves must pick a
     * worker that stays, never this thread (raise_a_worker's caller). */
    if (!kernel)
        leave_workers(e, entry);
    if (!kernel && (left_ready(x) || (wp.slept && doorbell_rung(e))))
        hand_over_ready(e);     /* what the run leaves ready */
    return max ? (int64_t)(max - left) : 0;
}

static int64_t co_state(const struct co_env *e, uint32_t cid)
{
    TaskSched *r = lookup(e, cid);
    return r ? (int64_t)(uint32_t)__atomic_load_n(wstate(r), __ATOMIC_ACQUIRE) : -1;
}

static int64_t dispatch(uint32_t op, const struct co_env *e, uint64_t a, uint64_t b,
                        uint64_t c, uint64_t d)
{
    if (op == CO_OP_WAKE)
        return co_wake(e, (uint32_t)a);
    if (op == CO_OP_SPAWN)
        return co_spawn(e, a, b, c, d);
    if (op == CO_OP_NEXT) {
        uint32_t top;
        return co_next(e, &top);
    }
    if (op == CO_OP_POLLED)
        return co_polled(e, (uint32_t)a, b, (int64_t)c);
    if (op == CO_OP_CANCEL)
        return co_cancel(e, (uint32_t)a);
    if (op == CO_OP_FINISH)
        return co_finish(e, (uint32_t)a, (int64_t)b);
    if (op == CO_OP_SET_PRIO)
        return co_set_prio(e, (uint32_t)a, b);
    if (op == CO_OP_TOP)
        return co_top(e);
    if (op == CO_OP_JOIN)
        return co_join(e, (uint32_t)a, (uint32_t)b, (int64_t *)(uintptr_t)d);
    if (op == CO_OP_DETACH)
        return co_detach(e, (uint32_t)a);
    if (op == CO_OP_RUN)
        return co_run(e, (uint32_t)a, b);
    if (op == CO_OP_STATE)
        return co_state(e, (uint32_t)a);
    if (op == CO_OP_INIT)
        return co_init(e);
    return -1;
}

/* The runtime blob's one entry for coroutines (RT_CO_CALL).
 *
 * In a process, the policy runs on queues and records the process can
 * write: if it faults, the kernel sends the thread to the buffer its
 * record's rescue slot names (as for user_schedule, runtime.c).  Here that
 * stops the executor (the process's coroutines are wrecked; only it is
 * hurt) and returns -1.  The slot is set for the whole call and given back
 * as it was (calls nest: a poll function spawns), and set again after
 * the polls of a run, before the policy is called (code a poll runs, such
 * as a thread yield, sets it too; co_run). */
int64_t co_call(uint32_t op, const struct co_env *e, uint64_t a, uint64_t b, uint64_t c,
                uint64_t d)
{
    if (!e || e->capacity > CO_MAX || e->hart >= e->nharts)
        return -1;
    if (e->kernel)      /* (a zero token would take the lock as free) */
        return e->lock_token ? dispatch(op, e, a, b, c, d) : -1;
    if (e->task >= SCHED_MAX_TASKS)
        return -1;
    uint64_t *slot = &((TaskSched *)SHARED_TASKS_ADDR)[e->task].ctx[TASK_CTX_RESCUE];
    uint64_t before = *slot;
    uint64_t rescue[16];
    struct co_env local = *e;
    local.lock_token = e->task + 1;     /* the caller's word is not trusted */
    if (rt_setjmp(rescue)) {
        wreck(&local);
        unlock(&local);         /* if the fault came with it held */
        *slot = before;
        return -1;
    }
    local.rescue = (uint64_t)(uintptr_t)rescue | RT_RESCUE_EXECUTOR;
    *slot = local.rescue;
    int64_t r = dispatch(op, &local, a, b, c, d);
    *slot = before;
    return r;
}
