/*
 * fifo: the smallest correct policy, and the lab's starting point.
 *
 * One queue for everything, in arrival order: add appends at the tail,
 * fetch takes the head.  Priorities are ignored, so this is plain round
 * robin (the kernel preempts a task when its time slice is over).  A
 * student's first exercise: make fetch honour priorities.
 *
 * Where the state lives (a policy keeps none of its own):
 *   queue->word[0]       index of the first task, SCHED_NONE if empty
 *   queue->word[1]       index of the last task
 *   tasks[i].link[0]     the task after task i, up to the last: the last
 *                        task's link is left as it was and never read (the
 *                        end is known by the tail, so a task that joins
 *                        the queue needs no write to its own record)
 */
#include "sched_abi.h"

#define HEAD(c) ((c)->queue->word[0])
#define TAIL(c) ((c)->queue->word[1])
/* Task i's link, its index taken as a signed 32-bit value: the calling
 * convention passes a uint32_t sign-extended in its register, and `lw`
 * loads a queue word the same way, so for an index below 2^31 (every
 * task's) this is the same record, without the two instructions that
 * zero-extending the index costs at each use. */
#define NEXT(c, i) ((c)->tasks[(int32_t)(i)].link[0])

static void fifo_init(const struct sched_ctx *c)
{
    HEAD(c) = SCHED_NONE;
    TAIL(c) = SCHED_NONE;
}

static void fifo_add(const struct sched_ctx *c, uint32_t hart, uint32_t task)
{
    (void)hart;
    if (HEAD(c) == SCHED_NONE)
        HEAD(c) = task;
    else
        NEXT(c, TAIL(c)) = task;
    TAIL(c) = task;
}

static uint32_t fifo_fetch(const struct sched_ctx *c, uint32_t hart)
{
    (void)hart;
    uint32_t task = HEAD(c);
    if (task == TAIL(c))            /* alone, or the queue is empty */
        HEAD(c) = TAIL(c) = SCHED_NONE;
    else
        HEAD(c) = NEXT(c, task);
    return task;
}

/* Yielding and waking both just join the back of the line. */
static void fifo_yield(const struct sched_ctx *c, uint32_t hart, uint32_t task)
{
    fifo_add(c, hart, task);
}

/* Yield then fetch in one call (optional, ABI 2.4: a process's runtime
 * calls it on every user-mode switch): the task joins the tail and the
 * head leaves, with no test of an emptied queue (the task is in it).
 * When the head was alone, it was the tail too, so its link now names the
 * task, which becomes the head: the same answer and the same words as
 * fifo_yield then fifo_fetch, in one pass (the task's own link is not
 * written by either: it is the tail's).
 *
 * "Nobody waits" is asked of the tail, not the head: every operation
 * leaves both SCHED_NONE or neither, and the head, read after the test,
 * is the answer, so the compiler loads it straight into the return
 * register once it has read what it needs of c (read first, the head
 * took that register while c was still needed there: one move more). */
static uint32_t fifo_yield_fetch(const struct sched_ctx *c, uint32_t hart, uint32_t task)
{
    (void)hart;
    uint32_t tail = TAIL(c);
    if (tail == SCHED_NONE)         /* nobody waits: the task goes on */
        return task;
    uint32_t head = HEAD(c);
    NEXT(c, tail) = task;
    TAIL(c) = task;
    HEAD(c) = NEXT(c, head);
    return head;
}

static void fifo_wake(const struct sched_ctx *c, uint32_t hart, uint32_t task)
{
    fifo_add(c, hart, task);
}

/* Unlinking from a singly-linked list: walk to the task's predecessor,
 * no further than the tail (its link is stale). */
static void fifo_remove(const struct sched_ctx *c, uint32_t hart, uint32_t task)
{
    (void)hart;
    uint32_t prev = SCHED_NONE, tail = TAIL(c);  /* read once: a step of the
                                                    walk costs what it did
                                                    when it ended at NONE */
    for (uint32_t i = HEAD(c); i != SCHED_NONE; prev = i, i = NEXT(c, i)) {
        if (i != task) {
            if (i == tail)
                return;             /* not queued */
            continue;
        }
        if (tail == task) {         /* the last: its predecessor is now */
            TAIL(c) = prev;
            if (prev == SCHED_NONE)
                HEAD(c) = SCHED_NONE;
        } else if (prev == SCHED_NONE) {
            HEAD(c) = NEXT(c, i);
        } else {
            NEXT(c, prev) = NEXT(c, i);
        }
        return;
    }
}

/* What fetch would return: the head's priority. */
static uint32_t fifo_top_priority(const struct sched_ctx *c, uint32_t hart)
{
    (void)hart;
    return HEAD(c) == SCHED_NONE ? 0 : c->tasks[HEAD(c)].prio;
}

/* No accounting of its own: the kernel's time slice does the rotating. */
static uint32_t fifo_tick(const struct sched_ctx *c, uint32_t hart, uint32_t task)
{
    (void)c; (void)hart; (void)task;
    return 0;
}

SCHED_POLICY_WITH_YIELD_FETCH("fifo", 0, fifo_init, fifo_add, fifo_fetch, fifo_yield,
                              fifo_wake, fifo_remove, fifo_top_priority, fifo_tick,
                              fifo_yield_fetch);
