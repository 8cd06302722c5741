#include "ktest/ktest.h"
#include "lib/format.h"
#include "lib/string.h"
#include <stdint.h>

static int expect(const char *got, const char *want)
{
    if (strcmp(got, want) == 0)
        return 1;
    KT_DIAG("got \"%s\", want \"%s\"\n", got, want);
    return 0;
}

int ktest_format(void)
{
    char b[64];
    snprintf(b, sizeof b, "%d|%5d|%-5d|%05d|%+d", -42, 42, 42, -42, 7);
    KT_CHECK(expect(b, "-42|   42|42   |-0042|+7"));
    snprintf(b, sizeof b, "%x|%#x|%#x|%X|%lx|%o", 255u, 255u, 0u, 0xabcu,
             0xdeadbeefcafeUL, 8u);
    KT_CHECK(expect(b, "ff|0xff|0|ABC|deadbeefcafe|10"));
    snprintf(b, sizeof b, "%lu|%ld|%zu", UINT64_MAX, INT64_MIN, (size_t)12);
    KT_CHECK(expect(b, "18446744073709551615|-9223372036854775808|12"));
    snprintf(b, sizeof b, "%s|%.3s|%-4s|%4s|%c", "abc", "abcdef", "x", "y", 'z');
    KT_CHECK(expect(b, "abc|abc|x   |   y|z"));
    snprintf(b, sizeof b, "%p|%p", (void *)0x1000, (void *)0);
    KT_CHECK(expect(b, "0x1000|0x0"));
    snprintf(b, sizeof b, "%.3d|%*d|%-*d|%%", 5, 4, 1, 3, 2);
    KT_CHECK(expect(b, "005|   1|2  |%"));
    snprintf(b, sizeof b, "%hhd|%hd|%hu", 300, 70000, 65537);
    KT_CHECK(expect(b, "44|4464|1"));

    /* Truncation: always terminated, and the return says how long it wanted. */
    char small[6];
    int n = snprintf(small, sizeof small, "%s", "hello world");
    KT_CHECK(n == 11);
    KT_CHECK(expect(small, "hello"));
    KT_CHECK(snprintf(NULL, 0, "%d", 12345) == 5);
    return 0;
}
