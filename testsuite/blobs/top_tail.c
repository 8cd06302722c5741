/*
 * top_tail (a mutant for the grading tests): a FIFO whose top_priority
 * answers with the priority of the newest task (the tail) instead of the
 * one fetch takes (the head).  Right whenever all queued tasks share a
 * priority, and always 0 exactly when the queue is empty, so the kernel's
 * own checks never notice; the kernel's preemption decisions are wrong.
 */
#include "fifo_base.h"

static uint32_t p_top(const struct sched_ctx *c, uint32_t hart)
{
    (void)hart;
    return TAIL(c) == SCHED_NONE ? 0 : c->tasks[TAIL(c)].prio;   /* BUG: not HEAD */
}

SCHED_POLICY("top_tail", 0, fb_init, fb_add, fb_fetch, fb_add, fb_add, fb_remove, p_top,
             fb_tick);
