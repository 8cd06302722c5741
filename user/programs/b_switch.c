// help: benchmark: instructions per thread switch (b_switch MODE [N])
/*
 * b_switch MODE [N]: instructions per switch, counted with rdinstret (run on
 * one hart, under QEMU's -icount shift=0 for numbers that repeat exactly).
 *
 *   user     two threads pass a turn with yield_(): user-mode switches
 *   kernel   two threads pass a turn with the yield system call
 *   process  two processes each call yield: every call switches address
 *            space (one system call and one process switch per switch)
 *   syscall  one thread calls yield with nothing else to run (the bare
 *            cost of the system call)
 *
 * N rounds (default 20000) in windows of at most WINDOW_MAX after a warm-up one; the
 * figure is from the window with the fewest instructions (<microbench.h>;
 * b_micro reports the same loops as result lines).
 * Prints "b_switch: MODE: I instructions per switch (S switches)".
 */
#include <microbench.h>
#include <stdio.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#define WINDOWS 10         /* at least */
/* Rounds per window, at most: a window must stay well under a timer tick
 * (10 million instructions under -icount) to have a chance of seeing
 * none, and a round is two switches of about 1,000 instructions. */
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
    const char *mode = argc > 1 ? argv[1] : "user";
    uint32_t n = argc > 2 ? (uint32_t)atoi(argv[2]) : 20000;
    uint32_t windows, per_window = window_size(n, WINDOW_MAX, &windows);
    uint64_t best, switches = 2ULL * per_window;     /* in one window */
    if (strcmp(mode, "syscall") == 0) {
        best = mb_syscall_loop(SYS_yield, windows, per_window);
        switches = per_window;
    } else if (strcmp(mode, "process") == 0) {
        best = mb_process_yield(windows, per_window);
    } else if (strcmp(mode, "user") == 0 || strcmp(mode, "kernel") == 0) {
        best = mb_thread_pingpong(windows, per_window,
                                  strcmp(mode, "user") == 0 ? MB_YIELD_USER : MB_YIELD_SYSCALL);
    } else {
        printf("usage: b_switch user|kernel|process|syscall [N]\n");
        return 2;
    }
    if (best == MB_FAILED) {
        printf("b_switch: %s: FAIL (no thread or process to switch to)\n", mode);
        return 1;
    }
    printf("b_switch: %s: %lu instructions per switch (%lu switches)\n", mode,
           (unsigned long)(best / switches), (unsigned long)(switches * windows));
    return 0;
}
