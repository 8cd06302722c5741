/*
 * stride: a correct, deterministic proportional-share policy (flags 0).
 * Each priority level has a `pass`; fetch runs the oldest task of the
 * non-empty level with the smallest pass (the higher level on a tie) and
 * advances that level's pass by its stride, STRIDE_ONE / prio.  A level of
 * priority p is so picked about p times as often as a level of priority 1,
 * and every queued task runs eventually.
 *
 * A level that was empty joins at the current virtual time (the pass of
 * the last pick), not with the credit of its idle time.
 */
#include "levels_base.h"

#define STRIDE_ONE  (1u << 20)
#define PASS(l)     (LB_FREE + 2 * (l))       /* 64 bits, two words */
#define VTIME       (LB_FREE + 2 * LB_LEVELS)  /* two words */

static uint64_t get64(const struct sched_ctx *c, uint32_t k)
{
    return (uint64_t)LB_W(c, k + 1) << 32 | LB_W(c, k);
}

static void set64(const struct sched_ctx *c, uint32_t k, uint64_t v)
{
    LB_W(c, k) = (uint32_t)v;
    LB_W(c, k + 1) = (uint32_t)(v >> 32);
}

/* The level fetch takes from, 0 if nothing is queued. */
static uint32_t pick_level(const struct sched_ctx *c)
{
    uint32_t best = 0;
    uint64_t best_pass = 0;
    for (uint32_t l = SCHED_PRIO_MAX; l >= SCHED_PRIO_MIN; l--)
        if (lb_count(c, l) && (best == 0 || get64(c, PASS(l)) < best_pass)) {
            best = l;
            best_pass = get64(c, PASS(l));
        }
    return best;
}

static void st_init(const struct sched_ctx *c)
{
    lb_init(c);          /* the passes and the virtual time start at 0 */
}

static void st_add(const struct sched_ctx *c, uint32_t hart, uint32_t task)
{
    (void)hart;
    uint32_t l = c->tasks[task].prio;
    if (lb_count(c, l) == 0 && get64(c, PASS(l)) < get64(c, VTIME))
        set64(c, PASS(l), get64(c, VTIME));
    lb_push_tail(c, task);
}

static uint32_t st_fetch(const struct sched_ctx *c, uint32_t hart)
{
    (void)hart;
    uint32_t l = pick_level(c);
    if (l == 0)
        return SCHED_NONE;
    uint64_t pass = get64(c, PASS(l));
    set64(c, VTIME, pass);
    set64(c, PASS(l), pass + STRIDE_ONE / l);
    uint32_t task = lb_head(c, l);
    lb_unlink(c, task);
    return task;
}

static uint32_t st_top(const struct sched_ctx *c, uint32_t hart)
{
    (void)hart;
    return pick_level(c);
}

SCHED_POLICY("stride", 0, st_init, st_add, st_fetch, st_add, st_add,
             lb_remove, st_top, lb_tick);
