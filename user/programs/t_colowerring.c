// help: test: a worker that lowers itself after a ring it missed is raised or stays
/*
 * t_colowerring: a worker that lowers its priority for its next poll must
 * not miss a ring that came after its last look at the doorbell: the ring
 * read the worker's old priority and raised nobody, and the worker,
 * lowered below threads that yield above it, is switched out on its way
 * back from set_priority and never runs again to look at seq itself.  The
 * kernel looks at seq for it (set_priority's CO_LOWER_UNLESS_MOVED,
 * sched_abi/coro.h): moved, the worker keeps its priority and takes the
 * doorbell in (docs/coroutines.md, "A worker that lowers itself is seen
 * low, or sees the ring").
 *
 * One worker W (co_workers(2)); main at HIGH.  H, at HIGH, sleeps
 * (co_sleep: the kernel rings the doorbell at its end).  A, at HIGH, sets
 * its own priority to LOW in its poll and yields (co_yield's fast path:
 * W polls it again, lowered to LOW, without a look at the doorbell).
 * Between A's yield and the fast path's lock, main holds the executor's
 * lock: it writes a token of no thread into CO_EXEC.lock, as a process
 * may (the race it widens is a worker preempted, or asleep on the lock
 * behind another that is, for as long), and lets go only once H's sleep
 * has rung, while W waits.  Then main and a thread per other hart yield
 * at HIGH until H has run, BOUND_S at most.  Before: W lowered itself to
 * LOW and never ran again (H never ran).
 *
 * Then the call itself ("abi"): set_priority(0, LOW, CO_LOWER_UNLESS_MOVED
 * | s) with an s seq cannot have reached fails with EAGAIN and leaves main
 * at HIGH; with the seq it reads, it lowers (tried again if a bump came
 * between); the tag on another thread's call, or on a raise, is no
 * condition.
 *
 * Prints a line per check and "t_colowerring: PASS" or "t_colowerring: FAIL".
 */
#include <coroutine.h>
#include <errno.h>
#include <futex.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <thread.h>
#include <unistd.h>
#include <yielders.h>

#define HIGH      10
#define LOW       1
#define SLEEP_MS  300
#define BOUND_S   10
#define SEC       1000000000ULL
/* The lock word main writes: a token that names no thread (so no waiter
 * spins on its holder), with CO_LOCK_SLEEPERS (a waiter sleeps at once). */
#define FORGED    (CO_LOCK_SLEEPERS | 0x7fffu)

#define EXEC ((CO_EXEC *)SHARED_EXEC_ADDR)

static volatile int a_started, lock_forged, high_ran;

static int high(struct co *c)
{
    co_begin(c);
    co_sleep(c, SLEEP_MS);
    high_ran = 1;
    co_return(c, 0);
    co_end(c);
}

/* A: first poll lowers itself and yields once main holds the lock. */
static int lowers_itself(struct co *c)
{
    if (a_started)
        return CO_READY;
    co_set_priority(c->cid, LOW);
    a_started = 1;
    uint64_t end = (uint64_t)time() + BOUND_S * SEC;
    while (!lock_forged && (uint64_t)time() < end)
        ;
    return CO_YIELD;
}

/* set_priority with its third argument, the kernel's result as it is. */
static long set_priority3(long tid, long prio, uint64_t third)
{
    return syscall_raw(SYS_set_priority, tid, prio, (long)third);
}

static void *napper(void *arg)
{
    (void)arg;
    sleep(200);
    return 0;
}

/* The kernel's side of CO_LOWER_UNLESS_MOVED, called directly. */
static bool check_abi(void)
{
    set_priority(0, HIGH);
    uint32_t s = __atomic_load_n(&EXEC->seq, __ATOMIC_SEQ_CST);
    long moved = set_priority3(0, LOW, CO_LOWER_UNLESS_MOVED | (uint32_t)(s + 0x8000));
    int after_moved = get_priority(0);
    long current = -1;
    for (int i = 0; i < 100 && current != 0; i++) {
        set_priority(0, HIGH);
        s = __atomic_load_n(&EXEC->seq, __ATOMIC_SEQ_CST);
        current = set_priority3(0, LOW, CO_LOWER_UNLESS_MOVED | s);
    }
    int after_current = get_priority(0);
    set_priority(0, HIGH);
    int tid = thread_create(napper, 0);
    long other = tid < 0 ? -1 : set_priority3(tid, LOW, CO_LOWER_UNLESS_MOVED | (uint32_t)(s + 0x8000));
    int other_prio = tid < 0 ? -1 : get_priority(tid);
    if (tid >= 0)
        thread_join(tid, 0);
    set_priority(0, LOW);
    long raise = set_priority3(0, HIGH, CO_LOWER_UNLESS_MOVED | (uint32_t)(s + 0x8000));
    int after_raise = get_priority(0);
    set_priority(0, HIGH);
    printf("t_colowerring: abi: moved %ld at %d, current %ld at %d, other thread %ld at %d, "
           "raise %ld at %d\n", moved, after_moved, current, after_current, other, other_prio,
           raise, after_raise);
    return moved == -EAGAIN && after_moved == HIGH && current == 0 && after_current == LOW &&
           other == 0 && other_prio == LOW && raise == 0 && after_raise == HIGH;
}

static void wait_for(volatile int *flag)
{
    for (int i = 0; i < BOUND_S * 1000 && !*flag; i++)
        sleep(1);
}

int main(void)
{
    if (set_priority(0, HIGH) < 0 || co_workers(2) < 0) {
        printf("t_colowerring: set_priority or co_workers failed\n");
        return 1;
    }
    static struct co h, a;
    memset(&h, 0, sizeof h);
    memset(&a, 0, sizeof a);
    cid_t hid = co_spawn(high, &h, HIGH);
    for (int i = 0; i < 2000 && hid != CO_NONE && co_polls(hid) < 1; i++)
        sleep(1);           /* its sleep submitted */
    cid_t aid = co_spawn(lowers_itself, &a, HIGH);
    wait_for(&a_started);
    if (hid == CO_NONE || aid == CO_NONE || !a_started) {
        printf("t_colowerring: setup failed\n");
        return 1;
    }
    /* Hold the lock (W let it go before a_started), then wait for the
     * ring: no thread of ours looks at the doorbell meanwhile. */
    uint32_t free_word = 0;
    while (!__atomic_compare_exchange_n(&EXEC->lock, &free_word, FORGED, 0, __ATOMIC_ACQUIRE,
                                        __ATOMIC_RELAXED))
        free_word = 0;
    uint32_t seq = __atomic_load_n(&EXEC->seq, __ATOMIC_SEQ_CST);
    lock_forged = 1;
    uint64_t end = (uint64_t)time() + BOUND_S * SEC;
    while (__atomic_load_n(&EXEC->seq, __ATOMIC_SEQ_CST) == seq && (uint64_t)time() < end)
        sleep(1);
    bool rung = __atomic_load_n(&EXEC->bell_summary[0], __ATOMIC_SEQ_CST) != 0;
    /* Yielders at HIGH on every other hart, then the lock goes back. */
    struct yielders y;
    yielders_start(&y);
    __atomic_store_n(&EXEC->lock, 0, __ATOMIC_RELEASE);
    futex_wake((uint32_t *)&EXEC->lock, 1);
    uint64_t yields = yield_until(&high_ran, BOUND_S * SEC);
    bool ran = high_ran != 0;
    yielders_stop(&y);
    printf("t_colowerring: yield: the HIGH coroutine %s after %lu yields "
           "(rung while the worker waited for the lock: %s)\n",
           ran ? "ran" : "never ran", (unsigned long)yields, rung ? "yes" : "no");
    co_join(hid, 0);
    co_join(aid, 0);
    bool ok = check_abi() && ran;
    printf("t_colowerring: %s\n", ok ? "PASS" : "FAIL");
    return ok ? 0 : 1;
}
