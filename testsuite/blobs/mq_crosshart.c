/*
 * mq_crosshart (a misbehaving policy for the tests): multiqueue, flag and
 * all, except that hart 1 takes from hart 0's queue whenever that queue
 * has a task, its own or not.  Every answer is a queued task and
 * top_priority agrees with fetch, so on one hart, or with only exclusive
 * calls, nothing shows; but it breaks SCHED_FLAG_HART_LOCAL's promise:
 * hart 1's yield-then-fetch touches hart 0's part, and may hand out a
 * thread hart 0 has just yielded and still runs on.  The kernel must catch
 * that; the host model test finds that the two harts' calls do not
 * commute.
 *
 * The rest is sched_impls/multiqueue/multiqueue.c itself, included with
 * its SCHED_POLICY line silenced, so the two cannot drift apart.
 */
#include "sched_abi.h"

#pragma push_macro("SCHED_POLICY")
#undef SCHED_POLICY
#define SCHED_POLICY(...) extern const int multiqueue_header_left_out
#include "../../sched_impls/multiqueue/multiqueue.c"
#pragma pop_macro("SCHED_POLICY")

/* Hart 1 takes from hart 0's queue whenever it holds a task. */
static int crosses(const struct sched_ctx *c, uint32_t hart)
{
    return hart == 1 && COUNT(c, 0);    /* BUG: hart 0's, while hart 1 has its own */
}

static uint32_t crosshart_fetch(const struct sched_ctx *c, uint32_t hart)
{
    if (!crosses(c, hart))
        return mq_fetch(c, hart);
    uint32_t task = HEAD(c, 0, sched_highest_bit(BITS(c, 0)));
    dequeue(c, task);
    return task;
}

static uint32_t crosshart_top_priority(const struct sched_ctx *c, uint32_t hart)
{
    return crosses(c, hart) ? sched_highest_bit(BITS(c, 0)) : mq_top_priority(c, hart);
}

SCHED_POLICY("mq_crosshart", SCHED_FLAG_PRIORITY | SCHED_FLAG_PER_HART | SCHED_FLAG_HART_LOCAL,
             mq_init,
             mq_add, crosshart_fetch, mq_yield, mq_wake, mq_remove, crosshart_top_priority,
             mq_tick);
