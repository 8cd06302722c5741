// help: hostile test: sets block_sched and spins (h_blockspin [MS])
/*
 * h_blockspin [MS]: a hostile program.  Sets block_sched on its hart (as
 * if it were in the middle of a user-mode switch) and spins for MS
 * milliseconds (default 3000), never clearing it.  The kernel must honour
 * the flag only briefly, then preempt it anyway and say so: the rest of the
 * system stays responsive (on one hart, the shell still answers).
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "../lib/uthread.h"
#include "vdso.h"

static uint64_t rdtime(void)
{
    uint64_t t;
    __asm__ volatile("rdtime %0" : "=r"(t));
    return t;
}

int main(int argc, char **argv)
{
    uint64_t ms = argc > 1 ? (uint64_t)atoi(argv[1]) : 3000;
    VDSO_DATA *v = (VDSO_DATA *)SHARED_BASE_ADDR;
    TaskSched *tasks = (TaskSched *)SHARED_TASKS_ADDR;
    uint32_t me = uthread_self()->task;
    printf("h_blockspin: holding block_sched for %lu ms\n", (unsigned long)ms);
    /* No system call in the loop (that would be a way into the kernel): the
     * clock is read with rdtime, 10 MHz on QEMU virt. */
    uint64_t end = rdtime() + ms * 10000ULL;
    while (rdtime() < end) {
        uint32_t hart = tasks[me].hart;          /* may change: we get moved */
        if (hart < SCHED_MAX_HARTS)
            v->block_sched[hart] = 0x55555555;   /* the same section forever */
    }
    printf("h_blockspin: done\n");
    return 0;
}
