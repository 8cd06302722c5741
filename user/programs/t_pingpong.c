// help: test: threads pass a turn with user-mode switches
/*
 * t_pingpong [THREADS [ROUNDS]]: threads of one process pass a turn around
 * with yield_() (the shared runtime's user-mode switch).
 *
 * THREADS threads (default: two per hart) take turns: thread i may only
 * advance the shared counter when counter % THREADS == i, and yields until
 * then.  Each takes ROUNDS turns (default 5000).  The run checks that every
 * turn happened in order, then prints the switch counts: how many yields
 * switched threads in user mode, how many yield system calls were made,
 * and what the kernel saw.  It passes if the turns are right and the yield
 * system calls are under a tenth of the yield_() calls: neither a yield
 * that switches threads in user mode nor one that finds nobody to switch
 * to (a thread that has a hart to itself: no more threads than harts)
 * needs the kernel.  With more threads than harts, some yields must also
 * have switched in user mode.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <thread.h>
#include <unistd.h>
#include "vdso.h"

#define MAX_THREADS 32

static volatile uint32_t counter;
static uint32_t nthreads, rounds;
static uint64_t yields[MAX_THREADS], user_switched[MAX_THREADS];
static uint32_t out_of_turn;

static void *player(void *arg)
{
    uint32_t me = (uint32_t)(uintptr_t)arg;
    for (uint32_t r = 0; r < rounds; r++) {
        while (__atomic_load_n(&counter, __ATOMIC_ACQUIRE) % nthreads != me) {
            yields[me]++;
            user_switched[me] += (uint64_t)yield_();
        }
        uint32_t c = __atomic_load_n(&counter, __ATOMIC_RELAXED);
        if (c != r * nthreads + me)
            __atomic_fetch_add(&out_of_turn, 1, __ATOMIC_RELAXED);
        __atomic_store_n(&counter, c + 1, __ATOMIC_RELEASE);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    struct sysinfo si;
    sysinfo(&si);
    nthreads = argc > 1 ? (uint32_t)atoi(argv[1]) : 2 * (uint32_t)si.harts;
    rounds = argc > 2 ? (uint32_t)atoi(argv[2]) : 5000;
    if (nthreads < 2 || nthreads > MAX_THREADS || rounds < 1) {
        printf("usage: t_pingpong [THREADS 2..%d [ROUNDS]]\n", MAX_THREADS);
        return 2;
    }
    struct schedstat before, after;
    schedstat(-1, &before);
    uint64_t t0 = time();
    int tids[MAX_THREADS];
    for (uint32_t i = 0; i < nthreads; i++)
        tids[i] = thread_create(player, (void *)(uintptr_t)i);
    for (uint32_t i = 0; i < nthreads; i++)
        thread_join(tids[i], NULL);
    uint64_t ms = (time() - t0) / 1000000;
    schedstat(-1, &after);

    uint64_t total_yields = 0, total_user = 0;
    for (uint32_t i = 0; i < nthreads; i++) {
        total_yields += yields[i];
        total_user += user_switched[i];
    }
    uint64_t syscalls = after.yield_syscalls - before.yield_syscalls;
    uint64_t reported = after.user_switches_reported - before.user_switches_reported;
    printf("t_pingpong: %u threads x %u turns in %lu ms, counter %u, %u out of turn\n",
           nthreads, rounds, (unsigned long)ms, counter, out_of_turn);
    printf("t_pingpong: yield_() calls %lu, switched in user mode %lu\n",
           (unsigned long)total_yields, (unsigned long)total_user);
    printf("t_pingpong: runtime says user-mode switches %lu; kernel counted "
           "yield syscalls %lu, switches noticed at traps %lu, kernel switches %lu, "
           "parked threads resumed by the kernel %lu\n",
           (unsigned long)reported, (unsigned long)syscalls,
           (unsigned long)(after.user_switches_seen - before.user_switches_seen),
           (unsigned long)(after.kernel_switches - before.kernel_switches),
           (unsigned long)(after.parked_resumes - before.parked_resumes));
    const VDSO_DATA *v = (const VDSO_DATA *)SHARED_BASE_ADDR;
    printf("t_pingpong: the runtime yielded %lu times to let the queue lock's holder run, "
           "gave a hart back %lu times; user-mode switching %s (rt_off %u)\n",
           (unsigned long)v->lock_yields, (unsigned long)v->rests,
           v->rt_off ? "off" : "on", v->rt_off);
    int ok = counter == nthreads * rounds && out_of_turn == 0 &&
             syscalls * 10 < total_yields && (nthreads <= si.harts || reported > 0);
    printf("t_pingpong: %s\n", ok ? "PASS" : "FAIL (see the counts above)");
    return ok ? 0 : 1;
}
