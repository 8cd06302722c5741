/*
 * Condition variable as a sequence number.  A waiter reads the number
 * before releasing the mutex and sleeps only if it is unchanged; a signal
 * bumps it first, so a signal sent between the unlock and the sleep makes
 * the sleep return at once (EAGAIN) instead of being lost.
 */
#include <cond.h>
#include <limits.h>
#include "block.h"

void cond_init(cond_t *c)
{
    __atomic_store_n(&c->seq, 0, __ATOMIC_RELAXED);
}

void cond_wait(cond_t *c, mutex_t *m)
{
    uint32_t seq = __atomic_load_n(&c->seq, __ATOMIC_ACQUIRE);
    mutex_unlock(m);
    thread_block_on(&c->seq, seq, 0);
    mutex_lock(m);
}

void cond_signal(cond_t *c)
{
    __atomic_fetch_add(&c->seq, 1, __ATOMIC_RELEASE);
    thread_wake_on(&c->seq, 1);
}

void cond_broadcast(cond_t *c)
{
    __atomic_fetch_add(&c->seq, 1, __ATOMIC_RELEASE);
    thread_wake_on(&c->seq, INT_MAX);
}
