/*
 * The three-state futex mutex of Ulrich Drepper's "Futexes Are Tricky"
 * (mutex 3): state 0 = unlocked, 1 = locked, 2 = locked and maybe waiters.
 * The uncontended lock and unlock are one atomic each, no system call; only
 * an unlock that finds state 2 pays for a wake-up.
 */
#include <mutex.h>
#include "block.h"

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

void mutex_lock(mutex_t *m)
{
    uint32_t c = cas(&m->state, 0, 1);
    if (c == 0)
        return;
    /* Contended.  The holder may be a thread of ours waiting for a hart:
     * while the runtime can switch to other threads of the process in user
     * mode, let them run, and try again (no system call). */
    for (int i = 0; i < THREAD_YIELDS_BEFORE_SLEEP && thread_yield_hart(); i++) {
        c = cas(&m->state, 0, 1);
        if (c == 0)
            return;
    }
    /* Still taken: announce a waiter (state 2) and sleep until we are the one
     * who turns 0 into 2.  Taking it as 2 (not 1) is deliberate: we cannot
     * know whether others still sleep, so our unlock must wake one. */
    if (c != 2)
        c = __atomic_exchange_n(&m->state, 2, __ATOMIC_ACQUIRE);
    while (c != 0) {
        thread_block_on(&m->state, 2, 0);
        c = __atomic_exchange_n(&m->state, 2, __ATOMIC_ACQUIRE);
    }
}

bool mutex_trylock(mutex_t *m)
{
    return cas(&m->state, 0, 1) == 0;
}

void mutex_unlock(mutex_t *m)
{
    if (__atomic_fetch_sub(&m->state, 1, __ATOMIC_RELEASE) != 1) {
        /* It was 2: someone may sleep. */
        __atomic_store_n(&m->state, 0, __ATOMIC_RELEASE);
        thread_wake_on(&m->state, 1);
    }
}
