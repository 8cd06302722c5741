// help: test: a waiter for the executor lock sleeps at once when its holder is off its hart
/*
 * t_colock: the executor lock's waiter (coro_exec.c, lock_contended) spins
 * only while spinning can end soon: while the holder runs on another hart.
 * A holder off its hart cannot let go while the waiter spins (on one hart
 * it cannot run at all while the waiter does), so the waiter must sleep in
 * the kernel at once, and the holder must get the hart.
 *
 * Main holds the lock the way a worker does (its token, task + 1, in
 * CO_EXEC.lock: the process may write its own executor), then sleeps in
 * the kernel: off its hart.  A second thread spawns a coroutine, which
 * needs the lock.  Main wakes every millisecond until the lock word says
 * a thread sleeps on it (CO_LOCK_SLEEPERS), then lets go as the runtime
 * does (a swap to 0, a futex wake).  The spawn then completes.
 *
 * Counts, from the executor's statistics (CO_EXEC.lock_waits, lock_spins,
 * lock_sleeps), deterministic whatever the host's speed:
 *   - the waiter found the lock held once, and slept;
 *   - on one hart it spun 0 tries (there is nothing to wait for: the
 *     holder cannot run while it does); on more, only while main was
 *     between two sleeps on its hart, within the bound.  (Usually a few
 *     tries; not asserted lower than the bound, which a host that stops
 *     main's virtual hart meanwhile could pass.)
 * No worker threads (co_workers(1)): the spawner is the only waiter.
 *
 * Prints one line and "t_colock: PASS" or "t_colock: FAIL".
 */
#include <coroutine.h>
#include <futex.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <thread.h>
#include <unistd.h>
#include "../lib/uthread.h"            /* this thread's TaskSched index */

#define BOUND_MS 20000
#define SPINS_MAX 4096   /* the executor's bound on one wait's spin (LOCK_SPINS_MAX) */

static CO_EXEC *const X = (CO_EXEC *)SHARED_EXEC_ADDR;
static volatile int spawned;

static int done_at_once(struct co *c)
{
    co_begin(c);
    co_return(c, 7);
    co_end(c);
}

static void *spawner(void *arg)
{
    (void)arg;
    static struct co frame;
    cid_t cid = co_spawn(done_at_once, &frame, 5);  /* takes the lock */
    spawned = cid == CO_NONE ? -1 : 1;
    if (cid != CO_NONE)
        co_join(cid, 0);
    return 0;
}

int main(void)
{
    /* The executor set up (and idle) first: a spawn and its join. */
    static struct co first;
    if (co_workers(1) < 0) {
        printf("t_colock: co_workers failed\n");
        return 1;
    }
    cid_t f = co_spawn(done_at_once, &first, 5);
    if (f == CO_NONE || co_join(f, 0) < 0) {
        printf("t_colock: no executor\n");
        return 1;
    }
    uint64_t waits0 = X->lock_waits, spins0 = X->lock_spins, sleeps0 = X->lock_sleeps;
    uint32_t me = uthread_self()->task + 1;
    uint32_t free = 0;
    if (!__atomic_compare_exchange_n(&X->lock, &free, me, 0, __ATOMIC_ACQUIRE,
                                     __ATOMIC_RELAXED)) {
        printf("t_colock: the lock was not free\n");
        return 1;
    }
    int tid = thread_create(spawner, 0);
    if (tid < 0) {
        __atomic_store_n(&X->lock, 0, __ATOMIC_RELEASE);
        printf("t_colock: thread_create failed\n");
        return 1;
    }
    int ms = 0;
    while (!(__atomic_load_n(&X->lock, __ATOMIC_ACQUIRE) & CO_LOCK_SLEEPERS) &&
           ms < BOUND_MS) {
        sleep(1);           /* off the hart: the waiter must not spin on us */
        ms++;
    }
    bool slept_on = ms < BOUND_MS;
    if (__atomic_exchange_n(&X->lock, 0, __ATOMIC_RELEASE) & CO_LOCK_SLEEPERS)
        futex_wake((uint32_t *)&X->lock, 1);
    thread_join(tid, 0);
    uint64_t waits = X->lock_waits - waits0, spins = X->lock_spins - spins0;
    uint64_t sleeps = X->lock_sleeps - sleeps0;
    long harts = ((const VDSO_DATA *)SHARED_BASE_ADDR)->nharts;
    bool ok = slept_on && spawned == 1 && waits >= 1 && sleeps >= 1 &&
              (harts == 1 ? spins == 0 : spins <= SPINS_MAX * waits);
    printf("t_colock: harts %ld: the waiter %s after %d ms; lock waits %lu, spins %lu, "
           "sleeps %lu; spawn %s\n", harts, slept_on ? "slept" : "never slept", ms,
           (unsigned long)waits, (unsigned long)spins, (unsigned long)sleeps,
           spawned == 1 ? "done" : "failed");
    printf("t_colock: %s\n", ok ? "PASS" : "FAIL");
    return ok ? 0 : 1;
}
