/*
 * dropper: a FIFO whose add silently forgets every 7th task.
 * Built only to check that the kernel notices and replaces it.
 * (The FIFO itself: fifo_base.h.)
 */
#include "fifo_base.h"

static void p_add(const struct sched_ctx *c, uint32_t hart, uint32_t task)
{
    (void)hart;
    if (++CALLS(c) % 7 == 0)
        return;                         /* lost */
    fb_push_tail(c, task);
}

SCHED_POLICY("dropper", 0, fb_init, p_add, fb_fetch, p_add, p_add, fb_remove, fb_top, fb_tick);
