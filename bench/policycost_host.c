/*
 * policycost_host [MAXN]: the host version of b_policy: what one policy's
 * add + fetch and remove cost on this machine's CPU as the queue grows,
 * for n = 1, 4, 16, 64, 256, 1024, 4096 (those up to MAXN):
 *
 *     BENCH policycost where=host policy=NAME n=N op=add_fetch ps=P
 *     BENCH policycost where=host policy=NAME n=N op=remove ps=P
 *     ...
 *     BENCH-DONE policycost
 *
 * P is picoseconds per operation (an integer: an operation takes a few
 * nanoseconds).  The policy's C file is compiled in, the way the host
 * tests and the kernel's fallback copy use it:
 *
 *   gcc -O2 -I sched_abi -DSCHED_BUILTIN_OPS=policy_under_test \
 *       -DPOLICY_SOURCE='"sched_impls/heap/heap.c"' bench/policycost_host.c
 *
 * (`make policycost-host` builds one per policy into build/bench/ and runs
 * them.)  The workload is the guest's, bench/policycost_workload.h: the
 * same table, seeds and samples, each sample the least of REPS replays.
 * The clock: on x86-64 the time-stamp counter (rdtsc, ordered by lfence),
 * converted to time against CLOCK_MONOTONIC over CALIBRATE_NS (a constant
 * rate is assumed: the constant_tsc flag of /proc/cpuinfo); elsewhere
 * clock_gettime(CLOCK_MONOTONIC) itself, whose own cost is taken off as
 * the empty bracket but whose resolution may be coarse.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#ifndef POLICY_SOURCE
#error "compile with -DPOLICY_SOURCE='\"sched_impls/NAME/NAME.c\"' -DSCHED_BUILTIN_OPS=policy_under_test"
#endif
#include POLICY_SOURCE

static uint64_t monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

#if defined(__x86_64__)
#include <x86intrin.h>
static inline uint64_t host_now(void)
{
    _mm_lfence();
    uint64_t t = __rdtsc();
    _mm_lfence();
    return t;
}
#define CLOCK_NAME "rdtsc"
#else
#define host_now monotonic_ns
#define CLOCK_NAME "clock_gettime"
#endif

#define PC_NOW() host_now()
#include "policycost_workload.h"

#define MAXN_LIMIT   4096
#define ITERS        20000
#define REPS         5
#define CALIBRATE_NS 200000000ull

static const uint32_t SIZES[] = { 1, 4, 16, 64, 256, 1024, 4096 };

/* Picoseconds per PC_NOW() unit. */
static double ps_per_unit(void)
{
    uint64_t ns0 = monotonic_ns(), u0 = host_now(), ns1;
    while ((ns1 = monotonic_ns()) - ns0 < CALIBRATE_NS)
        ;
    uint64_t u1 = host_now();
    return u1 > u0 ? (double)(ns1 - ns0) * 1000.0 / (double)(u1 - u0) : 0.0;
}

static void *zalloc(size_t n, size_t size)
{
    void *p = calloc(n, size);
    if (!p) {
        printf("BENCH-ERROR policycost out of memory\n");
        printf("BENCH-DONE policycost\n");
        exit(1);
    }
    return p;
}

int main(int argc, char **argv)
{
    char *end = NULL;
    long maxn = argc > 1 ? strtol(argv[1], &end, 10) : MAXN_LIMIT;
    if (argc > 2 || (argc == 2 && (*end != '\0' || maxn < 1 || maxn > MAXN_LIMIT))) {
        fprintf(stderr, "usage: %s [MAXN]: MAXN from 1 to %d (default %d); "
                        "measures n = 1, 4, 16, ... up to MAXN\n", argv[0], MAXN_LIMIT,
                MAXN_LIMIT);
        return 2;
    }
    const struct sched_policy_desc *p = &policy_under_test;
    double scale = ps_per_unit();
    if (scale <= 0.0) {
        printf("BENCH-ERROR policycost the %s clock does not advance\n", CLOCK_NAME);
        printf("BENCH-DONE policycost\n");
        return 1;
    }
    struct pc_mem m = { .max_n = (uint32_t)maxn, .iters = ITERS };
    uint32_t records = m.max_n + 1;
    m.tasks = zalloc(records, sizeof(TaskSched));
    m.queue = zalloc(SCHED_QUEUE_WORDS(records), 4);
    m.queued = zalloc(records, 4);
    m.slot = zalloc(records, 4);
    m.add_fetch = zalloc(ITERS, 4);
    m.remove = zalloc(ITERS, 4);
    m.empty = zalloc(ITERS, 4);
    int failed = 0;
    for (size_t k = 0; k < sizeof SIZES / sizeof SIZES[0] && SIZES[k] <= m.max_n; k++) {
        uint32_t n = SIZES[k];
        struct pc_sums sums;
        if (pc_measure(&p->ops, &m, n, REPS, &sums) < 0) {
            printf("BENCH-ERROR policycost policy=%s n=%u lost, invented or repeated a task\n",
                   p->name, n);
            failed = 1;
            continue;
        }
        /* Per operation, in picoseconds: the mean of the per-sample minima,
         * the empty bracket taken off. */
        double af = (double)(sums.add_fetch > sums.empty ? sums.add_fetch - sums.empty : 0);
        double rm = (double)(sums.remove > sums.empty ? sums.remove - sums.empty : 0);
        printf("BENCH policycost where=host policy=%s n=%u op=add_fetch ps=%llu\n", p->name, n,
               (unsigned long long)(af * scale / ITERS + 0.5));
        printf("BENCH policycost where=host policy=%s n=%u op=remove ps=%llu\n", p->name, n,
               (unsigned long long)(rm * scale / ITERS + 0.5));
        fflush(stdout);
    }
    printf("BENCH-DONE policycost\n");
    return failed;
}
