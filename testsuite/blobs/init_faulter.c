/*
 * init_faulter: a FIFO whose init writes far outside the queue and the
 * task table (a page fault inside the blob, at boot, before any thread).
 * Built only to check that the kernel boots with its built-in policy.
 * (The FIFO itself: fifo_base.h.)
 */
#include "fifo_base.h"

static void p_init(const struct sched_ctx *c)
{
    fb_init(c);
    c->tasks[0x7fffffffu].id = 0;            /* far outside the table */
}

SCHED_POLICY("init_faulter", 0, p_init, fb_add, fb_fetch, fb_add, fb_add, fb_remove, fb_top,
             fb_tick);
