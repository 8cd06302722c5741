/*
 * garbage: a FIFO whose fetch, from the 50th call on, returns task 200,
 * which is not in the queue.
 * Built only to check that the kernel notices and replaces it.
 *
 * queue->word[0]: first task; word[1]: last task; word[2]: a call counter
 * (the queue is the only place a policy may keep state).
 */
#include "sched_abi.h"

#define HEAD(c)    ((c)->queue->word[0])
#define TAIL(c)    ((c)->queue->word[1])
#define CALLS(c)   ((c)->queue->word[2])
#define NEXT(c, i) ((c)->tasks[i].link[0])

static void p_init(const struct sched_ctx *c)
{
    HEAD(c) = TAIL(c) = SCHED_NONE;
    CALLS(c) = 0;
}

static void p_add(const struct sched_ctx *c, uint32_t hart, uint32_t task)
{
    (void)hart;
    NEXT(c, task) = SCHED_NONE;
    if (HEAD(c) == SCHED_NONE)
        HEAD(c) = task;
    else
        NEXT(c, TAIL(c)) = task;
    TAIL(c) = task;
}

static uint32_t p_fetch(const struct sched_ctx *c, uint32_t hart)
{
    (void)hart;
    uint32_t n = ++CALLS(c);
    if (n >= 50)
        return 200;
    uint32_t task = HEAD(c);
    if (task != SCHED_NONE) {
        HEAD(c) = NEXT(c, task);
        if (HEAD(c) == SCHED_NONE)
            TAIL(c) = SCHED_NONE;
    }
    return task;
}

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
            if (TAIL(c) == task)
                TAIL(c) = prev;
            return;
        }
}

static uint32_t p_top(const struct sched_ctx *c, uint32_t hart)
{
    (void)hart;
    return HEAD(c) == SCHED_NONE ? 0 : c->tasks[HEAD(c)].prio;
}

static uint32_t p_tick(const struct sched_ctx *c, uint32_t hart, uint32_t task)
{
    (void)c; (void)hart; (void)task;
    return 0;
}

SCHED_POLICY("garbage", 0, p_init, p_add, p_fetch, p_add, p_add, p_remove, p_top, p_tick);
