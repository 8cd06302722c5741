/*
 * starver: LIFO.  Every answer is a queued task, but a task that keeps
 * being re-added (a busy thread preempted at the end of its slice) is
 * always picked again, and the oldest waiting task never runs.
 * Built only to check that the kernel notices and replaces it.
 * (The FIFO itself: fifo_base.h.)
 */
#include "fifo_base.h"

/* LIFO: the last one added is the next one run. */
static void p_add(const struct sched_ctx *c, uint32_t hart, uint32_t task)
{
    (void)hart;
    NEXT(c, task) = HEAD(c);
    HEAD(c) = task;
}

static uint32_t p_fetch(const struct sched_ctx *c, uint32_t hart)
{
    (void)hart;
    uint32_t task = HEAD(c);
    if (task != SCHED_NONE)
        HEAD(c) = NEXT(c, task);
    return task;
}

SCHED_POLICY("starver", 0, fb_init, p_add, p_fetch, p_add, p_add, fb_remove, fb_top, fb_tick);
