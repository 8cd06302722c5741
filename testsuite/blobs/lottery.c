/*
 * lottery: a correct policy that promises no order (flags 0).  Each queued
 * task holds `prio` tickets; fetch draws one ticket at random and runs its
 * holder, so a task's share of the harts is proportional to its priority
 * and nothing starves.  To keep fetch O(levels), a draw picks a level
 * (weighted by its tickets, count * prio) and takes that level's oldest
 * task: over time each task of a level still wins equally often.
 *
 * The random state lives in the queue (a policy keeps none of its own),
 * and top_priority makes the same draw without consuming it: it is
 * exactly what fetch will return.
 */
#include "levels_base.h"

#define RNG_LO LB_FREE          /* xorshift64 state, two words */
#define RNG_HI (LB_FREE + 1)

static uint64_t rng_peek(const struct sched_ctx *c)
{
    uint64_t x = (uint64_t)LB_W(c, RNG_HI) << 32 | LB_W(c, RNG_LO);
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
}

static void rng_advance(const struct sched_ctx *c)
{
    uint64_t x = rng_peek(c);
    LB_W(c, RNG_LO) = (uint32_t)x;
    LB_W(c, RNG_HI) = (uint32_t)(x >> 32);
}

/* The level the next draw picks, 0 if nothing is queued. */
static uint32_t draw_level(const struct sched_ctx *c)
{
    uint64_t tickets = 0;
    for (uint32_t l = SCHED_PRIO_MIN; l <= SCHED_PRIO_MAX; l++)
        tickets += (uint64_t)lb_count(c, l) * l;
    if (tickets == 0)
        return 0;
    uint64_t ticket = rng_peek(c) % tickets;
    for (uint32_t l = SCHED_PRIO_MAX; l > SCHED_PRIO_MIN; l--) {
        uint64_t here = (uint64_t)lb_count(c, l) * l;
        if (ticket < here)
            return l;
        ticket -= here;
    }
    return SCHED_PRIO_MIN;
}

static void lot_init(const struct sched_ctx *c)
{
    lb_init(c);
    LB_W(c, RNG_LO) = 0x2545f491u;      /* any nonzero seed */
    LB_W(c, RNG_HI) = 0x4f6cdd1du;
}

static void lot_add(const struct sched_ctx *c, uint32_t hart, uint32_t task)
{
    (void)hart;
    lb_push_tail(c, task);
}

static uint32_t lot_fetch(const struct sched_ctx *c, uint32_t hart)
{
    (void)hart;
    uint32_t l = draw_level(c);
    if (l == 0)
        return SCHED_NONE;
    rng_advance(c);
    uint32_t task = lb_head(c, l);
    lb_unlink(c, task);
    return task;
}

static uint32_t lot_top(const struct sched_ctx *c, uint32_t hart)
{
    (void)hart;
    return draw_level(c);
}

SCHED_POLICY("lottery", 0, lot_init, lot_add, lot_fetch, lot_add, lot_add,
             lb_remove, lot_top, lb_tick);
