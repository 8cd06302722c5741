// help: test: runnable threads spread over the harts (t_spread [-b] [THREADS [MS]])
/*
 * t_spread [-b] [THREADS [MS]]: do runnable threads spread over the harts?
 *
 * THREADS (default 8) CPU-bound threads each spin for MS milliseconds
 * (default 300) of wall time, noting on which harts they ran (getcpu).  It
 * prints how many distinct harts the threads used, and passes if they used
 * as many as they could (min(THREADS, harts)): only a scheduler that puts
 * idle harts to work gets there.
 *
 * -b: MS is a bound, not the time to spin: the threads stop as soon as
 * they have been on as many harts as they could.  For a test on a loaded
 * host, where a virtual hart may get no host time for hundreds of
 * milliseconds: a generous bound costs nothing when the harts do spread,
 * and a scheduler that leaves one idle still fails, after MS.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <thread.h>
#include <unistd.h>

#define MAX_THREADS 32

static uint64_t spin_ms = 300;
static uint32_t harts_seen[MAX_THREADS];    /* bit h: ran on hart h */
static bool until_spread;                   /* -b */
static int wanted;                          /* min(THREADS, harts) */
static uint32_t seen_by_all;                /* -b: every thread's bits */

static int count_bits(uint32_t bits)
{
    int n = 0;
    for (; bits; bits &= bits - 1)
        n++;
    return n;
}

static void *spin(void *arg)
{
    int index = (int)(intptr_t)arg;
    uint64_t end = (uint64_t)time() + spin_ms * 1000000ULL;
    while ((uint64_t)time() < end) {
        uint32_t bit = 1u << getcpu();
        harts_seen[index] |= bit;
        if (until_spread &&
            count_bits(__atomic_or_fetch(&seen_by_all, bit, __ATOMIC_RELAXED)) >= wanted)
            break;
    }
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "-b") == 0) {
        until_spread = true;
        argc--;
        argv++;
    }
    int n = argc > 1 ? atoi(argv[1]) : 8;
    if (argc > 2)
        spin_ms = (uint64_t)atoi(argv[2]);
    if (n < 1 || n > MAX_THREADS) {
        printf("t_spread: THREADS must be 1..%d\n", MAX_THREADS);
        return 2;
    }
    struct sysinfo si;
    sysinfo(&si);
    wanted = (uint64_t)n < si.harts ? n : (int)si.harts;
    int tids[MAX_THREADS];
    if (thread_create_indexed(tids, n, spin) < n) {
        printf("t_spread: FAIL (thread_create)\n");
        return 1;
    }
    uint32_t all = 0;
    for (int i = 0; i < n; i++) {
        thread_join(tids[i], NULL);
        all |= harts_seen[i];
    }
    int distinct = count_bits(all);
    printf("t_spread: %d threads ran on %d of %lu harts\n", n, distinct,
           (unsigned long)si.harts);
    if (distinct < wanted) {
        printf("t_spread: FAIL (%d harts stayed idle)\n", wanted - distinct);
        return 1;
    }
    printf("t_spread: PASS\n");
    return 0;
}
