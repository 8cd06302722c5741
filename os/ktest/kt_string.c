/* ktest string: memcpy, memset and memmove against byte-at-a-time
 * references, at every alignment of both ends (their word loops run only
 * when the ends are 8- or 4-byte aligned, lib/string.c) and at lengths
 * around each loop's step, with guard bytes on either side. */
#include "ktest/ktest.h"
#include "lib/string.h"
#include <stdint.h>

#define SPAN 600            /* past two 128-byte and four 64-byte steps */
#define GUARD 16
#define BUF (GUARD + 16 + SPAN + GUARD)

static unsigned char src[BUF] __attribute__((aligned(16)));
static unsigned char dst[BUF] __attribute__((aligned(16)));
static unsigned char want[BUF] __attribute__((aligned(16)));

static const size_t lengths[] = {
    0, 1, 3, 4, 5, 7, 8, 9, 15, 16, 31, 32, 33, 63, 64, 65, 100, 127, 128, 129, 255,
    256, 257, 300, 511, 512, 513, SPAN,
};
#define NLENGTHS (sizeof lengths / sizeof lengths[0])

static void fill(unsigned char *b, unsigned seed)
{
    for (size_t i = 0; i < BUF; i++)
        b[i] = (unsigned char)(i * 131 + seed * 7 + 1);
}

/* dst and want alike, from seed. */
static void reset(unsigned seed)
{
    fill(dst, seed);
    fill(want, seed);
}

/* After an operation on dst + GUARD + d that returned r: -1 if it
 * returned its destination and dst is want, else the first wrong byte
 * (BUF: the return value). */
static long judge(const void *r, size_t d)
{
    if (r != dst + GUARD + d)
        return BUF;
    for (size_t i = 0; i < BUF; i++)
        if (dst[i] != want[i])
            return (long)i;
    return -1;
}

static int check_memcpy(void)
{
    fill(src, 1);
    for (size_t s = 0; s < 16; s++)
        for (size_t d = 0; d < 16; d++)
            for (size_t k = 0; k < NLENGTHS; k++) {
                size_t n = lengths[k];
                reset(2);
                for (size_t i = 0; i < n; i++)
                    want[GUARD + d + i] = src[GUARD + s + i];
                long at = judge(memcpy(dst + GUARD + d, src + GUARD + s, n), d);
                if (at >= 0) {
                    KT_DIAG("memcpy src+%zu dst+%zu n=%zu: byte %ld wrong\n", s, d, n, at);
                    return -1;
                }
            }
    return 0;
}

static int check_memset(void)
{
    for (size_t d = 0; d < 16; d++)
        for (size_t k = 0; k < NLENGTHS; k++) {
            size_t n = lengths[k];
            reset(3);
            for (size_t i = 0; i < n; i++)
                want[GUARD + d + i] = 0xc3;
            /* Only the low byte of the value counts. */
            long at = judge(memset(dst + GUARD + d, 0x1c3, n), d);
            if (at >= 0) {
                KT_DIAG("memset dst+%zu n=%zu: byte %ld wrong\n", d, n, at);
                return -1;
            }
        }
    return 0;
}

/* Overlapping both ways: what an ideal copy through a temporary gives. */
static int check_memmove(void)
{
    for (long shift = -9; shift <= 9; shift++)
        for (size_t k = 0; k < NLENGTHS; k++) {
            size_t n = lengths[k];
            if (n + 32 > SPAN)
                continue;
            reset(4);
            size_t from = GUARD + 16;
            for (size_t i = 0; i < n; i++)
                want[from + shift + i] = dst[from + i];
            long at = judge(memmove(dst + from + shift, dst + from, n), 16 + shift);
            if (at >= 0) {
                KT_DIAG("memmove by %ld n=%zu: byte %ld wrong\n", shift, n, at);
                return -1;
            }
        }
    return 0;
}

int ktest_string(void)
{
    KT_CHECK(check_memcpy() == 0);
    KT_CHECK(check_memset() == 0);
    KT_CHECK(check_memmove() == 0);
    KT_DIAG("string: memcpy, memset, memmove at 16 x 16 alignments, %zu lengths\n",
            NLENGTHS);
    return 0;
}
