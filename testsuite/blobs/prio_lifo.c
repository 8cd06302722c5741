/*
 * prio_lifo (a mutant for the grading tests): strict priority, flagged
 * SCHED_FLAG_PRIORITY, but a task is queued in front of its equals instead
 * of behind them: LIFO among equal priorities.  Always the right priority,
 * never a lost task; only the order among equals is wrong.
 */
#include "levels_base.h"

static void p_add(const struct sched_ctx *c, uint32_t hart, uint32_t task)
{
    (void)hart;
    uint32_t l = c->tasks[task].prio, head = lb_head(c, l);
    LB_LEVEL(c, task) = l;
    LB_PREV(c, task) = SCHED_NONE;
    LB_NEXT(c, task) = head;                  /* BUG: in front of its equals */
    if (head == SCHED_NONE)
        LB_W(c, LB_TAIL + l) = task;
    else
        LB_PREV(c, head) = task;
    LB_W(c, LB_HEAD + l) = task;
    LB_W(c, LB_COUNT + l)++;
}

static uint32_t p_fetch(const struct sched_ctx *c, uint32_t hart)
{
    (void)hart;
    uint32_t l = lb_top_level(c);
    if (l == 0)
        return SCHED_NONE;
    uint32_t task = lb_head(c, l);
    lb_unlink(c, task);
    return task;
}

static uint32_t p_top(const struct sched_ctx *c, uint32_t hart)
{
    (void)hart;
    return lb_top_level(c);
}

SCHED_POLICY("prio_lifo", SCHED_FLAG_PRIORITY, lb_init, p_add, p_fetch, p_add, p_add,
             lb_remove, p_top, lb_tick);
