/*
 * One FIFO per priority level, doubly linked so that remove is O(1): the
 * lists the lottery, stride and level-based mutant test policies are built
 * on.  static inline, so each blob stays one C file with no calls out.
 *
 *   queue->word[LB_HEAD + l], [LB_TAIL + l]: first and last task of level l
 *                                            (SCHED_NONE if empty)
 *   queue->word[LB_COUNT + l]:               tasks queued at level l
 *   queue->word[LB_FREE ...]:                the policy's own
 *   tasks[i].link[0], link[1]:               next and previous at its level
 *   tasks[i].policy[0]:                      the level it is queued at (its
 *                                            prio may change before remove)
 */
#ifndef TEST_BLOBS_LEVELS_BASE_H
#define TEST_BLOBS_LEVELS_BASE_H

#include "sched_abi.h"

#define LB_LEVELS  (SCHED_PRIO_MAX + 1)
#define LB_HEAD    0
#define LB_TAIL    (LB_HEAD + LB_LEVELS)
#define LB_COUNT   (LB_TAIL + LB_LEVELS)
#define LB_FREE    (LB_COUNT + LB_LEVELS)

#define LB_W(c, k)     ((c)->queue->word[k])
#define LB_NEXT(c, i)  ((c)->tasks[i].link[0])
#define LB_PREV(c, i)  ((c)->tasks[i].link[1])
#define LB_LEVEL(c, i) ((c)->tasks[i].policy[0])

static inline void lb_init(const struct sched_ctx *c)
{
    for (uint32_t l = 0; l < LB_LEVELS; l++) {
        LB_W(c, LB_HEAD + l) = LB_W(c, LB_TAIL + l) = SCHED_NONE;
        LB_W(c, LB_COUNT + l) = 0;
    }
}

static inline uint32_t lb_count(const struct sched_ctx *c, uint32_t l)
{
    return LB_W(c, LB_COUNT + l);
}

static inline uint32_t lb_head(const struct sched_ctx *c, uint32_t l)
{
    return LB_W(c, LB_HEAD + l);
}

/* Behind its equals: the FIFO order among equal priorities. */
static inline void lb_push_tail(const struct sched_ctx *c, uint32_t task)
{
    uint32_t l = c->tasks[task].prio, tail = LB_W(c, LB_TAIL + l);
    LB_LEVEL(c, task) = l;
    LB_NEXT(c, task) = SCHED_NONE;
    LB_PREV(c, task) = tail;
    if (tail == SCHED_NONE)
        LB_W(c, LB_HEAD + l) = task;
    else
        LB_NEXT(c, tail) = task;
    LB_W(c, LB_TAIL + l) = task;
    LB_W(c, LB_COUNT + l)++;
}

static inline void lb_unlink(const struct sched_ctx *c, uint32_t task)
{
    uint32_t l = LB_LEVEL(c, task), next = LB_NEXT(c, task), prev = LB_PREV(c, task);
    if (prev == SCHED_NONE)
        LB_W(c, LB_HEAD + l) = next;
    else
        LB_NEXT(c, prev) = next;
    if (next == SCHED_NONE)
        LB_W(c, LB_TAIL + l) = prev;
    else
        LB_PREV(c, next) = prev;
    LB_W(c, LB_COUNT + l)--;
}

/* The highest non-empty level, 0 if none. */
static inline uint32_t lb_top_level(const struct sched_ctx *c)
{
    for (uint32_t l = SCHED_PRIO_MAX; l >= SCHED_PRIO_MIN; l--)
        if (lb_count(c, l))
            return l;
    return 0;
}

static inline void lb_remove(const struct sched_ctx *c, uint32_t hart, uint32_t task)
{
    (void)hart;
    lb_unlink(c, task);
}

static inline uint32_t lb_tick(const struct sched_ctx *c, uint32_t hart, uint32_t task)
{
    (void)c; (void)hart; (void)task;
    return 0;
}

#endif
