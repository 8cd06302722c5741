// help: test: a yield lets new threads of equal priority run (t_yieldfair [THREADS [HOG]])
/*
 * t_yieldfair [THREADS [HOG]]: the rule of yield (docs/scheduler.md,
 * "Calls"): a thread that yields lets an equal-priority thread that waits
 * run.  Main creates THREADS threads (default 3) at its own priority and
 * then only yields until each has run its first instruction, in two parts:
 *
 *   1. with yield_() (the runtime's user-mode switch, user_schedule): the
 *      new threads were never run, so they wait in the kernel's queue, not
 *      in the process's; nothing is parked in user mode;
 *   2. with the yield system call (SYS_yield), the kernel's own way.
 *
 * With HOG 1 (the default) a forked child spins at the same priority
 * meanwhile: another process's thread in the kernel's queue, as beside
 * h_coforge's children, where a starvation was first seen (main yielded
 * for 240 s in user mode on one hart under heap and bitmap, its three new
 * threads never run).
 *
 * Each part fails if a thread has not run after BOUND_S seconds of
 * yielding: a working yield gets there within a few ticks on an idle host,
 * and the bound only turns a starvation into a failure.
 * Prints "t_yieldfair: PASS" or "t_yieldfair: FAIL".
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <thread.h>
#include <unistd.h>

#define MAX_THREADS 16
#define BOUND_S     30

static volatile uint32_t started[MAX_THREADS];

static void *note_start(void *arg)
{
    started[(intptr_t)arg] = 1;
    return NULL;
}

static int count_started(int n)
{
    int k = 0;
    for (int i = 0; i < n; i++)
        k += started[i] != 0;
    return k;
}

static int kernel_yield(void)
{
    return (int)syscall_raw(SYS_yield, 0, 0, 0);
}

/* One part: n new threads, then yields with `yield_fn` until all ran or
 * BOUND_S passed.  True if all ran. */
static bool part(const char *name, int n, int (*yield_fn)(void))
{
    int tids[MAX_THREADS];
    for (int i = 0; i < n; i++)
        started[i] = 0;
    for (int i = 0; i < n; i++) {
        tids[i] = thread_create(note_start, (void *)(intptr_t)i);
        if (tids[i] < 0) {
            printf("t_yieldfair: %s: thread_create failed\n", name);
            return false;
        }
    }
    uint64_t t0 = time();
    uint64_t yields = 0;
    while (count_started(n) < n && time() - t0 < BOUND_S * 1000000000ULL) {
        yield_fn();
        yields++;
    }
    int ran = count_started(n);
    uint64_t ms = (time() - t0) / 1000000;
    printf("t_yieldfair: %s: %d of %d new threads ran after %lu yields, %lu ms\n", name, ran,
           n, (unsigned long)yields, (unsigned long)ms);
    for (int i = 0; i < n; i++)
        thread_join(tids[i], NULL);
    return ran == n;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 3;
    int hog = argc > 2 ? atoi(argv[2]) : 1;
    if (n < 1 || n > MAX_THREADS || (hog != 0 && hog != 1)) {
        printf("usage: t_yieldfair [THREADS (1..%d) [HOG (0 or 1)]]\n", MAX_THREADS);
        return 2;
    }
    int child = 0;
    if (hog) {
        child = fork();
        if (child == 0)
            for (;;)
                ;               /* the hog: killed at the end */
        if (child < 0) {
            printf("t_yieldfair: fork failed\n");
            return 1;
        }
    }
    printf("t_yieldfair: %d threads at priority %d, hog %d\n", n, get_priority(0), hog);
    bool ok = part("yield_", n, yield_);
    ok = part("SYS_yield", n, kernel_yield) && ok;
    if (child > 0) {
        kill(child);
        waitpid(child, NULL, 0);
    }
    printf("t_yieldfair: %s\n", ok ? "PASS" : "FAIL");
    return ok ? 0 : 1;
}
