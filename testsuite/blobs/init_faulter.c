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

static void p_add(const struct sched_ctx *c, uint32_t hart, uint32_t task)
{
    (void)hart;
    fb_push_tail(c, task);
}

static uint32_t p_fetch(const struct sched_ctx *c, uint32_t hart)
{
    (void)hart;
    return fb_pop_head(c);
}

SCHED_POLICY("init_faulter", 0, p_init, p_add, p_fetch, p_add, p_add, fb_remove, fb_top,
             fb_tick);
