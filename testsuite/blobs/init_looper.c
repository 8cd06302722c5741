/*
 * init_looper: a FIFO whose init never returns (at boot, before any
 * thread exists).
 * Built only to check that the kernel boots with its built-in policy.
 * (The FIFO itself: fifo_base.h.)
 */
#include "fifo_base.h"

static void p_init(const struct sched_ctx *c)
{
    fb_init(c);
    for (;;)
        __asm__ volatile("");               /* a loop the compiler keeps */
}

SCHED_POLICY("init_looper", 0, p_init, fb_add, fb_fetch, fb_add, fb_add, fb_remove, fb_top,
             fb_tick);
