/* Bit tricks that would otherwise pull in libgcc (the Debian cross compiler
 * ships no soft-float lp64 libgcc, and the kernel does not link one). */
#ifndef LIB_BITS_H
#define LIB_BITS_H

#include <stdint.h>

/* Index of the lowest set bit; x must not be 0. */
static inline int ctz64(uint64_t x)
{
    int n = 0;
    if (!(x & 0xffffffffu)) { n += 32; x >>= 32; }
    if (!(x & 0xffff)) { n += 16; x >>= 16; }
    if (!(x & 0xff)) { n += 8; x >>= 8; }
    if (!(x & 0xf)) { n += 4; x >>= 4; }
    if (!(x & 0x3)) { n += 2; x >>= 2; }
    if (!(x & 0x1)) { n += 1; }
    return n;
}

#endif
