#include "ktest/ktest.h"
#include "kernel/cpu.h"
#include "kernel/smp.h"

/* Every hart prints LINES lines at once.  The test suite checks that each
 * line arrived whole: kprintf holds the console for a whole call. */
#define LINES 40

static void print_lines(void *arg)
{
    (void)arg;
    for (int i = 0; i < LINES; i++)
        KT_DIAG("printf hart %lu line %02d: %s\n", this_hartid(), i,
                "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ");
}

int ktest_printf(void)
{
    smp_call_all(print_lines, NULL);
    return 0;
}
