/*
 * A futex mutex after Ulrich Drepper's "Futexes Are Tricky" (mutex 3),
 * whose word also names its holder: 0 unlocked, else the holder's
 * TaskSched index + 1, with MUTEX_WAITERS set while a thread may sleep on
 * it.  The uncontended lock and unlock are one atomic each, no system
 * call; only an unlock that finds MUTEX_WAITERS pays for a wake-up.
 *
 * Why the holder is named: a waiter that finds it on another hart
 * (VDSO_DATA.off_hart, which the kernel rewrites whenever it takes a
 * thread off its hart or gives it back) spins for a while, since such a
 * holder lets go soon, and a sleep costs a futex call, two switches and a
 * wake-up.  A holder off its hart cannot let go while the waiter spins:
 * then the waiter yields in user mode (the holder may be a thread of ours
 * waiting for this hart) and sleeps.  The same rule as the coroutine
 * executor's lock (user/runtime/coro_exec.c, lock_contended).
 */
#include <mutex.h>
#include "block.h"
#include "uthread.h"
#include "vdso.h"

/* A bound on the spin, whatever the word and off_hart say (both are the
 * process's to scribble on, and a holder on a hart may hold for long). */
#define MUTEX_SPINS_MAX 4096

void mutex_init(mutex_t *m)
{
    __atomic_store_n(&m->state, 0, __ATOMIC_RELAXED);
}

static uint32_t cas(uint32_t *p, uint32_t expected, uint32_t desired)
{
    __atomic_compare_exchange_n(p, &expected, desired, false,
                                __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
    return expected;        /* the value seen: equals the old on success */
}

/* What this thread's hold writes into the word. */
static inline uint32_t my_token(void)
{
    return uthread_self()->task + 1;
}

/* Is the holder that word `c` names on another hart now? */
static bool holder_runs(uint32_t c, uint32_t me)
{
    const VDSO_DATA *v = (const VDSO_DATA *)SHARED_BASE_ADDR;
    uint32_t task = (c & ~MUTEX_WAITERS) - 1;
    return v->magic == SCHED_VDSO_MAGIC && v->nharts > 1 && task < SCHED_MAX_TASKS &&
           c != me && !v->off_hart[task];
}

static __attribute__((noinline)) void mutex_lock_contended(mutex_t *m, uint32_t me, uint32_t c)
{
    /* The holder runs on another hart: it lets go soon.  (Not with
     * sleepers behind it: the lock goes to them first.) */
    for (int i = 0; i < MUTEX_SPINS_MAX && !(c & MUTEX_WAITERS) && holder_runs(c, me); i++) {
        c = __atomic_load_n(&m->state, __ATOMIC_RELAXED);
        if (c == 0 && (c = cas(&m->state, 0, me)) == 0)
            return;
    }
    /* The holder may be a thread of ours waiting for a hart: while the
     * runtime can switch to other threads of the process in user mode, let
     * them run, and try again (no system call). */
    for (int i = 0; i < THREAD_YIELDS_BEFORE_SLEEP && thread_yield_hart(); i++) {
        c = cas(&m->state, 0, me);
        if (c == 0)
            return;
    }
    /* Still taken: announce a waiter and sleep until we are the one who
     * turns 0 into our token with MUTEX_WAITERS.  Taken with the flag,
     * deliberately: we cannot know whether others still sleep, so our
     * unlock must wake one. */
    uint32_t mine = me | MUTEX_WAITERS;
    c = __atomic_exchange_n(&m->state, mine, __ATOMIC_ACQUIRE);
    while (c != 0) {
        thread_block_on(&m->state, mine, 0);
        c = __atomic_exchange_n(&m->state, mine, __ATOMIC_ACQUIRE);
    }
}

void mutex_lock(mutex_t *m)
{
    uint32_t me = my_token();
    uint32_t c = cas(&m->state, 0, me);
    if (c != 0)
        mutex_lock_contended(m, me, c);
}

bool mutex_trylock(mutex_t *m)
{
    return cas(&m->state, 0, my_token()) == 0;
}

void mutex_unlock(mutex_t *m)
{
    if (__atomic_exchange_n(&m->state, 0, __ATOMIC_RELEASE) & MUTEX_WAITERS)
        thread_wake_on(&m->state, 1);       /* someone may sleep */
}
