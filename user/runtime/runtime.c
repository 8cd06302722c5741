/*
 * The user-side scheduling runtime.  Built as a blob (freestanding,
 * position-independent, no globals) and mapped read-only + executable into
 * every process right after the policy blob, so that threads switch in user
 * mode through the very policy code the kernel runs.
 *
 * Everything it touches lives in the process's own shared pages: VDSO_DATA
 * (the queue, its lock, who runs where) and the TaskSched heap.
 * The process can wreck them; that only hurts the process: the kernel reads
 * them through checks.
 *
 * How a yield works (user_schedule; docs/user-mode-switching.md has more):
 *   1. Wait until the queue lock looks free, then take it: holding it
 *      pins the thread (the kernel's timer leaves a thread that holds its
 *      process's queue lock alone, for a bounded time), so one
 *      compare-and-swap pins and locks.  Then read the hart from the
 *      thread's record (the kernel writes it before each return to user
 *      mode).
 *   2. Leave the queue if the kernel resumed this thread while it was in
 *      it, and take the priority the kernel has for it.
 *   3. If nothing else of this process is ready and nothing at least as
 *      urgent waits in the kernel, there is nobody to yield to: return.  If
 *      a thread only the kernel can run is at least as urgent, or only the
 *      kernel has ready threads, park this thread in the queue (so that
 *      another thread of the process can switch to it in user mode later)
 *      and make the yield system call; the kernel finishes the park
 *      (record READY, lock released: rt_park in switch.S).
 *   4. Otherwise queue this thread (policy yield) and fetch the next
 *      (policy fetch).  A fetched thread is claimed by flipping its state
 *      READY -> RUNNING atomically (the kernel may claim it too, to resume
 *      it itself); a thread that cannot be claimed is dropped.
 *   5. Switch: name the next thread in current[hart] (a restartable
 *      sequence), mark this thread READY, release the lock, which unpins,
 *      and load the other's registers (switch.S).  The kernel learns about the
 *      switch at the next trap from this hart.
 *
 * If the policy faults here (a wrecked queue, or a bad blob), the kernel
 * sends the thread to rt_rescue, back to the rt_setjmp at the top of
 * user_schedule, and turns user-mode switching off for the process.
 *
 * Nothing here waits for ever on what the process can write: the queue
 * lock is waited for LOCK_GIVE_UP_MS at most while its holder is off its
 * hart, and not at all if it names a task that cannot hold it (a wrecked lock: the runtime turns user-mode switching off for
 * the process, RT_OFF_LOCK); a fetch loop takes at most one task per
 * record (RT_OFF_QUEUE); claims retry a bounded number of times
 * (task_state_cas).  The process then only runs slower, on the kernel's
 * yields.
 */
#include <stdbool.h>
#include "vdso.h"
#include "coro.h"
#include "rt_trace.h"
#include "rt_layout.h"

#define V       ((VDSO_DATA *)SHARED_BASE_ADDR)
#define TASKS   ((TaskSched *)SHARED_TASKS_ADDR)
#define POLICY  ((const struct sched_blob_header *)SHARED_CODE_ADDR)
#define KINFO   ((const SCHED_KINFO *)SHARED_KINFO_ADDR)

#define SYS_YIELD 17          /* os/uapi/syscall.h */

/* What rt_load makes the saved call return: 1, "switched", as rt_switch
 * does (switch.S). */
#define RT_BACK_SWITCHED 1
/* The assembly (switch.S, user_schedule.S) reaches the region through
 * the numbers of rt_layout.h: each checked here against the C layout. */
#define OFF(type, field) __builtin_offsetof(type, field)
_Static_assert(SHARED_BASE_ADDR == -(1ULL << RT_BASE_SHIFT), "rt_layout: base");
_Static_assert(SHARED_TASKS_ADDR == SHARED_BASE_ADDR + RT_TASKS_PAGES * 4096ULL, "tasks");
_Static_assert(SHARED_CODE_ADDR == SHARED_BASE_ADDR + RT_CODE_PAGES * 4096ULL, "code");
_Static_assert(SHARED_KINFO_ADDR == SHARED_BASE_ADDR + RT_KINFO_PAGES * 4096ULL, "kinfo");
_Static_assert(OFF(VDSO_DATA, nharts) == RT_NHARTS && OFF(VDSO_DATA, ntasks) == RT_NTASKS &&
               OFF(VDSO_DATA, policy_flags) == RT_POLICY_FLAGS &&
               OFF(VDSO_DATA, rt_off) == RT_RT_OFF && OFF(VDSO_DATA, nrecords) == RT_NRECORDS &&
               OFF(VDSO_DATA, current) == RT_CURRENT &&
               OFF(VDSO_DATA, queue_lock) == RT_QUEUE_LOCK &&
               OFF(VDSO_DATA, user_switches) == RT_USER_SWITCHES &&
               OFF(VDSO_DATA, rt_ready) == RT_READY_WORD &&
               OFF(VDSO_DATA, age_clock) == RT_AGE_CLOCK &&
               OFF(VDSO_DATA, switched_at) == RT_SWITCHED_AT &&
               OFF(VDSO_DATA, quick_switches) == RT_QUICK_SWITCHES &&
               OFF(VDSO_DATA, slow_yields) == RT_SLOW_YIELDS &&
               OFF(VDSO_DATA, off_hart) == RT_OFF_HART && OFF(VDSO_DATA, kprio) == RT_KPRIO &&
               OFF(VDSO_DATA, queue) == RT_QUEUE, "rt_layout: VDSO_DATA");
_Static_assert(sizeof(((VDSO_DATA *)0)->quick_switches[0]) == 4 &&
               sizeof(((VDSO_DATA *)0)->switched_at[0]) == 8 &&
               sizeof(((VDSO_DATA *)0)->kprio[0]) == 1 &&
               sizeof(((VDSO_DATA *)0)->off_hart[0]) == 1, "rt_layout: element sizes");
_Static_assert(OFF(SCHED_KINFO, queued_top) == RT_KINFO_QUEUED_TOP &&
               OFF(SCHED_KINFO, user_switching_off) == RT_KINFO_SWITCH_OFF &&
               OFF(SCHED_KINFO, trace_on) == RT_KINFO_TRACE_ON, "rt_layout: SCHED_KINFO");
/* user_schedule.S tests both flags with one doubleword load. */
_Static_assert(RT_KINFO_TRACE_ON == RT_KINFO_SWITCH_OFF + 4 && RT_KINFO_SWITCH_OFF % 8 == 0,
               "rt_layout: user_switching_off and trace_on share an aligned doubleword");
_Static_assert(sizeof(TaskSched) == 1 << RT_TASK_SHIFT && OFF(TaskSched, prio) == RT_TASK_PRIO &&
               OFF(TaskSched, state) == RT_TASK_STATE && OFF(TaskSched, hart) == RT_TASK_HART &&
               OFF(TaskSched, flags) == RT_TASK_FLAGS && OFF(TaskSched, age) == RT_TASK_AGE &&
               OFF(TaskSched, switches) == RT_TASK_SWITCHES && OFF(TaskSched, ctx) == RT_CTX &&
               TASK_CTX_RESCUE == 15 && RT_CTX_S3 == RT_CTX + (TASK_CTX_S0 + 3) * 8 &&
               RT_CTX_S5 == RT_CTX + (TASK_CTX_S0 + 5) * 8 &&
               RT_CTX_S4 == RT_CTX + (TASK_CTX_S0 + 4) * 8 &&
               RT_CTX_S6 == RT_CTX + (TASK_CTX_S0 + 6) * 8 &&
               RT_CTX_S10 == RT_CTX + (TASK_CTX_S0 + 10) * 8 &&
               RT_CTX_S11 == RT_CTX + (TASK_CTX_S0 + 11) * 8 &&
               (RT_CTX & RT_RESCUE_SCHEDULE) == 0, "rt_layout: TaskSched");
_Static_assert(sizeof(struct sched_ctx) == RT_SCHED_CTX_SIZE &&
               OFF(struct sched_ctx, tasks) == 0 && OFF(struct sched_ctx, queue) == 8 &&
               OFF(struct sched_ctx, ntasks) == 16 && OFF(struct sched_ctx, nharts) == 20 &&
               OFF(struct sched_ctx, serial_calls) == RT_SCHED_CTX_SERIAL,
               "rt_layout: sched_ctx");
/* sched_ctx.serial_calls: every call on the process's queue is made under
 * its queue lock, one at a time, so a per-hart policy may look at other
 * harts' parts in a yield (sched_abi.h, 2.3). */
#define SERIAL 1

/* The fast path's policy calls (user_schedule.S) take their sched_ctx,
 * and under most policies the entry they call, from SCHED_KINFO, where the
 * kernel bound them at boot (shared_bind_policy in os/sched/shared.c): a
 * page no process can write, so the fast path needs no check of them.
 * SERIAL there too: the kernel's copy says the same. */
_Static_assert(OFF(SCHED_KINFO, rt_yield_fetch) == RT_KINFO_YIELD_FETCH &&
               OFF(SCHED_KINFO, rt_ctx) == RT_KINFO_CTX &&
               OFF(SCHED_KINFO, rt_last_hart) == RT_KINFO_LAST_HART,
               "rt_layout: SCHED_KINFO's bound policy");
_Static_assert(OFF(VDSO_DATA, queue) == RT_QUEUE, "rt_layout: queue");
_Static_assert(OFF(struct sched_blob_header, op_offset) + 8 * SCHED_OP_FETCH == RT_OP_FETCH_AT &&
               OFF(struct sched_blob_header, op_offset) + 8 * SCHED_OP_YIELD == RT_OP_YIELD_AT &&
               OFF(struct sched_blob_header, op_offset) + 8 * SCHED_OP_TOP == RT_OP_TOP_AT &&
               OFF(struct sched_blob_header, yield_fetch_offset) == RT_OP_YIELD_FETCH_AT,
               "rt_layout: op_offset");
_Static_assert(SCHED_MAX_TASKS == RT_MAX_TASKS && SCHED_MAX_HARTS == RT_MAX_HARTS &&
               SCHED_PRIO_MAX == RT_PRIO_MAX && RT_READY == RT_READY_MAGIC &&
               TASK_FLAG_IN_QUEUE == RT_FLAG_IN_QUEUE && TASK_FLAGS_ALL == RT_FLAGS_ALL &&
               RT_FLAGS_ALL == RT_FLAG_IN_QUEUE &&
               SCHED_FLAG_PER_HART == RT_FLAG_PER_HART && TASK_READY == RT_STATE_READY &&
               TASK_RUNNING == TASK_READY + 1 && TASK_CAS_TRIES == RT_CAS_TRIES,
               "rt_layout: constants");
/* RT_RESCUE_SCHEDULE (rt_layout.h): the bit beside the rescue address
 * rt_park writes, its record's ctx (bit 0 is the kernel's
 * RT_RESCUE_EXECUTOR, which it strips; this one it passes on to
 * rt_rescue). */
_Static_assert(RT_RESCUE_SCHEDULE != RT_RESCUE_EXECUTOR, "rt_layout: rescue bits");
/* A yield's save marks the rescue word with its record (rt_layout.h):
 * user_schedule's with the record's offset among the records, a light
 * one's with the record's address.  A record's start and a multiple of its
 * size have neither bit, so they are neither of the others, and the heap
 * of records is 1 << RT_RECORDS_SHIFT bytes (rt_rescue's tests: an offset
 * is below it, an address in the heap above it). */
_Static_assert((sizeof(TaskSched) & (RT_RESCUE_SCHEDULE | RT_RESCUE_EXECUTOR)) == 0 &&
               SCHED_MAX_TASKS * sizeof(TaskSched) == 1ULL << RT_RECORDS_SHIFT &&
               SHARED_TASKS_ADDR >= 1ULL << RT_RECORDS_SHIFT,
               "rt_layout: the yield saves' marks");
_Static_assert(TASK_CTX_S0 == 3 && TASK_CTX_TP == 2, "user_schedule.S: LIGHT_EACH's layout");
_Static_assert((RT_READY_MAGIC & 0xfff) == 0, "rt_layout: RT_READY is one lui's value");
/* user_schedule.S's two entries, for the header's offsets: neither is a C
 * function (both take the slot in a2: yield_ and yield_light_call,
 * user/lib/yield.S, jump there). */
void user_schedule(void);
void user_schedule_light(void);
/* The C half of a yield, in three parts where the fast path hands over. */
int user_schedule_saved(uint32_t me);
int user_schedule_pinned(uint32_t me, uint32_t hart, uint32_t ntasks, uint32_t nharts);
int user_schedule_fetched(uint32_t me, uint32_t hart, uint32_t next, uint32_t ntasks,
                          uint32_t nharts);

void rt_switch(TaskSched *me, TaskSched *next, uint32_t value, VDSO_DATA *v)
    __attribute__((noreturn));
void rt_load(uint64_t *to, long value) __attribute__((noreturn));
int rt_park(uint64_t *from, TaskSched *me, uint32_t parking, VDSO_DATA *v, long how);
/* rt_park's `how`: SYS_yield's argument (os/uapi/syscall.h). */
#define PARK_FOR_KERNEL 1     /* the kernel picks the next thread */
#define PARK_AND_REST   2     /* ... and this hart rests until its next interrupt */
int rt_setjmp(uint64_t buf[16]) __attribute__((returns_twice));
void rt_rescue(uint64_t buf[16]) __attribute__((noreturn));
/* The restartable commit (user_schedule.S): labels, not functions. */
extern const char rt_commit_current[], rt_commit_store[];
/* The switch's tail (user_schedule.S), which the header exports. */
extern const char rt_switch_to_next[];

typedef void (*op_init)(const struct sched_ctx *);
typedef void (*op_task)(const struct sched_ctx *, uint32_t, uint32_t);
typedef uint32_t (*op_pick)(const struct sched_ctx *, uint32_t);

/* The policy's operation `op`, at its address in this process. */
static uintptr_t policy_op(int op)
{
    return (uintptr_t)SHARED_CODE_ADDR + (uintptr_t)POLICY->op_offset[op];
}

/* The shared region's base as a value the compiler cannot see through, so
 * that it keeps it in a register and reaches the region's parts at
 * offsets from it, rather than building each 64-bit address afresh (two
 * or three instructions, at every use on the switch path). */
static inline char *region_base(void)
{
    char *base = (char *)SHARED_BASE_ADDR;
    __asm__("" : "+r"(base));
    return base;
}
#define REGION_AT(base, addr) ((base) + ((addr) - SHARED_BASE_ADDR))

/* policy_op, from the region's base. */
static inline uintptr_t policy_op_at(const char *base, int op)
{
    const char *code = REGION_AT(base, SHARED_CODE_ADDR);
    return (uintptr_t)code + (uintptr_t)((const struct sched_blob_header *)code)->op_offset[op];
}

static long syscall_yield_how(long how)
{
    register long a0 __asm__("a0") = how;
    register long a7 __asm__("a7") = SYS_YIELD;
    __asm__ volatile("ecall" : "+r"(a0) : "r"(a7) : "memory");
    return a0;
}

static long syscall_yield(void)
{
    return syscall_yield_how(0);
}

/* SYS_yield's argument for a plain yield that rests the hart too. */
#define YIELD_AND_REST 3

/* How long to wait for the queue lock while its holder is on a hart
 * before yielding (a bound against a holder that never lets go). */
#define LOCK_SPINS (1 << 16)
/* ... or this long, where the waiter may rest its hart instead (see
 * "Resting"): the holder's section is a few hundred instructions, so a
 * holder that has not let go in this many looks is on a hart the host does
 * not run, and the waiter's spinning only keeps it so. */
#define LOCK_SPINS_BEFORE_REST (1 << 12)
/* A lock that names no slot is wrecked at once.  One that names a task
 * off its hart (preempted, blocked, gone, no thread: off_hart) or the
 * waiter itself is waited for, yielding; only if the same holder stays
 * so this long, across LOCK_GIVE_UP_ROUNDS yields, does the runtime decide
 * the process wrecked the lock (or keeps the holder off its hart behind
 * more urgent threads of its own, which would spin on it for ever) and
 * stop switching in user mode for it.  Nothing quicker is sure: a lock in
 * transit (see wait_until_free) names a thread that may look blocked, and
 * a slow host may not run a virtual hart for a while (a one-second bound,
 * and an immediate one for a holder that looked unable to hold it, both
 * turned switching off in a plain ping-pong on a loaded two-core host). */
#define LOCK_GIVE_UP_MS 5000
/* ... and across this many yields: each lets the kernel run the holder,
 * and a wait must be both long and long in turns to count. */
#define LOCK_GIVE_UP_ROUNDS 10000
/* Races for a free-looking lock lost in a row before the runtime decides
 * the word is being flipped under it. */
#define LOCK_LOST_MAX (1u << 16)
/* Bounds on the kernel-written ticks_per_ms, against a scribbled value
 * (0 would give up at once, a huge one would wait for days). */
#define TICKS_PER_MS_MIN 1
#define TICKS_PER_MS_MAX (1u << 20)

static uint64_t rdtime(void)
{
    uint64_t t;
    __asm__ volatile("rdtime %0" : "=r"(t));
    return t;
}

/* Stops user-mode switching for the process (as the kernel does when the
 * policy faults): every yield goes through the kernel from now on, which
 * runs the threads parked in the queue itself. */
static void user_switching_off(VDSO_DATA *v, uint32_t why)
{
    uint32_t none = 0;
    __atomic_compare_exchange_n(&v->rt_off, &none, why, 0, __ATOMIC_RELEASE,
                                __ATOMIC_RELAXED);
}

/* May a hart of this process rest (see "Resting")?  Not on one hart
 * (nobody else would run the process), and not under a per-hart policy
 * that leaves a rested thread in the resting hart's queue, where no other
 * hart looks while its own queue has work, so the thread would wait for
 * the tick and a ping-pong with it (measured: 8 threads x 100 turns on
 * four harts, 23 ms without resting, 16 s with).  One that takes a stalled
 * hart's queue (SCHED_FLAG_TAKES_STALLED: multiqueue) may.  policy_flags is
 * the process's to scribble on: only its own harts would rest, or not. */
static inline bool may_rest(const VDSO_DATA *v)
{
    uint32_t flags = v->policy_flags;
    return v->nharts > 1 &&
           (!(flags & SCHED_FLAG_PER_HART) || (flags & SCHED_FLAG_TAKES_STALLED));
}

/* Has this thread waited for the lock for too long?  The first call of a
 * wait starts its clock (*deadline == 0). */
static bool waited_too_long(const VDSO_DATA *v, uint64_t *deadline)
{
    uint64_t now = rdtime();
    if (*deadline == 0) {
        uint32_t tpm = v->ticks_per_ms;
        tpm = tpm < TICKS_PER_MS_MIN ? TICKS_PER_MS_MIN :
              tpm > TICKS_PER_MS_MAX ? TICKS_PER_MS_MAX : tpm;
        *deadline = now + (uint64_t)tpm * LOCK_GIVE_UP_MS;
        return false;
    }
    return now >= *deadline;
}

enum lock_wait {
    LOCK_FREE,
    LOCK_HOLDER_RUNS,    /* spun LOCK_SPINS times; the holder is on a hart */
    LOCK_HOLDER_OFF,     /* the holder is off any hart (or is the waiter,
                            for longer than a lock in transit) */
    LOCK_WRECKED,        /* names no slot at all */
};

/* The queue lock holds its holder's slot + 1, so that the kernel, which
 * releases it for a thread that parked itself, releases it only for that
 * thread, and so that a waiter can see whether the holder is on a hart
 * (VDSO_DATA.off_hart, which the kernel also sets for slots with no
 * thread).
 *
 * Waits, unpinned (a waiter is not in a section the kernel
 * should spare: only the holder is), until the lock looks free, or says
 * why not (*holder: whom it names). */
static enum lock_wait wait_until_free(VDSO_DATA *v, uint32_t me, uint32_t *holder)
{
    uint32_t ntasks = v->ntasks < SCHED_MAX_TASKS ? v->ntasks : SCHED_MAX_TASKS;
    uint32_t h = 0;
    int spins = may_rest(v) ? LOCK_SPINS_BEFORE_REST : LOCK_SPINS;
    for (int i = 0; i < spins; i++) {
        h = __atomic_load_n(&v->queue_lock, __ATOMIC_RELAXED);
        *holder = h;
        if (h == 0)
            return LOCK_FREE;
        if (h - 1 >= ntasks)
            return LOCK_WRECKED;
        /* Off its hart: spinning cannot help.  (Not proof of a wreck:
         * rt_switch releases the lock as the thread it switched to, so for
         * a moment the lock may name a thread that already runs again
         * elsewhere, or has since blocked or exited.) */
        if (v->off_hart[h - 1])
            return LOCK_HOLDER_OFF;
    }
    /* Still naming the waiter itself after all those spins: not a lock in
     * transit (that takes a few instructions), so it is waited for as a
     * holder that does not run. */
    return h - 1 == me ? LOCK_HOLDER_OFF : LOCK_HOLDER_RUNS;
}

static int try_lock(VDSO_DATA *v, uint32_t me)
{
    uint32_t free = 0;
    return __atomic_compare_exchange_n(&v->queue_lock, &free, me + 1, 0,
                                       __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

/* As user_schedule.S lets go: `fence rw,w` and a plain store (GCC 12
 * would spell the builtin's release store as an atomic swap:
 * os/kernel/ordered_store.h). */
static void unlock(VDSO_DATA *v)
{
    __asm__ volatile("fence rw, w\n\tsw zero, %0" : "=m"(v->queue_lock) :: "memory");
}



/* The queue is set up lazily by the first thread that needs it (a fresh
 * process, or a child after fork, starts with zeroed pages). */
static __attribute__((noinline)) void set_up_queue(VDSO_DATA *v, const struct sched_ctx *c)
{
    ((op_init)policy_op(SCHED_OP_INIT))(c);
    __asm__ volatile("fence rw, w\n\tsw %1, %0" : "=m"(v->rt_ready) : "r"(RT_READY) : "memory");
}

/* Under the queue lock, which orders it: no acquire needed. */
static inline void ensure_ready(VDSO_DATA *v, const struct sched_ctx *c)
{
    if (__builtin_expect(__atomic_load_n(&v->rt_ready, __ATOMIC_RELAXED) != RT_READY, 0))
        set_up_queue(v, c);
}

/* Takes the queue lock, which pins this thread (the kernel spares a
 * thread that holds its process's lock, for a bounded time:
 * os/sched/reconcile.h, reconcile_pinned), then reads the hart it runs on
 * from its record (which the kernel writes before every return to user
 * mode).  Read after the lock, the hart is the one the pin holds the
 * thread on; it can go stale only if the kernel preempts the thread
 * anyway, which rt_commit_current's restartable read covers.  SCHED_NONE
 * if the record is unusable, or the lock wrecked (see LOCK_GIVE_UP_MS;
 * user-mode switching is then off). */
static uint32_t pin_and_lock(VDSO_DATA *v, uint32_t me)
{
    /* The clock of LOCK_GIVE_UP_MS runs only while one holder is seen off
     * its hart, round after round: a holder on a hart is making progress
     * as far as the kernel can tell (a host that does not run that virtual
     * hart must not get the process's switching turned off). */
    uint64_t deadline = 0;
    uint32_t held_off = 0, held_off_rounds = 0, lost = 0;
    for (;;) {
        if (__atomic_load_n(&v->rt_off, __ATOMIC_ACQUIRE))
            return SCHED_NONE;            /* another thread gave up on it */
        uint32_t holder;
        enum lock_wait w = wait_until_free(v, me, &holder);
        if (w == LOCK_HOLDER_OFF && holder != held_off) {
            held_off = holder;            /* a new wait for this holder */
            held_off_rounds = 0;
            deadline = 0;
        } else if (w != LOCK_HOLDER_OFF) {
            held_off = 0;
        }
        bool hopeless = w == LOCK_HOLDER_OFF && ++held_off_rounds >= LOCK_GIVE_UP_ROUNDS &&
                        waited_too_long(v, &deadline);
        if (w == LOCK_HOLDER_OFF && held_off_rounds == 1)
            waited_too_long(v, &deadline);          /* starts the clock */
        if (w == LOCK_WRECKED || hopeless) {
            user_switching_off(v, RT_OFF_LOCK);
            return SCHED_NONE;
        }
        if (w != LOCK_FREE) {             /* let the holder run */
            v->lock_yields++;
            /* A holder on a hart that has not let go all this time may be
             * on one the host does not run: give this hart back until its
             * next tick (see "Resting") rather than compete for the host. */
            syscall_yield_how(w == LOCK_HOLDER_RUNS && may_rest(v) ? YIELD_AND_REST : 0);
            continue;
        }
        if (try_lock(v, me)) {
            uint32_t hart = __atomic_load_n(&TASKS[me].hart, __ATOMIC_RELAXED);
            if (hart < v->nharts && hart < SCHED_MAX_HARTS)
                return hart;
            unlock(v);
            return SCHED_NONE;
        }
        /* Lost the race for a lock that looked free: fine (another thread
         * got it), unless the process keeps flipping the word to make us
         * lose for ever.  Counted, not timed, for the same reason. */
        if (++lost >= LOCK_LOST_MAX) {
            user_switching_off(v, RT_OFF_LOCK);
            return SCHED_NONE;
        }
    }
}

/* A thread the kernel resumed itself may still sit in the queue (see
 * resume_parked): it leaves it now, holding the lock, and only out of the
 * queue takes the priority the kernel has for it (a policy keys its queue
 * on the record's priority, which must not change under it). */
static __attribute__((noinline)) void remove_from_queue(const struct sched_ctx *c,
                                                        uint32_t hart, uint32_t me)
{
    ((op_task)policy_op(SCHED_OP_REMOVE))(c, hart, me);
    TASKS[me].flags &= ~TASK_FLAG_IN_QUEUE;
}

static inline void leave_queue_locked(VDSO_DATA *v, const struct sched_ctx *c, uint32_t hart,
                                      uint32_t me, TaskSched *self)
{
    if (__builtin_expect(self->flags & TASK_FLAG_IN_QUEUE, 0))
        remove_from_queue(c, hart, me);
    uint32_t prio = v->kprio[(intptr_t)(int32_t)me];     /* me < ntasks: see user_schedule_saved */
    if (__builtin_expect(prio != self->prio || prio - 1 >= SCHED_PRIO_MAX, 0))
        self->prio = (uint8_t)(prio >= 1 && prio <= SCHED_PRIO_MAX ? prio : 1);
}

/* Where a thread lands when the policy faulted under it in user mode (the
 * kernel sends it to rt_rescue, and has set rt_off): let go of the queue
 * lock (and with it the pin) if it holds it, and from now on yield through
 * the kernel. */
static void rescued(VDSO_DATA *v, uint32_t me)
{
    uint32_t held = me + 1;
    __atomic_compare_exchange_n(&v->queue_lock, &held, 0, 0, __ATOMIC_RELEASE,
                                __ATOMIC_RELAXED);
}

/* The first try at pin_and_lock, for the common case: the lock looks
 * free and is ours (and with it the pin) at the first compare-and-swap.
 * The record's hart is read after it with no fence: the kernel writes it,
 * for this thread, only in a trap on the hart the thread runs on, and a
 * trap sees (and is seen by) this hart's accesses in program order, so a
 * compiler barrier (a signal fence: a trap is to this thread what a
 * signal handler is) keeps the read after the lock.  SCHED_NONE: take the
 * slow path (nothing held). */
static inline uint32_t pin_fast(VDSO_DATA *v, TaskSched *self, uint32_t me, uint32_t nharts)
{
    if (__atomic_load_n(&v->queue_lock, __ATOMIC_RELAXED) || !try_lock(v, me))
        return SCHED_NONE;
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    uint32_t hart = __atomic_load_n(&self->hart, __ATOMIC_RELAXED);
    if (hart < nharts)
        return hart;
    unlock(v);
    return SCHED_NONE;
}

/* Claims a READY task (READY -> RUNNING), as task_state_cas does, in the
 * fewest instructions: the state byte sits in bits 8..15 of the word at
 * offset 4 (vdso.h's layout), so a load-reserved word, a check and an
 * add make the compare-and-swap.  Bounded like task_state_cas: the
 * process may flip the word under us for ever. */
static inline bool claim_ready(TaskSched *t)
{
    _Static_assert(TASK_RUNNING == TASK_READY + 1, "claim_ready adds 1 to the state");
    volatile uint32_t *word = (volatile uint32_t *)((char *)t + 4);
    /* The retries inside the asm: one LR/SC pair with only simple
     * instructions between, and a backward branch, the form the ISA
     * guarantees to make progress.  busy: nonzero if the task was not
     * READY or every try failed; tries: left, counted down. */
    uintptr_t old, busy, tries = TASK_CAS_TRIES;
    __asm__ volatile("1: lr.w.aqrl %0, (%3)\n\t"
                     "srliw     %1, %0, 8\n\t"
                     "andi      %1, %1, 0xff\n\t"
                     "addi      %1, %1, -%4\n\t"
                     "bnez      %1, 2f\n\t"
                     "addiw     %0, %0, 0x100\n\t"
                     "sc.w.rl   %1, %0, (%3)\n\t"
                     "beqz      %1, 2f\n\t"
                     "addi      %2, %2, -1\n\t"
                     "bnez      %2, 1b\n"
                     "2:"
                     : "=&r"(old), "=&r"(busy), "+r"(tries)
                     : "r"(word), "i"(TASK_READY) : "memory");
    return busy == 0;
}

/* Leaves the section: releasing the lock unpins. */
static inline void unpin(VDSO_DATA *v)
{
    unlock(v);
}

/* The rest of a fetch whose first answer (`next`, after `fetched`
 * fetches) was neither this thread nor a thread it could claim: fetches
 * on.  Each fetch takes a task out of the queue, so a sound queue is empty
 * after ntasks of them; one that gives more (a cycle the process wrote
 * into it) would keep us here for ever.  Records past nrecords are not
 * mapped (no thread ever had them): an index there is a broken queue too,
 * not a fault in the runtime.  Returns this thread, a claimed one, or
 * SCHED_NONE for a broken queue (the kernel decides then). */
static __attribute__((noinline)) uint32_t
fetch_on(VDSO_DATA *v, const struct sched_ctx *c, uint32_t hart, uint32_t me, uint32_t next)
{
    uint32_t ntasks = c->ntasks;
    uint32_t nrecords = v->nrecords < ntasks ? v->nrecords : ntasks;
    for (uint32_t fetched = 1;; fetched++) {
        if (next >= nrecords) {
            if (fetched > ntasks)
                user_switching_off(v, RT_OFF_QUEUE);
            return SCHED_NONE;
        }
        TASKS[next].flags &= ~TASK_FLAG_IN_QUEUE;
        if (next == me || task_state_cas(&TASKS[next], TASK_READY, TASK_RUNNING))
            return next;
        /* Not READY any more: the kernel resumed it itself.  Drop it. */
        next = fetched <= ntasks ? ((op_pick)policy_op(SCHED_OP_FETCH))(c, hart) : SCHED_NONE;
    }
}

enum decision { SWITCH_IN_USER_MODE, NOBODY_ELSE, PARKED };

/* Would a yield through the kernel on `hart` give a thread of priority
 * `mine` nothing but itself back?  Yes if the last one there did, for a
 * thread at least as urgent, and nothing has been queued in the kernel
 * since (SCHED_KINFO.futile_at).  Asking again would only cost a round
 * trip: under a per-hart policy, with every hart busy, what waits in the
 * kernel may wait in another hart's queue, and three harts would storm
 * the kernel until the one that holds it is run. */
static inline bool kernel_gave_nothing_here(uint32_t hart, uint32_t mine)
{
    uint64_t at = __atomic_load_n(&KINFO->futile_at[hart], __ATOMIC_ACQUIRE);
    return at == __atomic_load_n(&KINFO->enqueues, __ATOMIC_ACQUIRE) &&
           mine >= KINFO->futile_prio[hart];
}

/* The decision with the best priority in the process's queue (`top`), for
 * when something only the kernel can run is at least as urgent as this
 * thread (`elsewhere`), and under a per-hart policy (whose fetch steals
 * from other harts' queues when this one's is empty: with nobody queued
 * here, the thread keeps its hart rather than take another hart's
 * thread).  Nobody queued here and nothing as urgent in the kernel: keep
 * running.  The kernel's at least as urgent as anything of ours (equals
 * take turns): park and ask it. */
static __attribute__((noinline)) enum decision
decide_with_top(VDSO_DATA *v, const struct sched_ctx *c, uint32_t hart, uint32_t me,
                uint32_t elsewhere)
{
    uint32_t top = ((op_pick)policy_op(SCHED_OP_TOP))(c, hart);
    uint32_t mine = TASKS[me].prio;
    if (elsewhere >= mine && kernel_gave_nothing_here(hart, mine))
        elsewhere = 0;
    if (top == 0 && elsewhere < mine)
        return NOBODY_ELSE;
    uint32_t best = top > mine ? top : mine;
    if (top != 0 && elsewhere < best)
        return SWITCH_IN_USER_MODE;
    TaskSched *self = &TASKS[me];
    self->age = ++v->age_clock;
    self->flags |= TASK_FLAG_IN_QUEUE;
    ((op_task)policy_op(SCHED_OP_YIELD))(c, hart, me);
    v->yields_to_kernel++;
    rt_park(self->ctx, self, me | CURRENT_PARKING, v, PARK_FOR_KERNEL);
    return PARKED;
}

/*
 * Resting.  On a host with fewer cores than the machine has harts, a
 * program whose threads wait for each other by yielding (t_pingpong) can
 * keep every hart busy switching among threads that only check a
 * condition and yield again, while the one thread that could make the
 * condition true sits on a hart the host is not running: each turn then
 * costs the host a time slice.  So a hart whose last RT_REST_AFTER user-
 * mode switches in a row all went to a thread that yielded again within
 * RT_QUICK_SWITCH_INSNS instructions (it did nothing else with the hart)
 * gives itself back, if another hart runs a thread of the process (which
 * is what they wait for, and which goes on switching among them): its
 * thread parks (READY, in both queues: any hart may take it) and the
 * kernel idles the hart until its next interrupt (SYS_yield, parked = 2),
 * a tick at most; then it takes threads again.  The check is made under
 * the queue lock, and a hart that rests first names its thread as parking
 * in current[], so the last hart that runs the process never rests.  It is
 * counted in instructions, not time: the same on any host.  Threads that
 * do work between yields never rest (more than RT_QUICK_SWITCH_INSNS).
 * One hart: never.  Everything here is a hint the process keeps for
 * itself; the kernel only idles a hart for a tick.
 */
#define RT_QUICK_SWITCH_INSNS 2000
#define RT_REST_AFTER         32
_Static_assert(RT_QUICK_SWITCH_INSNS == RT_QUICK_INSNS && RT_REST_AFTER == RT_REST_AFTER_N,
               "rt_layout: user_schedule.S rests by the same rule");

static inline uint64_t rdinstret(void)
{
    uint64_t n;
    __asm__ volatile("rdinstret %0" : "=r"(n));
    return n;
}

/* Counts this switch on `hart`: another one to a thread that did nothing,
 * or the end of a run of them. */
static inline void count_switch(VDSO_DATA *v, uint32_t hart)
{
    uint64_t now = rdinstret();
    v->quick_switches[hart] = now - v->switched_at[hart] < RT_QUICK_SWITCH_INSNS ?
                              v->quick_switches[hart] + 1 : 0;
    v->switched_at[hart] = now;
}

/* Does another hart run a thread of the process (not `me`, which may still
 * be named where it ran before)? */
static bool runs_elsewhere(const VDSO_DATA *v, const struct sched_ctx *c, uint32_t hart,
                           uint32_t me)
{
    for (uint32_t h = 0; h < c->nharts; h++) {
        uint32_t t = v->current[h];       /* a parking one is >= ntasks */
        if (h != hart && t != me && t < c->ntasks && !v->off_hart[t])
            return true;
    }
    return false;
}

/* Rests this hart (see above) if its switches have been futile and another
 * hart runs the process.  Returns false if it did not. */
static __attribute__((noinline)) bool
rest_here(VDSO_DATA *v, const struct sched_ctx *c, uint32_t hart, uint32_t me)
{
    v->quick_switches[hart] = 0;
    if (!runs_elsewhere(v, c, hart, me))
        return false;
    TaskSched *self = &TASKS[me];
    self->age = ++v->age_clock;
    self->flags |= TASK_FLAG_IN_QUEUE;
    ((op_task)policy_op(SCHED_OP_YIELD))(c, hart, me);
    v->rests++;
    v->yields_to_kernel++;
    rt_park(self->ctx, self, me | CURRENT_PARKING, v, PARK_AND_REST);
    return true;
}

/* Gives the hart to the kernel: the yield system call. */
static int yield_through_kernel(VDSO_DATA *v)
{
    v->yields_to_kernel++;
    syscall_yield();
    return 0;
}

/* The C half of user_schedule (user_schedule.S), entered once the
 * thread's registers are in its record: what a thread that switches back
 * to this one loads (it returns 1 from user_schedule then), what the
 * kernel's resume of it loads, and where a policy fault sends it
 * (schedule_rescued).  A path that does not switch simply returns.
 *
 * The assembly fast path makes the same checks for the common case and
 * hands over here at the first that does not hold, at one of three points:
 * before anything (user_schedule_saved, the whole yield), with the thread
 * pinned (user_schedule_pinned) or with the policy's answer in hand
 * (user_schedule_fetched).  So these three are one yield, in order; each
 * takes up exactly where the one before leaves it.  ntasks and nharts
 * travel along: they are read once, since the process may write them. */
int user_schedule_saved(uint32_t me)
{
    char *base = region_base();
    VDSO_DATA *v = (VDSO_DATA *)base;
    const SCHED_KINFO *kinfo = (const SCHED_KINFO *)REGION_AT(base, SHARED_KINFO_ADDR);
    /* ntasks <= SCHED_MAX_TASKS keeps the policy inside v->queue, which
     * holds SCHED_QUEUE_WORDS(SCHED_MAX_TASKS) words. */
    uint32_t ntasks = v->ntasks, nharts = v->nharts;
    if (me >= ntasks || ntasks > SCHED_MAX_TASKS || nharts > SCHED_MAX_HARTS || v->rt_off ||
        kinfo->user_switching_off)
        return yield_through_kernel(v);
    /* Indices as the ABI passes them (a 32-bit value sign-extended): in
     * range (checked), the same number, with no instructions to widen. */
    TaskSched *self = &((TaskSched *)REGION_AT(base, SHARED_TASKS_ADDR))[(intptr_t)(int32_t)me];

    /* 1. Pin: the queue lock, then the hart we are on. */
    uint32_t hart = pin_fast(v, self, me, nharts);
    if (__builtin_expect(hart == SCHED_NONE, 0)) {
        hart = pin_and_lock(v, me);
        if (hart == SCHED_NONE)
            return yield_through_kernel(v);
    }
    return user_schedule_pinned(me, hart, ntasks, nharts);
}

/* The yield, pinned on `hart`: the queue lock held. */
int user_schedule_pinned(uint32_t me, uint32_t hart, uint32_t ntasks, uint32_t nharts)
{
    char *base = region_base();
    VDSO_DATA *v = (VDSO_DATA *)base;
    TaskSched *tasks = (TaskSched *)REGION_AT(base, SHARED_TASKS_ADDR);
    const SCHED_KINFO *kinfo = (const SCHED_KINFO *)REGION_AT(base, SHARED_KINFO_ADDR);
    TaskSched *self = &tasks[(intptr_t)(int32_t)me];

    /* 2. Is a switch in user mode the policy's choice? */
    struct sched_ctx c = { tasks, (struct sched_queue *)v->queue, ntasks, nharts, SERIAL };
    ensure_ready(v, &c);
    leave_queue_locked(v, &c, hart, me, self);
    uint32_t elsewhere = kinfo->queued_top;
    if (__builtin_expect(elsewhere >= self->prio || (v->policy_flags & SCHED_FLAG_PER_HART), 0)) {
        enum decision d = decide_with_top(v, &c, hart, me, elsewhere);
        if (d == NOBODY_ELSE)
            unpin(v);
        if (d != SWITCH_IN_USER_MODE)
            return 0;
    }
    if (nharts > 1 && __builtin_expect(v->quick_switches[hart] >= RT_REST_AFTER, 0) &&
        may_rest(v) && rest_here(v, &c, hart, me))
        return 0;
    /* Nothing waiting in the kernel matters here: the policy decides among
     * our own.  Queue this thread (still RUNNING: it becomes READY,
     * claimable, only once rt_switch lets go of it) and fetch the next;
     * with nobody else queued that is this thread again (the policy keeps
     * it running), so there is no need to ask top_priority first. */
    self->age = ++v->age_clock;
    self->flags |= TASK_FLAG_IN_QUEUE;
    /* The policy's yield_fetch where it has one (ABI 2.4: one call, the
     * same answer and queue as the two), else yield then fetch.  (Written
     * out here, not in a helper: a debugger shows an inlined helper as a
     * frame of its own, and the lab guide says the policy's caller is
     * user_schedule or one of its C parts.)  The header is the kernel's,
     * read-only here, checked when the kernel installed the blob. */
    const char *code = REGION_AT(base, SHARED_CODE_ADDR);
    uint64_t yield_fetch = ((const struct sched_blob_header *)code)->yield_fetch_offset;
    uint32_t next;
    if (yield_fetch) {
        next = ((sched_yield_fetch_fn)(code + yield_fetch))(&c, hart, me);
    } else {
        ((op_task)policy_op_at(base, SCHED_OP_YIELD))(&c, hart, me);
        next = ((op_pick)policy_op_at(base, SCHED_OP_FETCH))(&c, hart);
    }
    return user_schedule_fetched(me, hart, next, ntasks, nharts);
}

/* The yield, pinned, with the policy's answer `next` (unchecked). */
int user_schedule_fetched(uint32_t me, uint32_t hart, uint32_t next, uint32_t ntasks,
                          uint32_t nharts)
{
    char *base = region_base();
    VDSO_DATA *v = (VDSO_DATA *)base;
    TaskSched *tasks = (TaskSched *)REGION_AT(base, SHARED_TASKS_ADDR);
    const SCHED_KINFO *kinfo = (const SCHED_KINFO *)REGION_AT(base, SHARED_KINFO_ADDR);
    TaskSched *self = &tasks[(intptr_t)(int32_t)me];
    if (__builtin_expect(next >= v->nrecords || next >= ntasks || next == me ||
                         !claim_ready(&tasks[(intptr_t)(int32_t)next]), 0)) {
        struct sched_ctx c = { tasks, (struct sched_queue *)v->queue, ntasks, nharts, SERIAL };
        next = fetch_on(v, &c, hart, me, next);
        if (next == SCHED_NONE) {         /* broken queue: let the kernel decide */
            unpin(v);
            return yield_through_kernel(v);
        }
        if (next == me) {                 /* the policy keeps us running */
            unpin(v);
            return 0;
        }
    }
    TaskSched *to = &tasks[(intptr_t)(int32_t)next];
    to->flags &= ~TASK_FLAG_IN_QUEUE;

    /* 3. Switch.  `hart` may be stale by now (see rt_commit_current). */
    if (nharts > 1)
        count_switch(v, hart);
    to->switches++;
    v->off_hart[(intptr_t)(int32_t)next] = 0;   /* on a hart again, as the kernel
                                                   will learn at the next trap */
    v->user_switches++;
    if (__builtin_expect(__atomic_load_n(&kinfo->trace_on, __ATOMIC_RELAXED) != 0, 0))
        rt_trace(UT_SWITCH, me, to->tid);
    rt_switch(self, to, next, v);         /* through rt_commit_current */
}

/* Where a policy fault in user_schedule_saved lands (rt_rescue, with the
 * registers of the yield_() call restored: this returns from it): let go
 * of the lock (and so of the pin), and yield through the kernel from now on
 * (the kernel has set rt_off).  `ctx` is the address the thread wrote
 * into its record: a wrong one gives a slot that is checked. */
int schedule_rescued(uint64_t *ctx)
{
    uint64_t me = ((uintptr_t)ctx - SHARED_TASKS_ADDR) / sizeof(TaskSched);
    VDSO_DATA *v = V;
    if (me < SCHED_MAX_TASKS && me < v->nrecords)
        rescued(v, (uint32_t)me);
    v->yields_to_kernel++;
    syscall_yield();
    return 0;
}

/* Entered by the kernel (never called) to resume a parked thread it has
 * claimed: restores the registers its park saved, and nothing more.  It
 * may still be in the queue: it leaves it at its next yield (or when it
 * exits), and until then a thread that fetches it finds it claimed and
 * drops it.  Taking the queue lock here instead would make every resume
 * wait for the harts that are yielding in user mode. */
static void resume_parked(uint32_t me)
{
    /* The kernel passes a slot it owns (< ntasks as it wrote it): checked
     * against the constant, not v->ntasks, which the process may have
     * scribbled on (that once sent the thread into a yield loop for ever).
     * A bad context only faults in user mode, and the process is killed. */
    if (me >= SCHED_MAX_TASKS)
        __builtin_trap();
    rt_load(TASKS[me].ctx, RT_BACK_SWITCHED);
}

/* Called by the thread library before a thread exits: takes the thread out
 * of the queue, so that its record can serve a new thread. */
static void leave_queue(uint32_t me)
{
    VDSO_DATA *v = V;
    uint32_t ntasks = v->ntasks, nharts = v->nharts;    /* once: see user_schedule */
    if (me >= ntasks || ntasks > SCHED_MAX_TASKS || nharts > SCHED_MAX_HARTS || v->rt_off ||
        !(TASKS[me].flags & TASK_FLAG_IN_QUEUE))
        return;
    uint64_t rescue[16];
    if (rt_setjmp(rescue)) {
        rescued(V, me);
        return;
    }
    TASKS[me].ctx[TASK_CTX_RESCUE] = (uint64_t)(uintptr_t)rescue;
    uint32_t hart = pin_and_lock(v, me);
    if (hart == SCHED_NONE)
        return;
    struct sched_ctx c = { TASKS, (struct sched_queue *)v->queue, ntasks, nharts, SERIAL };
    ensure_ready(v, &c);
    leave_queue_locked(v, &c, hart, me, &TASKS[me]);
    unpin(v);
}

/* A policy's header, then the runtime's own words (vdso.h). */
__attribute__((section(".sched_header"), used))
const struct sched_runtime_header sched_blob_header = {   /* the name blob.ld expects */
    .blob = {
        .magic = SCHED_RUNTIME_MAGIC,
        .abi_major = SCHED_ABI_MAJOR,
        .abi_minor = SCHED_ABI_MINOR,
        .header_size = sizeof(struct sched_runtime_header),
        .name = "runtime",
        .op_offset = {
            [RT_USER_SCHEDULE] = (uint64_t)(uintptr_t)user_schedule,
            [RT_RESUME_PARKED] = (uint64_t)(uintptr_t)resume_parked,
            [RT_COMMIT_START] = (uint64_t)(uintptr_t)rt_commit_current,
            [RT_COMMIT_STORE] = (uint64_t)(uintptr_t)rt_commit_store,
            [RT_LEAVE_QUEUE] = (uint64_t)(uintptr_t)leave_queue,
            [RT_RESCUE] = (uint64_t)(uintptr_t)rt_rescue,
            [RT_CO_CALL] = (uint64_t)(uintptr_t)co_call,
            [RT_USER_ENTRY] = (uint64_t)(uintptr_t)user_entry,
        },
    },
    .switch_release_offset = (uint64_t)(uintptr_t)rt_switch_to_next + RT_SWITCH_RELEASE_AT,
    .light_schedule_offset = (uint64_t)(uintptr_t)user_schedule_light,
};
