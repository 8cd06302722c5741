/*
 * The policy-cost workload, shared by the guest program (b_policy, which
 * counts instructions with rdinstret) and the host program
 * (bench/policycost_host.c, which counts time): one definition of what
 * "the cost of add + fetch with n tasks queued" means, whatever counts it.
 *
 * The includer defines PC_NOW() (a uint64_t counter, read before and after
 * each measured call) and provides the memory; this file needs only
 * <stdint.h> and the scheduler ABI, so it builds freestanding.
 *
 * The caller plays the owner of a private task table, the way the user
 * runtime owns a process's queue (user/runtime/runtime.c, coro_exec.c):
 * before each add it fills the record's id, prio (1..20, pseudo-random),
 * state (READY), hart (0) and age (a fresh, increasing stamp); the
 * context has ntasks = n + 1 records (n queued, one spare to add), one
 * hart, and a queue of SCHED_QUEUE_WORDS(n + 1) words, zeroed before init.
 *
 *   add_fetch  with n tasks queued, add the spare task, then fetch (the
 *              fetched task becomes the spare): the queue holds n again.
 *              The owner's filling of the record is outside the count.
 *   remove     with n tasks queued, remove a pseudo-random queued task
 *              (counted), then add it back with a new priority (not
 *              counted): what a priority change or a cancelled coroutine
 *              costs the policy.
 *
 * Each sample is one call bracketed by PC_NOW(); the cost of an empty
 * bracket is measured the same way and subtracted.  The whole sequence is
 * replayed `reps` times from the same seed on the same memory, and each
 * sample keeps its smallest count across the replays: an interrupt (a timer
 * tick in the guest, anything on the host) that lands in one sample of one
 * replay is dropped, and in the guest the figure repeats exactly.  The
 * answer is the mean of those per-sample minima.
 *
 * Every fetch is checked (a task that was queued, or the one just added),
 * and at the end the queue is drained and must give back exactly the tasks
 * queued: a policy that loses or invents tasks is reported, not timed.
 */
#ifndef BENCH_POLICYCOST_WORKLOAD_H
#define BENCH_POLICYCOST_WORKLOAD_H

#include <stdint.h>
#include "sched_abi.h"

#ifndef PC_NOW
#error "define PC_NOW() (a uint64_t counter) before including policycost_workload.h"
#endif

#define PC_OUT 0xffffffffu          /* slot[] of a task not queued */

/* The caller's memory, for up to max_n queued tasks and `iters` samples. */
struct pc_mem {
    TaskSched *tasks;          /* max_n + 1 records */
    uint32_t *queue;           /* SCHED_QUEUE_WORDS(max_n + 1) words */
    uint32_t *queued;          /* max_n + 1: the queued tasks, in any order */
    uint32_t *slot;            /* max_n + 1: each task's index in queued[] */
    uint32_t *add_fetch, *remove, *empty;   /* iters samples each */
    uint32_t max_n, iters;
};

/* Sums over the samples of each sample's minimum, in PC_NOW() units. */
struct pc_sums {
    uint64_t add_fetch, remove, empty;
};

struct pc_state {
    const struct sched_ops *ops;
    struct sched_ctx c;
    struct pc_mem *m;
    uint32_t n, spare, rng;
    uint64_t age;
};

static inline uint32_t pc_random(struct pc_state *s)
{
    s->rng = s->rng * 1103515245u + 12345u;
    return s->rng >> 8;
}

/* The owner's part before an add: a fresh age and a priority. */
static inline void pc_fill(struct pc_state *s, uint32_t t)
{
    TaskSched *r = &s->c.tasks[t];
    r->id = t;
    r->prio = (uint8_t)(SCHED_PRIO_MIN + pc_random(s) % SCHED_PRIO_MAX);
    r->state = TASK_READY;
    r->hart = 0;
    r->age = ++s->age;
}

static inline void pc_keep_min(uint32_t *sample, uint32_t rep, uint64_t d)
{
    uint32_t v = d > 0xffffffffu ? 0xffffffffu : (uint32_t)d;
    if (rep == 0 || v < *sample)
        *sample = v;
}

/* A fresh table with n tasks queued. */
static inline void pc_setup(struct pc_state *s, const struct sched_ops *ops,
                            struct pc_mem *m, uint32_t n)
{
    uint32_t ntasks = n + 1;
    for (uint32_t i = 0; i < ntasks; i++) {
        uint64_t *w = (uint64_t *)&m->tasks[i];
        for (uint32_t k = 0; k < sizeof(TaskSched) / 8; k++)
            w[k] = 0;
    }
    for (uint32_t i = 0; i < SCHED_QUEUE_WORDS(ntasks); i++)
        m->queue[i] = 0;
    *s = (struct pc_state){
        .ops = ops, .m = m, .n = n, .spare = n, .rng = 12345u + n,
        .c = { m->tasks, (struct sched_queue *)m->queue, ntasks, 1 },
    };
    ops->init(&s->c);
    for (uint32_t t = 0; t < n; t++) {
        pc_fill(s, t);
        ops->add(&s->c, 0, t);
        m->queued[t] = t;
        m->slot[t] = t;
    }
    m->slot[n] = PC_OUT;
}

/* One replay of the add_fetch samples; -1 if a fetch answered wrong. */
static inline int pc_run_add_fetch(struct pc_state *s, uint32_t rep)
{
    struct pc_mem *m = s->m;
    for (uint32_t i = 0; i < m->iters; i++) {
        uint32_t t = s->spare;
        pc_fill(s, t);
        uint64_t t0 = PC_NOW();
        s->ops->add(&s->c, 0, t);
        uint32_t got = s->ops->fetch(&s->c, 0);
        uint64_t t1 = PC_NOW();
        pc_keep_min(&m->add_fetch[i], rep, t1 - t0);
        if (got >= s->c.ntasks || (got != t && m->slot[got] == PC_OUT))
            return -1;
        if (got != t) {              /* t takes got's place among the queued */
            m->queued[m->slot[got]] = t;
            m->slot[t] = m->slot[got];
            m->slot[got] = PC_OUT;
        }
        s->c.tasks[got].state = TASK_RUNNING;
        s->spare = got;
    }
    return 0;
}

static inline void pc_run_remove(struct pc_state *s, uint32_t rep)
{
    struct pc_mem *m = s->m;
    for (uint32_t i = 0; i < m->iters; i++) {
        uint32_t t = m->queued[pc_random(s) % s->n];
        uint64_t t0 = PC_NOW();
        s->ops->remove(&s->c, 0, t);
        uint64_t t1 = PC_NOW();
        pc_keep_min(&m->remove[i], rep, t1 - t0);
        pc_fill(s, t);
        s->ops->add(&s->c, 0, t);
    }
}

static inline void pc_run_empty(struct pc_state *s, uint32_t rep)
{
    for (uint32_t i = 0; i < s->m->iters; i++) {
        uint64_t t0 = PC_NOW();
        uint64_t t1 = PC_NOW();
        pc_keep_min(&s->m->empty[i], rep, t1 - t0);
    }
}

/* Fetches everything: exactly the n queued tasks, each once, then none. */
static inline int pc_drain(struct pc_state *s)
{
    struct pc_mem *m = s->m;
    for (uint32_t k = 0; k < s->n; k++) {
        uint32_t got = s->ops->fetch(&s->c, 0);
        if (got >= s->c.ntasks || m->slot[got] == PC_OUT)
            return -1;
        m->slot[got] = PC_OUT;
    }
    return s->ops->fetch(&s->c, 0) == SCHED_NONE ? 0 : -1;
}

/* The whole measurement at one n (1 <= n <= m->max_n): 0, or -1 if the
 * policy lost, invented or repeated a task. */
static inline int pc_measure(const struct sched_ops *ops, struct pc_mem *m, uint32_t n,
                             uint32_t reps, struct pc_sums *out)
{
    struct pc_state s;
    for (uint32_t rep = 0; rep < reps; rep++) {
        pc_setup(&s, ops, m, n);
        if (pc_run_add_fetch(&s, rep) < 0)
            return -1;
        pc_run_remove(&s, rep);
        pc_run_empty(&s, rep);
        if (pc_drain(&s) < 0)
            return -1;
    }
    *out = (struct pc_sums){ 0, 0, 0 };
    for (uint32_t i = 0; i < m->iters; i++) {
        out->add_fetch += m->add_fetch[i];
        out->remove += m->remove[i];
        out->empty += m->empty[i];
    }
    return 0;
}

/* Per operation, the empty bracket taken off (never below zero). */
static inline uint64_t pc_per_op(uint64_t sum, uint64_t empty, uint32_t iters)
{
    return sum > empty ? (sum - empty) / iters : 0;
}

#endif
