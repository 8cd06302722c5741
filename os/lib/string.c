#include "lib/string.h"
#include <stdint.h>

/* The bulk loops below store sixteen doublewords per iteration (memcpy
 * loads and stores eight):
 * zeroing and copying whole frames (fork, sbrk, exec, new page tables) is
 * most of what those paths cost, and a loop of one doubleword spends two
 * of its three instructions on the loop itself. */

void *memset(void *dst, int c, size_t n)
{
    unsigned char *d = dst;
    while (n && ((uintptr_t)d & 7)) { *d++ = (unsigned char)c; n--; }
    if (n >= 8) {
        uint64_t w = (unsigned char)c;
        w |= w << 8; w |= w << 16; w |= w << 32;
        uint64_t *d8 = (uint64_t *)d;
        for (; n >= 128; n -= 128, d8 += 16) {
            d8[0] = w;  d8[1] = w;  d8[2] = w;  d8[3] = w;
            d8[4] = w;  d8[5] = w;  d8[6] = w;  d8[7] = w;
            d8[8] = w;  d8[9] = w;  d8[10] = w; d8[11] = w;
            d8[12] = w; d8[13] = w; d8[14] = w; d8[15] = w;
        }
        for (; n >= 8; n -= 8)
            *d8++ = w;
        d = (unsigned char *)d8;
    }
    while (n--)
        *d++ = (unsigned char)c;
    return dst;
}

void *memcpy(void *dst, const void *src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;
    if ((((uintptr_t)d | (uintptr_t)s) & 7) == 0) {
        uint64_t *d8 = (uint64_t *)d;
        const uint64_t *s8 = (const uint64_t *)s;
        for (; n >= 64; n -= 64, d8 += 8, s8 += 8) {
            uint64_t a = s8[0], b = s8[1], c = s8[2], e = s8[3];
            uint64_t f = s8[4], g = s8[5], h = s8[6], i = s8[7];
            d8[0] = a; d8[1] = b; d8[2] = c; d8[3] = e;
            d8[4] = f; d8[5] = g; d8[6] = h; d8[7] = i;
        }
        for (; n >= 8; n -= 8)
            *d8++ = *s8++;
        d = (unsigned char *)d8;
        s = (const unsigned char *)s8;
    } else if ((((uintptr_t)d | (uintptr_t)s) & 3) == 0) {
        /* Words: a file in the initrd (cpio) is only 4-byte aligned, and
         * exec copies programs out of it. */
        uint32_t *d4 = (uint32_t *)d;
        const uint32_t *s4 = (const uint32_t *)s;
        for (; n >= 32; n -= 32, d4 += 8, s4 += 8) {
            uint32_t a = s4[0], b = s4[1], c = s4[2], e = s4[3];
            uint32_t f = s4[4], g = s4[5], h = s4[6], i = s4[7];
            d4[0] = a; d4[1] = b; d4[2] = c; d4[3] = e;
            d4[4] = f; d4[5] = g; d4[6] = h; d4[7] = i;
        }
        for (; n >= 4; n -= 4)
            *d4++ = *s4++;
        d = (unsigned char *)d4;
        s = (const unsigned char *)s4;
    }
    while (n--)
        *d++ = *s++;
    return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;
    if (d == s || n == 0)
        return dst;
    if (d < s || d >= s + n)
        return memcpy(dst, src, n);
    while (n--)
        d[n] = s[n];
    return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *x = a, *y = b;
    for (; n; n--, x++, y++)
        if (*x != *y)
            return *x - *y;
    return 0;
}

size_t strlen(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

size_t strnlen(const char *s, size_t max)
{
    size_t n = 0;
    while (n < max && s[n])
        n++;
    return n;
}

int strcmp(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return (unsigned char)*a - (unsigned char)*b;
}

int strncmp(const char *a, const char *b, size_t n)
{
    for (; n; n--, a++, b++) {
        if (*a != *b)
            return (unsigned char)*a - (unsigned char)*b;
        if (!*a)
            return 0;
    }
    return 0;
}

char *strchr(const char *s, int c)
{
    for (;; s++) {
        if (*s == (char)c)
            return (char *)s;
        if (!*s)
            return NULL;
    }
}

size_t strlcpy(char *dst, const char *src, size_t size)
{
    size_t len = strlen(src);
    if (size) {
        size_t n = len < size - 1 ? len : size - 1;
        memcpy(dst, src, n);
        dst[n] = '\0';
    }
    return len;
}
