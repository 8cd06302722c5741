/*
 * C start-up: crt0.S jumps here with the kernel's argc/argv.  Set up the
 * per-thread pointer first (errno lives behind it), then run main and
 * return its status to the shared runtime's user_entry, which runs the
 * program's coroutines (if main spawned any) and then exits with it.
 *
 * There is nothing to flush at exit: stdio is unbuffered (each printf is
 * one write), and the kernel zeroes .bss when it loads the program.
 */
#include <stdlib.h>
#include <stdint.h>
#include "uthread.h"

int main(int argc, char **argv);
int __libc_start(int argc, char **argv, uint32_t task);
void __trace_ring_setup(void);

struct uthread uthread_main;

/* The kernel starts a program with a2 = the main thread's TaskSched record
 * (crt0.S leaves a0..a2 alone). */
int __libc_start(int argc, char **argv, uint32_t task)
{
    uthread_main.task = task;
    uthread_set_self(&uthread_main);
    __trace_ring_setup();
    return main(argc, argv);
}
