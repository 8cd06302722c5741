/*
 * C start-up: crt0.S jumps here with the kernel's argc/argv.  Set up the
 * per-thread pointer first (errno lives behind it), then run main and hand
 * its return value to exit().
 *
 * There is nothing to flush at exit: stdio is unbuffered (each printf is
 * one write), and the kernel zeroes .bss when it loads the program.
 */
#include <stdlib.h>
#include "uthread.h"

int main(int argc, char **argv);
void __libc_start(int argc, char **argv) __attribute__((noreturn));

struct uthread uthread_main;

void __libc_start(int argc, char **argv)
{
    uthread_set_self(&uthread_main);
    exit(main(argc, argv));
}
