/*
 * Kernel self-tests, chosen on the command line: ktest=all, ktest=list, or
 * ktest=NAME[,NAME...].  Each test prints one result line:
 *     ktest: NAME ... ok
 *     ktest: NAME ... FAILED
 * then a summary, and the machine powers off with status 0 if all passed.
 */
#ifndef KTEST_KTEST_H
#define KTEST_KTEST_H

#include <stddef.h>
#include "kernel/printf.h"

/* Inside a test: report the failed condition and fail the test. */
#define KT_CHECK(cond) do { \
    if (!(cond)) { \
        kprintf("ktest:   check failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__); \
        return -1; \
    } \
} while (0)

/* Runs the tests named by spec[0..len); returns the exit status. */
int ktest_main(const char *spec, size_t len);

/* The tests (one file each). */
int ktest_frame(void);
int ktest_heap(void);
int ktest_vm(void);
int ktest_spinlock(void);
int ktest_timer(void);
int ktest_ipi(void);
int ktest_bootargs(void);
int ktest_format(void);
int ktest_printf(void);
int ktest_panic(void);
int ktest_kcoro(void);

#endif
