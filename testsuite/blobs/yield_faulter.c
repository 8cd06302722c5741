/*
 * yield_faulter: a FIFO whose yield, from the 30th call on, reads a record
 * far outside the task table (a page fault inside the blob).  The kernel
 * calls yield and fetch under one guard when a thread yields with others
 * queued: the report must still name yield, not fetch.
 * (The FIFO itself: fifo_base.h.)
 */
#include "fifo_base.h"

static void p_yield(const struct sched_ctx *c, uint32_t hart, uint32_t task)
{
    if (++CALLS(c) >= 30 && c->tasks[0x7fffffffu].id == task)
        return;                              /* far outside the table */
    fb_add(c, hart, task);
}

SCHED_POLICY("yield_faulter", 0, fb_init, fb_add, fb_fetch, p_yield, fb_add, fb_remove,
             fb_top, fb_tick);
