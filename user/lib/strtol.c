/*
 * Number parsing with C semantics: leading space, a sign, base prefixes
 * (0x for 16 and 0 for 8 when base is 0), saturation on overflow.  Overflow
 * is checked by comparison before multiplying, so no 128-bit arithmetic
 * (and no libgcc) is needed.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>


static int digit_value(int c)
{
    if (isdigit(c))
        return c - '0';
    if (islower(c))
        return c - 'a' + 10;
    if (isupper(c))
        return c - 'A' + 10;
    return 99;
}

/* Parses the magnitude; sets *neg and *overflow.  Saturates at max. */
static unsigned long parse(const char *s, char **end, int base, bool *neg,
                           unsigned long max, bool *overflow)
{
    const char *p = s;
    *neg = false;
    *overflow = false;
    while (isspace((unsigned char)*p))
        p++;
    if (*p == '+' || *p == '-')
        *neg = *p++ == '-';
    if ((base == 0 || base == 16) && p[0] == '0' && (p[1] == 'x' || p[1] == 'X')
        && digit_value((unsigned char)p[2]) < 16) {
        p += 2;
        base = 16;
    } else if (base == 0) {
        base = *p == '0' ? 8 : 10;
    }
    if (base < 2 || base > 36) {
        errno = EINVAL;
        if (end)
            *end = (char *)s;
        return 0;
    }
    unsigned long v = 0;
    const char *digits = p;
    for (;; p++) {
        int d = digit_value((unsigned char)*p);
        if (d >= base)
            break;
        if (v > (max - (unsigned long)d) / (unsigned long)base)
            *overflow = true;
        else
            v = v * (unsigned long)base + (unsigned long)d;
    }
    if (end)
        *end = (char *)(p == digits ? s : p);
    return *overflow ? max : v;
}

long strtol(const char *s, char **end, int base)
{
    bool neg, overflow;
    /* The magnitude of LONG_MIN is LONG_MAX + 1. */
    unsigned long v = parse(s, end, base, &neg, (unsigned long)LONG_MAX + 1,
                            &overflow);
    if (!neg && v > (unsigned long)LONG_MAX) {
        v = LONG_MAX;
        overflow = true;
    }
    if (overflow) {
        errno = ERANGE;
        return neg ? LONG_MIN : LONG_MAX;
    }
    return neg ? -(long)(v - 1) - 1 : (long)v;
}

unsigned long strtoul(const char *s, char **end, int base)
{
    bool neg, overflow;
    unsigned long v = parse(s, end, base, &neg, ULONG_MAX, &overflow);
    if (overflow) {
        errno = ERANGE;
        return ULONG_MAX;
    }
    return neg ? -v : v;
}

int atoi(const char *s)
{
    return (int)strtol(s, NULL, 10);
}
