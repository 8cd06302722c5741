#include "ktest/ktest.h"
#include <stdint.h>

/* Read at run time so the compiler cannot see the bad address. */
static volatile uintptr_t fault_address = 0x8;

/* Deliberately faults three calls deep so the backtrace has something to
 * show; the test suite checks the names with addr2line.  noinline keeps the
 * frames; the call after the store keeps the innermost one from being a
 * leaf (leaf functions lay out their frame differently). */

__attribute__((noinline)) static void ktest_panic_fault(volatile int *where)
{
    *where = 42;                       /* unmapped: store page fault */
    KT_DIAG("not reached\n");
}

__attribute__((noinline)) static void ktest_panic_middle(volatile int *where)
{
    ktest_panic_fault(where);
    KT_DIAG("not reached\n");
}

int ktest_panic(void)
{
    KT_DIAG("faulting on purpose at address 0x8\n");
    ktest_panic_middle((volatile int *)fault_address);
    return -1;
}
