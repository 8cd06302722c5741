/*
 * Host-side randomized test of one scheduling policy against a reference
 * model.  The policy's one C file is compiled into this program:
 *
 *   gcc -std=c11 -I sched_abi -I . -DPOLICY_SOURCE='"sched_impls/heap/heap.c"' \
 *       -DSCHED_BUILTIN_OPS=policy_under_test testsuite/host/policy_test.c
 *
 * (testsuite/test_host_policies.py does it for every policy, under
 * AddressSanitizer and UBSan).  The program plays the owner of the task
 * table exactly as the kernel does (os/sched/policy.c): before it hands a
 * task to add, wake or yield it fills the record's id, prio (1..20),
 * state = READY, hart (the hart the task last ran on, or the calling hart
 * for a task that never ran) and age (a strictly increasing stamp, fresh at
 * every enqueue); it calls remove only on queued tasks, and a priority
 * change is remove + add with the new priority.  The table (ntasks records)
 * and the queue (SCHED_QUEUE_WORDS(ntasks) words, what the ABI gives a
 * policy) are separate malloc blocks of exactly their size, so ASan sees
 * any access past them.
 *
 * Random operation sequences (fixed seeds: every run is reproducible) mix
 * add / wake / yield of a task that is not queued, from a random calling
 * hart; fetch from a random hart; remove of a random queued task; priority
 * changes; and top_priority peeks.  After every operation the answers are
 * checked against a model written from the policies' documented rules, not
 * from their code:
 *
 *   - nothing lost or duplicated: fetch returns only queued tasks, each once
 *     per enqueue, and SCHED_NONE only when nothing is queued (all four
 *     policies are work-conserving);
 *   - top_priority(h), on every hart, is the priority of the task fetch(h)
 *     would return now (0 if none), and a peek changes neither the queue nor
 *     any record;
 *   - the order: "priority" (heap, bitmap): the highest priority first,
 *     FIFO by age among equals, whatever the hart; "fifo": arrival order,
 *     priorities ignored; "multiqueue": one queue per hart (see
 *     pt_mq_destination and pt_expected_fetch for the rules);
 *   - the policy writes nothing in a record but link[] and policy[];
 *   - yield_fetch, where the policy has one (ABI 2.4, pt_check_yield_fetch):
 *     the same answer and state as yield then fetch, from the same state;
 *   - SCHED_FLAG_HART_LOCAL (pt_check_hart_local): two harts' yield then
 *     fetch, run from the same state in both orders, give the same answers
 *     and leave the same state (calls that stay in their own hart's part
 *     commute), and neither hart gets the task the other yielded.
 *
 * A policy not named heap, bitmap, fifo or multiqueue (a student's) is
 * checked by its flags (pt_model_for): "priority" where
 * SCHED_FLAG_PRIORITY promises that order, else "any order"
 * (PT_MODEL_ANY): the same checks but the order, with fetch's answer on
 * hart h checked against top_priority(h) asked just before, and, at every
 * peek, top_priority on each hart against a fetch tried there and undone
 * (pt_trial_fetch).  A lottery or stride policy passes.
 *
 * Ages start just below 2^32 (a policy comparing them in 32 bits misorders
 * early on); the mix of operations and the priorities in use change every
 * few hundred operations (a queue draining or filling up to every record,
 * one priority for all or the whole range, only some harts fetching so the
 * per-hart queues drift apart).
 *
 * Each hart count (1, 2, 4, 8) gets a run on the largest table
 * (SCHED_TABLE_MAX records, a coroutine executor's: first filled until every
 * task is queued, then phases scaled up so that thousands stay queued), a
 * run on a full thread table (256 records), a run on a 5-record table and a
 * run of two independent contexts (two tables, two queues, different sizes)
 * driven interleaved, each checked against its own model: a policy keeping
 * state of its own would mix them up.
 *
 * Usage: policy_test [OPERATIONS [SEED]]   (OPERATIONS: of the 256-record
 * run per hart count; the other runs get a fraction of it)
 * Prints "policy_test: POLICY: N operations checked" and exits 0, or
 * describes the first mismatch (policy, seed, run, operation, the last
 * operations before it, the model's queue) and exits 1.  A hang is stopped
 * by a watchdog on the CPU time the run used (exit 2): a loaded host slows
 * the run down in wall-clock time, never in CPU time, and a policy that
 * loops spends CPU time.
 */
#define _POSIX_C_SOURCE 200809L     /* sigaction, write */
#define _DEFAULT_SOURCE             /* setitimer */

#ifndef POLICY_SOURCE
#error "compile with -DPOLICY_SOURCE='\"sched_impls/NAME/NAME.c\"' -I sched_abi -I ."
#endif
#ifndef SCHED_BUILTIN_OPS
#define SCHED_BUILTIN_OPS policy_under_test
#endif

/* The policy comes first, seeing nothing but sched_abi.h (as when it is
 * built as a blob): a call into libc is an implicit declaration, an error
 * under -Werror.  Everything below is prefixed pt_/PT_ so that it cannot
 * collide with the policy's own names and macros. */
#include POLICY_SOURCE

#include <assert.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/common_interface_defs.h>
#endif

#define PT_DEFAULT_OPS     200000UL    /* full-table run, per hart count */
#define PT_DEFAULT_SEED    0x5c4ed05ULL
/* Of CPU time, only to stop a policy that loops.  A run's CPU time grows
 * with the policy's cost per operation on the 16384-task table: the heap's
 * run takes a few seconds under the sanitizers, fifo's (a list walked at
 * every remove) 38-47 s on a loaded 2-core host, close to the 60 s this
 * once was, so a correct O(n) policy, a student's first one, could be
 * called looping.  A loop still ends here, or at the test's wall-clock
 * bound (test_host_policies.py, RUN_TIMEOUT). */
#ifndef PT_WATCHDOG_SECONDS
#define PT_WATCHDOG_SECONDS 300
#endif
#define PT_HISTORY         24          /* operations shown on a failure */
#define PT_RECORD_CHECK_EVERY 61       /* full check of the records' owner fields */
#define PT_SMALL_TASKS     5
/* A table bigger than a thread table is checked in full less often: a
 * peek copies and compares the whole table (4 MiB at SCHED_TABLE_MAX
 * records), the record check and the model's self-check read all of it.
 * PT_SCALE is 9 at SCHED_TABLE_MAX, 1 up to 2047 records; phases are that
 * much longer too, so that thousands of tasks stay queued. */
#define PT_BIG(w)          ((w)->ntasks > SCHED_MAX_TASKS)
#define PT_SCALE(w)        (1 + (w)->ntasks / 2048)
#define PT_BIG_PEEK_ONE_IN 400
#define PT_BIG_OPS_DIV     8           /* its run: OPERATIONS / 8, after the fill */
#define PT_LEVELS          (SCHED_PRIO_MAX + 1)

static const struct sched_ops *pt_ops = &policy_under_test.ops;

/* ---- the model ---------------------------------------------------------- */

enum pt_model {
    PT_MODEL_PRIORITY,      /* global: highest prio, then smallest age */
    PT_MODEL_FIFO,          /* global: smallest age (arrival order) */
    PT_MODEL_MULTIQUEUE,    /* per hart, see below */
    PT_MODEL_ANY,           /* a policy known by its flags only, where they
                               promise no order: see pt_model_for */
};
static const char *const pt_model_names[] = {
    "priority order (highest first, FIFO by age among equals)",
    "arrival order (FIFO, priorities ignored)",
    "per-hart queues (own queue first, else steal from the busiest)",
    "any order (nothing lost or duplicated, no hart idle while a task is "
    "queued, top_priority = the priority of what fetch returns)",
};
/* The policy is one of the four built-in ones, checked against its own
 * model (pt_named_model); else its model follows from its flags. */
static bool pt_named;
static enum pt_model pt_named_model;
/* sched_ctx.serial_calls of the next world: 0 as the kernel's shared yields
 * (calls may overlap: SCHED_FLAG_HART_LOCAL's promise binds), 1 as a
 * process's runtime (one call at a time: a per-hart policy may move tasks
 * between harts' parts, SCHED_FLAG_TAKES_STALLED). */
static uint32_t pt_serial;

/* A policy known by its flags only (sched_abi.h): SCHED_FLAG_PRIORITY
 * promises the most urgent ready task, FIFO among equals, "on one hart".
 * Without SCHED_FLAG_PER_HART there is one queue, which every hart's fetch
 * takes from, so the promise holds on any number of harts; with it, each
 * hart's fetch favours its own queue, so the order is only checked when
 * there is one hart.  Everything else (a lottery, stride, FIFO) is checked
 * for what the contract asks of every policy. */
static enum pt_model pt_model_for(uint32_t nharts)
{
    uint32_t flags = policy_under_test.flags;
    if (pt_named)
        return pt_named_model;
    if ((flags & SCHED_FLAG_PRIORITY) && (!(flags & SCHED_FLAG_PER_HART) || nharts == 1))
        return PT_MODEL_PRIORITY;
    return PT_MODEL_ANY;
}

enum pt_kind {
    PT_ADD, PT_WAKE, PT_YIELD, PT_FETCH, PT_REMOVE, PT_REPRIO, PT_TOP, PT_DRAIN,
};
static const char *const pt_kind_names[] = {
    "add", "wake", "yield", "fetch", "remove", "set-priority", "top_priority",
    "fetch (final drain)",
};

struct pt_op {
    unsigned long n;        /* operation number within its context */
    enum pt_kind kind;
    uint32_t hart;          /* calling hart (remove's for set-priority) */
    uint32_t hart2;         /* set-priority: the hart calling add */
    uint32_t task;
    uint32_t prio, old_prio;
    uint32_t rec_hart;      /* the record's hart field as handed over */
    uint64_t age;
    uint32_t dest;          /* multiqueue: the hart the model queues it on */
    uint32_t result;        /* fetch's answer */
};

/* A set of task indices with O(1) insert, delete and random pick. */
struct pt_set {
    uint32_t item[SCHED_TABLE_MAX], pos[SCHED_TABLE_MAX], n;
};

static void pt_set_add(struct pt_set *s, uint32_t x)
{
    s->pos[x] = s->n;
    s->item[s->n++] = x;
}

static void pt_set_del(struct pt_set *s, uint32_t x)
{
    uint32_t p = s->pos[x], last = s->item[--s->n];
    s->item[p] = last;
    s->pos[last] = p;
}

/* How a stretch of operations is biased; changes every few hundred. */
struct pt_phase {
    unsigned left;          /* operations before the next phase */
    unsigned enqueue_pct;   /* share of enqueues (else fetch/remove/...) */
    unsigned prio_lo, prio_hi;
    uint32_t fetch_mask;    /* harts that fetch in this phase */
    uint32_t call_mask;     /* harts that enqueue in this phase */
};

/* One context: the owner's table and queue, the owner's view of every
 * record (shadow: what the record must hold apart from link[]/policy[]),
 * and the model of the queue. */
struct pt_world {
    char label;
    enum pt_model model;            /* pt_model_for(nharts) */
    uint32_t ntasks, nharts;
    struct sched_ctx ctx;
    TaskSched *tasks;               /* ntasks records, exactly */
    struct sched_queue *queue;      /* exactly SCHED_QUEUE_WORDS(ntasks) words */
    size_t queue_bytes;
    TaskSched *shadow;
    TaskSched *task_snapshot;       /* for the peek checks */
    uint32_t *queue_snapshot;       /* queue_bytes too */
    /* What pt_trial_fetch puts back: the queue and link[], policy[]. */
    uint32_t *trial_queue, *trial_words;
    /* pt_check_hart_local: the state after the first order. */
    uint32_t *order_queue, *order_words;
    /* The last answer of top_priority on each hart, and whether an
     * operation has changed the queue since (PT_MODEL_ANY: fetch must
     * return a task of that priority; with no operation in between, the
     * answer must not change). */
    uint32_t top_seen[SCHED_MAX_HARTS];
    bool tops_stale;
    uint64_t first_age, next_age;
    struct pt_phase phase;
    bool peek_next;                 /* the next operation is a peek */

    bool ran[SCHED_TABLE_MAX];      /* has run: its hart field is where */
    uint32_t last_hart[SCHED_TABLE_MAX];

    /* The model. */
    bool queued[SCHED_TABLE_MAX];
    uint32_t where[SCHED_TABLE_MAX];    /* multiqueue: whose queue holds it */
    uint64_t key[SCHED_TABLE_MAX];      /* its place in the order (pt_order_key) */
    struct pt_set in_queue, out_of_queue;
    uint32_t load[SCHED_MAX_HARTS];     /* multiqueue: tasks queued per hart */
    /* Kept up to date by pt_model_enqueue and pt_model_dequeue. */
    uint32_t best_of[SCHED_MAX_HARTS];  /* best task per hart's queue */
    uint64_t best_key[SCHED_MAX_HARTS]; /* its key */
    /* Each hart's queue in the model as lists by level (priority; one
     * level for "fifo"), oldest first: a task is queued with an age newer
     * than any other, so appending keeps a list in order, and the best of
     * a hart is the head of its top level, found without a scan of
     * thousands.  (pt_model_selfcheck still scans.) */
    uint32_t lhead[SCHED_MAX_HARTS][PT_LEVELS], ltail[SCHED_MAX_HARTS][PT_LEVELS];
    uint32_t lnext[SCHED_TABLE_MAX], lprev[SCHED_TABLE_MAX], level[SCHED_TABLE_MAX];
    uint32_t best;                      /* global: the next task */

    unsigned long nops;
    struct pt_op history[PT_HISTORY];
    /* Coverage, printed per run. */
    uint32_t max_queued;
    uint64_t sum_queued;                /* over the operations: the mean */
    unsigned long empty_fetches, steals;
};

/* What is being tested, for the failure messages, the watchdog and the
 * sanitizer's death callback. */
static const char *pt_policy = "?";
static uint64_t pt_seed;
static char pt_run[96] = "startup";
static struct pt_world *pt_current;
static const char *pt_note = "";        /* why a context is checked now */
static struct pt_world *pt_culprit;     /* two contexts: the one just operated on */
static unsigned long pt_total_ops;
static const char *pt_argv0 = "policy_test";
static unsigned long pt_ops_per_run;

/* ---- random numbers (splitmix64: fixed seeds, same sequence everywhere) -- */

static uint64_t pt_rng_state;

static uint64_t pt_rand64(void)
{
    uint64_t z = (pt_rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint32_t pt_below(uint32_t n)      /* 0 .. n-1, n > 0 */
{
    return (uint32_t)(pt_rand64() % n);
}

static bool pt_chance(unsigned percent)
{
    return pt_below(100) < percent;
}

static uint32_t pt_pick_hart(const struct pt_world *w, uint32_t mask)
{
    uint32_t h;
    do
        h = pt_below(w->nharts);
    while (!(mask & (1u << h)));
    return h;
}

/* ---- failure reports ---------------------------------------------------- */

static void pt_describe_task(const struct pt_world *w, uint32_t t, char *buf, size_t size)
{
    if (t == SCHED_NONE) {
        snprintf(buf, size, "SCHED_NONE");
    } else if (t >= w->ntasks) {
        snprintf(buf, size, "%" PRIu32 " (not a task index: ntasks is %" PRIu32 ")",
                 t, w->ntasks);
    } else {
        const TaskSched *s = &w->shadow[t];
        int n = snprintf(buf, size, "task %" PRIu32 " (prio %u, age %" PRIu64,
                         t, s->prio, s->age);
        if (w->model == PT_MODEL_MULTIQUEUE && w->queued[t] && n > 0 && (size_t)n < size)
            n += snprintf(buf + n, size - (size_t)n, ", queued on hart %" PRIu32, w->where[t]);
        if (n > 0 && (size_t)n < size)
            snprintf(buf + n, size - (size_t)n, "%s)", w->queued[t] ? "" : ", not queued");
    }
}

static void pt_print_op(const struct pt_world *w, const struct pt_op *o)
{
    char res[96];
    printf("    #%lu ", o->n);
    switch (o->kind) {
    case PT_ADD: case PT_WAKE: case PT_YIELD:
        printf("%s(hart %" PRIu32 ", task %" PRIu32 ") [prio %" PRIu32 ", age %" PRIu64
               ", record hart %" PRIu32 "]", pt_kind_names[o->kind], o->hart, o->task,
               o->prio, o->age, o->rec_hart);
        if (w->model == PT_MODEL_MULTIQUEUE)
            printf(" -> model: queued on hart %" PRIu32, o->dest);
        break;
    case PT_FETCH: case PT_DRAIN:
        if (o->result == SCHED_NONE) {
            printf("fetch(hart %" PRIu32 ") -> SCHED_NONE", o->hart);
        } else if (o->result >= w->ntasks || o->prio == 0) {
            /* The failing fetch: it returned something it should not. */
            pt_describe_task(w, o->result, res, sizeof res);
            printf("fetch(hart %" PRIu32 ") -> %s", o->hart, res);
        } else {
            printf("fetch(hart %" PRIu32 ") -> task %" PRIu32 " [prio %" PRIu32 ", age %"
                   PRIu64, o->hart, o->result, o->prio, o->age);
            if (w->model == PT_MODEL_MULTIQUEUE)
                printf(", was queued on hart %" PRIu32, o->dest);
            printf("]");
        }
        break;
    case PT_REMOVE:
        printf("remove(hart %" PRIu32 ", task %" PRIu32 ") [prio %" PRIu32 "]",
               o->hart, o->task, o->prio);
        break;
    case PT_REPRIO:
        printf("set priority of task %" PRIu32 " from %" PRIu32 " to %" PRIu32
               ": remove(hart %" PRIu32 ", task %" PRIu32 "), add(hart %" PRIu32
               ", task %" PRIu32 ") [age %" PRIu64 ", record hart %" PRIu32 "]",
               o->task, o->old_prio, o->prio, o->hart, o->task, o->hart2, o->task,
               o->age, o->rec_hart);
        if (w->model == PT_MODEL_MULTIQUEUE)
            printf(" -> model: queued on hart %" PRIu32, o->dest);
        break;
    case PT_TOP:
        printf("top_priority(hart %" PRIu32 ") on every hart", o->hart);
        break;
    }
    printf("\n");
}

/* Does a come before b in the model's order (for the listing)? */
static bool pt_listed_before(const struct pt_world *w, uint32_t a, uint32_t b)
{
    if (w->model == PT_MODEL_MULTIQUEUE && w->where[a] != w->where[b])
        return w->where[a] < w->where[b];
    if (w->model != PT_MODEL_FIFO && w->shadow[a].prio != w->shadow[b].prio)
        return w->shadow[a].prio > w->shadow[b].prio;
    return w->shadow[a].age < w->shadow[b].age;
}

static void pt_print_queue(const struct pt_world *w)
{
    static uint32_t list[SCHED_TABLE_MAX];
    uint32_t n = w->in_queue.n;
    memcpy(list, w->in_queue.item, n * sizeof list[0]);
    /* The first 40 in the model's order, by selection (qsort has no context
     * pointer, and a full sort of thousands would be quadratic). */
    for (uint32_t i = 0; i < n && i < 40; i++)
        for (uint32_t j = i + 1; j < n; j++)
            if (pt_listed_before(w, list[j], list[i])) {
                uint32_t t = list[i];
                list[i] = list[j];
                list[j] = t;
            }
    printf("  the model's queue (%" PRIu32 " tasks, %s%s):\n", n,
           w->model == PT_MODEL_ANY ? "by priority, then age (any order is allowed)"
                                    : "in the order fetch should take them",
           w->model == PT_MODEL_MULTIQUEUE ? ", hart by hart" : "");
    for (uint32_t i = 0; i < n && i < 40; i++) {
        char d[96];
        pt_describe_task(w, list[i], d, sizeof d);
        printf("    %s\n", d);
    }
    if (n > 40)
        printf("    ... and %" PRIu32 " more\n", n - 40);
}

static void pt_fail(struct pt_world *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));

static void pt_print_history(const struct pt_world *w, const char *what)
{
    if (!w->nops) {
        printf("  no operation on context %c yet\n", w->label);
        return;
    }
    printf("  the last operations on context %c (oldest first%s):\n", w->label, what);
    unsigned long first = w->nops > PT_HISTORY ? w->nops - PT_HISTORY + 1 : 1;
    for (unsigned long n = first; n <= w->nops; n++)
        pt_print_op(w, &w->history[(n - 1) % PT_HISTORY]);
}

static void pt_fail(struct pt_world *w, const char *fmt, ...)
{
    printf("policy_test: FAIL: policy '%s', seed 0x%" PRIx64 ", run [%s], context %c "
           "(%" PRIu32 " tasks, %" PRIu32 " harts), ", pt_policy, pt_seed, pt_run,
           w->label, w->ntasks, w->nharts);
    if (w->nops)
        printf("operation #%lu: %s\n", w->nops,
               pt_kind_names[w->history[(w->nops - 1) % PT_HISTORY].kind]);
    else
        printf("before its first operation\n");
    printf("  %s", pt_note);
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n  expected: %s\n", pt_model_names[w->model]);
    if (pt_culprit && pt_culprit != w)
        pt_print_history(pt_culprit, "; the last one was just done");
    pt_print_history(w, pt_culprit && pt_culprit != w ? "" : "; the last one failed");
    pt_print_queue(w);
    printf("  to reproduce: %s %lu 0x%" PRIx64 "\n", pt_argv0, pt_ops_per_run, pt_seed);
    fflush(stdout);
    exit(1);
}

/* Async-signal-safe: the watchdog and the sanitizer report where they hit. */
static void pt_write_str(const char *s)
{
    ssize_t r = write(STDOUT_FILENO, s, strlen(s));
    (void)r;
}

static void pt_write_num(uint64_t v, unsigned base)
{
    char buf[24];
    int i = (int)sizeof buf;
    buf[--i] = 0;
    do {
        buf[--i] = "0123456789abcdef"[v % base];
        v /= base;
    } while (v);
    pt_write_str(&buf[i]);
}

static void pt_write_where(const char *why)
{
    pt_write_str(why);
    pt_write_str(" policy '");
    pt_write_str(pt_policy);
    pt_write_str("', seed 0x");
    pt_write_num(pt_seed, 16);
    pt_write_str(", run [");
    pt_write_str(pt_run);
    pt_write_str("]");
    struct pt_world *w = pt_current;
    if (w) {
        pt_write_str(", context ");
        char l[2] = { w->label, 0 };
        pt_write_str(l);
    }
    if (w && !w->nops) {
        pt_write_str(", init");
    } else if (w) {
        const struct pt_op *o = &w->history[(w->nops - 1) % PT_HISTORY];
        pt_write_str(", operation #");
        pt_write_num(w->nops, 10);
        pt_write_str(": ");
        pt_write_str(pt_kind_names[o->kind]);
        pt_write_str(" on hart ");
        pt_write_num(o->hart, 10);
        if (o->kind != PT_FETCH && o->kind != PT_DRAIN && o->kind != PT_TOP) {
            pt_write_str(", task ");
            pt_write_num(o->task, 10);
        }
    }
    pt_write_str("\n");
}

static void pt_on_alarm(int sig)
{
    (void)sig;
    pt_write_where("policy_test: FAIL: watchdog: the policy hangs (or is far too slow) at");
    _exit(2);
}

#ifdef __SANITIZE_ADDRESS__
static void pt_on_sanitizer_death(void)
{
    pt_write_where("policy_test: FAIL: sanitizer error at");
}
#endif

/* ---- the owner's side ----------------------------------------------------- */

static struct pt_op *pt_begin(struct pt_world *w, enum pt_kind kind, uint32_t hart)
{
    pt_current = w;
    struct pt_op *o = &w->history[w->nops % PT_HISTORY];
    w->nops++;
    pt_total_ops++;
    w->sum_queued += w->in_queue.n;
    memset(o, 0, sizeof *o);
    if (kind != PT_TOP)
        w->tops_stale = true;
    o->n = w->nops;
    o->kind = kind;
    o->hart = hart;
    o->task = SCHED_NONE;
    o->result = SCHED_NONE;
    return o;
}

/* The model's order as one number, smaller first, fixed at enqueue:
 * "fifo" by age alone; the others by priority (highest first), then age.
 * Ages of a context stay within 2^58 of its first one. */
static uint64_t pt_order_key(const struct pt_world *w, uint32_t t)
{
    uint64_t age = w->shadow[t].age - w->first_age;
    if (w->model == PT_MODEL_FIFO)
        return age;
    return (uint64_t)(SCHED_PRIO_MAX - w->shadow[t].prio) << 58 | age;
}

/* The task fetch would take from hart h's queue of the model ("priority"
 * and "fifo" keep one queue, hart 0's): a scan of the queued tasks. */
static uint32_t pt_scan_best(const struct pt_world *w, uint32_t h)
{
    uint32_t best = SCHED_NONE;
    uint64_t best_key = UINT64_MAX;
    for (uint32_t i = 0; i < w->in_queue.n; i++) {
        uint32_t t = w->in_queue.item[i];
        if (w->where[t] == h && w->key[t] < best_key) {
            best_key = w->key[t];
            best = t;
        }
    }
    return best;
}

/* The same from the lists: the oldest task of the top level. */
static void pt_rescan(struct pt_world *w, uint32_t h)
{
    w->best_of[h] = SCHED_NONE;
    w->best_key[h] = UINT64_MAX;
    for (uint32_t l = PT_LEVELS; l-- > 0;)
        if (w->lhead[h][l] != SCHED_NONE) {
            w->best_of[h] = w->lhead[h][l];
            w->best_key[h] = w->key[w->best_of[h]];
            return;
        }
}

/* The best task of all the model's queues. */
static void pt_update_best(struct pt_world *w)
{
    uint64_t best = UINT64_MAX;
    w->best = SCHED_NONE;
    for (uint32_t h = 0; h < w->nharts; h++)
        if (w->best_key[h] < best) {
            best = w->best_key[h];
            w->best = w->best_of[h];
        }
}

/* The model's bookkeeping (the lists, best_of, best, load) is kept up to
 * date operation by operation; now and then it is recomputed from scratch,
 * by scanning every queued task. */
static void pt_model_selfcheck(struct pt_world *w)
{
    uint32_t best = w->best, load[SCHED_MAX_HARTS] = { 0 };
    for (uint32_t i = 0; i < w->in_queue.n; i++)
        load[w->where[w->in_queue.item[i]]]++;
    bool wrong = false;
    for (uint32_t h = 0; h < w->nharts; h++)
        wrong |= pt_scan_best(w, h) != w->best_of[h];
    pt_update_best(w);
    if (wrong || best != w->best || memcmp(load, w->load, w->nharts * sizeof load[0])) {
        printf("policy_test: internal error: the model's bookkeeping is wrong\n");
        exit(3);
    }
}

/* Multiqueue, from its file's comment: fetch(h) takes the best (prio, then
 * age) of h's own queue if it has any; else it steals the best of the
 * busiest hart's queue, the lowest index among equally busy harts. */
static uint32_t pt_expected_fetch(const struct pt_world *w, uint32_t hart)
{
    if (w->model != PT_MODEL_MULTIQUEUE)
        return w->best;
    if (w->load[hart])
        return w->best_of[hart];
    uint32_t busiest = SCHED_NONE, most = 0;
    for (uint32_t h = 0; h < w->nharts; h++)
        if (w->load[h] > most) {
            most = w->load[h];
            busiest = h;
        }
    return busiest == SCHED_NONE ? SCHED_NONE : w->best_of[busiest];
}

/* Multiqueue, from its file's comment: add queues a task on the hart it
 * last ran on (its record's hart, when < nharts), else the caller's; yield
 * on the caller's hart; wake on the least loaded hart, the task's last hart
 * if it is among the least loaded, else the lowest index among them. */
static uint32_t pt_mq_destination(const struct pt_world *w, enum pt_kind kind,
                                  uint32_t caller, uint32_t rec_hart)
{
    uint32_t last = rec_hart < w->nharts ? rec_hart : caller;
    if (kind == PT_YIELD)
        return caller;
    if (kind != PT_WAKE)
        return last;
    uint32_t least = UINT32_MAX;
    for (uint32_t h = 0; h < w->nharts; h++)
        if (w->load[h] < least)
            least = w->load[h];
    if (w->load[last] == least)
        return last;
    for (uint32_t h = 0; h < w->nharts; h++)
        if (w->load[h] == least)
            return h;
    return last;    /* not reached */
}

static void pt_model_enqueue(struct pt_world *w, uint32_t t, uint32_t dest)
{
    w->queued[t] = true;
    w->where[t] = dest;
    w->key[t] = pt_order_key(w, t);
    uint32_t l = w->level[t] = w->model == PT_MODEL_FIFO ? 0 : w->shadow[t].prio;
    uint32_t tail = w->ltail[dest][l];
    if (tail != SCHED_NONE && w->key[tail] > w->key[t]) {
        printf("policy_test: internal error: a task queued with an old age\n");
        exit(3);
    }
    w->lnext[t] = SCHED_NONE;
    w->lprev[t] = tail;
    if (tail == SCHED_NONE)
        w->lhead[dest][l] = t;
    else
        w->lnext[tail] = t;
    w->ltail[dest][l] = t;
    if (w->key[t] < w->best_key[dest]) {
        w->best_key[dest] = w->key[t];
        w->best_of[dest] = t;
        pt_update_best(w);
    }
    w->load[dest]++;
    pt_set_del(&w->out_of_queue, t);
    pt_set_add(&w->in_queue, t);
    if (w->in_queue.n > w->max_queued)
        w->max_queued = w->in_queue.n;
}

static void pt_model_dequeue(struct pt_world *w, uint32_t t)
{
    uint32_t h = w->where[t], l = w->level[t];
    if (w->lprev[t] == SCHED_NONE)
        w->lhead[h][l] = w->lnext[t];
    else
        w->lnext[w->lprev[t]] = w->lnext[t];
    if (w->lnext[t] == SCHED_NONE)
        w->ltail[h][l] = w->lprev[t];
    else
        w->lprev[w->lnext[t]] = w->lprev[t];
    w->queued[t] = false;
    w->load[w->where[t]]--;
    pt_set_del(&w->in_queue, t);
    pt_set_add(&w->out_of_queue, t);
    if (w->best_of[w->where[t]] == t) {
        pt_rescan(w, w->where[t]);
        pt_update_best(w);
    }
}

/* The owner writes a field in the record and in its own copy. */
#define PT_SET(w, t, field, value) \
    ((w)->tasks[t].field = (w)->shadow[t].field = (value))

static uint32_t pt_random_prio(struct pt_world *w)
{
    return w->phase.prio_lo + pt_below(w->phase.prio_hi - w->phase.prio_lo + 1);
}

/* Hand a task that is not queued to add, wake or yield, as policy_enqueue
 * does: fill the record first. */
static void pt_hand_over(struct pt_world *w, struct pt_op *o, enum pt_kind kind,
                         uint32_t caller, uint32_t t)
{
    uint32_t rec_hart = w->ran[t] ? w->last_hart[t] : caller;
    PT_SET(w, t, id, t);
    PT_SET(w, t, state, TASK_READY);
    PT_SET(w, t, hart, (uint8_t)rec_hart);
    PT_SET(w, t, age, w->next_age);
    w->next_age += 1 + pt_below(3);          /* strictly increasing */
    o->task = t;
    o->prio = w->shadow[t].prio;
    o->rec_hart = rec_hart;
    o->age = w->shadow[t].age;
    o->dest = pt_mq_destination(w, kind, caller, rec_hart);
    if (w->model != PT_MODEL_MULTIQUEUE)
        o->dest = 0;
    pt_model_enqueue(w, t, o->dest);
    if (kind == PT_WAKE)
        pt_ops->wake(&w->ctx, caller, t);
    else if (kind == PT_YIELD)
        pt_ops->yield(&w->ctx, caller, t);
    else
        pt_ops->add(&w->ctx, caller, t);
}

static void pt_op_enqueue(struct pt_world *w)
{
    unsigned r = pt_below(100);
    enum pt_kind kind = r < 40 ? PT_ADD : r < 70 ? PT_WAKE : PT_YIELD;
    uint32_t t = w->out_of_queue.item[pt_below(w->out_of_queue.n)];
    uint32_t caller = pt_pick_hart(w, w->phase.call_mask);
    /* A yielding task gives up the hart it runs on (usually). */
    if (kind == PT_YIELD && w->ran[t] && pt_chance(50))
        caller = w->last_hart[t];
    /* Sometimes the priority changed while it was not queued. */
    if (pt_chance(5))
        PT_SET(w, t, prio, (uint8_t)pt_random_prio(w));
    struct pt_op *o = pt_begin(w, kind, caller);
    pt_hand_over(w, o, kind, caller, t);
}

static void pt_op_fetch(struct pt_world *w, enum pt_kind kind, uint32_t hart)
{
    /* top_priority has been asked on every hart since the queue last
     * changed (pt_step, pt_world_drain): PT_MODEL_ANY checks fetch's
     * answer against it. */
    assert(!w->tops_stale);
    uint32_t top_seen = w->top_seen[hart];
    struct pt_op *o = pt_begin(w, kind, hart);
    uint32_t want = pt_expected_fetch(w, hart);
    uint32_t got = pt_ops->fetch(&w->ctx, hart);
    o->result = got;
    char g[96] = "", e[96] = "";
    if (got != want) {
        pt_describe_task(w, got, g, sizeof g);
        pt_describe_task(w, want, e, sizeof e);
    }
    if (w->model == PT_MODEL_ANY && want != SCHED_NONE)
        snprintf(e, sizeof e, "any of them");
    if (got == SCHED_NONE) {
        if (want != SCHED_NONE)
            pt_fail(w, "lost: fetch(hart %" PRIu32 ") returned SCHED_NONE while %" PRIu32
                    " tasks are queued; expected %s", hart, w->in_queue.n, e);
        w->empty_fetches++;
        return;
    }
    if (got >= w->ntasks || !w->queued[got])
        pt_fail(w, "not queued: fetch(hart %" PRIu32 ") returned %s, which is not in the "
                "queue (a duplicate, or never handed over); expected %s", hart, g, e);
    if (w->model == PT_MODEL_ANY) {
        if (w->shadow[got].prio != top_seen) {
            pt_describe_task(w, got, g, sizeof g);
            pt_fail(w, "top_priority: top_priority(hart %" PRIu32 ") returned %" PRIu32
                    ", then fetch(hart %" PRIu32 ") returned %s, with no change in between",
                    hart, top_seen, hart, g);
        }
    } else if (got != want) {
        pt_fail(w, "ordering: fetch(hart %" PRIu32 ") returned %s; expected %s",
                hart, g, e);
    }
    if (w->model == PT_MODEL_MULTIQUEUE && w->where[got] != hart)
        w->steals++;
    o->prio = w->shadow[got].prio;
    o->age = w->shadow[got].age;
    o->dest = w->where[got];
    pt_model_dequeue(w, got);
    /* It runs on `hart` now, as schedule() records. */
    PT_SET(w, got, state, TASK_RUNNING);
    w->shadow[got].switches++;
    w->tasks[got].switches++;
    w->ran[got] = true;
    w->last_hart[got] = hart;
}

static uint32_t pt_random_queued(struct pt_world *w)
{
    return w->in_queue.item[pt_below(w->in_queue.n)];
}

static void pt_op_remove(struct pt_world *w)
{
    uint32_t t = pt_random_queued(w);
    /* The kernel passes the task's hart; any hart is allowed. */
    uint32_t hart = pt_chance(50) ? w->shadow[t].hart : pt_below(w->nharts);
    struct pt_op *o = pt_begin(w, PT_REMOVE, hart);
    o->task = t;
    o->prio = w->shadow[t].prio;
    pt_model_dequeue(w, t);
    pt_ops->remove(&w->ctx, hart, t);
    PT_SET(w, t, state, TASK_BLOCKED);
}

/* sched_set_priority on a queued thread: remove, then add with the new
 * priority (and, here, a fresh age). */
static void pt_op_reprio(struct pt_world *w)
{
    uint32_t t = pt_random_queued(w);
    uint32_t old = w->shadow[t].prio, prio = pt_random_prio(w);
    if (prio == old && w->phase.prio_lo != w->phase.prio_hi)
        prio = prio == w->phase.prio_hi ? w->phase.prio_lo : prio + 1;
    uint32_t hart = w->shadow[t].hart, caller = pt_pick_hart(w, w->phase.call_mask);
    struct pt_op *o = pt_begin(w, PT_REPRIO, hart);
    o->task = t;
    o->old_prio = old;
    o->prio = prio;
    o->hart2 = caller;
    pt_model_dequeue(w, t);
    pt_ops->remove(&w->ctx, hart, t);
    PT_SET(w, t, state, TASK_BLOCKED);
    PT_SET(w, t, prio, (uint8_t)prio);
    pt_hand_over(w, o, PT_ADD, caller, t);
}

static void pt_check_records(struct pt_world *w)
{
    for (uint32_t i = 0; i < w->ntasks; i++) {
        const TaskSched *r = &w->tasks[i], *s = &w->shadow[i];
        const char *field = NULL;
        if (r->id != s->id) field = "id";
        else if (r->prio != s->prio) field = "prio";
        else if (r->state != s->state) field = "state";
        else if (r->hart != s->hart) field = "hart";
        else if (r->flags != s->flags) field = "flags";
        else if (r->age != s->age) field = "age";
        else if (r->tid != s->tid) field = "tid";
        else if (r->pid != s->pid) field = "pid";
        else if (r->switches != s->switches) field = "switches";
        else if (memcmp(r->ctx, s->ctx, sizeof r->ctx)) field = "ctx";
        else if (memcmp(r->reserved, s->reserved, sizeof r->reserved)) field = "reserved";
        if (field)
            pt_fail(w, "record: the policy wrote the owner's field '%s' of task %" PRIu32
                    " (it may write only link[] and policy[])", field, i);
    }
}

/* top_priority on every hart must be the priority of what fetch would
 * return there now. */
static void pt_check_tops_any(struct pt_world *w);

/* top_priority(h) returned got; fetch(h) would return want. */
static void pt_check_top(struct pt_world *w, uint32_t h, uint32_t got, uint32_t want)
{
    uint32_t prio = want == SCHED_NONE ? 0 : w->shadow[want].prio;
    if (got != prio) {
        char e[96];
        pt_describe_task(w, want, e, sizeof e);
        pt_fail(w, "top_priority: top_priority(hart %" PRIu32 ") returned %" PRIu32
                ", but fetch(hart %" PRIu32 ") would return %s: expected %" PRIu32,
                h, got, h, e, prio);
    }
    w->top_seen[h] = got;
}

static void pt_check_tops(struct pt_world *w)
{
    if (w->model == PT_MODEL_ANY) {
        pt_check_tops_any(w);
        return;
    }
    for (uint32_t h = 0; h < w->nharts; h++) {
        uint32_t got = pt_ops->top_priority(&w->ctx, h);
        pt_check_top(w, h, got, pt_expected_fetch(w, h));
    }
    w->tops_stale = false;
}

/* For a model that cannot say what fetch(h) would return (PT_MODEL_ANY):
 * call fetch itself, then put back everything it may write (the queue,
 * link[] and policy[] of every record).  Sound because a policy keeps no
 * state outside the context, which the two-context runs check.  Its answer
 * is checked as a real fetch's would be. */
static uint32_t pt_trial_fetch(struct pt_world *w, uint32_t h)
{
    memcpy(w->trial_queue, w->queue, w->queue_bytes);
    for (uint32_t i = 0; i < w->ntasks; i++) {
        uint32_t *s = &w->trial_words[4 * i];
        s[0] = w->tasks[i].link[0];
        s[1] = w->tasks[i].link[1];
        s[2] = w->tasks[i].policy[0];
        s[3] = w->tasks[i].policy[1];
    }
    uint32_t got = pt_ops->fetch(&w->ctx, h);
    memcpy(w->queue, w->trial_queue, w->queue_bytes);
    for (uint32_t i = 0; i < w->ntasks; i++) {
        const uint32_t *s = &w->trial_words[4 * i];
        w->tasks[i].link[0] = s[0];
        w->tasks[i].link[1] = s[1];
        w->tasks[i].policy[0] = s[2];
        w->tasks[i].policy[1] = s[3];
    }
    char g[96];
    pt_describe_task(w, got, g, sizeof g);
    if (got == SCHED_NONE && w->in_queue.n)
        pt_fail(w, "lost: fetch(hart %" PRIu32 ") (tried, then undone) would return "
                "SCHED_NONE while %" PRIu32 " tasks are queued", h, w->in_queue.n);
    if (got != SCHED_NONE && (got >= w->ntasks || !w->queued[got]))
        pt_fail(w, "not queued: fetch(hart %" PRIu32 ") (tried, then undone) would return "
                "%s, which is not in the queue", h, g);
    return got;
}

/* The queue words and every record's link[] and policy[]: saved to, or
 * put back from, (queue, words). */
static void pt_save_policy_state(const struct pt_world *w, uint32_t *queue, uint32_t *words)
{
    memcpy(queue, w->queue, w->queue_bytes);
    for (uint32_t i = 0; i < w->ntasks; i++) {
        words[4 * i] = w->tasks[i].link[0];
        words[4 * i + 1] = w->tasks[i].link[1];
        words[4 * i + 2] = w->tasks[i].policy[0];
        words[4 * i + 3] = w->tasks[i].policy[1];
    }
}

static void pt_load_policy_state(struct pt_world *w, const uint32_t *queue,
                                 const uint32_t *words)
{
    memcpy(w->queue, queue, w->queue_bytes);
    for (uint32_t i = 0; i < w->ntasks; i++) {
        w->tasks[i].link[0] = words[4 * i];
        w->tasks[i].link[1] = words[4 * i + 1];
        w->tasks[i].policy[0] = words[4 * i + 2];
        w->tasks[i].policy[1] = words[4 * i + 3];
    }
}

/* A yield of t on hart h then a fetch there, the record filled as the
 * kernel fills it for a yield (t ran on h). */
static uint32_t pt_yield_fetch(struct pt_world *w, uint32_t h, uint32_t t, uint64_t age)
{
    w->tasks[t].state = TASK_READY;
    w->tasks[t].hart = (uint8_t)h;
    w->tasks[t].age = age;
    pt_ops->yield(&w->ctx, h, t);
    return pt_ops->fetch(&w->ctx, h);
}

/* SCHED_FLAG_HART_LOCAL: the kernel may run one hart's yield-then-fetch
 * while another hart runs its own.  Calls that stay in their own hart's
 * part of the queue commute, so: from the same state, hart h1's pair then
 * h2's, and h2's then h1's, must give the same answers and the same queue
 * and records after; and neither may answer with the task the other hart
 * yielded (it may still be running there).  Tried and undone, like a trial
 * fetch: the model does not change. */
static void pt_check_hart_local(struct pt_world *w)
{
    if (!(policy_under_test.flags & SCHED_FLAG_HART_LOCAL) || w->nharts < 2 ||
        w->out_of_queue.n < 2)
        return;
    uint32_t h1 = pt_below(w->nharts);
    uint32_t h2 = (h1 + 1 + pt_below(w->nharts - 1)) % w->nharts;
    uint32_t n = w->out_of_queue.n, i1 = pt_below(n);
    uint32_t t1 = w->out_of_queue.item[i1];
    uint32_t t2 = w->out_of_queue.item[(i1 + 1 + pt_below(n - 1)) % n];
    TaskSched r1 = w->tasks[t1], r2 = w->tasks[t2];
    uint64_t age1 = w->next_age, age2 = w->next_age + 1;   /* t1 older, in both orders */
    pt_save_policy_state(w, w->trial_queue, w->trial_words);

    uint32_t a1 = pt_yield_fetch(w, h1, t1, age1);
    uint32_t a2 = pt_yield_fetch(w, h2, t2, age2);
    pt_save_policy_state(w, w->order_queue, w->order_words);

    pt_load_policy_state(w, w->trial_queue, w->trial_words);
    uint32_t b2 = pt_yield_fetch(w, h2, t2, age2);
    uint32_t b1 = pt_yield_fetch(w, h1, t1, age1);
    bool same_state = !memcmp(w->queue, w->order_queue, w->queue_bytes);
    for (uint32_t i = 0; same_state && i < w->ntasks; i++)
        same_state = w->tasks[i].link[0] == w->order_words[4 * i] &&
                     w->tasks[i].link[1] == w->order_words[4 * i + 1] &&
                     w->tasks[i].policy[0] == w->order_words[4 * i + 2] &&
                     w->tasks[i].policy[1] == w->order_words[4 * i + 3];

    pt_load_policy_state(w, w->trial_queue, w->trial_words);
    w->tasks[t1] = r1;
    w->tasks[t2] = r2;
    if (a2 == t1 || b1 == t2)
        pt_fail(w, "hart-local: SCHED_FLAG_HART_LOCAL, but fetch(hart %" PRIu32 ") after "
                "yield(hart %" PRIu32 ", task %" PRIu32 ") returned task %" PRIu32
                ", which hart %" PRIu32 " had just yielded",
                a2 == t1 ? h2 : h1, a2 == t1 ? h2 : h1, a2 == t1 ? t2 : t1,
                a2 == t1 ? t1 : t2, a2 == t1 ? h1 : h2);
    if (a1 != b1 || a2 != b2 || !same_state)
        pt_fail(w, "hart-local: SCHED_FLAG_HART_LOCAL, but yield then fetch on hart %" PRIu32
                " (task %" PRIu32 ") and on hart %" PRIu32 " (task %" PRIu32 ") do not "
                "commute: hart %" PRIu32 " first: fetches %" PRIu32 ", %" PRIu32
                "; hart %" PRIu32 " first: %" PRIu32 ", %" PRIu32 "%s",
                h1, t1, h2, t2, h1, a1, a2, h2, b1, b2,
                same_state ? "" : "; the queues after differ");
}

/* ABI 2.4's optional yield_fetch: from the same state, yield(h, t) then
 * fetch(h), and yield_fetch(h, t), must give the same answer and leave the
 * same queue words and records (link[], policy[]).  Tried and undone, like
 * pt_check_hart_local: the model does not change.  The task to yield is
 * one not queued, and its record is filled as for a yield on h. */
static uint64_t pt_yield_fetch_checks;
static void pt_check_yield_fetch(struct pt_world *w)
{
    if (!policy_under_test.yield_fetch || w->out_of_queue.n == 0)
        return;
    uint32_t h = pt_pick_hart(w, w->phase.fetch_mask);
    uint32_t t = w->out_of_queue.item[pt_below(w->out_of_queue.n)];
    TaskSched saved = w->tasks[t];
    pt_save_policy_state(w, w->trial_queue, w->trial_words);

    uint32_t pair = pt_yield_fetch(w, h, t, w->next_age);
    pt_save_policy_state(w, w->order_queue, w->order_words);

    pt_load_policy_state(w, w->trial_queue, w->trial_words);
    w->tasks[t] = saved;
    w->tasks[t].state = TASK_READY;
    w->tasks[t].hart = (uint8_t)h;
    w->tasks[t].age = w->next_age;
    uint32_t one = policy_under_test.yield_fetch(&w->ctx, h, t);
    bool same_state = !memcmp(w->queue, w->order_queue, w->queue_bytes);
    uint32_t differs = 0;
    for (uint32_t i = 0; same_state && i < w->ntasks; i++) {
        same_state = w->tasks[i].link[0] == w->order_words[4 * i] &&
                     w->tasks[i].link[1] == w->order_words[4 * i + 1] &&
                     w->tasks[i].policy[0] == w->order_words[4 * i + 2] &&
                     w->tasks[i].policy[1] == w->order_words[4 * i + 3];
        differs = i;
    }

    pt_load_policy_state(w, w->trial_queue, w->trial_words);
    w->tasks[t] = saved;
    if (one != pair)
        pt_fail(w, "yield_fetch: yield_fetch(hart %" PRIu32 ", task %" PRIu32 ") returned %"
                PRIu32 ", but yield then fetch return %" PRIu32, h, t, one, pair);
    if (!same_state)
        pt_fail(w, "yield_fetch: yield_fetch(hart %" PRIu32 ", task %" PRIu32 ") leaves the "
                "queue or the records (task %" PRIu32 "'s link[]/policy[], or the queue "
                "words) other than yield then fetch do", h, t, differs);
    pt_yield_fetch_checks++;
}

/* PT_MODEL_ANY after an operation: top_priority on every hart is a
 * priority, 0 exactly when nothing is queued (no hart may idle while a
 * task waits), and, if nothing changed since it was last asked, the same
 * answer (an operation on another context, or the call itself, must not
 * change it).  Whether fetch agrees: pt_op_fetch, and pt_op_top on every
 * hart. */
static void pt_check_tops_any(struct pt_world *w)
{
    for (uint32_t h = 0; h < w->nharts; h++) {
        uint32_t got = pt_ops->top_priority(&w->ctx, h);
        if (got > SCHED_PRIO_MAX || (got == 0) != (w->in_queue.n == 0))
            pt_fail(w, "top_priority: top_priority(hart %" PRIu32 ") returned %" PRIu32
                    " while %" PRIu32 " tasks are queued (a priority 1..20 when any is "
                    "queued, 0 when none is)", h, got, w->in_queue.n);
        if (!w->tops_stale && got != w->top_seen[h])
            pt_fail(w, "top_priority: top_priority(hart %" PRIu32 ") returned %" PRIu32
                    ", and %" PRIu32 " when last asked, with no operation on this context "
                    "in between", h, got, w->top_seen[h]);
        w->top_seen[h] = got;
    }
    w->tops_stale = false;
}

/* A peek: top_priority on every hart, each call checked to change nothing
 * in the queue, and the records unchanged by all of them. */
static void pt_op_top(struct pt_world *w)
{
    pt_begin(w, PT_TOP, pt_below(w->nharts));
    memcpy(w->task_snapshot, w->tasks, w->ntasks * sizeof(TaskSched));
    /* One copy of the queue serves every call: each is compared with it,
     * and the first that differs fails the run. */
    memcpy(w->queue_snapshot, w->queue, w->queue_bytes);
    for (uint32_t n = 0; n < w->nharts; n++) {
        uint32_t h = (w->history[(w->nops - 1) % PT_HISTORY].hart + n) % w->nharts;
        uint32_t got = pt_ops->top_priority(&w->ctx, h);
        if (memcmp(w->queue_snapshot, w->queue, w->queue_bytes)) {
            uint32_t k = 0;
            while (w->queue_snapshot[k] == w->queue->word[k])
                k++;
            pt_fail(w, "top_priority(hart %" PRIu32 ") changed the queue (word %" PRIu32
                    ": 0x%" PRIx32 " -> 0x%" PRIx32 ")", h, k, w->queue_snapshot[k],
                    w->queue->word[k]);
        }
        /* (The queue is checked first: a trial fetch puts back the queue
         * as it finds it.) */
        pt_check_top(w, h, got,
                     w->model == PT_MODEL_ANY ? pt_trial_fetch(w, h) : pt_expected_fetch(w, h));
    }
    w->tops_stale = false;
    if (memcmp(w->task_snapshot, w->tasks, w->ntasks * sizeof(TaskSched)))
        for (uint32_t i = 0; i < w->ntasks; i++)
            if (memcmp(&w->task_snapshot[i], &w->tasks[i], sizeof(TaskSched)))
                pt_fail(w, "top_priority changed the record of task %" PRIu32
                        " (link/policy: %08" PRIx32 " %08" PRIx32 " %08" PRIx32 " %08" PRIx32
                        " -> %08" PRIx32 " %08" PRIx32 " %08" PRIx32 " %08" PRIx32 ")", i,
                        w->task_snapshot[i].link[0], w->task_snapshot[i].link[1],
                        w->task_snapshot[i].policy[0], w->task_snapshot[i].policy[1],
                        w->tasks[i].link[0], w->tasks[i].link[1],
                        w->tasks[i].policy[0], w->tasks[i].policy[1]);
}

static void pt_new_phase(struct pt_world *w)
{
    static const unsigned enqueue_pcts[] = { 10, 30, 45, 50, 50, 55, 70, 90 };
    struct pt_phase *p = &w->phase;
    uint32_t all = (1u << w->nharts) - 1;
    p->left = (100 + pt_below(2500)) * PT_SCALE(w);
    p->enqueue_pct = enqueue_pcts[pt_below(sizeof enqueue_pcts / sizeof enqueue_pcts[0])];
    unsigned r = pt_below(100);
    if (r < 40) {                       /* any priority */
        p->prio_lo = SCHED_PRIO_MIN;
        p->prio_hi = SCHED_PRIO_MAX;
    } else if (r < 80) {                /* a few neighbours: many equals */
        p->prio_lo = SCHED_PRIO_MIN + pt_below(SCHED_PRIO_MAX - SCHED_PRIO_MIN - 1);
        p->prio_hi = p->prio_lo + pt_below(3);
    } else {                            /* one priority: pure FIFO */
        p->prio_lo = p->prio_hi = r < 87 ? SCHED_PRIO_MIN : r < 94 ? SCHED_PRIO_MAX
                                                                 : SCHED_PRIO_DEFAULT;
    }
    /* Sometimes only some harts fetch (or enqueue): the per-hart queues
     * drift apart and the stealing and the wake balancing are exercised. */
    p->fetch_mask = all;
    p->call_mask = all;
    if (pt_chance(40))
        while (!((p->fetch_mask = (uint32_t)pt_rand64() & all)))
            ;
    if (pt_chance(30))
        while (!((p->call_mask = (uint32_t)pt_rand64() & all)))
            ;
    /* Calls one at a time: sometimes one hart alone yields, for long, while
     * the others' tasks wait (a host that runs one virtual hart), so that a
     * policy that takes a stalled hart's queue (multiqueue: after 256
     * yields, STALL_YIELDS) does so, under the checks. */
    if (w->ctx.serial_calls && pt_chance(30)) {
        p->call_mask = 1u << pt_below(w->nharts);
        p->left *= 8;
    }
}

/* One random operation, then the checks. */
static void pt_step(struct pt_world *w)
{
    if (w->phase.left-- == 0)
        pt_new_phase(w);
    if (w->peek_next) {
        pt_op_top(w);
    } else if (w->out_of_queue.n && (pt_chance(w->phase.enqueue_pct) ||
                                     (w->in_queue.n == 0 && pt_chance(75)))) {
        /* (An empty queue is mostly filled again at once: a few fetches of
         * nothing are enough.) */
        pt_op_enqueue(w);
    } else {
        unsigned r = pt_below(100);
        if (w->in_queue.n == 0 || r < 60)
            pt_op_fetch(w, PT_FETCH, pt_pick_hart(w, w->phase.fetch_mask));
        else if (r < 80)
            pt_op_remove(w);
        else
            pt_op_reprio(w);
    }
    /* Every operation is followed by top_priority on every hart, except
     * when a peek comes next: the peek then checks, call by call, that
     * top_priority changes nothing, in a queue no top_priority has seen
     * since it last changed (a change that a second call would not repeat
     * cannot hide). */
    w->peek_next = PT_BIG(w) ? pt_below(PT_BIG_PEEK_ONE_IN) == 0 : pt_chance(8);
    if (!w->peek_next)
        pt_check_tops(w);
    /* (Whole copies of the queue and the records: not on the biggest
     * table, where a peek is rare for the same reason.) */
    if ((policy_under_test.flags & SCHED_FLAG_HART_LOCAL) && !w->ctx.serial_calls &&
        !w->peek_next && !PT_BIG(w) && pt_chance(3))
        pt_check_hart_local(w);
    /* (Not on the biggest table either: copies of the whole state.) */
    if (policy_under_test.yield_fetch && !w->peek_next && !PT_BIG(w) && pt_chance(5))
        pt_check_yield_fetch(w);
    if (w->nops % (PT_RECORD_CHECK_EVERY * PT_SCALE(w)) == 0) {
        pt_check_records(w);
        pt_model_selfcheck(w);
    }
}

/* ---- contexts ------------------------------------------------------------- */

static struct pt_world *pt_world_new(char label, uint32_t ntasks, uint32_t nharts,
                                     uint64_t first_age)
{
    struct pt_world *w = calloc(1, sizeof *w);
    if (!w) {
        printf("policy_test: out of memory\n");
        exit(3);
    }
    /* A per-hart policy told that calls never overlap may move tasks
     * between harts (multiqueue takes a stalled hart's queue): no per-hart
     * model says where they go, so it is checked as any policy is. */
    w->model = pt_serial && nharts > 1 && (policy_under_test.flags & SCHED_FLAG_PER_HART)
                   ? PT_MODEL_ANY : pt_model_for(nharts);
    w->label = label;
    w->ntasks = ntasks;
    w->nharts = nharts;
    /* Exactly sized, so that ASan sees an access past either. */
    w->tasks = malloc(ntasks * sizeof(TaskSched));
    /* Not sizeof(struct sched_queue): that is the largest queue. */
    w->queue_bytes = SCHED_QUEUE_BYTES(ntasks);
    w->queue = malloc(w->queue_bytes);
    w->queue_snapshot = malloc(w->queue_bytes);
    w->shadow = calloc(ntasks, sizeof(TaskSched));
    w->task_snapshot = malloc(ntasks * sizeof(TaskSched));
    w->trial_queue = malloc(w->queue_bytes);
    w->trial_words = malloc(ntasks * 4 * sizeof(uint32_t));
    w->order_queue = malloc(w->queue_bytes);
    w->order_words = malloc(ntasks * 4 * sizeof(uint32_t));
    if (!w->tasks || !w->queue || !w->queue_snapshot || !w->shadow || !w->task_snapshot ||
        !w->trial_queue || !w->trial_words || !w->order_queue || !w->order_words) {
        printf("policy_test: out of memory\n");
        exit(3);
    }
    /* As policy_attach: a zeroed record, id and state set; the kernel's
     * fill_record adds tid and pid, which a policy must not touch. */
    for (uint32_t i = 0; i < ntasks; i++) {
        TaskSched *s = &w->shadow[i];
        s->id = i;
        s->state = TASK_BLOCKED;
        s->prio = SCHED_PRIO_DEFAULT;
        s->tid = 1000 + i;
        s->pid = 100 + i / 4;
        for (unsigned k = 0; k < sizeof s->ctx / sizeof s->ctx[0]; k++)
            s->ctx[k] = pt_rand64();
        pt_set_add(&w->out_of_queue, i);
    }
    memcpy(w->tasks, w->shadow, ntasks * sizeof(TaskSched));
    w->first_age = w->next_age = first_age;
    w->ctx = (struct sched_ctx){ w->tasks, w->queue, ntasks, nharts, pt_serial };
    memset(w->queue, 0, w->queue_bytes);      /* all of it, as the ABI asks */
    pt_new_phase(w);
    pt_current = w;
    for (uint32_t h = 0; h < nharts; h++) {
        w->best_of[h] = SCHED_NONE;
        w->best_key[h] = UINT64_MAX;
        for (uint32_t l = 0; l < PT_LEVELS; l++)
            w->lhead[h][l] = w->ltail[h][l] = SCHED_NONE;
    }
    w->best = SCHED_NONE;
    pt_ops->init(&w->ctx);
    pt_check_tops(w);
    return w;
}

/* Fetch everything that is left, from random harts: each answer checked,
 * then SCHED_NONE everywhere. */
static void pt_world_drain(struct pt_world *w)
{
    pt_check_tops(w);       /* (a peek was due next) */
    while (w->in_queue.n) {
        pt_op_fetch(w, PT_DRAIN, pt_below(w->nharts));
        pt_check_tops(w);
    }
    for (uint32_t h = 0; h < w->nharts; h++) {
        pt_op_fetch(w, PT_DRAIN, h);
        pt_check_tops(w);
    }
    pt_check_records(w);
    pt_model_selfcheck(w);
}

static void pt_world_summary(const struct pt_world *w)
{
    printf("    context %c: %lu operations; up to %" PRIu32 " tasks queued, %" PRIu64
           " on average; %lu fetches found nothing", w->label, w->nops, w->max_queued,
           w->nops ? w->sum_queued / w->nops : 0, w->empty_fetches);
    if (w->model == PT_MODEL_MULTIQUEUE)
        printf("; %lu steals", w->steals);
    printf("\n");
}

static void pt_world_free(struct pt_world *w)
{
    if (pt_current == w)
        pt_current = NULL;
    free(w->tasks);
    free(w->queue);
    free(w->queue_snapshot);
    free(w->shadow);
    free(w->task_snapshot);
    free(w->trial_queue);
    free(w->trial_words);
    free(w->order_queue);
    free(w->order_words);
    free(w);
}

/* Ages start just below 2^32, so a policy comparing them in 32 bits
 * misorders tasks early in every run. */
#define PT_AGE_A ((1ULL << 32) - 100)
#define PT_AGE_B ((1ULL << 32) - 37)

/* fill_first: every task is queued before the random phases start (the
 * queue at its fullest: the heap uses all of its 1 + ntasks words). */
static void pt_run_single(uint32_t nharts, uint32_t ntasks, unsigned long ops, bool fill_first)
{
    snprintf(pt_run, sizeof pt_run, "%" PRIu32 " harts, %" PRIu32 " tasks, one context%s%s",
             nharts, ntasks, fill_first ? ", filled first" : "",
             pt_serial ? ", calls never overlap (serial_calls)" : "");
    struct pt_world *w = pt_world_new('A', ntasks, nharts, PT_AGE_A);
    if (fill_first) {
        w->phase.enqueue_pct = 100;
        w->phase.left = UINT32_MAX;
        while (w->out_of_queue.n)
            pt_step(w);
        w->phase.left = 0;            /* a random phase next */
    }
    for (unsigned long i = 0; i < ops; i++)
        pt_step(w);
    pt_world_drain(w);
    printf("  %s:\n", pt_run);
    pt_world_summary(w);
    pt_world_free(w);
}

/* Two contexts of different sizes driven interleaved: each must behave as
 * if the other did not exist. */
static void pt_run_two(uint32_t nharts, unsigned long ops)
{
    uint32_t nharts_b = nharts == SCHED_MAX_HARTS ? 3 : nharts + 1;
    snprintf(pt_run, sizeof pt_run, "two contexts: A %" PRIu32 " harts, %d tasks; "
             "B %" PRIu32 " harts, 40 tasks", nharts, SCHED_MAX_TASKS, nharts_b);
    struct pt_world *a = pt_world_new('A', SCHED_MAX_TASKS, nharts, PT_AGE_A);
    struct pt_world *b = pt_world_new('B', 40, nharts_b, PT_AGE_B);
    for (unsigned long i = 0; i < ops; i++) {
        struct pt_world *w = pt_chance(50) ? a : b, *other = w == a ? b : a;
        pt_step(w);
        /* The operation on w must not have changed other's answers. */
        pt_current = other;
        pt_note = w == a ? "checked after an operation on context A: "
                         : "checked after an operation on context B: ";
        pt_culprit = w;
        if (!other->peek_next)
            pt_check_tops(other);
        pt_note = "";
        pt_culprit = NULL;
    }
    pt_world_drain(a);
    pt_world_drain(b);
    printf("  %s:\n", pt_run);
    pt_world_summary(a);
    pt_world_summary(b);
    pt_world_free(a);
    pt_world_free(b);
}

static void pt_choose_model(void)
{
    static const struct { const char *name; enum pt_model model; uint32_t flags; } known[] = {
        { "heap", PT_MODEL_PRIORITY, SCHED_FLAG_PRIORITY },
        { "bitmap", PT_MODEL_PRIORITY, SCHED_FLAG_PRIORITY },
        { "fifo", PT_MODEL_FIFO, 0 },
        { "multiqueue", PT_MODEL_MULTIQUEUE,
          SCHED_FLAG_PRIORITY | SCHED_FLAG_PER_HART | SCHED_FLAG_HART_LOCAL |
          SCHED_FLAG_TAKES_STALLED },
    };
    pt_policy = policy_under_test.name;
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (!strcmp(known[i].name, pt_policy)) {
            pt_named = true;
            pt_named_model = known[i].model;
            if (policy_under_test.flags != known[i].flags) {
                printf("policy_test: FAIL: policy '%s' has flags 0x%" PRIx32
                       ", its model assumes 0x%" PRIx32 "\n",
                       pt_policy, policy_under_test.flags, known[i].flags);
                exit(1);
            }
            return;
        }
    if (policy_under_test.flags & ~SCHED_FLAGS_KNOWN) {
        printf("policy_test: FAIL: policy '%s' has flags 0x%" PRIx32 ", of which 0x%" PRIx32
               " are not SCHED_FLAG_* of sched_abi.h\n", pt_policy, policy_under_test.flags,
               policy_under_test.flags & ~SCHED_FLAGS_KNOWN);
        exit(1);
    }
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    unsigned long ops = PT_DEFAULT_OPS;
    pt_seed = PT_DEFAULT_SEED;
    if (argc > 3 || (argc > 1 && !(ops = strtoul(argv[1], NULL, 0))) ||
        (argc > 2 && !(pt_seed = strtoull(argv[2], NULL, 0)))) {
        fprintf(stderr, "usage: %s [OPERATIONS [SEED]]\n", argv[0]);
        return 2;
    }
#ifdef __SANITIZE_ADDRESS__
    __sanitizer_set_death_callback(pt_on_sanitizer_death);
#endif
    struct sigaction sa = { .sa_handler = pt_on_alarm };
    sigaction(SIGPROF, &sa, NULL);
    /* ITIMER_PROF counts the process's CPU time (user and system). */
    struct itimerval watchdog = { .it_value = { .tv_sec = PT_WATCHDOG_SECONDS } };
    setitimer(ITIMER_PROF, &watchdog, NULL);

    pt_argv0 = argv[0];
    pt_ops_per_run = ops;
    pt_choose_model();
    if (pt_named)
        printf("policy_test: policy '%s', model: %s, seed 0x%" PRIx64 "\n",
               pt_policy, pt_model_names[pt_named_model], pt_seed);
    else
        printf("policy_test: policy '%s' (not a built-in one: checked by its flags 0x%" PRIx32
               "), seed 0x%" PRIx64 "\n", pt_policy, policy_under_test.flags, pt_seed);
    static const uint32_t hart_counts[] = { 1, 2, 4, 8 };
    for (size_t i = 0; i < sizeof hart_counts / sizeof hart_counts[0]; i++) {
        uint32_t n = hart_counts[i];
        pt_rng_state = pt_seed ^ ((uint64_t)n << 40);
        if (!pt_named)
            printf("  %" PRIu32 " harts: model: %s\n", n, pt_model_names[pt_model_for(n)]);
        /* The largest table first: a policy using more of the queue than
         * SCHED_QUEUE_WORDS(ntasks) words is caught as soon as it fills. */
        pt_run_single(n, SCHED_TABLE_MAX, ops / PT_BIG_OPS_DIV + 1, true);
        pt_run_single(n, SCHED_MAX_TASKS, ops, false);
        pt_run_single(n, PT_SMALL_TASKS, ops / 8 + 1, false);
        pt_run_two(n, ops / 3 + 1);
        /* And as a process's runtime calls it: one call at a time. */
        if (n > 1 && (policy_under_test.flags & SCHED_FLAG_PER_HART)) {
            pt_serial = 1;
            pt_run_single(n, SCHED_MAX_TASKS, ops, false);
            pt_run_single(n, PT_SMALL_TASKS, ops / 8 + 1, false);
            pt_serial = 0;
        }
    }
    if (policy_under_test.yield_fetch)
        printf("policy_test: %s: yield_fetch checked against yield then fetch %" PRIu64
               " times\n", pt_policy, pt_yield_fetch_checks);
    printf("policy_test: %s: %lu operations checked\n", pt_policy, pt_total_ops);
    return 0;
}
