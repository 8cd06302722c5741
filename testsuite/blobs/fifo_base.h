/*
 * The FIFO the misbehaving test blobs are built on (garbage, dropper,
 * faulter, starver): each blob stays one C file with no calls out, and
 * differs from a correct FIFO only where it misbehaves.  static inline: a
 * helper a blob does not use produces no code.
 *
 * queue->word[0]: first task; word[1]: last task; word[2]: a call counter
 * (the queue is the only place a policy may keep state).
 */
#ifndef TEST_BLOBS_FIFO_BASE_H
#define TEST_BLOBS_FIFO_BASE_H

#include "sched_abi.h"

#define HEAD(c)    ((c)->queue->word[0])
#define TAIL(c)    ((c)->queue->word[1])
#define CALLS(c)   ((c)->queue->word[2])
#define NEXT(c, i) ((c)->tasks[i].link[0])

static inline void fb_init(const struct sched_ctx *c)
{
    HEAD(c) = TAIL(c) = SCHED_NONE;
    CALLS(c) = 0;
}

static inline void fb_push_tail(const struct sched_ctx *c, uint32_t task)
{
    NEXT(c, task) = SCHED_NONE;
    if (HEAD(c) == SCHED_NONE)
        HEAD(c) = task;
    else
        NEXT(c, TAIL(c)) = task;
    TAIL(c) = task;
}

static inline uint32_t fb_pop_head(const struct sched_ctx *c)
{
    uint32_t task = HEAD(c);
    if (task != SCHED_NONE) {
        HEAD(c) = NEXT(c, task);
        if (HEAD(c) == SCHED_NONE)
            TAIL(c) = SCHED_NONE;
    }
    return task;
}

static inline void fb_remove(const struct sched_ctx *c, uint32_t hart, uint32_t task)
{
    (void)hart;
    uint32_t prev = SCHED_NONE;
    for (uint32_t i = HEAD(c); i != SCHED_NONE; prev = i, i = NEXT(c, i))
        if (i == task) {
            if (prev == SCHED_NONE)
                HEAD(c) = NEXT(c, i);
            else
                NEXT(c, prev) = NEXT(c, i);
            if (TAIL(c) == task)
                TAIL(c) = prev;
            return;
        }
}

/* add, wake and yield of a plain FIFO: to the tail. */
static inline void fb_add(const struct sched_ctx *c, uint32_t hart, uint32_t task)
{
    (void)hart;
    fb_push_tail(c, task);
}

static inline uint32_t fb_fetch(const struct sched_ctx *c, uint32_t hart)
{
    (void)hart;
    return fb_pop_head(c);
}

static inline uint32_t fb_top(const struct sched_ctx *c, uint32_t hart)
{
    (void)hart;
    return HEAD(c) == SCHED_NONE ? 0 : c->tasks[HEAD(c)].prio;
}

static inline uint32_t fb_tick(const struct sched_ctx *c, uint32_t hart, uint32_t task)
{
    (void)c; (void)hart; (void)task;
    return 0;
}

#endif
