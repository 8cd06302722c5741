/*
 * fifo_hart3 (a mutant for the grading tests): a FIFO whose fetch, when
 * called on hart 3 or above with two or more tasks queued, returns the
 * second in line and drops the first from the list.  On 1, 2 or 3 harts
 * it is a correct FIFO; on 4 harts it loses a task now and then.
 */
#include "fifo_base.h"

static uint32_t p_fetch(const struct sched_ctx *c, uint32_t hart)
{
    uint32_t first = HEAD(c);
    if (hart >= 3 && first != SCHED_NONE && NEXT(c, first) != SCHED_NONE) {
        uint32_t second = NEXT(c, first);
        HEAD(c) = NEXT(c, second);              /* BUG: `first` is lost */
        if (HEAD(c) == SCHED_NONE)
            TAIL(c) = SCHED_NONE;
        return second;
    }
    return fb_pop_head(c);
}

SCHED_POLICY("fifo_hart3", 0, fb_init, fb_add, p_fetch, fb_add, fb_add, fb_remove, fb_top,
             fb_tick);
