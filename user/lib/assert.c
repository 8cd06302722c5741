/* The failure path of assert() (assert.h). */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>

void __assert_fail(const char *expr, const char *file, int line)
{
    dprintf(2, "assertion failed: %s (%s:%d)\n", expr, file, line);
    exit(134);
}

void abort(void)
{
    exit(134);
}
