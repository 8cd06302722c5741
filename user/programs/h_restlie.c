// help: hostile: threads rest their harts at every tick for a forged lock holder (h_restlie MS [THREADS])
/*
 * h_restlie MS [THREADS]: the runtime's lock waiters rest their harts (a
 * yield that leaves the hart idle until its next tick) when the queue lock
 * names a thread the shared region says is on a hart: it will let go soon,
 * and the host should run that hart, not the waiters'.  Here the lock is
 * forged to name a sibling that sleeps, marked on a hart (off_hart 0), so
 * THREADS waiters (default two per hart) rest every hart at every tick,
 * for nothing, while a spinner of the program at priority 1 waits.  The
 * kernel must not take those waits for the policy's fault (its starvation
 * watchdog, sched_watchdog=): a hart the process gave back is the
 * process's, as a pinned one is (os/sched/policy.c, hart_is_the_policys).
 * Prints a line when it starts, "h_restlie: done" after MS ms, and exits
 * (the sleeper and the waiters with it).  Exits 2 on bad usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <thread.h>
#include <unistd.h>
#include "../lib/shared_records.h"
#include "vdso.h"

#define MAX_MS      60000
#define MAX_THREADS 64

static volatile int stop;

static void *sleeper(void *arg)
{
    (void)arg;
    for (;;)
        sleep(MAX_MS);
    return NULL;
}

static void *waiter(void *arg)
{
    (void)arg;
    while (!stop)
        yield_();
    return NULL;
}

static void *spinner(void *arg)
{
    (void)arg;
    while (!stop)
        ;
    return NULL;
}

static int number(const char *s, int max)
{
    char *end;
    long v = strtol(s, &end, 10);
    return *s && !*end && v >= 1 && v <= max ? (int)v : -1;
}

int main(int argc, char **argv)
{
    struct sysinfo si;
    int ms = argc >= 2 ? number(argv[1], MAX_MS) : -1;
    int threads = argc >= 3 ? number(argv[2], MAX_THREADS) : 0;
    if (argc < 2 || argc > 3 || ms < 0 || threads < 0 || sysinfo(&si) != 0) {
        dprintf(2, "usage: h_restlie MS [THREADS]  (MS 1..%d, THREADS 1..%d)\n", MAX_MS,
                MAX_THREADS);
        return 2;
    }
    if (!threads)
        threads = 2 * (int)si.harts < MAX_THREADS ? 2 * (int)si.harts : MAX_THREADS;
    int holder = thread_create(sleeper, NULL);
    int low = thread_create(spinner, NULL);
    if (low > 0)
        set_priority(low, 1);
    sleep(50);                          /* the holder is asleep by now */
    int slot = holder > 0 ? shared_slot_of(holder) : -1;
    if (slot < 0 || low <= 0) {
        printf("h_restlie: cannot start its threads\n");
        return 1;
    }
    SHARED_VDSO->off_hart[slot] = 0;    /* "on a hart" */
    SHARED_VDSO->queue_lock = (uint32_t)slot + 1;
    for (int i = 0; i < threads; i++)
        if (thread_create(waiter, NULL) <= 0) {
            printf("h_restlie: thread_create failed after %d waiters\n", i);
            break;
        }
    printf("h_restlie: %d threads resting for a sleeping holder for %d ms\n", threads, ms);
    sleep((uint64_t)ms);
    stop = 1;
    printf("h_restlie: done\n");
    exit(0);
}
