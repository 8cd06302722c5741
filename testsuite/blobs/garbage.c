/*
 * garbage: a FIFO whose fetch, from the 50th call on, returns task 200,
 * which is not in the queue.
 * Built only to check that the kernel notices and replaces it.
 * (The FIFO itself: fifo_base.h.)
 */
#include "fifo_base.h"

static uint32_t p_fetch(const struct sched_ctx *c, uint32_t hart)
{
    (void)hart;
    if (++CALLS(c) >= 50)
        return 200;                     /* not in the queue */
    return fb_pop_head(c);
}

SCHED_POLICY("garbage", 0, fb_init, fb_add, p_fetch, fb_add, fb_add, fb_remove, fb_top, fb_tick);
