// help: benchmark: kernel yields on all harts at once; scheduler lock waits (b_hartyield [THREADS [YIELDS]])
/*
 * b_hartyield [THREADS [YIELDS]]: THREADS threads (default: two per hart)
 * each make YIELDS kernel yields (SYS_yield, never the runtime's yield_(),
 * so no thread parks in user mode), all at once, then one result line of
 * the benchmark contract (bench/README.md):
 *
 *     BENCH hartyield threads=T harts=H yields=N shared=S lock_waits=W
 *           waits_per_10k=R instr=I
 *     BENCH-DONE hartyield
 *
 * With two threads per hart, every yield has another thread to switch to
 * on its own hart: under a per-hart policy the harts' yields are
 * independent, and only the kernel's lock can make them wait for each
 * other.  shared is how many yields the kernel made under a shared hold of
 * its lock (SCHED_FLAG_HART_LOCAL, docs/scheduler.md); lock_waits how
 * often any hart found the lock taken meanwhile (schedstat, whole
 * system); R is that per 10,000 yields.  I is instructions per yield: the
 * fewest of any window of WINDOW yields of one thread, counted by its
 * hart (so the other thread's turn between two of its yields is in, as in
 * b_micro's yield_other).  Under -icount, a hart that spins on the lock
 * retires instructions while it waits, so I grows with contention.  Speed
 * on a loaded host is noise: compare counts.
 *
 * Errors: a bad argument is a usage error (exit 2); a thread that cannot
 * be created, or a schedstat that fails, gives BENCH-ERROR (exit 1).
 */
#include <microbench.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <thread.h>
#include <unistd.h>

#define MAX_THREADS 32
#define WINDOW      64          /* yields per counted window */

static uint32_t yields_each = 20000;
static volatile uint32_t ready, go;
static uint64_t fewest[MAX_THREADS];

static long kyield(void)
{
    return syscall_raw(SYS_yield, 0, 0, 0);
}

static void *yielder(void *arg)
{
    uintptr_t me = (uintptr_t)arg;
    __atomic_fetch_add(&ready, 1, __ATOMIC_RELAXED);
    while (!__atomic_load_n(&go, __ATOMIC_ACQUIRE))
        kyield();
    uint64_t best = UINT64_MAX;
    for (uint32_t done = 0; done + WINDOW <= yields_each; done += WINDOW) {
        uint64_t start = instret();
        for (int i = 0; i < WINDOW; i++)
            kyield();
        uint64_t spent = instret() - start;
        best = spent < best ? spent : best;
    }
    fewest[me] = best / WINDOW;
    return NULL;
}

static bool parse(const char *s, uint32_t lo, uint32_t hi, uint32_t *out)
{
    char *end;
    unsigned long v = strtoul(s, &end, 10);
    if (*s < '0' || *s > '9' || *end || v < lo || v > hi)
        return false;
    *out = (uint32_t)v;
    return true;
}

int main(int argc, char **argv)
{
    struct sysinfo si;
    if (sysinfo(&si) < 0) {
        printf("BENCH-ERROR hartyield sysinfo failed\nBENCH-DONE hartyield\n");
        return 1;
    }
    uint32_t nthreads = (uint32_t)(2 * si.harts);
    nthreads = nthreads > MAX_THREADS ? MAX_THREADS : nthreads;
    if (argc > 3 || (argc > 1 && !parse(argv[1], 1, MAX_THREADS, &nthreads)) ||
        (argc > 2 && !parse(argv[2], WINDOW, 10000000, &yields_each))) {
        printf("usage: b_hartyield [THREADS (1..%d, default 2 per hart) "
               "[YIELDS (%d..10000000, default 20000)]]\n", MAX_THREADS, WINDOW);
        return 2;
    }
    struct schedstat before, after;
    if (schedstat(0, &before) < 0) {
        printf("BENCH-ERROR hartyield schedstat failed\nBENCH-DONE hartyield\n");
        return 1;
    }
    int tids[MAX_THREADS];
    uint32_t started = 0;
    for (; started < nthreads; started++) {
        tids[started] = thread_create(yielder, (void *)(uintptr_t)started);
        if (tids[started] <= 0)
            break;
    }
    while (__atomic_load_n(&ready, __ATOMIC_RELAXED) < started)
        kyield();
    __atomic_store_n(&go, 1, __ATOMIC_RELEASE);
    for (uint32_t i = 0; i < started; i++)
        thread_join(tids[i], NULL);
    if (started < nthreads || schedstat(0, &after) < 0) {
        printf("BENCH-ERROR hartyield %s\nBENCH-DONE hartyield\n",
               started < nthreads ? "thread_create failed" : "schedstat failed");
        return 1;
    }
    uint64_t instr = UINT64_MAX;
    for (uint32_t i = 0; i < nthreads; i++)
        instr = fewest[i] < instr ? fewest[i] : instr;
    uint64_t yields = (uint64_t)nthreads * yields_each;
    uint64_t waits = after.sched_lock_waits - before.sched_lock_waits;
    printf("BENCH hartyield threads=%u harts=%lu yields=%lu shared=%lu lock_waits=%lu "
           "waits_per_10k=%lu instr=%lu\n", nthreads, (unsigned long)si.harts,
           (unsigned long)yields, (unsigned long)(after.shared_yields - before.shared_yields),
           (unsigned long)waits, (unsigned long)(waits * 10000 / yields),
           (unsigned long)instr);
    printf("BENCH-DONE hartyield\n");
    return 0;
}
