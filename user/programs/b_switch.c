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
 * N rounds (default 20000) in WINDOWS windows after a warm-up one; the
 * figure is from the window with the fewest instructions (<microbench.h>;
 * b_micro reports the same loops as result lines).
 * Prints "b_switch: MODE: I instructions per switch (S switches)".
 */
#include <microbench.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WINDOWS 10

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "user";
    uint32_t n = argc > 2 ? (uint32_t)atoi(argv[2]) : 20000;
    uint32_t per_window = n / WINDOWS > 0 ? n / WINDOWS : 1;
    uint64_t best, switches = 2ULL * per_window;     /* in one window */
    if (strcmp(mode, "syscall") == 0) {
        best = mb_yield_alone(WINDOWS, per_window);
        switches = per_window;
    } else if (strcmp(mode, "process") == 0) {
        best = mb_process_yield(WINDOWS, per_window);
    } else if (strcmp(mode, "user") == 0 || strcmp(mode, "kernel") == 0) {
        best = mb_thread_pingpong(WINDOWS, per_window, strcmp(mode, "user") == 0);
    } else {
        printf("usage: b_switch user|kernel|process|syscall [N]\n");
        return 2;
    }
    if (best == MB_FAILED) {
        printf("b_switch: %s: FAIL (no thread or process to switch to)\n", mode);
        return 1;
    }
    printf("b_switch: %s: %lu instructions per switch (%lu switches)\n", mode,
           (unsigned long)(best / switches), (unsigned long)(switches * WINDOWS));
    return 0;
}
