/*
 * multiqueue: a ready queue per hart.  A hart picks from its own queue
 * (strict priority, FIFO among equals, like the bitmap policy); when its
 * queue is empty it steals the best task of the busiest hart's queue.
 * Tasks therefore stay where they ran (cache affinity) but never wait
 * while a hart idles, and a crowd of new tasks spreads over the harts.
 *
 * Where a task is queued:
 *   add    on the hart it last ran on (its `hart` field), else the caller's
 *   yield  on the caller's hart (it was running there); with serial_calls
 *          and nothing else queued there, on the busiest hart (below)
 *   wake   on the least loaded hart (ties: its last hart first)
 *
 * A stalled hart's queue moves (only where the owner makes one call at a
 * time: ctx->serial_calls, a process's runtime).  Threads that wait for
 * each other by yielding (t_pingpong) keep each hart switching among its
 * own queue's tasks, and the task whose turn it is may wait in the queue
 * of a hart that makes no calls: a virtual hart the host is not running,
 * or one this process has left.  Global-queue policies do not have this:
 * any hart that yields takes the waiting task.  So every hart counts its
 * yields, and every STALL_YIELDS of them looks at the other harts' counts:
 * a hart whose count has not moved since the last look, and that has tasks
 * queued, has stalled, and its whole queue moves to the looking hart, in
 * order.  A hart that makes calls keeps its queue (affinity); when it
 * comes back it has nothing queued, and takes work as any hart does.  And a
 * hart with nothing queued but the task it yields queues that on the
 * busiest hart, whose head its fetch then takes: harts left with one task
 * each share the queued tasks instead of each spinning on its own, and a
 * runtime may let such a hart rest (SCHED_FLAG_TAKES_STALLED: what it
 * leaves in its queue is taken by the harts that go on yielding).
 *
 * State, per hart h (QSIZE words from word[QBASE(h)], all within
 * SCHED_QUEUE_FIXED_WORDS):
 *   +0                 bitmap of non-empty levels
 *   +1 .. +LEVELS      heads of the levels
 *   +1+LEVELS ..       tails of the levels
 *   +1+2*LEVELS        number of tasks queued on h
 *   +2+2*LEVELS        yields made by h (wraps)
 *   +3+2*LEVELS        h's yields since it last looked for stalled harts
 *   +4+2*LEVELS ..     each hart's yield count at h's last look
 *   tasks[i].link[0..1] next/previous in its level; tasks[i].policy[0] the
 *   hart whose queue holds i.
 *
 * SCHED_FLAG_HART_LOCAL holds: yield(h) queues on h, and fetch(h) with h's
 * queue not empty reads and writes only h's words and the records in h's
 * lists (source_queue looks at the other harts only when h's is empty).
 * So the kernel lets harts yield at the same time (sched_abi.h).  The move
 * of a stalled queue and the share of the busiest read and write other
 * harts' parts: they happen only with serial_calls set, which the kernel
 * clears for the yields it lets overlap; there a yield only counts, in its
 * own part.
 */
#include "sched_abi.h"

#define LEVELS       (SCHED_PRIO_MAX + 1)
#define QSIZE        (4 + 2 * LEVELS + SCHED_MAX_HARTS)
#define QBASE(h)     ((h) * QSIZE)
#define BITS(c, h)   ((c)->queue->word[QBASE(h)])
#define HEAD(c, h, p) ((c)->queue->word[QBASE(h) + 1 + (p)])
#define TAIL(c, h, p) ((c)->queue->word[QBASE(h) + 1 + LEVELS + (p)])
#define COUNT(c, h)  ((c)->queue->word[QBASE(h) + 1 + 2 * LEVELS])
#define YIELDS(c, h) ((c)->queue->word[QBASE(h) + 2 + 2 * LEVELS])
#define SINCE_LOOK(c, h) ((c)->queue->word[QBASE(h) + 3 + 2 * LEVELS])
#define SEEN(c, h, g) ((c)->queue->word[QBASE(h) + 4 + 2 * LEVELS + (g)])
#define NEXT(c, i)   ((c)->tasks[i].link[0])
#define PREV(c, i)   ((c)->tasks[i].link[1])
#define QUEUE_OF(c, i) ((c)->tasks[i].policy[0])

/* Yields between two looks for stalled harts.  A hart that yields this
 * often without another hart making a single yield meanwhile: the other is
 * not running (a switch costs well under a microsecond of the guest's
 * time, a host time slice milliseconds), or runs something that does not
 * yield, and either way its queue waits.  Small enough to catch a host's
 * time slice, large enough that harts that do run are not robbed. */
#define STALL_YIELDS 256

/* Nothing here grows with the tasks: every hart's state fits in the fixed
 * part of the queue, whatever ntasks is. */
_Static_assert(QSIZE * SCHED_MAX_HARTS <= SCHED_QUEUE_FIXED_WORDS, "queues fit");

static void mq_init(const struct sched_ctx *c)
{
    for (uint32_t h = 0; h < c->nharts; h++) {
        BITS(c, h) = 0;
        COUNT(c, h) = 0;
        YIELDS(c, h) = SINCE_LOOK(c, h) = 0;
        for (uint32_t g = 0; g < SCHED_MAX_HARTS; g++)
            SEEN(c, h, g) = 0;
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

/* Moves every task queued on hart `from` to the tail of its level on `to`,
 * oldest first.  serial_calls only.  At most ntasks of them: a process may
 * have scribbled on its queue, and a level that never empties must not
 * keep its thread here (a loop in user mode is only stopped at 50 ticks). */
static void move_queue(const struct sched_ctx *c, uint32_t from, uint32_t to)
{
    for (uint32_t moved = 0; BITS(c, from) && moved < c->ntasks; moved++) {
        uint32_t task = HEAD(c, from, sched_highest_bit(BITS(c, from)));
        dequeue(c, task);
        enqueue(c, to, task);
    }
}

/* Hart `hart` has yielded STALL_YIELDS times since its last look: takes
 * the queue of every hart that has not yielded once meanwhile.
 * serial_calls only: it reads and writes other harts' parts. */
static void take_stalled_queues(const struct sched_ctx *c, uint32_t hart)
{
    for (uint32_t h = 0; h < c->nharts; h++) {
        if (h != hart && YIELDS(c, h) == SEEN(c, hart, h) && COUNT(c, h))
            move_queue(c, h, hart);
        SEEN(c, hart, h) = YIELDS(c, h);
    }
}

/* A yield on `hart` when the owner makes one call at a time: every
 * STALL_YIELDS yields, the queues of stalled harts move here first; then,
 * with nothing else queued here, the task joins the busiest hart's queue
 * (whose head the fetch that follows takes: source_queue).  Out of line,
 * and a tail call: the kernel's overlapping yields and one hart never come
 * here, and pay nothing for it. */
static __attribute__((noinline)) void serial_yield(const struct sched_ctx *c, uint32_t hart,
                                                   uint32_t task)
{
    if (++SINCE_LOOK(c, hart) >= STALL_YIELDS) {
        SINCE_LOOK(c, hart) = 0;
        take_stalled_queues(c, hart);
    }
    uint32_t h = source_queue(c, hart);
    enqueue(c, h == SCHED_NONE ? hart : h, task);
}

static void mq_yield(const struct sched_ctx *c, uint32_t hart, uint32_t task)
{
    YIELDS(c, hart)++;
    if (c->serial_calls && c->nharts > 1)
        serial_yield(c, hart, task);
    else
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

SCHED_POLICY("multiqueue", SCHED_FLAG_PRIORITY | SCHED_FLAG_PER_HART | SCHED_FLAG_HART_LOCAL |
             SCHED_FLAG_TAKES_STALLED,
             mq_init,
             mq_add, mq_fetch, mq_yield, mq_wake, mq_remove, mq_top_priority,
             mq_tick);
