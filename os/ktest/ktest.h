/*
 * Kernel self-tests, chosen on the command line: ktest=all, ktest=list, or
 * ktest=NAME[,NAME...].  The results are KTAP version 1 (the Linux
 * kernel's test output format, docs/testing.md), one line per test:
 *     KTAP version 1
 *     1..N
 *     # NAME: what it checks          (diagnostic lines start with "# ")
 *     ok 1 NAME                       or   not ok 1 NAME
 *     ...
 *     # summary: P passed, F failed
 * then the machine powers off with status 0 if all passed.
 */
#ifndef KTEST_KTEST_H
#define KTEST_KTEST_H

#include <stddef.h>
#include "kernel/printf.h"

/* Inside a test: a KTAP diagnostic line, KT_DIAG("format\n", ...).  The
 * format must be a string literal (the "# " is pasted in front of it). */
#define KT_DIAG(...) kprintf("# " __VA_ARGS__)

/* Inside a test: report the failed condition and fail the test. */
#define KT_CHECK(cond) do { \
    if (!(cond)) { \
        KT_DIAG("check failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__); \
        return -1; \
    } \
} while (0)

/* Runs the tests named by spec[0..len); returns the exit status. */
int ktest_main(const char *spec, size_t len);

/* The tests (one file each). */
int ktest_frame(void);
int ktest_heap(void);
int ktest_heapcache(void);
int ktest_dfree(void);
int ktest_dfreeslab(void);
int ktest_dfreehart(void);
int ktest_vm(void);
int ktest_uvm(void);
int ktest_spinlock(void);
int ktest_hart_rwlock(void);
int ktest_hartrw_nest(void);
int ktest_hartrw_upgrade(void);
int ktest_hartrw_downgrade(void);
int ktest_timer(void);
int ktest_ipi(void);
int ktest_blobguard(void);
int ktest_tick(void);
int ktest_nudge(void);
int ktest_bootargs(void);
int ktest_format(void);
int ktest_string(void);
int ktest_printf(void);
int ktest_panic(void);
int ktest_kcoro(void);
int ktest_fdtable(void);
int ktest_lockstat(void);

#endif
