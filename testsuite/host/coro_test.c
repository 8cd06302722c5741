/*
 * Host-side test of the coroutine executor (user/runtime/coro_exec.c, the
 * layout and state machine in sched_abi/coro.h) driving one scheduling
 * policy, under AddressSanitizer and UBSan, with real threads:
 *
 *   gcc -std=c11 -pthread -I sched_abi -I . -I user/runtime \
 *       -DPOLICY_SOURCE='"sched_impls/heap/heap.c"' \
 *       -DSCHED_BUILTIN_OPS=policy_under_test \
 *       testsuite/host/coro_test.c testsuite/host/coro_exec_host.c
 *
 * (testsuite/test_host_coro.py does it for every policy.)  The executor is
 * compiled unchanged; coro_exec_host.c explains the shim that keeps its
 * RISC-V system-call stub out of the host build.  It runs as the kernel's
 * executor does (env.kernel = 1): no system calls, CO_OP_RUN returns when
 * nothing is ready.  The policy is the one the desc built with
 * -DSCHED_BUILTIN_OPS gives; env.ops is its struct sched_ops.
 *
 * Each executor is three malloc blocks of exactly their size: the CO_EXEC
 * header, a queue of SCHED_QUEUE_WORDS(capacity) = 512 + capacity words
 * and `capacity` TaskSched records, so ASan sees an access past any of them.
 *
 * Every coroutine is a struct ct_co whose poll function (ct_poll) checks,
 * at every poll, that it is not being polled twice at once (an atomic flag),
 * that its drop hook has not run, and that it is not polled more often than
 * the test allows (which also stops a runaway executor); its drop hook
 * checks that it runs once, and never during a poll.  Polls are counted
 * exactly.  The tests (run all, or name some on the command line):
 *
 *   order          priority order on one worker, FIFO among equals (spawn,
 *                  then wakes); FIFO by arrival for a policy without
 *                  SCHED_FLAG_PRIORITY; CO_OP_TOP agrees
 *   pending        a Pending coroutine is not polled again until woken
 *   wake_in_poll   a wake during the poll (from itself, from another
 *                  thread) is not lost: exactly one more poll
 *   one_entry      many wakes (one thread, or four at once) of an idle
 *                  coroutine: one queue entry, one poll
 *   join_reuse     join (a coroutine awaiting another's result), detach
 *                  (before and after the end), records reused under a new
 *                  generation: an old CID is refused by every operation and
 *                  never reaches the new coroutine
 *   finish_race    a record freed by join/detach while the finishing worker
 *                  has not yet taken the executor lock (see the test)
 *   cancel         cancel when idle, queued, running (from another thread,
 *                  through CO_OP_POLLED and through CO_OP_RUN, and from
 *                  itself), done and stale
 *   doorbell       bells rung as the kernel rings them, over the whole
 *                  CO_MAX range; beyond capacity; for a queued coroutine;
 *                  during a poll; for free and finished records
 *   set_prio       a queued coroutine's new priority reorders it
 *   yield          co_yield (CO_YIELD): alone it goes on; equals take
 *                  turns (the handoff slot's swap), three or more too;
 *                  unequal ones in the policy's order; a spawn, a wake, a
 *                  cancel and a priority change while one waits in the
 *                  slot; a slot the process wrote over stops the executor
 *   co_max         16,384 coroutines, one more refused, the free list
 *                  reusing every record (twice)
 *   stress         4 worker threads in CO_OP_RUN, 3 client threads waking,
 *                  ringing, changing priorities and cancelling, coroutines
 *                  that yield; no poll
 *                  overlaps another of the same coroutine, and at every
 *                  quiescent point no coroutine woken after its last poll
 *                  began is left unpolled; all end DONE, live reaches 0
 *
 * Usage: coro_test [-s SEED] [TEST...]   (CT_VERBOSE=1: the stress's rounds)
 * Prints "coro_test: POLICY: N tests passed" and exits 0, or
 * "coro_test: FAIL: policy 'P', seed 0x.., test 'T': ..." and exits 1.
 * A hang is stopped by an alarm (exit 2).
 */
#define _POSIX_C_SOURCE 200809L     /* pthread_barrier, sigaction, nanosleep */

#ifndef POLICY_SOURCE
#error "compile with -DPOLICY_SOURCE='\"sched_impls/NAME/NAME.c\"' -I sched_abi -I ."
#endif
#ifndef SCHED_BUILTIN_OPS
#define SCHED_BUILTIN_OPS policy_under_test
#endif

/* The policy first, seeing only sched_abi.h, as when it is built as a
 * blob (see policy_test.c).  Everything below is prefixed ct_/st_. */
#include POLICY_SOURCE

#include "coro.h"

#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CT_DEFAULT_SEED     0xc0de5eedULL
#ifndef CT_WATCHDOG_SECONDS             /* a normal run takes a few seconds */
#define CT_WATCHDOG_SECONDS 300   /* wall clock: a deadlock sleeps */
#endif
/* SCHED_QUEUE_WORDS(n), the rule the ABI is moving to (sched_abi.h may
 * still say a fixed 512): the policy's queue for an executor of n records. */
#define CT_QUEUE_WORDS(n)   (512u + (n))

static const struct sched_policy_desc *const ct_policy = &policy_under_test;
static bool ct_priority;                /* SCHED_FLAG_PRIORITY */
static uint64_t ct_seed = CT_DEFAULT_SEED;
static const char *volatile ct_test = "startup";
static atomic_int ct_failing;
static unsigned long ct_checks;

/* ---- failures ------------------------------------------------------------ */

/* Reports the first failure (of any thread) and exits 1. */
__attribute__((format(printf, 3, 4), noreturn))
static void ct_fail(const char *file, int line, const char *fmt, ...)
{
    if (atomic_exchange(&ct_failing, 1))
        for (;;)
            pause();            /* another thread is reporting: it exits */
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    printf("coro_test: FAIL: policy '%s', seed 0x%" PRIx64 ", test '%s': %s:%d: %s\n",
           ct_policy->name, ct_seed, ct_test, file, line, msg);
    fflush(stdout);
    _exit(1);
}

#define CT_CHECK(cond, ...)                                                   \
    do {                                                                      \
        if (!(cond))                                                          \
            ct_fail(__FILE__, __LINE__, __VA_ARGS__);                         \
    } while (0)
/* An executor call's answer, compared with what the test expects. */
#define CT_EQ(got, want, what)                                                \
    do {                                                                      \
        int64_t ct_g = (int64_t)(got), ct_w = (int64_t)(want);                \
        if (ct_g != ct_w)                                                     \
            ct_fail(__FILE__, __LINE__, "%s: got %" PRId64 ", expected %" PRId64, \
                    (what), ct_g, ct_w);                                      \
    } while (0)

static void ct_write(const char *s)
{
    ssize_t unused = write(1, s, strlen(s));
    (void)unused;
}

static void ct_on_alarm(int sig)
{
    (void)sig;
    ct_write("coro_test: FAIL: watchdog: no progress (a hang?) in test '");
    ct_write(ct_test);
    ct_write("'\n");
    _exit(2);
}

static void ct_on_sigill(int sig)
{
    (void)sig;
    ct_write("coro_test: FAIL: the executor made a system call (ecall) with env.kernel = 1, "
             "in test '");
    ct_write(ct_test);
    ct_write("'\n");
    _exit(1);
}

/* ---- random numbers (splitmix64: the same sequence everywhere) ----------- */

static uint64_t ct_rand(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint32_t ct_below(uint64_t *s, uint32_t n)
{
    return (uint32_t)(ct_rand(s) % n);
}

/* ---- an executor ----------------------------------------------------------- */

struct ct_exec {
    CO_EXEC *x;
    struct sched_queue *queue;
    TaskSched *recs;
    uint32_t capacity, nharts;
    /* The order of polls (single-worker tests): ids of the frames. */
    uint32_t *log;
    atomic_uint nlog;
    uint32_t log_cap;
};

static void *ct_zalloc(size_t size)
{
    void *p = malloc(size);
    CT_CHECK(p, "out of memory (%zu bytes)", size);
    memset(p, 0, size);
    return p;
}

static int64_t ct_call(struct ct_exec *ex, uint32_t hart, uint32_t op, uint64_t a, uint64_t b,
                       uint64_t c, uint64_t d)
{
    /* A fresh env per call, on the caller's stack, as the kernel makes it. */
    struct co_env e = {
        .x = ex->x, .queue = ex->queue, .recs = ex->recs, .ops = &ct_policy->ops,
        .capacity = ex->capacity, .hart = hart, .nharts = ex->nharts, .kernel = 1,
        .lock_token = 1,
    };
    return co_call(op, &e, a, b, c, d);
}

static void ct_exec_new(struct ct_exec *ex, uint32_t capacity, uint32_t nharts, uint32_t log_cap)
{
    memset(ex, 0, sizeof *ex);
    /* Zeroed, as the kernel maps them: the queue before init, the records
     * (a never-used record's state word must read "not live"). */
    ex->x = ct_zalloc(sizeof(CO_EXEC));
    ex->queue = ct_zalloc(CT_QUEUE_WORDS(capacity) * sizeof(uint32_t));
    ex->recs = ct_zalloc(capacity * sizeof(TaskSched));
    ex->capacity = capacity;
    ex->nharts = nharts;
    ex->x->capacity = capacity;
    ex->log_cap = log_cap;
    ex->log = log_cap ? ct_zalloc(log_cap * sizeof(uint32_t)) : NULL;
    CT_EQ(ct_call(ex, 0, CO_OP_INIT, 0, 0, 0, 0), 0, "CO_OP_INIT");
    CT_EQ(ex->x->magic, CO_EXEC_MAGIC, "magic after CO_OP_INIT");
}

/* The executor must never have found itself inconsistent. */
static void ct_exec_ok(struct ct_exec *ex, const char *when)
{
    CT_CHECK(!(ex->x->flags & CO_EXEC_WRECKED), "executor wrecked (CO_EXEC_WRECKED) %s", when);
    CT_CHECK(__atomic_load_n(&ex->x->lock, __ATOMIC_ACQUIRE) == 0,
             "executor lock still held %s", when);
    ct_checks++;
}

static void ct_exec_free(struct ct_exec *ex)
{
    ct_exec_ok(ex, "at the end of the test");
    free(ex->x);
    free(ex->queue);
    free(ex->recs);
    free(ex->log);
}

/* ---- coroutines ------------------------------------------------------------ */

struct ct_co;
/* What poll number n (1, 2, ...) of a coroutine does: CO_READY/CO_PENDING. */
typedef int (*ct_step_fn)(struct ct_co *c, int n);

struct ct_co {
    struct co co;               /* first: the executor's view of the frame */
    struct ct_exec *ex;
    uint32_t id;                /* the test's name for it (the order log) */
    ct_step_fn step;            /* NULL: Ready at the first poll */
    int max_polls;              /* more is a failure */
    atomic_int polls, drops, in_poll;
    /* For the steps. */
    uint32_t peer;              /* a CID it works with */
    int64_t value;
    sem_t *started, *proceed;   /* handshakes with a helper thread */
    /* stress */
    atomic_uint wake_req;       /* wakes asked for (counted before each) */
    atomic_uint seen;           /* wake_req when its last poll began */
    atomic_int finish_now;
    uint64_t rng;
    int target;
};

static void ct_log(struct ct_exec *ex, uint32_t id)
{
    if (!ex->log)
        return;
    uint32_t n = atomic_fetch_add(&ex->nlog, 1);
    CT_CHECK(n < ex->log_cap, "more polls than the test expected (%u)", ex->log_cap);
    ex->log[n] = id;
}

static int ct_poll(struct co *self)
{
    struct ct_co *c = (struct ct_co *)self;
    CT_CHECK(atomic_exchange(&c->in_poll, 1) == 0,
             "coroutine %u polled by two workers at once", c->id);
    CT_CHECK(atomic_load(&c->drops) == 0, "coroutine %u polled after its drop hook ran", c->id);
    int n = atomic_fetch_add(&c->polls, 1) + 1;
    CT_CHECK(n <= c->max_polls, "coroutine %u polled %d times, at most %d expected",
             c->id, n, c->max_polls);
    ct_log(c->ex, c->id);
    int r = c->step ? c->step(c, n) : CO_READY;
    atomic_store(&c->in_poll, 0);
    return r;
}

static void ct_drop(struct co *self)
{
    struct ct_co *c = (struct ct_co *)self;
    CT_CHECK(atomic_load(&c->in_poll) == 0, "coroutine %u: drop hook ran during its poll", c->id);
    CT_CHECK(atomic_fetch_add(&c->drops, 1) == 0, "coroutine %u: drop hook ran twice", c->id);
}

static struct ct_co *ct_frames(struct ct_exec *ex, uint32_t n)
{
    struct ct_co *c = ct_zalloc(n * sizeof *c);
    for (uint32_t i = 0; i < n; i++) {
        c[i].ex = ex;
        c[i].id = i;
        c[i].max_polls = 1;
        c[i].peer = CO_NONE;
    }
    return c;
}

static uint32_t ct_try_spawn(struct ct_exec *ex, struct ct_co *c, uint32_t prio)
{
    return (uint32_t)ct_call(ex, 0, CO_OP_SPAWN, (uint64_t)(uintptr_t)ct_poll,
                             (uint64_t)(uintptr_t)c, prio, (uint64_t)(uintptr_t)ct_drop);
}

static uint32_t ct_spawn(struct ct_exec *ex, struct ct_co *c, uint32_t prio)
{
    uint32_t cid = ct_try_spawn(ex, c, prio);
    CT_CHECK(cid != CO_NONE, "spawn of coroutine %u refused", c->id);
    CT_EQ(c->co.cid, cid, "the frame's cid, set by spawn");
    return cid;
}

static int64_t ct_wake(struct ct_exec *ex, uint32_t cid)
{
    return ct_call(ex, 0, CO_OP_WAKE, cid, 0, 0, 0);
}

static int64_t ct_cancel(struct ct_exec *ex, uint32_t cid)
{
    return ct_call(ex, 0, CO_OP_CANCEL, cid, 0, 0, 0);
}

static int64_t ct_state(struct ct_exec *ex, uint32_t cid)
{
    return ct_call(ex, 0, CO_OP_STATE, cid, 0, 0, 0);
}

static int64_t ct_join(struct ct_exec *ex, uint32_t cid, uint32_t joiner, int64_t *result)
{
    return ct_call(ex, 0, CO_OP_JOIN, cid, joiner, 0, (uint64_t)(uintptr_t)result);
}

static int64_t ct_set_prio(struct ct_exec *ex, uint32_t cid, uint32_t prio)
{
    return ct_call(ex, 0, CO_OP_SET_PRIO, cid, prio, 0, 0);
}

static int64_t ct_detach(struct ct_exec *ex, uint32_t cid)
{
    return ct_call(ex, 0, CO_OP_DETACH, cid, 0, 0, 0);
}

static void ct_run(struct ct_exec *ex)
{
    CT_EQ(ct_call(ex, 0, CO_OP_RUN, CO_NONE, 0, 0, 0), 0, "CO_OP_RUN");
    ct_exec_ok(ex, "after CO_OP_RUN");
}

/* The caller holds `cid` (cancel answered 1, or POLLED did): drop, FINISH. */
static void ct_finish_cancelled(struct ct_exec *ex, struct ct_co *c, uint32_t cid)
{
    ct_drop(&c->co);
    CT_EQ(ct_call(ex, 0, CO_OP_FINISH, cid, (uint64_t)CO_RESULT_CANCELLED, 0, 0), 0,
          "CO_OP_FINISH of a cancelled coroutine");
}

/* The low bits of the state word (CO_LIVE ...), as CO_OP_STATE gives them. */
#define CT_IDLE     CO_LIVE

static void ct_expect_state(struct ct_exec *ex, uint32_t cid, int64_t want, const char *what)
{
    int64_t got = ct_state(ex, cid);
    CT_CHECK(got == want, "%s: state %#" PRIx64 ", expected %#" PRIx64, what, got, want);
}

static void ct_expect_polls(struct ct_co *c, int want, const char *what)
{
    CT_CHECK(atomic_load(&c->polls) == want, "%s: coroutine %u polled %d times, expected %d",
             what, c->id, atomic_load(&c->polls), want);
    ct_checks++;
}

/* ---- the expected order ---------------------------------------------------- */

struct ct_entry {
    uint32_t id, prio;
    uint64_t stamp;             /* the order it was (re)queued in */
};

static int ct_cmp_entry(const void *pa, const void *pb)
{
    const struct ct_entry *a = pa, *b = pb;
    if (ct_priority && a->prio != b->prio)
        return a->prio > b->prio ? -1 : 1;
    return a->stamp < b->stamp ? -1 : a->stamp > b->stamp;
}

/* The log must be the entries in the policy's documented order: highest
 * priority first, FIFO among equals; arrival order for a FIFO policy. */
static void ct_expect_order(struct ct_exec *ex, struct ct_entry *e, uint32_t n, const char *what)
{
    qsort(e, n, sizeof *e, ct_cmp_entry);
    uint32_t got = atomic_load(&ex->nlog);
    CT_CHECK(got == n, "%s: %u polls logged, expected %u", what, got, n);
    for (uint32_t k = 0; k < n; k++) {
        if (ex->log[k] == e[k].id)
            continue;
        uint32_t p = 0;
        for (uint32_t j = 0; j < n; j++)
            if (e[j].id == ex->log[k])
                p = e[j].prio;
        ct_fail(__FILE__, __LINE__,
                "%s: poll #%u was coroutine %u (prio %u); expected %u (prio %u): %s", what, k,
                ex->log[k], p, e[k].id, e[k].prio,
                ct_priority ? "priority order, FIFO among equals" : "arrival order");
    }
    atomic_store(&ex->nlog, 0);
    ct_checks++;
}

/* ---- steps ----------------------------------------------------------------- */

static int step_pending_once(struct ct_co *c, int n)
{
    (void)c;
    return n == 1 ? CO_PENDING : CO_READY;
}

static int step_pending(struct ct_co *c, int n)
{
    (void)n;
    return c->value ? CO_READY : CO_PENDING;    /* value: "you may finish" */
}

/* ---- test: order ------------------------------------------------------------ */

static void t_order(void)
{
    struct ct_exec ex;
    ct_exec_new(&ex, 64, 1, 64);
    uint64_t rng = ct_seed ^ 0x01;
    static const uint32_t prios[] = { 1, 3, 10, 10, 10, 17, 20 };   /* many equals */
    struct ct_co *c = ct_frames(&ex, 64);
    struct ct_entry e[64];

    /* Spawned while no worker runs: polled in the policy's order. */
    uint32_t best = 0;
    for (uint32_t i = 0; i < 40; i++) {
        uint32_t p = prios[ct_below(&rng, sizeof prios / sizeof prios[0])];
        ct_spawn(&ex, &c[i], p);
        e[i] = (struct ct_entry){ i, p, i };
        best = p > best ? p : best;
    }
    /* TOP: what the next fetch gives (the head, for a FIFO policy). */
    CT_EQ(ct_call(&ex, 0, CO_OP_TOP, 0, 0, 0, 0), ct_priority ? best : e[0].prio,
          "CO_OP_TOP with 40 spawned");
    ct_run(&ex);
    ct_expect_order(&ex, e, 40, "spawned coroutines");
    CT_EQ(ct_call(&ex, 0, CO_OP_TOP, 0, 0, 0, 0), 0, "CO_OP_TOP with nothing ready");

    /* Woken in a shuffled order, some with a priority changed while idle:
     * the order of the wakes, and the priorities they have now. */
    uint32_t order[24], prio_of[24];
    for (uint32_t i = 0; i < 24; i++) {
        c[40 + i].step = step_pending_once;
        c[40 + i].max_polls = 2;
        prio_of[i] = prios[ct_below(&rng, sizeof prios / sizeof prios[0])];
        ct_spawn(&ex, &c[40 + i], prio_of[i]);
        e[i] = (struct ct_entry){ 40 + i, prio_of[i], i };
        order[i] = i;
    }
    ct_run(&ex);
    ct_expect_order(&ex, e, 24, "spawned coroutines (second batch)");
    for (uint32_t i = 23; i > 0; i--) {
        uint32_t j = ct_below(&rng, i + 1), t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    for (uint32_t k = 0; k < 24; k++) {
        struct ct_co *w = &c[40 + order[k]];
        uint32_t p = prios[ct_below(&rng, sizeof prios / sizeof prios[0])];
        if (k % 3 == 0)
            CT_EQ(ct_set_prio(&ex, w->co.cid, p), 0, "CO_OP_SET_PRIO of an idle coroutine");
        else
            p = prio_of[order[k]];
        CT_EQ(ct_wake(&ex, w->co.cid), 1, "CO_OP_WAKE of an idle coroutine");
        e[k] = (struct ct_entry){ w->id, p, k };
    }
    ct_run(&ex);
    ct_expect_order(&ex, e, 24, "woken coroutines");
    CT_EQ(ex.x->live, 0, "live after all finished");
    ct_exec_free(&ex);
    free(c);
}

/* ---- test: pending ------------------------------------------------------------ */

static void t_pending(void)
{
    struct ct_exec ex;
    ct_exec_new(&ex, 8, 1, 0);
    struct ct_co *c = ct_frames(&ex, 2);
    c[0].step = step_pending;
    c[0].max_polls = 6;
    c[1].step = step_pending;           /* never woken: polled once */
    c[1].max_polls = 2;
    uint32_t a = ct_spawn(&ex, &c[0], 10), b = ct_spawn(&ex, &c[1], 10);
    ct_run(&ex);
    ct_expect_polls(&c[0], 1, "after the first run");
    ct_expect_state(&ex, a, CT_IDLE, "Pending, not woken");
    for (int k = 0; k < 3; k++)
        ct_run(&ex);
    CT_EQ(ct_call(&ex, 0, CO_OP_NEXT, 0, 0, 0, 0), CO_NONE, "CO_OP_NEXT with nothing woken");
    ct_expect_polls(&c[0], 1, "three more runs without a wake");
    for (int k = 2; k <= 5; k++) {
        CT_EQ(ct_wake(&ex, a), 1, "CO_OP_WAKE of an idle coroutine");
        ct_expect_state(&ex, a, CO_LIVE | CO_QUEUED, "woken, not yet polled");
        ct_run(&ex);
        ct_run(&ex);
        ct_expect_polls(&c[0], k, "one wake, two runs");
        ct_expect_state(&ex, a, CT_IDLE, "Pending again");
    }
    c[0].value = 1;
    CT_EQ(ct_wake(&ex, a), 1, "CO_OP_WAKE");
    ct_run(&ex);
    ct_expect_polls(&c[0], 6, "woken to finish");
    ct_expect_state(&ex, a, CO_LIVE | CO_DONE, "Ready");
    CT_EQ(ct_wake(&ex, a), 0, "CO_OP_WAKE of a finished coroutine");
    ct_run(&ex);
    ct_expect_polls(&c[0], 6, "a wake after Ready");
    ct_expect_polls(&c[1], 1, "the coroutine nobody woke");
    int64_t res;
    CT_EQ(ct_join(&ex, a, CO_NONE, &res), 1, "CO_OP_JOIN of a finished coroutine");
    c[1].value = 1;
    c[1].max_polls = 2;
    CT_EQ(ct_wake(&ex, b), 1, "CO_OP_WAKE");
    ct_run(&ex);
    ct_expect_polls(&c[1], 2, "woken to finish");
    CT_EQ(ex.x->live, 0, "live");
    ct_exec_free(&ex);
    free(c);
}

/* ---- helper threads: a call made while a coroutine is being polled ---------- */

struct ct_helper {
    struct ct_exec *ex;
    uint32_t op, cid, times;
    sem_t started, proceed;     /* the poll posts started, waits for proceed */
    int64_t got[8];
    pthread_t th;
};

static void *ct_helper_main(void *arg)
{
    struct ct_helper *h = arg;
    while (sem_wait(&h->started) != 0)
        ;
    for (uint32_t k = 0; k < h->times; k++)
        h->got[k] = ct_call(h->ex, 0, h->op, h->cid, 0, 0, 0);
    sem_post(&h->proceed);
    return NULL;
}

/* Starts a helper that, once c's poll has begun, makes `times` calls of op
 * on c's CID and then lets the poll return. */
static void ct_helper_start(struct ct_helper *h, struct ct_exec *ex, struct ct_co *c, uint32_t op,
                            uint32_t times)
{
    memset(h, 0, sizeof *h);
    h->ex = ex;
    h->op = op;
    h->cid = c->co.cid;
    h->times = times;
    sem_init(&h->started, 0, 0);
    sem_init(&h->proceed, 0, 0);
    c->started = &h->started;
    c->proceed = &h->proceed;
    CT_CHECK(pthread_create(&h->th, NULL, ct_helper_main, h) == 0, "pthread_create");
}

static void ct_helper_join(struct ct_helper *h, struct ct_co *c)
{
    pthread_join(h->th, NULL);
    sem_destroy(&h->started);
    sem_destroy(&h->proceed);
    c->started = c->proceed = NULL;
}

/* Poll 1 waits (in the poll) for the helper's calls; later polls finish
 * if value says so.  result: value. */
static int step_handshake(struct ct_co *c, int n)
{
    if (n == 1 && c->started) {
        sem_post(c->started);
        while (sem_wait(c->proceed) != 0)
            ;
    }
    c->co.result = c->value;
    return n > 1 && c->value ? CO_READY : CO_PENDING;
}

/* ---- test: wake_in_poll ----------------------------------------------------- */

static int step_self_wake(struct ct_co *c, int n)
{
    if (n == 1)
        for (int k = 0; k < 3; k++)
            CT_EQ(ct_wake(c->ex, c->co.cid), 0, "CO_OP_WAKE of itself during its poll");
    return c->value && n > 1 ? CO_READY : CO_PENDING;
}

static int step_self_wake_ready(struct ct_co *c, int n)
{
    (void)n;
    CT_EQ(ct_wake(c->ex, c->co.cid), 0, "CO_OP_WAKE of itself during its last poll");
    return CO_READY;
}

static void t_wake_in_poll(void)
{
    struct ct_exec ex;
    ct_exec_new(&ex, 8, 1, 0);
    struct ct_co *c = ct_frames(&ex, 4);

    /* It wakes itself (three times) during poll 1: exactly one more poll. */
    c[0].step = step_self_wake;
    c[0].max_polls = 3;
    uint32_t a = ct_spawn(&ex, &c[0], 10);
    ct_run(&ex);
    ct_expect_polls(&c[0], 2, "woke itself during its first poll");
    ct_expect_state(&ex, a, CT_IDLE, "Pending after the second poll");
    ct_run(&ex);
    ct_expect_polls(&c[0], 2, "no wake since");

    /* Another thread wakes it (twice) while its poll 1 runs. */
    struct ct_helper h;
    c[1].step = step_handshake;
    c[1].max_polls = 3;
    uint32_t b = ct_spawn(&ex, &c[1], 10);
    ct_helper_start(&h, &ex, &c[1], CO_OP_WAKE, 2);
    ct_run(&ex);
    ct_helper_join(&h, &c[1]);
    CT_EQ(h.got[0], 0, "CO_OP_WAKE from another thread during the poll");
    CT_EQ(h.got[1], 0, "a second CO_OP_WAKE during the poll");
    ct_expect_polls(&c[1], 2, "woken by another thread during its first poll");
    ct_expect_state(&ex, b, CT_IDLE, "Pending after the second poll");

    /* A wake during the last poll: nothing more. */
    c[2].step = step_self_wake_ready;
    uint32_t d = ct_spawn(&ex, &c[2], 10);
    ct_run(&ex);
    ct_expect_polls(&c[2], 1, "woke itself, then Ready");
    ct_expect_state(&ex, d, CO_LIVE | CO_DONE, "Ready");

    c[0].value = c[1].value = 1;
    CT_EQ(ct_wake(&ex, a), 1, "CO_OP_WAKE");
    CT_EQ(ct_wake(&ex, b), 1, "CO_OP_WAKE");
    ct_run(&ex);
    ct_expect_polls(&c[0], 3, "woken to finish");
    ct_expect_polls(&c[1], 3, "woken to finish");
    CT_EQ(ex.x->live, 0, "live");
    ct_exec_free(&ex);
    free(c);
}

/* ---- test: one_entry ---------------------------------------------------------- */

struct ct_waker {
    struct ct_exec *ex;
    uint32_t cid, times, hart;
    pthread_barrier_t *go;
    uint32_t queued;            /* wakes that answered 1 */
    pthread_t th;
};

static void *ct_waker_main(void *arg)
{
    struct ct_waker *w = arg;
    pthread_barrier_wait(w->go);
    for (uint32_t k = 0; k < w->times; k++) {
        int64_t r = ct_call(w->ex, w->hart, CO_OP_WAKE, w->cid, 0, 0, 0);
        CT_CHECK(r == 0 || r == 1, "CO_OP_WAKE answered %" PRId64, r);
        w->queued += (uint32_t)r;
    }
    return NULL;
}

static void t_one_entry(void)
{
    struct ct_exec ex;
    ct_exec_new(&ex, 8, 4, 0);
    struct ct_co *c = ct_frames(&ex, 1);
    c[0].step = step_pending;
    c[0].max_polls = 4;
    uint32_t a = ct_spawn(&ex, &c[0], 10);
    /* Queued by spawn: wakes add nothing. */
    for (int k = 0; k < 10; k++)
        CT_EQ(ct_wake(&ex, a), 0, "CO_OP_WAKE of a coroutine queued by spawn");
    ct_run(&ex);
    ct_expect_polls(&c[0], 1, "ten wakes before the first poll");

    CT_EQ(ct_wake(&ex, a), 1, "the first CO_OP_WAKE of an idle coroutine");
    for (int k = 0; k < 100; k++)
        CT_EQ(ct_wake(&ex, a), 0, "CO_OP_WAKE of a queued coroutine");
    ct_expect_state(&ex, a, CO_LIVE | CO_QUEUED, "woken 101 times");
    ct_run(&ex);
    ct_expect_polls(&c[0], 2, "101 wakes of an idle coroutine");
    ct_run(&ex);
    ct_expect_polls(&c[0], 2, "no wake since");

    /* Four threads (on four harts) at once: one of them queues it. */
    pthread_barrier_t go;
    pthread_barrier_init(&go, NULL, 4);
    struct ct_waker w[4];
    for (uint32_t t = 0; t < 4; t++) {
        w[t] = (struct ct_waker){ .ex = &ex, .cid = a, .times = 2000, .hart = t, .go = &go };
        CT_CHECK(pthread_create(&w[t].th, NULL, ct_waker_main, &w[t]) == 0, "pthread_create");
    }
    uint32_t queued = 0;
    for (uint32_t t = 0; t < 4; t++) {
        pthread_join(w[t].th, NULL);
        queued += w[t].queued;
    }
    pthread_barrier_destroy(&go);
    CT_EQ(queued, 1, "CO_OP_WAKEs (of 8000 from 4 threads) that queued it");
    ct_run(&ex);
    ct_expect_polls(&c[0], 3, "8000 wakes from 4 threads");
    c[0].value = 1;
    CT_EQ(ct_wake(&ex, a), 1, "CO_OP_WAKE");
    ct_run(&ex);
    ct_expect_polls(&c[0], 4, "woken to finish");
    CT_EQ(ex.x->live, 0, "live");
    ct_exec_free(&ex);
    free(c);
}

/* ---- test: join_reuse --------------------------------------------------------- */

/* Awaits peer's result: JOIN with its own CID as the joiner. */
static int step_joiner(struct ct_co *c, int n)
{
    int64_t res = 0;
    int64_t r = ct_join(c->ex, c->peer, c->co.cid, &res);
    if (n == 1) {
        CT_EQ(r, 0, "CO_OP_JOIN of a coroutine not yet done");
        return CO_PENDING;
    }
    CT_EQ(r, 1, "CO_OP_JOIN once woken by the joined coroutine's end");
    CT_EQ(res, 4242, "the joined coroutine's result");
    c->co.result = res + 1;
    return CO_READY;
}

static int step_result(struct ct_co *c, int n)
{
    (void)n;
    c->co.result = c->value;
    return CO_READY;
}

/* Every operation refuses `old` (a CID whose record ended and was freed,
 * maybe reused by `now`, which must not notice). */
static void ct_expect_stale(struct ct_exec *ex, uint32_t old, struct ct_co *now, const char *what)
{
    int64_t before = now ? ct_state(ex, now->co.cid) : 0;
    int polls = now ? atomic_load(&now->polls) : 0;
    uint32_t prio = now ? ex->recs[CO_INDEX(now->co.cid)].prio : 0;
    int64_t res = 12345;
    char buf[160];
#define CT_STALE(call, name)                                                       \
    do {                                                                           \
        snprintf(buf, sizeof buf, "%s with the old CID %#x (%s)", name, old, what); \
        CT_EQ(call, -1, buf);                                                      \
    } while (0)
    CT_STALE(ct_wake(ex, old), "CO_OP_WAKE");
    CT_STALE(ct_cancel(ex, old), "CO_OP_CANCEL");
    CT_STALE(ct_join(ex, old, CO_NONE, &res), "CO_OP_JOIN");
    CT_STALE(ct_set_prio(ex, old, 3), "CO_OP_SET_PRIO");
    CT_STALE(ct_state(ex, old), "CO_OP_STATE");
    CT_STALE(ct_detach(ex, old), "CO_OP_DETACH");
#undef CT_STALE
    CT_EQ(res, 12345, "the result written by a refused CO_OP_JOIN");
    if (now) {
        ct_expect_state(ex, now->co.cid, before, "the record's new coroutine, after the old CID's calls");
        CT_EQ(ex->recs[CO_INDEX(now->co.cid)].prio, prio, "its priority");
        ct_run(ex);
        ct_expect_polls(now, polls, "the record's new coroutine, after the old CID's wake");
    }
}

static void t_join_reuse(void)
{
    struct ct_exec ex;
    ct_exec_new(&ex, 8, 1, 16);
    struct ct_co *c = ct_frames(&ex, 12);
    int64_t res = 0;

    /* A awaits B. */
    struct ct_co *A = &c[0], *B = &c[1];
    A->step = step_joiner;
    A->max_polls = 2;
    B->step = step_result;
    B->value = 4242;
    uint32_t oa = ct_spawn(&ex, A, 10), ob = ct_spawn(&ex, B, 10);
    A->peer = ob;
    ct_run(&ex);
    struct ct_entry order[3] = { { 0, 10, 0 }, { 1, 10, 1 }, { 0, 10, 2 } };
    ct_expect_order(&ex, order, 3, "A joins B, B ends, A is woken");
    ct_expect_polls(A, 2, "the joiner");
    ct_expect_polls(B, 1, "the joined");
    CT_EQ(ct_state(&ex, ob), -1, "CO_OP_STATE of B, joined by A (its record is freed)");
    CT_EQ(ct_join(&ex, oa, CO_NONE, &res), 1, "CO_OP_JOIN of A by a thread");
    CT_EQ(res, 4243, "A's result");
    CT_EQ(ex.x->live, 0, "live");
    atomic_store(&ex.nlog, 0);

    /* Both records reused, under new generations: the old CIDs name nothing. */
    struct ct_co *C = &c[2], *D = &c[3];
    C->step = D->step = step_pending;
    C->max_polls = 2;
    D->max_polls = 4;
    uint32_t cc = ct_spawn(&ex, C, 10), cd = ct_spawn(&ex, D, 10);
    CT_CHECK((CO_INDEX(cc) == CO_INDEX(oa) && CO_INDEX(cd) == CO_INDEX(ob)) ||
             (CO_INDEX(cc) == CO_INDEX(ob) && CO_INDEX(cd) == CO_INDEX(oa)),
             "new coroutines %#x, %#x do not reuse the freed records of %#x, %#x", cc, cd, oa, ob);
    uint32_t old_c = CO_INDEX(cc) == CO_INDEX(oa) ? oa : ob;
    uint32_t old_d = old_c == oa ? ob : oa;
    CT_EQ(CO_GEN(cc), (CO_GEN(old_c) + 1) & CO_GEN_MASK, "the reused record's generation");
    CT_EQ(CO_GEN(cd), (CO_GEN(old_d) + 1) & CO_GEN_MASK, "the reused record's generation");
    ct_run(&ex);
    ct_expect_stale(&ex, old_c, C, "the record now holds an idle coroutine");
    ct_expect_stale(&ex, old_d, D, "the record now holds an idle coroutine");
    CT_EQ(ct_wake(&ex, cd), 1, "CO_OP_WAKE of D");       /* and a queued one */
    ct_expect_stale(&ex, old_c, C, "the record's coroutine is idle, another is queued");
    ct_expect_polls(D, 2, "D, woken once");
    /* A forged CID: the right index, a generation to come. */
    CT_EQ(ct_wake(&ex, CO_MAKE_CID(CO_INDEX(cc), CO_GEN(cc) + 1)), -1, "CO_OP_WAKE, future generation");
    CT_EQ(ct_wake(&ex, CO_MAKE_CID(7, 0)), -1, "CO_OP_WAKE of a never-used record");
    CT_EQ(ct_wake(&ex, CO_NONE), -1, "CO_OP_WAKE of CO_NONE");

    /* A second joiner is refused; the first one stays registered. */
    CT_EQ(ct_join(&ex, cc, cd, NULL), 0, "CO_OP_JOIN of C (joiner D)");
    CT_EQ(ct_join(&ex, cc, oa, NULL), -1, "CO_OP_JOIN of C by a second joiner");
    C->value = 1;
    CT_EQ(ct_wake(&ex, cc), 1, "CO_OP_WAKE of C");
    ct_run(&ex);                /* C ends and wakes its joiner D */
    ct_expect_polls(C, 2, "C, woken to finish");
    ct_expect_polls(D, 3, "D, C's joiner, woken by C's end");
    CT_EQ(ct_join(&ex, cc, CO_NONE, &res), -1, "CO_OP_JOIN of C by a thread: D is its joiner");
    CT_EQ(ct_join(&ex, cc, cd, &res), 1, "CO_OP_JOIN of C by its joiner");
    ct_expect_stale(&ex, cc, NULL, "joined");
    D->value = 1;
    CT_EQ(ct_wake(&ex, cd), 1, "CO_OP_WAKE of D");
    ct_run(&ex);
    CT_EQ(ct_join(&ex, cd, CO_NONE, &res), 1, "CO_OP_JOIN of D");
    atomic_store(&ex.nlog, 0);

    /* Detached before it ends: freed by its end. */
    struct ct_co *E = &c[4], *F = &c[5], *G = &c[6], *H = &c[7];
    E->step = step_result;
    E->value = 5;
    uint32_t ce = ct_spawn(&ex, E, 10);
    CT_EQ(ct_detach(&ex, ce), 0, "CO_OP_DETACH of a queued coroutine");
    ct_expect_state(&ex, ce, CO_LIVE | CO_QUEUED | CO_DETACHED, "detached, queued");
    CT_EQ(ct_join(&ex, ce, CO_NONE, &res), -1, "CO_OP_JOIN of a detached coroutine");
    ct_run(&ex);
    ct_expect_polls(E, 1, "the detached coroutine");
    CT_EQ(ex.x->live, 0, "live");
    F->step = step_pending;
    F->max_polls = 2;
    uint32_t cf = ct_spawn(&ex, F, 10);
    CT_EQ(CO_INDEX(cf), CO_INDEX(ce), "the record freed by a detached coroutine's end, reused");
    ct_run(&ex);
    ct_expect_stale(&ex, ce, F, "detached, ended, its record reused");

    /* Detached after it ended: freed by the detach. */
    G->step = step_result;
    uint32_t cg = ct_spawn(&ex, G, 10);
    ct_run(&ex);
    ct_expect_state(&ex, cg, CO_LIVE | CO_DONE, "ended, not joined");
    CT_EQ(ct_detach(&ex, cg), 0, "CO_OP_DETACH of a finished coroutine");
    CT_EQ(ct_state(&ex, cg), -1, "CO_OP_STATE after the detach of a finished coroutine");
    H->step = step_pending;
    H->max_polls = 2;
    uint32_t ch = ct_spawn(&ex, H, 10);
    CT_EQ(CO_INDEX(ch), CO_INDEX(cg), "the record freed by CO_OP_DETACH, reused");
    ct_run(&ex);
    ct_expect_stale(&ex, cg, H, "ended, detached, its record reused");
    F->value = H->value = 1;
    CT_EQ(ct_detach(&ex, cf), 0, "CO_OP_DETACH");
    CT_EQ(ct_detach(&ex, ch), 0, "CO_OP_DETACH");
    CT_EQ(ct_wake(&ex, cf), 1, "CO_OP_WAKE");
    CT_EQ(ct_wake(&ex, ch), 1, "CO_OP_WAKE");
    ct_run(&ex);
    ct_expect_stale(&ex, cf, NULL, "detached, ended");
    ct_expect_stale(&ex, ch, NULL, "detached, ended");
    CT_EQ(ex.x->live, 0, "live");
    ct_exec_free(&ex);
    free(c);

    /* One record, reused 300 times: each CID is new, every old one refused
     * (and the last coroutine, idle in the record, is never disturbed). */
    ct_exec_new(&ex, 1, 1, 0);
    c = ct_frames(&ex, 301);
    uint32_t cids[301];
    for (int k = 0; k < 301; k++) {
        c[k].step = k < 300 ? step_result : step_pending;
        c[k].value = k < 300 ? k : 0;      /* step_pending: 0 is "not yet" */
        cids[k] = ct_spawn(&ex, &c[k], 1 + k % 20);
        CT_EQ(ct_try_spawn(&ex, &c[k], 10), CO_NONE, "CO_OP_SPAWN into a full executor");
        CT_EQ(CO_INDEX(cids[k]), 0, "the one record's index");
        CT_EQ(CO_GEN(cids[k]), k, "its generation, after k joins");
        ct_run(&ex);
        if (k < 300) {
            CT_EQ(ct_join(&ex, cids[k], CO_NONE, &res), 1, "CO_OP_JOIN");
            CT_EQ(res, k, "the result");
        }
    }
    for (int k = 0; k < 300; k++)
        ct_expect_stale(&ex, cids[k], k % 50 == 0 ? &c[300] : NULL, "one record reused 300 times");
    ct_expect_polls(&c[300], 1, "the record's last coroutine");
    c[300].max_polls = 2;
    c[300].value = 1;
    CT_EQ(ct_wake(&ex, cids[300]), 1, "CO_OP_WAKE");
    ct_run(&ex);
    CT_EQ(ex.x->live, 0, "live");
    ct_exec_free(&ex);
    free(c);
}

/* ---- test: finish_race ---------------------------------------------------------
 *
 * A worker finishing coroutine B (CO_OP_POLLED: Ready) makes it DONE, then
 * takes the executor lock to take it out of the queue's bookkeeping (the
 * IN_QUEUE flag, the live count, a detached one's record).  A thread that
 * sees DONE in between may join (or detach) B, which frees the record, and
 * a spawn may then put a new coroutine C in it: the finisher must not then
 * treat C as B.
 *
 * Made deterministic by holding the executor's lock (CO_EXEC.lock, as
 * another worker would) while the worker finishes B, so that it stops at
 * the lock; then pausing that worker (a signal whose handler waits) and
 * releasing the lock; then join/detach B and spawn C; then resuming the
 * worker.  C must still be polled once, B's result must still be had.
 * (If the executor only makes B DONE under the lock, the join finds B not
 * yet done, which is just as correct; the test waits 100 ms for DONE.) */

static sem_t fr_paused, fr_resume;

static void fr_on_usr1(int sig)
{
    (void)sig;
    sem_post(&fr_paused);
    while (sem_wait(&fr_resume) != 0)
        ;
}

static void *fr_worker(void *arg)
{
    struct ct_exec *ex = arg;
    CT_EQ(ct_call(ex, 0, CO_OP_RUN, CO_NONE, 0, 0, 0), 0, "CO_OP_RUN (worker)");
    return NULL;
}

static int step_fr(struct ct_co *c, int n)
{
    (void)n;
    sem_post(c->started);
    while (sem_wait(c->proceed) != 0)
        ;
    c->co.result = 77;
    return CO_READY;
}

static void ct_sleep_ms(long ms)
{
    struct timespec t = { ms / 1000, (ms % 1000) * 1000000L };
    while (nanosleep(&t, &t) != 0)
        ;
}

static void finish_race(bool by_join)
{
    const char *what = by_join ? "freed by CO_OP_JOIN" : "freed by CO_OP_DETACH";
    struct ct_exec ex;
    ct_exec_new(&ex, 4, 1, 0);
    struct ct_co *c = ct_frames(&ex, 2);
    struct ct_co *B = &c[0], *C = &c[1];
    sem_t started, proceed;
    sem_init(&started, 0, 0);
    sem_init(&proceed, 0, 0);
    sem_init(&fr_paused, 0, 0);
    sem_init(&fr_resume, 0, 0);
    B->step = step_fr;
    B->started = &started;
    B->proceed = &proceed;
    C->step = step_result;
    C->value = 5;
    uint32_t ob = ct_spawn(&ex, B, 10);

    pthread_t w;
    CT_CHECK(pthread_create(&w, NULL, fr_worker, &ex) == 0, "pthread_create");
    while (sem_wait(&started) != 0)     /* the worker polls B, lock free */
        ;
    __atomic_store_n(&ex.x->lock, 1, __ATOMIC_SEQ_CST);      /* "another worker" */
    sem_post(&proceed);                 /* B returns Ready */
    while (atomic_load(&B->drops) == 0) /* dropped: the finish comes next */
        sched_yield();
    for (int ms = 0; ms < 100 && !(ct_state(&ex, ob) & CO_DONE); ms++)
        ct_sleep_ms(1);
    pthread_kill(w, SIGUSR1);           /* stopped wherever it waits for the lock */
    while (sem_wait(&fr_paused) != 0)
        ;
    __atomic_store_n(&ex.x->lock, 0, __ATOMIC_SEQ_CST);
    int64_t res = 0, r;
    if (by_join) {
        r = ct_join(&ex, ob, CO_NONE, &res);
        CT_CHECK(r == 0 || (r == 1 && res == 77), "CO_OP_JOIN of B: %" PRId64 ", result %" PRId64,
                 r, res);
    } else {
        r = 0;
        CT_EQ(ct_detach(&ex, ob), 0, "CO_OP_DETACH of B");
    }
    uint32_t oc = ct_spawn(&ex, C, 10);
    sem_post(&fr_resume);
    pthread_join(w, NULL);
    ct_run(&ex);
    char buf[200];
    snprintf(buf, sizeof buf, "C (%#x), spawned while B (%#x) was being finished, B's record %s "
             "before the finisher took the lock", oc, ob, what);
    ct_expect_polls(C, 1, buf);
    if (by_join && r == 0) {
        CT_EQ(ct_join(&ex, ob, CO_NONE, &res), 1, "CO_OP_JOIN of B once finished");
        CT_EQ(res, 77, "B's result");
    }
    CT_EQ(ct_state(&ex, ob), -1, "CO_OP_STATE of B, joined or detached");
    CT_EQ(ct_join(&ex, oc, CO_NONE, &res), 1, "CO_OP_JOIN of C");
    CT_EQ(res, 5, "C's result");
    CT_EQ(ex.x->live, 0, "live");
    ct_exec_free(&ex);
    sem_destroy(&started);
    sem_destroy(&proceed);
    sem_destroy(&fr_paused);
    sem_destroy(&fr_resume);
    free(c);
}

static void t_finish_race(void)
{
    struct sigaction sa = { .sa_handler = fr_on_usr1 };
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR1, &sa, NULL);
    finish_race(true);
    finish_race(false);
}

/* ---- test: cancel ---------------------------------------------------------------- */

static int step_self_cancel(struct ct_co *c, int n)
{
    (void)n;
    CT_EQ(ct_cancel(c->ex, c->co.cid), 0, "CO_OP_CANCEL of itself during its poll");
    CT_EQ(ct_cancel(c->ex, c->co.cid), 0, "a second CO_OP_CANCEL of itself");
    return (int)c->value;
}

/* The coroutine ended cancelled: dropped once, DONE|CANCELLED, never polled
 * again, and its join gives CO_RESULT_CANCELLED. */
static void ct_expect_cancelled(struct ct_exec *ex, struct ct_co *c, uint32_t cid, int polls,
                                const char *what)
{
    char buf[160];
    snprintf(buf, sizeof buf, "cancelled %s", what);
    CT_CHECK(atomic_load(&c->drops) == 1, "%s: drop hook ran %d times, expected once", buf,
             atomic_load(&c->drops));
    ct_expect_polls(c, polls, buf);
    ct_expect_state(ex, cid, CO_LIVE | CO_DONE | CO_CANCELLED, buf);
    CT_EQ(ct_wake(ex, cid), 0, "CO_OP_WAKE of a cancelled coroutine");
    CT_EQ(ct_cancel(ex, cid), -1, "CO_OP_CANCEL of a finished coroutine");
    ct_run(ex);
    ct_expect_polls(c, polls, buf);
    int64_t res = 0;
    CT_EQ(ct_join(ex, cid, CO_NONE, &res), 1, "CO_OP_JOIN of a cancelled coroutine");
    CT_EQ(res, CO_RESULT_CANCELLED, "the result of a cancelled coroutine");
    CT_EQ(ct_cancel(ex, cid), -1, "CO_OP_CANCEL of a joined coroutine");
}

static void t_cancel(void)
{
    struct ct_exec ex;
    ct_exec_new(&ex, 16, 1, 0);
    struct ct_co *c = ct_frames(&ex, 12);
    for (int i = 0; i < 12; i++) {
        c[i].step = step_pending;
        c[i].max_polls = 1;
    }

    /* Idle: the canceller holds it, drops it, finishes it; a wake between
     * its cancel and its finish must not queue it. */
    uint32_t a = ct_spawn(&ex, &c[0], 10);
    ct_run(&ex);
    CT_EQ(ct_cancel(&ex, a), 1, "CO_OP_CANCEL of an idle coroutine");
    ct_expect_state(&ex, a, CO_LIVE | CO_RUNNING | CO_CANCELLED, "cancelled while idle");
    CT_EQ(ct_cancel(&ex, a), 0, "a second CO_OP_CANCEL (the first canceller finishes it)");
    CT_EQ(ct_wake(&ex, a), 0, "CO_OP_WAKE of a coroutine its canceller holds");
    ct_run(&ex);
    ct_expect_polls(&c[0], 1, "cancelled idle, woken, before its finish");
    ct_finish_cancelled(&ex, &c[0], a);
    ct_expect_cancelled(&ex, &c[0], a, 1, "while idle");

    /* Queued, never polled yet: the fetcher finds it cancelled. */
    uint32_t b = ct_spawn(&ex, &c[1], 10);
    CT_EQ(ct_cancel(&ex, b), 0, "CO_OP_CANCEL of a queued coroutine");
    CT_EQ(ct_cancel(&ex, b), 0, "a second CO_OP_CANCEL of it");
    ct_expect_state(&ex, b, CO_LIVE | CO_QUEUED | CO_CANCELLED, "cancelled while queued");
    ct_run(&ex);
    ct_expect_cancelled(&ex, &c[1], b, 0, "while queued (spawned)");

    /* Queued by a wake after its first poll. */
    uint32_t d = ct_spawn(&ex, &c[2], 10);
    ct_run(&ex);
    CT_EQ(ct_wake(&ex, d), 1, "CO_OP_WAKE");
    CT_EQ(ct_cancel(&ex, d), 0, "CO_OP_CANCEL of a woken coroutine");
    CT_EQ(ct_wake(&ex, d), 0, "CO_OP_WAKE of a cancelled queued coroutine");
    ct_run(&ex);
    ct_expect_cancelled(&ex, &c[2], d, 1, "while queued (woken)");

    /* Running, cancelled from another thread during the poll; the caller
     * drives the poll itself: CO_OP_POLLED says "cancelled, finish it". */
    for (int ready = 0; ready <= 1; ready++) {
        struct ct_co *e = &c[3 + ready];
        struct ct_helper h;
        e->step = step_handshake;
        e->value = ready;
        uint32_t ce = ct_spawn(&ex, e, 10);
        ct_helper_start(&h, &ex, e, CO_OP_CANCEL, 2);
        CT_EQ(ct_call(&ex, 0, CO_OP_NEXT, 0, 0, 0, 0), ce, "CO_OP_NEXT");
        ct_expect_state(&ex, ce, CO_LIVE | CO_RUNNING, "fetched");
        int r = ct_poll(&e->co);
        ct_helper_join(&h, e);
        CT_EQ(h.got[0], 0, "CO_OP_CANCEL from another thread during the poll");
        CT_EQ(h.got[1], 0, "a second CO_OP_CANCEL during the poll");
        CT_EQ(r, CO_PENDING, "the poll");    /* poll 1 of step_handshake */
        CT_EQ(ct_call(&ex, 0, CO_OP_POLLED, ce, (uint64_t)ready, 9, 0), 1,
              ready ? "CO_OP_POLLED(Ready) of a coroutine cancelled during its poll"
                    : "CO_OP_POLLED(Pending) of a coroutine cancelled during its poll");
        CT_CHECK(atomic_load(&e->drops) == 0, "CO_OP_POLLED answering 1 ran the drop hook");
        ct_finish_cancelled(&ex, e, ce);
        ct_expect_cancelled(&ex, e, ce, 1, "while running (CO_OP_POLLED)");
    }

    /* Running, cancelled from another thread, under CO_OP_RUN. */
    for (int ready = 0; ready <= 1; ready++) {
        struct ct_co *e = &c[5 + ready];
        struct ct_helper h;
        e->step = step_handshake;
        e->value = ready;
        uint32_t ce = ct_spawn(&ex, e, 10);
        ct_helper_start(&h, &ex, e, CO_OP_CANCEL, 1);
        ct_run(&ex);
        ct_helper_join(&h, e);
        CT_EQ(h.got[0], 0, "CO_OP_CANCEL from another thread during the poll");
        ct_expect_cancelled(&ex, e, ce, 1, "while running (CO_OP_RUN)");
    }

    /* Running, cancelling itself. */
    for (int ready = 0; ready <= 1; ready++) {
        struct ct_co *e = &c[7 + ready];
        e->step = step_self_cancel;
        e->value = ready ? CO_READY : CO_PENDING;
        uint32_t ce = ct_spawn(&ex, e, 10);
        ct_run(&ex);
        ct_expect_cancelled(&ex, e, ce, 1, "by itself while running");
    }

    /* Done, and stale. */
    c[9].step = step_result;
    uint32_t f = ct_spawn(&ex, &c[9], 10);
    ct_run(&ex);
    CT_EQ(ct_cancel(&ex, f), -1, "CO_OP_CANCEL of a finished coroutine");
    ct_expect_state(&ex, f, CO_LIVE | CO_DONE, "finished, cancel refused");
    CT_CHECK(atomic_load(&c[9].drops) == 1, "drop hook of a finished coroutine: %d runs",
             atomic_load(&c[9].drops));
    int64_t res;
    CT_EQ(ct_join(&ex, f, CO_NONE, &res), 1, "CO_OP_JOIN");
    CT_EQ(ct_cancel(&ex, f), -1, "CO_OP_CANCEL of a joined coroutine");
    CT_EQ(ex.x->live, 0, "live");
    ct_exec_free(&ex);
    free(c);
}

/* ---- test: doorbell ---------------------------------------------------------------
 *
 * As the kernel rings it (coro.h): the record's bit in bell[], then the
 * bell word's bit in bell_summary[]. */

static void ct_ring(CO_EXEC *x, uint32_t i)
{
    __atomic_fetch_or(&x->bell[i / 64], 1ULL << (i % 64), __ATOMIC_SEQ_CST);
    __atomic_fetch_or(&x->bell_summary[i / 64 / 64], 1ULL << (i / 64 % 64), __ATOMIC_SEQ_CST);
}

static void ct_expect_bell_clear(struct ct_exec *ex, const char *what)
{
    for (uint32_t s = 0; s < CO_SUMMARY_WORDS; s++)
        CT_CHECK(ex->x->bell_summary[s] == 0, "%s: bell_summary[%u] = %#" PRIx64 " not taken in",
                 what, s, (uint64_t)ex->x->bell_summary[s]);
    for (uint32_t w = 0; w < CO_BELL_WORDS; w++)
        CT_CHECK(ex->x->bell[w] == 0, "%s: bell[%u] = %#" PRIx64 " not taken in", what, w,
                 (uint64_t)ex->x->bell[w]);
}

static int step_ring_self(struct ct_co *c, int n)
{
    if (n == 2)
        ct_ring(c->ex->x, CO_INDEX(c->co.cid));
    return c->value ? CO_READY : CO_PENDING;
}

static void t_doorbell(void)
{
    uint64_t rng = ct_seed ^ 0x07;

    /* Every record of a full executor: exactly the rung ones are woken,
     * once each, whichever summary word and bell word they are in. */
    struct ct_exec ex;
    ct_exec_new(&ex, CO_MAX, 1, 0);
    struct ct_co *c = ct_frames(&ex, CO_MAX);
    for (uint32_t i = 0; i < CO_MAX; i++) {
        c[i].step = step_pending;
        c[i].max_polls = 2;
        CT_EQ(CO_INDEX(ct_spawn(&ex, &c[i], 1 + i % 20)), i, "spawn's record index");
    }
    ct_run(&ex);
    static bool rung[CO_MAX];
    static const uint32_t edges[] = { 0, 1, 63, 64, 65, 127, 4031, 4095, 4096, 4097, 8191,
                                      8192, 12287, 12288, 16319, 16320, 16382, 16383 };
    uint32_t distinct = 0;
    for (uint32_t k = 0; k < sizeof edges / sizeof edges[0] + 300; k++) {
        uint32_t i = k < sizeof edges / sizeof edges[0] ? edges[k] : ct_below(&rng, CO_MAX);
        distinct += !rung[i];
        rung[i] = true;
        ct_ring(ex.x, i);
        if (k % 7 == 0)
            ct_ring(ex.x, i);           /* rung twice: still one wake */
    }
    uint64_t bells = ex.x->bells;
    ct_run(&ex);
    ct_expect_bell_clear(&ex, "after a run");
    for (uint32_t i = 0; i < CO_MAX; i++)
        if (atomic_load(&c[i].polls) != 1 + rung[i])
            ct_fail(__FILE__, __LINE__, "record %u (%s): polled %d times, expected %d", i,
                    rung[i] ? "rung" : "not rung", atomic_load(&c[i].polls), 1 + rung[i]);
    CT_EQ(ex.x->bells - bells, distinct, "doorbell bits taken in (CO_EXEC.bells)");
    ct_checks += CO_MAX;
    ct_exec_free(&ex);
    free(c);

    /* A smaller executor: bits for free records and for indices at or past
     * capacity (records that do not exist: ASan would see a touch). */
    ct_exec_new(&ex, 100, 1, 0);
    c = ct_frames(&ex, 60);
    uint32_t cid[60];
    for (uint32_t i = 0; i < 60; i++) {
        c[i].step = step_pending;
        c[i].max_polls = 5;
        cid[i] = ct_spawn(&ex, &c[i], 10);
    }
    ct_run(&ex);
    static const uint32_t beyond[] = { 100, 101, 127, 128, 191, 4095, 4096, 9999, 16383 };
    for (uint32_t k = 0; k < sizeof beyond / sizeof beyond[0]; k++)
        ct_ring(ex.x, beyond[k]);
    for (uint32_t i = 60; i < 100; i++)
        ct_ring(ex.x, i);               /* never used: not live */
    ct_ring(ex.x, 59);
    bells = ex.x->bells;
    ct_run(&ex);
    ct_expect_bell_clear(&ex, "bits past capacity");
    CT_EQ(ex.x->bells - bells, 41, "bits taken in: 59 and the 40 free records, not those past capacity");
    for (uint32_t i = 0; i < 60; i++)
        ct_expect_polls(&c[i], 1 + (i == 59), "bits past capacity and for free records");

    /* Queued already (woken): the bell adds no poll. */
    CT_EQ(ct_wake(&ex, cid[10]), 1, "CO_OP_WAKE");
    ct_ring(ex.x, 10);
    ct_ring(ex.x, 11);
    CT_EQ(ct_wake(&ex, cid[11]), 1, "CO_OP_WAKE after a bell not yet taken in");
    ct_run(&ex);
    ct_expect_polls(&c[10], 2, "woken, then rung");
    ct_expect_polls(&c[11], 2, "rung, then woken before the bell was taken in");
    CT_EQ(ct_wake(&ex, cid[11]), 1, "CO_OP_WAKE");
    ct_ring(ex.x, 11);
    ct_run(&ex);
    ct_expect_polls(&c[11], 3, "woken, then rung");

    /* Rung during its own poll (as an I/O completing then): one more poll. */
    c[20].step = step_ring_self;
    CT_EQ(ct_wake(&ex, cid[20]), 1, "CO_OP_WAKE");
    ct_run(&ex);
    ct_expect_polls(&c[20], 3, "rung during its poll");
    ct_expect_state(&ex, cid[20], CT_IDLE, "after the bell's poll");

    /* Finished: a bell does nothing. */
    c[30].value = 1;
    CT_EQ(ct_wake(&ex, cid[30]), 1, "CO_OP_WAKE");
    ct_run(&ex);
    ct_ring(ex.x, 30);
    ct_run(&ex);
    ct_expect_polls(&c[30], 2, "rung after its end");
    ct_expect_state(&ex, cid[30], CO_LIVE | CO_DONE, "rung after its end");

    for (uint32_t i = 0; i < 60; i++) {
        c[i].value = 1;
        ct_wake(&ex, cid[i]);
    }
    ct_run(&ex);
    CT_EQ(ex.x->live, 0, "live");
    ct_exec_free(&ex);
    free(c);
}

/* ---- test: set_prio ---------------------------------------------------------------- */

static void t_set_prio(void)
{
    struct ct_exec ex;
    ct_exec_new(&ex, 24, 1, 16);      /* 8, then 16 (the first 8 are not freed) */
    struct ct_co *c = ct_frames(&ex, 16);
    struct ct_entry e[16];
    uint32_t cid[16];
    uint64_t stamp = 0;
    for (uint32_t i = 0; i < 8; i++) {
        cid[i] = ct_spawn(&ex, &c[i], 10);
        e[i] = (struct ct_entry){ i, 10, stamp++ };
    }
    /* A re-prioritised queued coroutine is queued anew (fresh age). */
    static const uint32_t moves[][2] = { { 3, 15 }, { 0, 5 }, { 5, 10 }, { 1, 20 }, { 1, 12 } };
    for (uint32_t k = 0; k < sizeof moves / sizeof moves[0]; k++) {
        uint32_t i = moves[k][0];
        CT_EQ(ct_set_prio(&ex, cid[i], moves[k][1]), 0, "CO_OP_SET_PRIO of a queued coroutine");
        e[i].prio = moves[k][1];
        e[i].stamp = stamp++;
    }
    CT_EQ(ct_set_prio(&ex, cid[2], 0), -1, "CO_OP_SET_PRIO to 0");
    CT_EQ(ct_set_prio(&ex, cid[2], 21), -1, "CO_OP_SET_PRIO to 21");
    struct ct_entry sorted[8];
    memcpy(sorted, e, sizeof sorted);
    qsort(sorted, 8, sizeof sorted[0], ct_cmp_entry);
    CT_EQ(ct_call(&ex, 0, CO_OP_TOP, 0, 0, 0, 0), sorted[0].prio, "CO_OP_TOP after the moves");
    ct_run(&ex);
    ct_expect_order(&ex, e, 8, "after CO_OP_SET_PRIO of queued coroutines");

    /* Random moves among a few levels. */
    uint64_t rng = ct_seed ^ 0x08;
    for (uint32_t i = 0; i < 16; i++) {
        c[i] = (struct ct_co){ .ex = &ex, .id = i, .max_polls = 1, .peer = CO_NONE };
        cid[i] = ct_spawn(&ex, &c[i], 10);
        e[i] = (struct ct_entry){ i, 10, stamp++ };
    }
    for (int k = 0; k < 300; k++) {
        uint32_t i = ct_below(&rng, 16), p = 5 + 5 * ct_below(&rng, 3);
        CT_EQ(ct_set_prio(&ex, cid[i], p), 0, "CO_OP_SET_PRIO of a queued coroutine");
        e[i].prio = p;
        e[i].stamp = stamp++;
    }
    ct_run(&ex);
    ct_expect_order(&ex, e, 16, "after 300 random CO_OP_SET_PRIOs");
    CT_EQ(ex.x->live, 0, "live");
    ct_exec_free(&ex);
    free(c);
}

/* ---- test: co_max -------------------------------------------------------------------- */

static void t_co_max(void)
{
    struct ct_exec ex;
    ct_exec_new(&ex, CO_MAX, 1, 0);
    struct ct_co *c = ct_frames(&ex, CO_MAX + 1);
    static uint32_t cid[CO_MAX];
    for (int round = 0; round < 3; round++) {
        for (uint32_t i = 0; i < CO_MAX; i++) {
            c[i] = (struct ct_co){ .ex = &ex, .id = i, .max_polls = 1, .peer = CO_NONE,
                                   .step = step_result, .value = (int64_t)i * 3 + round };
            cid[i] = ct_spawn(&ex, &c[i], 1 + (i * 7 + (uint32_t)round) % 20);
            if (round > 0)
                CT_EQ(CO_GEN(cid[i]), round, "a reused record's generation");
        }
        CT_EQ(ct_try_spawn(&ex, &c[CO_MAX], 10), CO_NONE, "spawn of coroutine CO_MAX + 1");
        CT_EQ(ex.x->used, CO_MAX, "records ever handed out");
        CT_EQ(ex.x->live, CO_MAX, "live");
        ct_run(&ex);
        CT_EQ(ex.x->live, 0, "live after the run");
        for (uint32_t i = 0; i < CO_MAX; i++) {
            if (atomic_load(&c[i].polls) != 1 || atomic_load(&c[i].drops) != 1)
                ct_fail(__FILE__, __LINE__, "round %d, coroutine %u: %d polls, %d drops", round,
                        i, atomic_load(&c[i].polls), atomic_load(&c[i].drops));
            int64_t res = -1;
            /* Free them all, by join (round 0, 2) or detach (round 1). */
            if (round == 1) {
                CT_EQ(ct_detach(&ex, cid[i]), 0, "CO_OP_DETACH of a finished coroutine");
            } else {
                CT_EQ(ct_join(&ex, cid[i], CO_NONE, &res), 1, "CO_OP_JOIN");
                CT_EQ(res, (int64_t)i * 3 + round, "the result");
            }
        }
        ct_checks += CO_MAX;
        CT_EQ(ex.x->used, CO_MAX, "records ever handed out, all freed");
    }
    ct_exec_free(&ex);
    free(c);
}

/* ---- test: stress ---------------------------------------------------------------------
 *
 * Rounds: in each, ST_WORKERS threads (harts 0..3) loop on CO_OP_RUN while
 * ST_CLIENTS threads make ST_OPS operations each on random coroutines:
 * wakes and doorbell rings (each counted in the coroutine's wake_req before
 * it is made), priority changes, and (one client) cancels, finishing those
 * it gets to hold.  Coroutines wake themselves or ring their own bell
 * during some polls, and end after `target` polls.  When the clients are
 * done, each worker makes one last CO_OP_RUN that begins after that; once
 * all have returned nothing runs and nothing can be queued, so:
 *
 *   - nothing is queued (CO_OP_NEXT: CO_NONE), no bell is pending;
 *   - every coroutine is DONE (and was dropped once), or idle (LIVE only:
 *     a cancelled one must have been finished), with wake_req equal to
 *     what its last poll saw when it began: a wake made after that would
 *     have had to bring another poll;
 *   - live is the number not DONE.
 *
 * The poll itself checks it is never run twice at once.  Then all are told
 * to finish, woken, and must all end; each join gives its result (its
 * number of polls, or CO_RESULT_CANCELLED). */

#define ST_COROS    600
#define ST_CAP      1024
#define ST_WORKERS  4
#define ST_CLIENTS  3
#define ST_ROUNDS   8
#define ST_OPS      20000

static struct st_world {
    struct ct_exec ex;
    struct ct_co *co;
    uint32_t cid[ST_COROS];
    atomic_int stop;
    atomic_ulong wakes, queued, bells, prios, cancels_held, cancels_busy, self_wakes;
} st;

struct st_thread {
    pthread_t th;
    uint32_t index;
    uint64_t rng;
};

static int step_stress(struct ct_co *c, int n)
{
    atomic_store(&c->seen, atomic_load(&c->wake_req));
    if (atomic_load(&c->finish_now) || n >= c->target) {
        c->co.result = n;
        return CO_READY;
    }
    uint32_t r = (uint32_t)(ct_rand(&c->rng) % 16);
    if (r == 0) {
        atomic_fetch_add(&c->wake_req, 1);
        CT_EQ(ct_call(c->ex, 0, CO_OP_WAKE, c->co.cid, 0, 0, 0), 0,
              "CO_OP_WAKE of itself during its poll");
        atomic_fetch_add(&st.self_wakes, 1);
    } else if (r == 1) {
        atomic_fetch_add(&c->wake_req, 1);
        ct_ring(c->ex->x, CO_INDEX(c->co.cid));
        atomic_fetch_add(&st.self_wakes, 1);
    } else if (r <= 4) {
        /* A longer poll, with the CPU given up, so that other threads'
         * wakes and cancels land while it runs. */
        sched_yield();
        for (volatile int k = 0; k < 1000; k++)
            ;
    } else if (r == 5) {
        return CO_YIELD;            /* polled again, maybe through the handoff slot */
    }
    return CO_PENDING;
}

static void *st_worker(void *arg)
{
    struct st_thread *t = arg;
    for (;;) {
        /* Read before the run: a run begun after the clients stopped
         * returns only once it found nothing to do. */
        int stop = atomic_load(&st.stop);
        CT_EQ(ct_call(&st.ex, t->index, CO_OP_RUN, CO_NONE, 0, 0, 0), 0, "CO_OP_RUN");
        if (stop)
            break;
        sched_yield();
    }
    return NULL;
}

static void *st_client(void *arg)
{
    struct st_thread *t = arg;
    uint32_t hart = t->index % ST_WORKERS;
    bool canceller = t->index == ST_CLIENTS - 1;
    for (int op = 0; op < ST_OPS; op++) {
        uint32_t j = ct_below(&t->rng, ST_COROS);
        struct ct_co *c = &st.co[j];
        uint32_t cid = st.cid[j], r = ct_below(&t->rng, 1000);
        if (op % 32 == 0)
            sched_yield();      /* let the workers drain the queue: more idle coroutines */
        if (canceller && r < 2) {
            /* Mostly aim at one being polled (else the window is rare). */
            for (int k = 0; k < 32 && !atomic_load(&c->in_poll); k++) {
                j = ct_below(&t->rng, ST_COROS);
                c = &st.co[j];
                cid = st.cid[j];
            }
            int64_t v = ct_call(&st.ex, hart, CO_OP_CANCEL, cid, 0, 0, 0);
            CT_CHECK(v >= -1 && v <= 1, "CO_OP_CANCEL answered %" PRId64, v);
            if (v == 1) {       /* idle: ours to end */
                ct_drop(&c->co);
                CT_EQ(ct_call(&st.ex, hart, CO_OP_FINISH, cid, (uint64_t)CO_RESULT_CANCELLED, 0, 0),
                      0, "CO_OP_FINISH");
                atomic_fetch_add(&st.cancels_held, 1);
            } else if (v == 0) {
                atomic_fetch_add(&st.cancels_busy, 1);
            }
        } else if (r < 650) {
            atomic_fetch_add(&c->wake_req, 1);
            int64_t v = ct_call(&st.ex, hart, CO_OP_WAKE, cid, 0, 0, 0);
            CT_CHECK(v == 0 || v == 1, "CO_OP_WAKE answered %" PRId64, v);
            atomic_fetch_add(&st.wakes, 1);
            atomic_fetch_add(&st.queued, (unsigned long)v);
        } else if (r < 900) {
            atomic_fetch_add(&c->wake_req, 1);
            ct_ring(st.ex.x, CO_INDEX(cid));
            atomic_fetch_add(&st.bells, 1);
        } else {
            CT_EQ(ct_call(&st.ex, hart, CO_OP_SET_PRIO, cid, 1 + ct_below(&t->rng, 20), 0, 0), 0,
                  "CO_OP_SET_PRIO");
            atomic_fetch_add(&st.prios, 1);
        }
    }
    return NULL;
}

/* One round: clients (if any) and workers, until all are done. */
static void st_round(int round, int clients)
{
    struct st_thread w[ST_WORKERS], cl[ST_CLIENTS];
    atomic_store(&st.stop, 0);
    for (uint32_t i = 0; i < ST_WORKERS; i++) {
        w[i] = (struct st_thread){ .index = i };
        CT_CHECK(pthread_create(&w[i].th, NULL, st_worker, &w[i]) == 0, "pthread_create");
    }
    for (int i = 0; i < clients; i++) {
        cl[i] = (struct st_thread){ .index = (uint32_t)i,
                                    .rng = ct_seed ^ ((uint64_t)round << 32) ^ (uint64_t)i };
        CT_CHECK(pthread_create(&cl[i].th, NULL, st_client, &cl[i]) == 0, "pthread_create");
    }
    for (int i = 0; i < clients; i++)
        pthread_join(cl[i].th, NULL);
    atomic_store(&st.stop, 1);
    for (uint32_t i = 0; i < ST_WORKERS; i++)
        pthread_join(w[i].th, NULL);
}

static void st_check_quiet(const char *when)
{
    struct ct_exec *ex = &st.ex;
    ct_exec_ok(ex, when);
    /* A run takes the doorbell in before it fetches, unless no coroutine
     * is left (live 0: it returns at once): bells for ended ones may stay. */
    if (ex->x->live)
        ct_expect_bell_clear(ex, when);
    CT_EQ(ct_call(ex, 0, CO_OP_NEXT, 0, 0, 0, 0), CO_NONE, "CO_OP_NEXT once every worker is idle");
    uint32_t live = 0;
    for (uint32_t j = 0; j < ST_COROS; j++) {
        struct ct_co *c = &st.co[j];
        int64_t s = ct_state(ex, st.cid[j]);
        CT_CHECK(atomic_load(&c->in_poll) == 0, "%s: coroutine %u still in its poll", when, j);
        if (s >= 0 && (s & CO_DONE)) {
            CT_CHECK(atomic_load(&c->drops) == 1, "%s: coroutine %u ended, dropped %d times",
                     when, j, atomic_load(&c->drops));
            continue;
        }
        live++;
        CT_CHECK(s == CT_IDLE, "%s: coroutine %u (%#x) left in state %#" PRIx64
                 " with every worker idle (expected idle: LIVE only)", when, j, st.cid[j], s);
        uint32_t asked = atomic_load(&c->wake_req), seen = atomic_load(&c->seen);
        CT_CHECK(asked == seen, "%s: coroutine %u (%#x) lost a wake-up: %u wakes asked for, "
                 "%u of them before its last poll (#%d) began, and it is idle", when, j,
                 st.cid[j], asked, seen, atomic_load(&c->polls));
        CT_CHECK(atomic_load(&c->drops) == 0, "%s: coroutine %u dropped but not done", when, j);
    }
    CT_EQ(ex->x->live, live, "live: coroutines not DONE");
    ct_checks += ST_COROS;
}

static void t_stress(void)
{
    memset(&st, 0, sizeof st);
    ct_exec_new(&st.ex, ST_CAP, ST_WORKERS, 0);
    st.co = ct_frames(&st.ex, ST_COROS);
    uint64_t rng = ct_seed ^ 0x10;
    for (uint32_t j = 0; j < ST_COROS; j++) {
        struct ct_co *c = &st.co[j];
        c->step = step_stress;
        c->target = 5 + (int)ct_below(&rng, 1000);
        c->max_polls = c->target;
        c->rng = ct_rand(&rng);
        st.cid[j] = ct_spawn(&st.ex, c, 1 + ct_below(&rng, 20));
    }
    char when[64];
    for (int round = 0; round < ST_ROUNDS; round++) {
        st_round(round, ST_CLIENTS);
        snprintf(when, sizeof when, "after round %d", round);
        st_check_quiet(when);
        if (getenv("CT_VERBOSE"))
            printf("coro_test: stress: after round %d: %u live\n", round, st.ex.x->live);
    }
    /* The end: all told to finish, and woken. */
    for (uint32_t j = 0; j < ST_COROS; j++) {
        struct ct_co *c = &st.co[j];
        atomic_store(&c->finish_now, 1);
        c->max_polls = c->target + 1;
        atomic_fetch_add(&c->wake_req, 1);
        int64_t v = ct_wake(&st.ex, st.cid[j]);
        CT_CHECK(v == 0 || v == 1, "CO_OP_WAKE answered %" PRId64, v);
    }
    st_round(ST_ROUNDS, 0);
    st_check_quiet("at the end");
    CT_EQ(st.ex.x->live, 0, "live at the end");
    unsigned long polls = 0, cancelled = 0;
    for (uint32_t j = 0; j < ST_COROS; j++) {
        struct ct_co *c = &st.co[j];
        int64_t s = ct_state(&st.ex, st.cid[j]), res = 0;
        CT_CHECK(s >= 0 && (s & CO_DONE), "coroutine %u not DONE at the end: %#" PRIx64, j, s);
        CT_EQ(ct_join(&st.ex, st.cid[j], CO_NONE, &res), 1, "CO_OP_JOIN at the end");
        int64_t want = (s & CO_CANCELLED) ? CO_RESULT_CANCELLED : atomic_load(&c->polls);
        CT_CHECK(res == want, "coroutine %u (state %#" PRIx64 ", %d polls): result %" PRId64
                 ", expected %" PRId64, j, s, atomic_load(&c->polls), res, want);
        polls += (unsigned long)atomic_load(&c->polls);
        cancelled += (s & CO_CANCELLED) != 0;
    }
    printf("coro_test: stress: %d rounds of %d operations x %d clients, %d workers: %lu polls, "
           "%lu wakes (%lu queued), %lu bells, %lu self-wakes in polls, %lu priority changes, "
           "%lu cancelled (%lu idle, %lu queued or running)\n", ST_ROUNDS, ST_OPS, ST_CLIENTS,
           ST_WORKERS, polls, atomic_load(&st.wakes), atomic_load(&st.queued),
           atomic_load(&st.bells), atomic_load(&st.self_wakes), atomic_load(&st.prios),
           cancelled, atomic_load(&st.cancels_held), atomic_load(&st.cancels_busy));
    ct_exec_free(&st.ex);
    free(st.co);
}

/* ---- test: yield ---------------------------------------------------------------- */

/* Yields `target` times, then Ready; with `value` 4, Pending instead,
 * and Ready at the poll after.  At its first poll it does `value` to its
 * peer (if any): 1 wake, 2 cancel, 3 a new priority (20). */
static int step_yield(struct ct_co *c, int n)
{
    if (n == c->target + 1 && c->value == 4)
        return CO_PENDING;
    if (n == 1 && c->peer != CO_NONE) {
        if (c->value == 1)
            CT_EQ(ct_wake(c->ex, c->peer), 0, "CO_OP_WAKE of a coroutine in the slot");
        else if (c->value == 2)
            CT_EQ(ct_cancel(c->ex, c->peer), 0, "CO_OP_CANCEL of a coroutine in the slot");
        else if (c->value == 3)
            CT_EQ(ct_set_prio(c->ex, c->peer, 20), 0, "CO_OP_SET_PRIO of one in the slot");
    }
    return n <= c->target ? CO_YIELD : CO_READY;
}

/* The log must be exactly `want` (n polls). */
static void ct_expect_log(struct ct_exec *ex, const uint32_t *want, uint32_t n, const char *what)
{
    uint32_t got = atomic_load(&ex->nlog);
    CT_CHECK(got == n, "%s: %u polls logged, expected %u", what, got, n);
    for (uint32_t k = 0; k < n; k++)
        CT_CHECK(ex->log[k] == want[k], "%s: poll #%u was coroutine %u, expected %u", what, k,
                 ex->log[k], want[k]);
    atomic_store(&ex->nlog, 0);
    ct_checks++;
}

static void ct_yielder(struct ct_co *c, int yields)
{
    c->step = step_yield;
    c->target = yields;
    c->max_polls = yields + 1;
}

static void t_yield(void)
{
    struct ct_exec ex;
    ct_exec_new(&ex, 64, 1, 256);
    struct ct_co *c = ct_frames(&ex, 24);

    /* Alone: polled again at once, every time. */
    ct_yielder(&c[0], 4);
    ct_spawn(&ex, &c[0], 10);
    ct_run(&ex);
    static const uint32_t alone[] = { 0, 0, 0, 0, 0 };
    ct_expect_log(&ex, alone, 5, "a lone yielder");

    /* Two equals take turns (after the first yield the second swaps
     * with the slot), to the end; then the one left goes on alone. */
    ct_yielder(&c[1], 4);
    ct_yielder(&c[2], 2);
    ct_spawn(&ex, &c[1], 10);
    ct_spawn(&ex, &c[2], 10);
    ct_run(&ex);
    static const uint32_t two[] = { 1, 2, 1, 2, 1, 2, 1, 1 };
    ct_expect_log(&ex, two, 8, "two equal yielders");
    ct_expect_polls(&c[1], 5, "two equal yielders");

    /* Three equals: round robin (the slot is left alone while the
     * policy's queue holds one). */
    for (int i = 3; i < 6; i++) {
        ct_yielder(&c[i], 2);
        ct_spawn(&ex, &c[i], 10);
    }
    ct_run(&ex);
    static const uint32_t three[] = { 3, 4, 5, 3, 4, 5, 3, 4, 5 };
    ct_expect_log(&ex, three, 9, "three equal yielders");

    /* Unequal: the more urgent one first, to its end, under a priority
     * policy; turns by arrival under a FIFO one. */
    ct_yielder(&c[6], 2);
    ct_yielder(&c[7], 2);
    ct_spawn(&ex, &c[6], 5);
    ct_spawn(&ex, &c[7], 15);
    ct_run(&ex);
    static const uint32_t by_prio[] = { 7, 7, 7, 6, 6, 6 }, by_arrival[] = { 6, 7, 6, 7, 6, 7 };
    ct_expect_log(&ex, ct_priority ? by_prio : by_arrival, 6, "unequal yielders");

    /* A wake for the one waiting in the slot: its next poll serves it,
     * so when it ends Pending it is not polled again (max_polls). */
    ct_yielder(&c[8], 3);
    ct_yielder(&c[9], 3);
    c[8].value = 4;
    uint32_t a = ct_spawn(&ex, &c[8], 10);
    ct_spawn(&ex, &c[9], 10);
    c[9].peer = a;                      /* c[8] is in the slot at c[9]'s first poll */
    c[9].value = 1;
    ct_run(&ex);
    static const uint32_t woken[] = { 8, 9, 8, 9, 8, 9, 8, 9 };
    ct_expect_log(&ex, woken, 8, "a wake for the one in the slot");
    ct_expect_state(&ex, a, CT_IDLE, "Pending after its yields (its wake served)");
    c[8].max_polls++;
    CT_EQ(ct_wake(&ex, a), 1, "CO_OP_WAKE of it, idle");
    ct_run(&ex);
    ct_expect_polls(&c[8], 5, "woken once more");
    atomic_store(&ex.nlog, 0);

    /* Cancelled in the slot: never polled again, dropped once, DONE. */
    ct_yielder(&c[10], 3);
    ct_yielder(&c[11], 3);
    uint32_t b = ct_spawn(&ex, &c[10], 10);
    ct_spawn(&ex, &c[11], 10);
    c[11].peer = b;
    c[11].value = 2;
    ct_run(&ex);
    static const uint32_t cancelled[] = { 10, 11, 11, 11, 11 };
    ct_expect_log(&ex, cancelled, 5, "a cancel of the one in the slot");
    ct_expect_cancelled(&ex, &c[10], b, 1, "in the slot");

    /* A new priority for the one in the slot: it goes back into the
     * policy's queue and is ordered by it (a priority policy runs it
     * first from then on). */
    ct_yielder(&c[12], 3);
    ct_yielder(&c[13], 3);
    uint32_t d = ct_spawn(&ex, &c[12], 10);
    ct_spawn(&ex, &c[13], 10);
    c[13].peer = d;
    c[13].value = 3;
    ct_run(&ex);
    static const uint32_t raised[] = { 12, 13, 12, 12, 12, 13, 13, 13 };
    static const uint32_t raised_fifo[] = { 12, 13, 12, 13, 12, 13, 12, 13 };
    ct_expect_log(&ex, ct_priority ? raised : raised_fifo, 8, "a new priority in the slot");

    /* A spawn while one waits in the slot (a run until c[14] ends leaves
     * c[15] there): behind it (FIFO among equals). */
    ct_yielder(&c[14], 1);
    ct_yielder(&c[15], 3);
    ct_yielder(&c[16], 1);
    uint32_t g = ct_spawn(&ex, &c[14], 10);
    ct_spawn(&ex, &c[15], 10);
    CT_EQ(ct_call(&ex, 0, CO_OP_RUN, g, 0, 0, 0), 0, "CO_OP_RUN until c[14] ends");
    CT_CHECK(ex.x->slot == CO_INDEX(c[15].co.cid) + 1, "c[15] waits in the slot");
    ct_expect_state(&ex, c[15].co.cid, CO_LIVE | CO_RUNNING, "in the slot: held");
    CT_EQ(ct_join(&ex, g, CO_NONE, NULL), 1, "CO_OP_JOIN of c[14]");
    ct_spawn(&ex, &c[16], 10);
    ct_run(&ex);
    static const uint32_t joined[] = { 14, 15, 14, 15, 16, 15, 16, 15 };
    ct_expect_log(&ex, joined, 8, "a spawn beside the slot");
    CT_EQ(ex.x->live, 0, "live after all finished");
    ct_exec_free(&ex);

    /* A slot written over (out of range; a record that is not waiting):
     * the executor stops (wrecked), touching nothing out of range. */
    for (int bad = 0; bad < 2; bad++) {
        struct ct_exec w;
        ct_exec_new(&w, 16, 1, 0);
        struct ct_co *f = ct_frames(&w, 2);
        uint32_t e0 = ct_spawn(&w, &f[0], 10);
        ct_run(&w);
        w.x->slot = bad ? CO_INDEX(e0) + 1 : 1000000;
        ct_spawn(&w, &f[1], 10);
        CT_CHECK(w.x->flags & CO_EXEC_WRECKED, "a slot written over (%s) stops the executor",
                 bad ? "a finished record" : "out of range");
        CT_EQ(w.x->lock, 0, "the lock after the wreck");
        free(w.x);
        free(w.queue);
        free(w.recs);
        free(f);
    }
    free(c);
}

/* ---- main ---------------------------------------------------------------------------- */

static const struct {
    const char *name;
    void (*fn)(void);
} ct_tests[] = {
    { "order", t_order },
    { "pending", t_pending },
    { "wake_in_poll", t_wake_in_poll },
    { "one_entry", t_one_entry },
    { "join_reuse", t_join_reuse },
    { "finish_race", t_finish_race },
    { "cancel", t_cancel },
    { "doorbell", t_doorbell },
    { "set_prio", t_set_prio },
    { "co_max", t_co_max },
    { "yield", t_yield },
    { "stress", t_stress },
};
#define CT_NTESTS (sizeof ct_tests / sizeof ct_tests[0])

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    int first = 1;
    if (argc > 2 && strcmp(argv[1], "-s") == 0) {
        char *end;
        ct_seed = strtoull(argv[2], &end, 0);
        if (*end) {
            fprintf(stderr, "usage: %s [-s SEED] [TEST...]\n", argv[0]);
            return 2;
        }
        first = 3;
    }
    bool want[CT_NTESTS];
    for (size_t t = 0; t < CT_NTESTS; t++)
        want[t] = first == argc;
    for (int a = first; a < argc; a++) {
        size_t t = 0;
        while (t < CT_NTESTS && strcmp(argv[a], ct_tests[t].name) != 0)
            t++;
        if (t == CT_NTESTS) {
            fprintf(stderr, "%s: no test '%s'; tests:", argv[0], argv[a]);
            for (t = 0; t < CT_NTESTS; t++)
                fprintf(stderr, " %s", ct_tests[t].name);
            fprintf(stderr, "\n");
            return 2;
        }
        want[t] = true;
    }
    struct sigaction sa = { .sa_handler = ct_on_alarm };
    sigemptyset(&sa.sa_mask);
    sigaction(SIGALRM, &sa, NULL);
    sa.sa_handler = ct_on_sigill;
    sigaction(SIGILL, &sa, NULL);
    alarm(CT_WATCHDOG_SECONDS);

    ct_priority = (ct_policy->flags & SCHED_FLAG_PRIORITY) != 0;
    printf("coro_test: policy '%s' (%s), seed 0x%" PRIx64 "\n", ct_policy->name,
           ct_priority ? "priority order, FIFO among equals" : "arrival order", ct_seed);
    int ran = 0;
    for (size_t t = 0; t < CT_NTESTS; t++) {
        if (!want[t])
            continue;
        ct_test = ct_tests[t].name;
        ct_tests[t].fn();
        printf("coro_test: %s: ok\n", ct_tests[t].name);
        ran++;
    }
    printf("coro_test: %s: %d tests passed (%lu checks)\n", ct_policy->name, ran, ct_checks);
    return 0;
}
