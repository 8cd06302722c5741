#include "ktest/ktest.h"
#include "kernel/bootargs.h"
#include "lib/string.h"

int ktest_bootargs(void)
{
    const char *saved = bootargs_raw();
    bootargs_init("  a=1 msg=\"hello world\" flag a=2 empty= last=x");
    struct bootarg arg;
    char buf[16];
    int ok = 1;

    ok &= bootarg_is("a", "2");                    /* the last one wins */
    ok &= bootarg_copy("msg", buf, sizeof buf) && strcmp(buf, "hello world") == 0;
    ok &= bootarg_find("flag", &arg) && !arg.has_value;
    ok &= bootarg_find("empty", &arg) && arg.has_value && arg.value_len == 0;
    ok &= bootarg_is("last", "x");
    ok &= !bootarg_find("missing", &arg);
    ok &= !bootarg_find("fla", &arg);              /* no prefix matches */
    char tiny[4];
    ok &= !bootarg_copy("msg", tiny, sizeof tiny); /* refused, not cut */

    size_t cursor = 0;
    int count = 0;
    while (bootarg_next(&cursor, &arg))
        count++;
    ok &= count == 6;

    bootargs_init(saved);
    KT_CHECK(ok);
    return 0;
}
