/*
 * fifo_tail (a mutant for the grading tests): a FIFO whose remove forgets
 * to move the tail back when it removes the last task.  The tail then
 * names a task that left; the next add links the new task behind it, out
 * of the list, and the new task is lost (or, if the removed task is queued
 * again first, the list runs into a loop).  Everything else is fifo_base.h.
 */
#include "fifo_base.h"

static void p_remove(const struct sched_ctx *c, uint32_t hart, uint32_t task)
{
    (void)hart;
    uint32_t prev = SCHED_NONE;
    for (uint32_t i = HEAD(c); i != SCHED_NONE; prev = i, i = NEXT(c, i))
        if (i == task) {
            if (prev == SCHED_NONE)
                HEAD(c) = NEXT(c, i);
            else
                NEXT(c, prev) = NEXT(c, i);
            /* BUG: TAIL(c) still names `task` if it was the last. */
            return;
        }
}

SCHED_POLICY("fifo_tail", 0, fb_init, fb_add, fb_fetch, fb_add, fb_add, p_remove, fb_top,
             fb_tick);
