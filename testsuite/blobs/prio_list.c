/*
 * prio_list: a correct policy written the way a student might: one linked
 * list kept sorted, most urgent first (priority, then age).  add is O(n),
 * fetch O(1).
 *
 * queue->word[0]: the first task (SCHED_NONE if empty); tasks[i].link[0]:
 * the task after i.
 */
#include "sched_abi.h"

#define FIRST(c)   ((c)->queue->word[0])
#define NEXT(c, i) ((c)->tasks[i].link[0])

static int before(const struct sched_ctx *c, uint32_t a, uint32_t b)
{
    if (c->tasks[a].prio != c->tasks[b].prio)
        return c->tasks[a].prio > c->tasks[b].prio;
    return c->tasks[a].age < c->tasks[b].age;
}

static void pl_init(const struct sched_ctx *c) { FIRST(c) = SCHED_NONE; }

static void pl_add(const struct sched_ctx *c, uint32_t hart, uint32_t task)
{
    (void)hart;
    uint32_t *link = &FIRST(c);
    while (*link != SCHED_NONE && before(c, *link, task))
        link = &NEXT(c, *link);
    NEXT(c, task) = *link;
    *link = task;
}

static uint32_t pl_fetch(const struct sched_ctx *c, uint32_t hart)
{
    (void)hart;
    uint32_t task = FIRST(c);
    if (task != SCHED_NONE)
        FIRST(c) = NEXT(c, task);
    return task;
}

static void pl_remove(const struct sched_ctx *c, uint32_t hart, uint32_t task)
{
    (void)hart;
    for (uint32_t *link = &FIRST(c); *link != SCHED_NONE; link = &NEXT(c, *link))
        if (*link == task) {
            *link = NEXT(c, task);
            return;
        }
}

static uint32_t pl_top(const struct sched_ctx *c, uint32_t hart)
{
    (void)hart;
    return FIRST(c) == SCHED_NONE ? 0 : c->tasks[FIRST(c)].prio;
}

static uint32_t pl_tick(const struct sched_ctx *c, uint32_t hart, uint32_t task)
{
    (void)c; (void)hart; (void)task;
    return 0;
}

SCHED_POLICY("prio_list", SCHED_FLAG_PRIORITY, pl_init, pl_add, pl_fetch, pl_add,
             pl_add, pl_remove, pl_top, pl_tick);
