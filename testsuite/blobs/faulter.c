/*
 * faulter: a FIFO whose fetch, from the 30th call on, reads a record
 * far outside the task table (a page fault inside the blob).
 * Built only to check that the kernel notices and replaces it.
 * (The FIFO itself: fifo_base.h.)
 */
#include "fifo_base.h"

static uint32_t p_fetch(const struct sched_ctx *c, uint32_t hart)
{
    (void)hart;
    if (++CALLS(c) >= 30)
        return c->tasks[0x7fffffffu].id;    /* far outside the table */
    return fb_pop_head(c);
}

SCHED_POLICY("faulter", 0, fb_init, fb_add, p_fetch, fb_add, fb_add, fb_remove, fb_top, fb_tick);
