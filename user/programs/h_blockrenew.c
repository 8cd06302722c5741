// help: hostile test: keeps renewing block_sched (h_blockrenew [MS [THREADS]])
/*
 * h_blockrenew [MS [THREADS]]: a hostile program.  THREADS threads
 * (default 1) each keep block_sched set on their hart for MS milliseconds
 * (default 3000), storing a new section number every 50 ms, as if each
 * were a fresh, short user-mode switch.  The kernel must budget the total
 * time a process holds block_sched, not one section: it preempts the
 * program anyway and says so, and the rest of the system stays responsive
 * (on one hart, the shell still answers).  No policy is to blame.
 */
#include <stdio.h>
#include <stdlib.h>
#include <thread.h>
#include <unistd.h>
#include "../lib/uthread.h"
#include "../lib/rdtime.h"
#include "vdso.h"

static uint64_t ms;

static void *renew(void *arg)
{
    (void)arg;
    VDSO_DATA *v = (VDSO_DATA *)SHARED_BASE_ADDR;
    TaskSched *tasks = (TaskSched *)SHARED_TASKS_ADDR;
    uint32_t me = uthread_self()->task;
    /* No system call in the loop (that would be a way into the kernel):
     * the clock is rdtime's. */
    uint64_t now = rdtime(), end = now + ms * RDTIME_PER_MS, renew_at = now;
    uint32_t section = 1;
    while ((now = rdtime()) < end) {
        if (now >= renew_at) {
            section = __atomic_add_fetch(&v->block_seq, 2, __ATOMIC_RELAXED) | 1;
            renew_at = now + 50 * RDTIME_PER_MS;
        }
        uint32_t hart = tasks[me].hart;          /* may change: we get moved */
        if (hart < SCHED_MAX_HARTS)
            v->block_sched[hart] = section;
    }
    return NULL;
}

int main(int argc, char **argv)
{
    ms = argc > 1 ? (uint64_t)atoi(argv[1]) : 3000;
    int n = argc > 2 ? atoi(argv[2]) : 1;
    if (n < 1 || n > 16) {
        printf("usage: h_blockrenew [MS [THREADS 1..16]]\n");
        return 2;
    }
    printf("h_blockrenew: %d threads renewing block_sched for %lu ms\n", n,
           (unsigned long)ms);
    int tids[16];
    for (int i = 1; i < n; i++)
        tids[i] = thread_create(renew, NULL);
    renew(NULL);
    for (int i = 1; i < n; i++)
        thread_join(tids[i], NULL);
    printf("h_blockrenew: done\n");
    return 0;
}
