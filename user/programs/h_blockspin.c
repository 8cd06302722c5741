// help: hostile test: pins itself and spins (h_blockspin [MS] [block|lock|otherlock])
/*
 * h_blockspin [MS] [HOW]: a hostile program.  Pins itself to its hart as
 * if it were in the middle of a user-mode switch and spins for MS
 * milliseconds (default 3000), never letting go.  HOW says with what:
 *
 *   block      block_sched on its hart (the default)
 *   lock       its process's queue lock, naming itself (slot + 1): the
 *              runtime's pin (docs/user-mode-switching.md)
 *   otherlock  the queue lock naming a slot that is not its own: no pin
 *              at all, which the kernel must not honour
 *
 * The kernel must honour a pin only briefly, then preempt the program
 * anyway and say so: the rest of the system stays responsive (on one hart,
 * the shell still answers).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "../lib/uthread.h"
#include "../lib/rdtime.h"
#include "vdso.h"

enum how { PIN_BLOCK_SCHED, PIN_LOCK, PIN_OTHER_LOCK };

int main(int argc, char **argv)
{
    uint64_t ms = argc > 1 ? (uint64_t)atoi(argv[1]) : 3000;
    enum how how = PIN_BLOCK_SCHED;
    const char *what = argc > 2 ? argv[2] : "block";
    if (!strcmp(what, "lock")) {
        how = PIN_LOCK;
    } else if (!strcmp(what, "otherlock")) {
        how = PIN_OTHER_LOCK;
    } else if (strcmp(what, "block")) {
        fprintf(stderr, "usage: h_blockspin [MS] [block|lock|otherlock]\n");
        return 2;
    }
    VDSO_DATA *v = (VDSO_DATA *)SHARED_BASE_ADDR;
    TaskSched *tasks = (TaskSched *)SHARED_TASKS_ADDR;
    uint32_t me = uthread_self()->task;
    /* The lock holds its holder's slot + 1: ours, or one past it (a slot
     * no thread of ours has: this process has one thread). */
    uint32_t lock_value = how == PIN_LOCK ? me + 1 : me + 2;
    printf("h_blockspin: holding %s for %lu ms\n",
           how == PIN_BLOCK_SCHED ? "block_sched" : how == PIN_LOCK ? "the queue lock"
                                                                   : "another's queue lock",
           (unsigned long)ms);
    /* No system call in the loop (that would be a way into the kernel):
     * the clock is rdtime's. */
    uint64_t end = rdtime_deadline_ms(ms);
    while (rdtime() < end) {
        if (how != PIN_BLOCK_SCHED) {
            __atomic_store_n(&v->queue_lock, lock_value, __ATOMIC_RELAXED);
            continue;
        }
        uint32_t hart = tasks[me].hart;          /* may change: we get moved */
        if (hart < SCHED_MAX_HARTS)
            v->block_sched[hart] = 0x55555555;   /* the same section forever */
    }
    if (how != PIN_BLOCK_SCHED)
        __atomic_store_n(&v->queue_lock, 0, __ATOMIC_RELEASE);
    printf("h_blockspin: done\n");
    return 0;
}
