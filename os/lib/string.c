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

/* Copies whole words of one size, eight loads and then eight stores per
 * iteration (the loads can all be in flight before the first store), then
 * one word at a time. Both pointers must be aligned to the word; they are
 * moved past what was copied, and the bytes left, fewer than one word, are
 * returned. One definition for every word size: memcpy's doubleword and
 * word paths are the same loop on different types. */
#define DEFINE_COPY_WORDS(name, word_t)                                     \
    static inline size_t name(unsigned char **dp, const unsigned char **sp, \
                              size_t n)                                     \
    {                                                                       \
        word_t *d = (word_t *)*dp;                                          \
        const word_t *s = (const word_t *)*sp;                              \
        for (; n >= 8 * sizeof(word_t); n -= 8 * sizeof(word_t),            \
                                        d += 8, s += 8) {                   \
            word_t w0 = s[0], w1 = s[1], w2 = s[2], w3 = s[3];              \
            word_t w4 = s[4], w5 = s[5], w6 = s[6], w7 = s[7];              \
            d[0] = w0; d[1] = w1; d[2] = w2; d[3] = w3;                     \
            d[4] = w4; d[5] = w5; d[6] = w6; d[7] = w7;                     \
        }                                                                   \
        for (; n >= sizeof(word_t); n -= sizeof(word_t))                    \
            *d++ = *s++;                                                    \
        *dp = (unsigned char *)d;                                           \
        *sp = (const unsigned char *)s;                                     \
        return n;                                                           \
    }

DEFINE_COPY_WORDS(copy_doublewords, uint64_t)
DEFINE_COPY_WORDS(copy_words, uint32_t)

void *memcpy(void *dst, const void *src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;
    uintptr_t misalignment = (uintptr_t)d | (uintptr_t)s;
    if ((misalignment & 7) == 0)
        n = copy_doublewords(&d, &s, n);
    else if ((misalignment & 3) == 0)
        /* Words: a file in the initrd (cpio) is only 4-byte aligned, and
         * exec copies programs out of it. */
        n = copy_words(&d, &s, n);
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
