// help: benchmark: instructions per coroutine operation (b_coro MODE [N])
/*
 * b_coro MODE [N]: instructions per coroutine operation, counted with
 * rdinstret (run on one hart, under QEMU's -icount shift=0 for numbers
 * that repeat exactly), beside b_switch's thread switches.
 *
 *   switch   two coroutines of one priority pass a turn with co_yield: one
 *            switch = a return from one poll and the call of the next
 *   spawn    spawn a coroutine that returns at once, and join it
 *   pipe     two coroutines pass a byte back and forth through two pipes
 *            with co_read / co_write: one hop = a write that completes a
 *            waiting asynchronous read, and that reader's next poll
 *
 * One worker (co_workers(1)): main does the polling, in co_join.  N rounds
 * (default 20000) in windows of at most WINDOW_MAX (WINDOW_MAX_PIPE) after a
 * warm-up one; the figure is
 * from the window with the fewest instructions (<microbench.h>; b_micro
 * reports the same loops as result lines).
 * Prints "b_coro: MODE: I instructions per OP (K OPs)".
 */
#include <coroutine.h>
#include <microbench.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WINDOWS 10         /* at least */
/* Operations per window, at most: a window must stay well under a timer
 * tick (10 million instructions under -icount) to have a chance of seeing
 * none.  A pipe round trip is 20,000 instructions, a switch about 1,000. */
#define WINDOW_MAX_PIPE  100
#define WINDOW_MAX       1000

/* N operations as `*windows` windows of the returned size. */
static uint32_t window_size(uint32_t n, uint32_t most, uint32_t *windows)
{
    uint32_t size = n / WINDOWS > most ? most : n / WINDOWS > 0 ? n / WINDOWS : 1;
    *windows = n / size > WINDOWS ? n / size : WINDOWS;
    return size;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "switch";
    uint32_t n = argc > 2 ? (uint32_t)atoi(argv[2]) : 20000;
    uint32_t windows, per_window = window_size(n, strcmp(mode, "pipe") == 0 ?
                                               WINDOW_MAX_PIPE : WINDOW_MAX, &windows);
    co_workers(1);
    uint64_t best, ops;                          /* ops: in one window */
    const char *what, *plural;
    if (strcmp(mode, "switch") == 0) {
        best = mb_co_switch(windows, per_window);
        ops = 2ULL * per_window;
        what = "switch";
        plural = "switches";
    } else if (strcmp(mode, "spawn") == 0) {
        best = mb_co_spawn(windows, per_window);
        ops = per_window;
        what = "spawn+complete";
        plural = "spawns";
    } else if (strcmp(mode, "pipe") == 0) {
        best = mb_co_pipe(windows, per_window);
        ops = 2ULL * per_window;                 /* a round trip is two hops */
        what = "hop";
        plural = "hops";
    } else {
        printf("usage: b_coro switch|spawn|pipe [N]\n");
        return 2;
    }
    if (best == MB_FAILED) {
        printf("b_coro: %s: FAIL\n", mode);
        return 1;
    }
    printf("b_coro: %s: %lu instructions per %s (%lu %s)\n", mode,
           (unsigned long)(best / ops), what, (unsigned long)(ops * windows), plural);
    return 0;
}
