/*
 * The hart's clock read in user mode (rdtime), for the test programs that
 * must not enter the kernel while they wait: a system call would be a way
 * into the kernel, and so a point where it may switch or reconcile, which
 * is what those programs keep away from (a pin held, a switch left
 * midway).
 */
#ifndef USER_LIB_RDTIME_H
#define USER_LIB_RDTIME_H

#include <stdint.h>

#define RDTIME_PER_MS 10000ULL      /* rdtime counts at 10 MHz on QEMU virt */

static inline uint64_t rdtime(void)
{
    uint64_t t;
    __asm__ volatile("rdtime %0" : "=r"(t));
    return t;
}

/* The rdtime value `ms` milliseconds from now. */
static inline uint64_t rdtime_deadline_ms(uint64_t ms)
{
    return rdtime() + ms * RDTIME_PER_MS;
}

#endif
