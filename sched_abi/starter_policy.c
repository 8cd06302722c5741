/*
 * my_policy: the lab's starting file (sched_abi/README.md shows it in full
 * and explains the contract).  Copy it, rename the policy in the last line,
 * build it with `make sched-blob SRC=my_policy.c`.
 *
 * A correct policy, and the simplest: one queue in arrival order.  add
 * appends at the tail, fetch takes the head.  It does not promise strict
 * priority order (flags 0); the kernel's time slice does the rotating.
 *
 * All its state is in the queue words and the records' link fields (a blob
 * has no variables of its own: the same code serves the kernel's queue,
 * every process's queue and every coroutine executor's queue):
 *   queue->word[0]     index of the first task, SCHED_NONE if empty
 *   queue->word[1]     index of the last task
 *   tasks[i].link[0]   the task after task i
 */
#include "sched_abi.h"

#define HEAD(c) ((c)->queue->word[0])
#define TAIL(c) ((c)->queue->word[1])
#define NEXT(c, i) ((c)->tasks[i].link[0])

/* Once per queue, on zeroed words, before any other call on it. */
static void my_init(const struct sched_ctx *c)
{
    HEAD(c) = SCHED_NONE;
    TAIL(c) = SCHED_NONE;
}

/* A new task, or one whose priority changed (after a remove): queue it.
 * Its age is fresh, so the tail is behind every equal. */
static void my_add(const struct sched_ctx *c, uint32_t hart, uint32_t task)
{
    (void)hart;
    NEXT(c, task) = SCHED_NONE;
    if (HEAD(c) == SCHED_NONE)
        HEAD(c) = task;
    else
        NEXT(c, TAIL(c)) = task;
    TAIL(c) = task;
}

/* Take out and return the task `hart` runs next; SCHED_NONE only when
 * nothing at all is queued. */
static uint32_t my_fetch(const struct sched_ctx *c, uint32_t hart)
{
    (void)hart;
    uint32_t task = HEAD(c);
    if (task != SCHED_NONE) {
        HEAD(c) = NEXT(c, task);
        if (HEAD(c) == SCHED_NONE)
            TAIL(c) = SCHED_NONE;
    }
    return task;
}

/* The running task gave up its hart (or was preempted): back of the line. */
static void my_yield(const struct sched_ctx *c, uint32_t hart, uint32_t task)
{
    my_add(c, hart, task);
}

/* A blocked task is ready again: back of the line too (a policy may
 * favour it instead). */
static void my_wake(const struct sched_ctx *c, uint32_t hart, uint32_t task)
{
    my_add(c, hart, task);
}

/* Take out a task that may be anywhere in the queue: on a priority change,
 * and whenever a process switches to a thread in user mode (the kernel
 * then takes that thread out of its own queue).  A singly-linked list has
 * to walk to the task's predecessor: O(n). */
static void my_remove(const struct sched_ctx *c, uint32_t hart, uint32_t task)
{
    (void)hart;
    uint32_t prev = SCHED_NONE;
    for (uint32_t i = HEAD(c); i != SCHED_NONE; prev = i, i = NEXT(c, i)) {
        if (i != task)
            continue;
        if (prev == SCHED_NONE)
            HEAD(c) = NEXT(c, i);
        else
            NEXT(c, prev) = NEXT(c, i);
        if (TAIL(c) == task)
            TAIL(c) = prev;
        return;
    }
}

/* The priority of what fetch would return now, 0 if nothing is queued;
 * changes nothing (it is called all the time). */
static uint32_t my_top_priority(const struct sched_ctx *c, uint32_t hart)
{
    (void)hart;
    return HEAD(c) == SCHED_NONE ? 0 : c->tasks[HEAD(c)].prio;
}

/* Every timer tick on each hart (task: what runs there, SCHED_NONE if
 * idle).  Nonzero asks for a reschedule; the time slice is enough here. */
static uint32_t my_tick(const struct sched_ctx *c, uint32_t hart, uint32_t task)
{
    (void)c; (void)hart; (void)task;
    return 0;
}

/* The blob's header: its name (at most 15 characters, shown at boot and
 * by sysinfo), its flags (SCHED_FLAG_*: what it promises) and the eight
 * operations in this order.  (A ninth, yield_fetch, is optional: you need
 * not write one.  See "An optional entry: yield_fetch" in the guide.) */
SCHED_POLICY("my_policy", 0, my_init, my_add, my_fetch, my_yield, my_wake, my_remove,
             my_top_priority, my_tick);
