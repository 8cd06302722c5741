// help: test: runnable threads spread over the harts (t_spread [THREADS [MS]])
/*
 * t_spread [THREADS [MS]]: do runnable threads spread over the harts?
 *
 * THREADS (default 8) CPU-bound threads each spin for MS milliseconds
 * (default 300) of wall time, noting on which harts they ran (getcpu).  It
 * prints how many distinct harts the threads used, and passes if they used
 * as many as they could (min(THREADS, harts)): only a scheduler that puts
 * idle harts to work gets there.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <thread.h>
#include <unistd.h>

#define MAX_THREADS 32

static uint64_t spin_ms = 300;
static uint32_t harts_seen[MAX_THREADS];    /* bit h: ran on hart h */

static void *spin(void *arg)
{
    int index = (int)(intptr_t)arg;
    uint64_t end = (uint64_t)time() + spin_ms * 1000000ULL;
    while ((uint64_t)time() < end)
        harts_seen[index] |= 1u << getcpu();
    return NULL;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 8;
    if (argc > 2)
        spin_ms = (uint64_t)atoi(argv[2]);
    if (n < 1 || n > MAX_THREADS) {
        printf("t_spread: THREADS must be 1..%d\n", MAX_THREADS);
        return 2;
    }
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
    int distinct = 0;
    for (uint32_t bits = all; bits; bits &= bits - 1)
        distinct++;
    struct sysinfo si;
    sysinfo(&si);
    printf("t_spread: %d threads ran on %d of %lu harts\n", n, distinct,
           (unsigned long)si.harts);
    int wanted = (uint64_t)n < si.harts ? n : (int)si.harts;
    if (distinct < wanted) {
        printf("t_spread: FAIL (%d harts stayed idle)\n", wanted - distinct);
        return 1;
    }
    printf("t_spread: PASS\n");
    return 0;
}
