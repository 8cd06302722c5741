/*
 * Counting semaphore: the count itself is the futex word.  A waiter sleeps
 * only while the count is 0, and the kernel re-checks that atomically, so a
 * post between our check and our sleep is never lost (the sleep returns
 * EAGAIN and we try again).  `waiters` lets sem_post skip the system call
 * when nobody sleeps.
 */
#include <semaphore.h>
#include "block.h"

void sem_init(sem_t *s, uint32_t value)
{
    __atomic_store_n(&s->value, value, __ATOMIC_RELAXED);
    __atomic_store_n(&s->waiters, 0, __ATOMIC_RELAXED);
}

bool sem_trywait(sem_t *s)
{
    uint32_t v = __atomic_load_n(&s->value, __ATOMIC_RELAXED);
    while (v > 0)
        if (__atomic_compare_exchange_n(&s->value, &v, v - 1, true,
                                        __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
            return true;
    return false;
}

void sem_wait(sem_t *s)
{
    /* First let other threads of the process run in user mode (the one
     * that will post may be among them), then sleep in the kernel. */
    for (int i = 0; i < THREAD_YIELDS_BEFORE_SLEEP; i++) {
        if (sem_trywait(s))
            return;
        if (!thread_yield_hart())
            break;
    }
    while (!sem_trywait(s)) {
        __atomic_fetch_add(&s->waiters, 1, __ATOMIC_SEQ_CST);
        thread_block_on(&s->value, 0, 0);
        __atomic_fetch_sub(&s->waiters, 1, __ATOMIC_RELAXED);
    }
}

void sem_post(sem_t *s)
{
    __atomic_fetch_add(&s->value, 1, __ATOMIC_SEQ_CST);
    if (__atomic_load_n(&s->waiters, __ATOMIC_SEQ_CST) > 0)
        thread_wake_on(&s->value, 1);
}
