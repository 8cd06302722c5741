/*
 * What the stress programs (t_stress, t_chaos) use to make work: a
 * deterministic random stream and a busy loop.  Each caller keeps its own
 * state, so a worker's choices are the same on every run.
 */
#ifndef USER_WORKLOAD_H
#define USER_WORKLOAD_H

#include <stdint.h>

/* xorshift32: the next number of the stream in *s (never 0: start it
 * from a non-zero seed). */
static inline uint32_t next_random(uint32_t *s)
{
    uint32_t x = *s;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *s = x;
}

/* About n iterations of doing nothing, which the compiler keeps. */
static inline void spin(uint32_t n)
{
    for (volatile uint32_t i = 0; i < n; i++)
        ;
}

#endif
