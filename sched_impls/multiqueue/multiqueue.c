/*
 * multiqueue: a ready queue per hart.  A hart picks from its own queue
 * (strict priority, FIFO among equals, like the bitmap policy); when its
 * queue is empty it steals the best task of the busiest hart's queue.
 * Tasks therefore stay where they ran (cache affinity) but never wait
 * while a hart idles, and a crowd of new tasks spreads over the harts.
 *
 * Where a task is queued:
 *   add    on the hart it last ran on (its `hart` field), else the caller's
 *   yield  on the caller's hart (it was running there)
 *   wake   on the least loaded hart (ties: its last hart first)
 *
 * State, per hart h (QSIZE words from word[QBASE(h)], all within
 * SCHED_QUEUE_FIXED_WORDS):
 *   +0                 bitmap of non-empty levels
 *   +1 .. +LEVELS      heads of the levels
 *   +1+LEVELS ..       tails of the levels
 *   +1+2*LEVELS        number of tasks queued on h
 *   tasks[i].link[0..1] next/previous in its level; tasks[i].policy[0] the
 *   hart whose queue holds i.
 *
 * SCHED_FLAG_HART_LOCAL holds: yield(h) queues on h, and fetch(h) with h's
 * queue not empty reads and writes only h's words and the records in h's
 * lists (source_queue looks at the other harts only when h's is empty).
 * So the kernel lets harts yield at the same time (sched_abi.h).
 */
#include "sched_abi.h"

#define LEVELS       (SCHED_PRIO_MAX + 1)
#define QSIZE        (2 + 2 * LEVELS)
#define QBASE(h)     ((h) * QSIZE)
#define BITS(c, h)   ((c)->queue->word[QBASE(h)])
#define HEAD(c, h, p) ((c)->queue->word[QBASE(h) + 1 + (p)])
#define TAIL(c, h, p) ((c)->queue->word[QBASE(h) + 1 + LEVELS + (p)])
#define COUNT(c, h)  ((c)->queue->word[QBASE(h) + 1 + 2 * LEVELS])
#define NEXT(c, i)   ((c)->tasks[i].link[0])
#define PREV(c, i)   ((c)->tasks[i].link[1])
#define QUEUE_OF(c, i) ((c)->tasks[i].policy[0])

/* Nothing here grows with the tasks: every hart's state fits in the fixed
 * part of the queue, whatever ntasks is. */
_Static_assert(QSIZE * SCHED_MAX_HARTS <= SCHED_QUEUE_FIXED_WORDS, "queues fit");

static void mq_init(const struct sched_ctx *c)
{
    for (uint32_t h = 0; h < c->nharts; h++) {
        BITS(c, h) = 0;
        COUNT(c, h) = 0;
        for (uint32_t p = 0; p < LEVELS; p++)
            HEAD(c, h, p) = TAIL(c, h, p) = SCHED_NONE;
    }
}

static void enqueue(const struct sched_ctx *c, uint32_t h, uint32_t task)
{
    uint32_t p = c->tasks[task].prio;
    QUEUE_OF(c, task) = h;
    NEXT(c, task) = SCHED_NONE;
    PREV(c, task) = TAIL(c, h, p);
    if (TAIL(c, h, p) == SCHED_NONE)
        HEAD(c, h, p) = task;
    else
        NEXT(c, TAIL(c, h, p)) = task;
    TAIL(c, h, p) = task;
    BITS(c, h) |= 1u << p;
    COUNT(c, h)++;
}

static void dequeue(const struct sched_ctx *c, uint32_t task)
{
    uint32_t h = QUEUE_OF(c, task), p = c->tasks[task].prio;
    uint32_t next = NEXT(c, task), prev = PREV(c, task);
    if (prev == SCHED_NONE)
        HEAD(c, h, p) = next;
    else
        NEXT(c, prev) = next;
    if (next == SCHED_NONE)
        TAIL(c, h, p) = prev;
    else
        PREV(c, next) = prev;
    if (HEAD(c, h, p) == SCHED_NONE)
        BITS(c, h) &= ~(1u << p);
    COUNT(c, h)--;
}

/* The queue fetch(hart) takes from: the hart's own, else the busiest. */
static uint32_t source_queue(const struct sched_ctx *c, uint32_t hart)
{
    if (COUNT(c, hart))
        return hart;
    uint32_t best = SCHED_NONE, most = 0;
    for (uint32_t h = 0; h < c->nharts; h++)
        if (COUNT(c, h) > most) {
            most = COUNT(c, h);
            best = h;
        }
    return best;
}

static void mq_add(const struct sched_ctx *c, uint32_t hart, uint32_t task)
{
    uint32_t last = c->tasks[task].hart;
    enqueue(c, last < c->nharts ? last : hart, task);
}

static void mq_yield(const struct sched_ctx *c, uint32_t hart, uint32_t task)
{
    enqueue(c, hart, task);
}

static void mq_wake(const struct sched_ctx *c, uint32_t hart, uint32_t task)
{
    uint32_t last = c->tasks[task].hart;
    uint32_t best = last < c->nharts ? last : hart;
    for (uint32_t h = 0; h < c->nharts; h++)
        if (COUNT(c, h) < COUNT(c, best))
            best = h;
    enqueue(c, best, task);
}

static uint32_t mq_fetch(const struct sched_ctx *c, uint32_t hart)
{
    uint32_t h = source_queue(c, hart);
    if (h == SCHED_NONE)
        return SCHED_NONE;
    uint32_t task = HEAD(c, h, sched_highest_bit(BITS(c, h)));
    dequeue(c, task);
    return task;
}

static void mq_remove(const struct sched_ctx *c, uint32_t hart, uint32_t task)
{
    (void)hart;
    dequeue(c, task);
}

static uint32_t mq_top_priority(const struct sched_ctx *c, uint32_t hart)
{
    uint32_t h = source_queue(c, hart);
    return h == SCHED_NONE ? 0 : sched_highest_bit(BITS(c, h));
}

static uint32_t mq_tick(const struct sched_ctx *c, uint32_t hart, uint32_t task)
{
    (void)c; (void)hart; (void)task;
    return 0;
}

SCHED_POLICY("multiqueue", SCHED_FLAG_PRIORITY | SCHED_FLAG_PER_HART | SCHED_FLAG_HART_LOCAL,
             mq_init,
             mq_add, mq_fetch, mq_yield, mq_wake, mq_remove, mq_top_priority,
             mq_tick);
