/*
 * heap: a binary max-heap of ready tasks (the seed's TaskManager), the
 * default policy.  The most urgent task is at the root: highest priority
 * first, and among equal priorities the oldest (smallest age) first, so
 * equal tasks take turns in FIFO order.  add, fetch and remove are
 * O(log n); top_priority is O(1).
 *
 * The last task yielded waits beside the heap, in a slot of its own,
 * until the next fetch: every switch by a yield is a yield followed by a
 * fetch, and then the fetch either gives the yielded task straight back
 * (it is still the most urgent) or replaces the root with it (one
 * sift_down) instead of a push and a pop (a sift_up and a sift_down).
 * The slot takes part in every answer (fetch, top_priority, remove), so
 * what the owner sees is exactly what the plain heap would give.
 *
 * State:
 *   queue->word[0]         number of tasks in the heap (the slot not counted)
 *   queue->word[1]         the yielded task + 1, or 0 if the slot is empty
 *   queue->word[2 + k]     the task at heap position k (root: k = 0;
 *                          children of k: 2k+1 and 2k+2), k < ntasks
 *   tasks[i].policy[0]     the heap position of task i (for remove)
 *
 * So the heap uses 2 + ntasks words, within the SCHED_QUEUE_WORDS(ntasks)
 * the ABI gives it, for any table up to SCHED_TABLE_MAX.
 */
#include <stddef.h>
#include "sched_abi.h"

#define COUNT(c)     ((c)->queue->word[0])
#define YIELDED(c)   ((c)->queue->word[1])
#define AT(c, k)     ((c)->queue->word[2 + (k)])
/* A task's record, indexed as a signed 32-bit value: the calling
 * convention passes a uint32_t sign-extended in its register, and `lw`
 * loads a queue word the same way, so for an index below 2^31 (every
 * task's) this is the same record, without the two instructions that
 * zero-extending the index costs at each use. */
#define TASK(c, i)   (&(c)->tasks[(int32_t)(i)])
#define POS(c, i)    (TASK(c, i)->policy[0])

/* Positions are size_t inside the functions: with 32-bit ones the
 * compiler zero-extends each before indexing (two instructions a use, on
 * every switch: the kernel's, a process's, a coroutine's). */

/* Must task a run before task b? */
static int before(const struct sched_ctx *c, uint32_t a, uint32_t b)
{
    const TaskSched *ta = TASK(c, a), *tb = TASK(c, b);
    if (ta->prio != tb->prio)
        return ta->prio > tb->prio;
    return ta->age < tb->age;
}

static void put(const struct sched_ctx *c, size_t k, uint32_t task)
{
    AT(c, k) = task;
    POS(c, task) = (uint32_t)k;
}

static void sift_up(const struct sched_ctx *c, size_t k)
{
    uint32_t task = AT(c, k);
    while (k > 0) {
        size_t parent = (k - 1) / 2;
        if (!before(c, task, AT(c, parent)))
            break;
        put(c, k, AT(c, parent));
        k = parent;
    }
    put(c, k, task);
}

static void sift_down(const struct sched_ctx *c, size_t k)
{
    size_t n = COUNT(c);
    uint32_t task = AT(c, k);
    for (;;) {
        size_t child = 2 * k + 1;
        if (child >= n)
            break;
        if (child + 1 < n && before(c, AT(c, child + 1), AT(c, child)))
            child++;
        if (!before(c, AT(c, child), task))
            break;
        put(c, k, AT(c, child));
        k = child;
    }
    put(c, k, task);
}

static void heap_init(const struct sched_ctx *c)
{
    COUNT(c) = 0;
    YIELDED(c) = 0;
}

static void heap_add(const struct sched_ctx *c, uint32_t hart, uint32_t task)
{
    (void)hart;
    size_t k = COUNT(c)++;
    put(c, k, task);
    sift_up(c, k);
}

/* Takes the root out: the last task moves into its place.  Out of line:
 * see replace_root. */
static __attribute__((noinline)) uint32_t pop_root(const struct sched_ctx *c)
{
    uint32_t top = AT(c, 0);
    size_t n = --COUNT(c);
    uint32_t last = AT(c, n);
    if (n > 0) {
        put(c, 0, last);
        sift_down(c, 0);
    }
    return top;
}

/* The root goes; `yielded` takes its place and sinks.  Out of line, and
 * called last (a tail call): heap_fetch's usual answers then need no stack
 * frame of their own. */
static __attribute__((noinline)) uint32_t replace_root(const struct sched_ctx *c,
                                                       uint32_t yielded)
{
    uint32_t top = AT(c, 0);
    put(c, 0, yielded);
    sift_down(c, 0);
    return top;
}

/* The answer to a fetch when `yielded` has just been yielded (and the
 * slot holds nothing else): it goes on if it is still the most urgent,
 * else it takes the root's place. */
static inline uint32_t fetch_after_yield(const struct sched_ctx *c, uint32_t yielded)
{
    if (COUNT(c) == 0 || before(c, yielded, AT(c, 0)))
        return yielded;                 /* still the most urgent */
    if (COUNT(c) > 1)
        return replace_root(c, yielded);
    /* Two tasks taking turns: the root and the yielded one swap, nothing
     * to sift. */
    uint32_t top = AT(c, 0);
    put(c, 0, yielded);
    return top;
}

static uint32_t heap_fetch(const struct sched_ctx *c, uint32_t hart)
{
    (void)hart;
    uint32_t slot = YIELDED(c);
    if (slot) {
        YIELDED(c) = 0;
        return fetch_after_yield(c, slot - 1);
    }
    if (COUNT(c) == 0)
        return SCHED_NONE;
    return pop_root(c);
}

/* Into the slot; a task already there (no fetch since its yield: a
 * preemption, a park) goes into the heap.  The slot is written first, so
 * that heap_add (which does not look at it) is a tail call and the usual
 * yield, with the slot empty, needs no stack frame. */
static void heap_yield(const struct sched_ctx *c, uint32_t hart, uint32_t task)
{
    uint32_t slot = YIELDED(c);
    YIELDED(c) = task + 1;
    if (slot)
        heap_add(c, hart, slot - 1);
}

/* A yield_fetch with a task already in the slot (a preemption or a park
 * since the last fetch): the two calls.  Out of line, so that the usual
 * yield_fetch needs no stack frame. */
static __attribute__((noinline)) uint32_t yield_fetch_slot_taken(const struct sched_ctx *c,
                                                                 uint32_t hart, uint32_t task)
{
    heap_yield(c, hart, task);
    return heap_fetch(c, hart);
}

/* Yield then fetch in one call (optional, ABI 2.4: a process's runtime
 * calls it on every user-mode switch).  With the slot empty, as it is
 * after every switch, the task would go into the slot and come straight
 * out: skip the slot. */
static uint32_t heap_yield_fetch(const struct sched_ctx *c, uint32_t hart, uint32_t task)
{
    if (YIELDED(c) != 0)
        return yield_fetch_slot_taken(c, hart, task);
    return fetch_after_yield(c, task);
}

static void heap_wake(const struct sched_ctx *c, uint32_t hart, uint32_t task)
{
    heap_add(c, hart, task);
}

/* Move the last task into the hole, then restore the heap order around it
 * (it may need to go either way). */
static void heap_remove(const struct sched_ctx *c, uint32_t hart, uint32_t task)
{
    (void)hart;
    if (YIELDED(c) == task + 1) {
        YIELDED(c) = 0;
        return;
    }
    size_t k = POS(c, task);
    size_t n = --COUNT(c);
    uint32_t last = AT(c, n);
    if (k == n)
        return;
    put(c, k, last);
    sift_up(c, k);
    sift_down(c, POS(c, last));
}

static uint32_t heap_top_priority(const struct sched_ctx *c, uint32_t hart)
{
    (void)hart;
    uint32_t prio = COUNT(c) ? c->tasks[AT(c, 0)].prio : 0;
    uint32_t slot = YIELDED(c);
    if (slot && c->tasks[slot - 1].prio > prio)
        prio = c->tasks[slot - 1].prio;
    return prio;
}

static uint32_t heap_tick(const struct sched_ctx *c, uint32_t hart, uint32_t task)
{
    (void)c; (void)hart; (void)task;
    return 0;
}

SCHED_POLICY_WITH_YIELD_FETCH("heap", SCHED_FLAG_PRIORITY, heap_init, heap_add,
                              heap_fetch, heap_yield, heap_wake, heap_remove,
                              heap_top_priority, heap_tick, heap_yield_fetch);
