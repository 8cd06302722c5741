/*
 * bitmap: one FIFO per priority level and a bitmap of the non-empty levels
 * (seed 000, 3.2.2).  Picking the next task is O(1): find the highest set
 * bit of the bitmap (a count-leading-zeros step), take the head of that
 * level.  add and remove are O(1) too (doubly-linked lists).
 *
 * State:
 *   queue->word[0]            bit p set: level p has tasks
 *   queue->word[HEAD + p]     first task of level p (SCHED_NONE if none)
 *   queue->word[TAIL + p]     last task of level p
 *   tasks[i].link[0], link[1] next and previous task in i's level
 */
#include "sched_abi.h"

#define LEVELS      (SCHED_PRIO_MAX + 1)     /* index = priority, 0 unused */
#define BITS(c)     ((c)->queue->word[0])
#define HEAD(c, p)  ((c)->queue->word[1 + (p)])
#define TAIL(c, p)  ((c)->queue->word[1 + LEVELS + (p)])
#define NEXT(c, i)  ((c)->tasks[i].link[0])

/* Whatever ntasks is, the state is these 43 words of the fixed part (the
 * lists run through the records). */
_Static_assert(1 + 2 * LEVELS <= SCHED_QUEUE_FIXED_WORDS, "levels fit");
#define PREV(c, i)  ((c)->tasks[i].link[1])

static void bitmap_init(const struct sched_ctx *c)
{
    BITS(c) = 0;
    for (uint32_t p = 0; p < LEVELS; p++)
        HEAD(c, p) = TAIL(c, p) = SCHED_NONE;
}

static void bitmap_add(const struct sched_ctx *c, uint32_t hart, uint32_t task)
{
    (void)hart;
    uint32_t p = c->tasks[task].prio;
    NEXT(c, task) = SCHED_NONE;
    PREV(c, task) = TAIL(c, p);
    if (TAIL(c, p) == SCHED_NONE)
        HEAD(c, p) = task;
    else
        NEXT(c, TAIL(c, p)) = task;
    TAIL(c, p) = task;
    BITS(c) |= 1u << p;
}

static void unlink_task(const struct sched_ctx *c, uint32_t task)
{
    uint32_t p = c->tasks[task].prio;
    uint32_t next = NEXT(c, task), prev = PREV(c, task);
    if (prev == SCHED_NONE)
        HEAD(c, p) = next;
    else
        NEXT(c, prev) = next;
    if (next == SCHED_NONE)
        TAIL(c, p) = prev;
    else
        PREV(c, next) = prev;
    if (HEAD(c, p) == SCHED_NONE)
        BITS(c) &= ~(1u << p);
}

static uint32_t bitmap_fetch(const struct sched_ctx *c, uint32_t hart)
{
    (void)hart;
    if (BITS(c) == 0)
        return SCHED_NONE;
    uint32_t task = HEAD(c, sched_highest_bit(BITS(c)));
    unlink_task(c, task);
    return task;
}

static void bitmap_yield(const struct sched_ctx *c, uint32_t hart, uint32_t task)
{
    bitmap_add(c, hart, task);
}

/* Yield then fetch in one call (optional, ABI 2.4: a process's runtime
 * calls it on every user-mode switch).  Simply the two, one after the
 * other: what it saves is the second call from the runtime (the
 * compiler folds both into one function with no frame).  The smallest
 * correct yield_fetch, for any policy. */
static uint32_t bitmap_yield_fetch(const struct sched_ctx *c, uint32_t hart, uint32_t task)
{
    bitmap_add(c, hart, task);
    return bitmap_fetch(c, hart);
}

static void bitmap_wake(const struct sched_ctx *c, uint32_t hart, uint32_t task)
{
    bitmap_add(c, hart, task);
}

static void bitmap_remove(const struct sched_ctx *c, uint32_t hart, uint32_t task)
{
    (void)hart;
    unlink_task(c, task);
}

static uint32_t bitmap_top_priority(const struct sched_ctx *c, uint32_t hart)
{
    (void)hart;
    return BITS(c) ? sched_highest_bit(BITS(c)) : 0;
}

static uint32_t bitmap_tick(const struct sched_ctx *c, uint32_t hart, uint32_t task)
{
    (void)c; (void)hart; (void)task;
    return 0;
}

SCHED_POLICY_WITH_YIELD_FETCH("bitmap", SCHED_FLAG_PRIORITY, bitmap_init, bitmap_add,
                              bitmap_fetch, bitmap_yield, bitmap_wake, bitmap_remove,
                              bitmap_top_priority, bitmap_tick, bitmap_yield_fetch);
