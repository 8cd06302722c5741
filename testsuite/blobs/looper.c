/*
 * looper: a FIFO whose fetch, from the 30th call on, never returns (an
 * endless loop, with the kernel's scheduler lock held and interrupts off
 * as far as the policy knows).
 * Built only to check that the kernel notices and replaces it.
 * (The FIFO itself: fifo_base.h.)
 */
#include "fifo_base.h"

static uint32_t p_fetch(const struct sched_ctx *c, uint32_t hart)
{
    (void)hart;
    if (++CALLS(c) >= 30)
        for (;;)
            __asm__ volatile("");           /* a loop the compiler keeps */
    return fb_pop_head(c);
}

SCHED_POLICY("looper", 0, fb_init, fb_add, p_fetch, fb_add, fb_add, fb_remove, fb_top, fb_tick);
