// help: test: the coroutine runtime (t_coro [CHECK...])
/*
 * t_coro: the coroutine runtime, one check per argument (all by default).
 * Each prints "t_coro: NAME: ok" or "t_coro: NAME: FAIL (why)"; the last
 * line is "t_coro: PASS" only if every check passed.
 *
 *   order    priority order on one worker, FIFO among equals, a priority
 *            changed while queued
 *   turns    co_yield on one worker: equals take strict turns (the
 *            executor's handoff slot), unequal ones the policy's order
 *   affinity a worker runs what its own write woke, boundedly
 *   left     a worker leaves what another thread's write woke to that
 *            thread while it spins on its hart, once, then takes it in
 *   polls    a Pending coroutine is polled again only when woken
 *   wake     wakes from a coroutine, from a thread on another hart, and
 *            from the kernel (an asynchronous pipe read completed)
 *   join     a coroutine awaits another's result; a thread joins one
 *   cancel   cancel a coroutine waiting on an event, on a pipe, queued
 *   any      await any of several events
 *   sleep    asynchronous sleep lasts at least what was asked
 *   many     10,000 coroutines in one process
 *   ring     a ring of coroutines passing a token through pipes
 *   (a coroutine waiting on a pipe costs nothing: t_coidle)
 */
#include <coroutine.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <thread.h>
#include <unistd.h>
#include "../lib/uthread.h"            /* affinity: this thread's TaskSched index */
#include "coro.h"                       /* affinity: CO_EXEC.woke_by */

static bool all_ok = true;

static bool report(const char *name, bool ok, const char *why)
{
    printf("t_coro: %s: %s%s%s%s\n", name, ok ? "ok" : "FAIL", ok ? "" : " (", ok ? "" : why,
           ok ? "" : ")");
    all_ok &= ok;
    return ok;
}

static bool priority_policy(void)
{
    const VDSO_DATA *v = (const VDSO_DATA *)SHARED_BASE_ADDR;
    return v->policy_flags & SCHED_FLAG_PRIORITY;
}

/* --- order --- */
struct logger { struct co co; int id; int *log; int *n; };

static int logger(struct co *c)
{
    struct logger *f = (struct logger *)c;
    f->log[__atomic_fetch_add(f->n, 1, __ATOMIC_SEQ_CST)] = f->id;
    return CO_READY;
}

static void check_order(void)
{
    /* Eight at fixed priorities, and a ninth spawned at 2 and raised to
     * 20 before anything runs: it goes right after the other 20, which is
     * older (a changed priority is a fresh place in the line). */
    static const int prio[9] = { 5, 15, 10, 15, 5, 20, 10, 1, 2 };
    static const int by_prio[9] = { 5, 8, 1, 3, 2, 6, 0, 4, 7 };
    struct logger f[9];
    int log[9], n = 0;
    cid_t id[9];
    memset(f, 0, sizeof f);
    for (int i = 0; i < 9; i++) {
        f[i] = (struct logger){ .id = i, .log = log, .n = &n };
        id[i] = co_spawn(logger, &f[i].co, prio[i]);
    }
    int raised = co_set_priority(id[8], 20);
    for (int i = 0; i < 9; i++)
        co_join(id[i], 0);
    /* The order a policy promises: strict priority with the flag, arrival
     * order for the built-in fifo (its documented rule), none for another
     * policy without the flag (a lottery): then each must just run once. */
    bool by = priority_policy();
    struct sysinfo si;
    memset(&si, 0, sizeof si);
    sysinfo(&si);
    bool fifo = !by && strcmp(si.sched_name, "fifo") == 0;
    bool ok = n == 9 && raised == 0;
    if (!by && !fifo)
        printf("t_coro: order: not checked: policy %s does not promise one (all 9 ran once)\n",
               si.sched_name);
    for (int i = 0; i < 9 && ok && (by || fifo); i++)
        ok = log[i] == (by ? by_prio[i] : i);
    char why[112];
    snprintf(why, sizeof why, "ran %d %d %d %d %d %d %d %d %d, %s order", log[0], log[1],
             log[2], log[3], log[4], log[5], log[6], log[7], log[8],
             by ? "priority" : "FIFO");
    report("order", ok, why);
}

/* --- turns: co_yield between equals, and between unequal ones --- */
struct turner { struct co co; int id, yields, polls; int *log, *n, cap; };

static int turner(struct co *c)
{
    struct turner *f = (struct turner *)c;
    co_begin(c);
    for (;;) {
        int k = (*f->n)++;
        if (k < f->cap)
            f->log[k] = f->id;
        if (f->polls++ == f->yields)
            break;
        co_yield(c);
    }
    co_end(c);
}

/* Runs the turners (main alone polls, in co_join); the log of who was
 * polled in what order, and whether each was polled yields + 1 times. */
static bool run_turners(struct turner *t, int count, const int *prio, int *log, int cap,
                        int *n)
{
    cid_t id[4];
    *n = 0;
    for (int i = 0; i < count; i++) {
        t[i].log = log;
        t[i].n = n;
        t[i].cap = cap;
        id[i] = co_spawn(turner, &t[i].co, prio[i]);
        if (id[i] == CO_NONE)
            return false;
    }
    bool ok = true;
    for (int i = 0; i < count; i++)
        ok &= co_join(id[i], 0) == 0 && t[i].polls == t[i].yields + 1;
    return ok;
}

static void check_turns(void)
{
    /* Two equals, 40 yields each: A B A B ...; then three, 5 each. */
    enum { CAP = 96 };
    int log[CAP], n = 0;
    struct turner t[4];
    memset(t, 0, sizeof t);
    t[0] = (struct turner){ .id = 0, .yields = 40 };
    t[1] = (struct turner){ .id = 1, .yields = 40 };
    static const int equal[4] = { 10, 10, 10, 10 };
    bool ok = run_turners(t, 2, equal, log, CAP, &n) && n == 82;
    for (int k = 0; k < 82 && ok; k++)
        ok = log[k] == k % 2;
    char why[160];
    snprintf(why, sizeof why, "two equals: %d polls, #0..3 by %d %d %d %d", n, log[0], log[1],
             log[2], log[3]);
    if (ok) {
        memset(t, 0, sizeof t);
        for (int i = 0; i < 3; i++)
            t[i] = (struct turner){ .id = i, .yields = 5 };
        ok = run_turners(t, 3, equal, log, CAP, &n) && n == 18;
        for (int k = 0; k < 18 && ok; k++)
            ok = log[k] == k % 3;
        snprintf(why, sizeof why, "three equals: %d polls, #0..5 by %d %d %d %d %d %d", n,
                 log[0], log[1], log[2], log[3], log[4], log[5]);
    }
    /* Unequal (15, then 5; 3 yields each): the more urgent to its end
     * under a priority policy, turns by arrival under fifo. */
    if (ok) {
        memset(t, 0, sizeof t);
        t[0] = (struct turner){ .id = 0, .yields = 3 };
        t[1] = (struct turner){ .id = 1, .yields = 3 };
        static const int unequal[2] = { 15, 5 };
        bool by = priority_policy();
        ok = run_turners(t, 2, unequal, log, CAP, &n) && n == 8;
        for (int k = 0; k < 8 && ok; k++)
            ok = log[k] == (by ? k / 4 : k % 2);
        snprintf(why, sizeof why, "unequal: %d polls, by %d %d %d %d %d %d %d %d (%s order)", n,
                 log[0], log[1], log[2], log[3], log[4], log[5], log[6], log[7],
                 by ? "priority" : "arrival");
    }
    report("turns", ok, why);
}

/* --- polls and wakes --- */
struct waiter { struct co co; struct co_event *ev; int polls; };

static int waiter(struct co *c)
{
    struct waiter *f = (struct waiter *)c;
    f->polls++;
    co_begin(c);
    co_await_event(c, f->ev);
    co_return(c, f->polls);
    co_end(c);
}

struct yielder { struct co co; int polls, i; };

static int yielder(struct co *c)
{
    struct yielder *f = (struct yielder *)c;
    f->polls++;
    co_begin(c);
    for (f->i = 0; f->i < 100; f->i++)
        co_yield(c);
    co_end(c);
}

/* True once a coroutine waits on ev.  The wake checks want the waiter
 * polled exactly twice (once to wait, once when woken): on several harts,
 * or with a late host, a setter that only slept could set the event before
 * the waiter's first poll, which then finds it set (one poll). */
static bool has_waiter(struct co_event *ev)
{
    return __atomic_load_n(&ev->head, __ATOMIC_ACQUIRE) != NULL;
}

static void *set_later(void *ev)
{
    while (!has_waiter(ev))
        sleep(1);
    sleep(10);
    co_event_set(ev);
    return 0;
}

static void check_polls(void)
{
    struct co_event ev = CO_EVENT_INIT;
    struct waiter w = { .ev = &ev };
    struct yielder y = { .polls = 0 };
    cid_t wid = co_spawn(waiter, &w.co, 10);
    cid_t yid = co_spawn(yielder, &y.co, 10);
    int tid = thread_create(set_later, &ev);
    int64_t r1 = -1, r2 = -1;
    co_join(wid, &r1);
    co_join(yid, &r2);
    thread_join(tid, 0);
    char why[96];
    snprintf(why, sizeof why, "event waiter polled %d times (want 2), yielder %d (want 101)",
             w.polls, y.polls);
    report("polls", w.polls == 2 && y.polls == 101, why);
}

struct setter { struct co co; struct co_event *ev; };

static int setter(struct co *c)
{
    struct setter *f = (struct setter *)c;
    co_begin(c);
    while (!has_waiter(f->ev))          /* another worker may run us first */
        co_yield(c);
    co_event_set(f->ev);
    co_end(c);
}

struct reader { struct co co; int fd; char buf[8]; long got; int polls; };

static int reader(struct co *c)
{
    struct reader *f = (struct reader *)c;
    f->polls++;
    co_begin(c);
    co_read(c, f->got, f->fd, f->buf, sizeof f->buf);
    co_end(c);
}

struct write_later { int fd; struct reader *r; };

static void *write_later(void *arg)
{
    struct write_later *w = arg;
    /* After the reader's first poll (which submits the read), so that the
     * read waits and its completion polls it again. */
    while (!__atomic_load_n(&w->r->polls, __ATOMIC_ACQUIRE))
        sleep(1);
    sleep(30);
    write(w->fd, "kernel", 6);
    return 0;
}

static void check_wake(void)
{
    /* From another coroutine (lower priority: the waiter runs first). */
    struct co_event ev = CO_EVENT_INIT;
    struct waiter w = { .ev = &ev };
    struct setter s = { .ev = &ev };
    cid_t wid = co_spawn(waiter, &w.co, 12);
    co_spawn_detached(setter, &s.co, 8);
    co_join(wid, 0);
    bool from_co = w.polls == 2;
    /* From a thread, on another hart if there is one. */
    struct co_event ev2 = CO_EVENT_INIT;
    struct waiter w2 = { .ev = &ev2 };
    wid = co_spawn(waiter, &w2.co, 10);
    int tid = thread_create(set_later, &ev2);
    co_join(wid, 0);
    thread_join(tid, 0);
    bool from_thread = w2.polls == 2;
    /* From the kernel: the read completes when the thread writes. */
    int fds[2];
    pipe(fds);
    struct reader r = { .fd = fds[0] };
    cid_t rid = co_spawn(reader, &r.co, 10);
    struct write_later wl = { .fd = fds[1], .r = &r };
    tid = thread_create(write_later, &wl);
    co_join(rid, 0);
    thread_join(tid, 0);
    close(fds[0]);
    close(fds[1]);
    bool from_kernel = r.got == 6 && memcmp(r.buf, "kernel", 6) == 0 && r.polls == 2;
    char why[128];
    snprintf(why, sizeof why, "polls: coroutine %d, thread %d, kernel %d (want 2 each), read %ld",
             w.polls, w2.polls, r.polls, r.got);
    report("wake", from_co && from_thread && from_kernel, why);
}

/* --- join --- */
struct child { struct co co; int x; };

static int child(struct co *c)
{
    struct child *f = (struct child *)c;
    co_begin(c);
    co_yield(c);
    co_return(c, f->x * 2);
    co_end(c);
}

struct parent { struct co co; struct child kid; cid_t kid_id; int64_t got; };

static int parent(struct co *c)
{
    struct parent *f = (struct parent *)c;
    co_begin(c);
    f->kid.x = 21;
    f->kid_id = co_spawn(child, &f->kid.co, 5);
    co_await_join(c, f->kid_id, &f->got);
    co_return(c, f->got + 1);
    co_end(c);
}

static void check_join(void)
{
    struct parent p;
    memset(&p, 0, sizeof p);
    cid_t id = co_spawn(parent, &p.co, 15);
    int64_t r = 0;
    int j = co_join(id, &r);
    int again = co_join(id, 0);
    int err = errno;
    char why[96];
    snprintf(why, sizeof why, "parent got %ld, returned %ld; second join %d errno %d",
             (long)p.got, (long)r, again, err);
    report("join", j == 0 && p.got == 42 && r == 43 && again == -1 && err == ESRCH, why);
}

/* --- cancel --- */
static void check_cancel(void)
{
    struct co_event ev = CO_EVENT_INIT;
    struct waiter *w = co_alloc(sizeof *w);
    w->ev = &ev;
    cid_t wid = co_spawn(waiter, &w->co, 10);
    while (!ev.head)            /* until it waits */
        sleep(1);
    int c1 = co_cancel(wid);
    int64_t r1 = 0;
    co_join(wid, &r1);
    bool left_event = ev.head == 0;
    /* Waiting on a pipe: cancelled, then the data is still there. */
    int fds[2];
    pipe(fds);
    struct reader *rd = co_alloc(sizeof *rd);
    rd->fd = fds[0];
    cid_t rid = co_spawn(reader, &rd->co, 10);
    while (co_polls(rid) < 1)
        sleep(1);
    int c2 = co_cancel(rid);
    int64_t r2 = 0;
    co_join(rid, &r2);
    write(fds[1], "abc", 3);
    char buf[8];
    long n = read(fds[0], buf, sizeof buf);
    close(fds[0]);
    close(fds[1]);
    /* At the lowest priority, behind this thread's own work: cancelled
     * before (or while) it runs; either way never polled after. */
    struct waiter q = { .ev = &ev };
    cid_t qid = co_spawn(waiter, &q.co, 1);
    int c3 = co_cancel(qid);
    int64_t r3 = 0;
    co_join(qid, &r3);
    char why[160];
    snprintf(why, sizeof why, "cancel %d/%d/%d, results %ld/%ld/%ld, left event %d, "
             "pipe data after %ld", c1, c2, c3, (long)r1, (long)r2, (long)r3, left_event, n);
    report("cancel", c1 == 0 && c2 == 0 && c3 == 0 && r1 == CO_RESULT_CANCELLED &&
           r2 == CO_RESULT_CANCELLED && r3 == CO_RESULT_CANCELLED && left_event && n == 3, why);
}

/* --- any --- */
struct chooser { struct co co; struct co_event *evs[3]; struct co_waiter w[3]; int which; };

static int chooser(struct co *c)
{
    struct chooser *f = (struct chooser *)c;
    co_begin(c);
    co_await_any(c, f->evs, 3, f->w, &f->which);
    co_end(c);
}

static void check_any(void)
{
    struct co_event ev[3] = { CO_EVENT_INIT, CO_EVENT_INIT, CO_EVENT_INIT };
    struct chooser f;
    memset(&f, 0, sizeof f);
    for (int i = 0; i < 3; i++)
        f.evs[i] = &ev[i];
    cid_t id = co_spawn(chooser, &f.co, 10);
    int tid = thread_create(set_later, &ev[1]);
    co_join(id, 0);
    thread_join(tid, 0);
    bool left = !ev[0].head && !ev[1].head && !ev[2].head;
    char why[64];
    snprintf(why, sizeof why, "woke on %d (want 1), waiters left %d", f.which, !left);
    report("any", f.which == 1 && left, why);
}

/* --- sleep --- */
struct sleeper { struct co co; uint64_t ms; };

static int sleeper(struct co *c)
{
    co_begin(c);
    co_sleep(c, ((struct sleeper *)c)->ms);
    co_end(c);
}

static void check_sleep(void)
{
    struct sleeper s = { .ms = 50 };
    uint64_t t0 = time();
    cid_t id = co_spawn(sleeper, &s.co, 10);
    co_join(id, 0);
    uint64_t ms = (time() - t0) / 1000000;
    char why[48];
    snprintf(why, sizeof why, "slept %lu ms for 50", (unsigned long)ms);
    report("sleep", ms >= 50, why);
}

/* --- many --- */
/* The threads that poll t_coro's coroutines: its four workers (main is
 * one of them while it joins). */
#define MANY_POLLERS 4

struct counter {
    struct co co;
    struct co_event *go;
    int *count, *waiting;
    int polls;
    bool found_set;     /* the event was set before it could wait */
};

static int counter(struct co *c)
{
    struct counter *f = (struct counter *)c;
    f->polls++;
    co_begin(c);
    __atomic_fetch_add(f->waiting, 1, __ATOMIC_SEQ_CST);
    co_await_event(c, f->go);
    /* Counted as waiting before it awaits: the last ones counted may find
     * the event already set and pass in the same poll. */
    f->found_set = f->polls == 1;
    __atomic_fetch_add(f->count, 1, __ATOMIC_SEQ_CST);
    co_end(c);
}

static void check_many(int n)
{
    struct co_event go = CO_EVENT_INIT;
    struct counter *f = calloc((size_t)n, sizeof *f);
    cid_t *id = calloc((size_t)n, sizeof *id);
    int count = 0, spawned = 0, waiting = 0;
    for (int i = 0; i < n && f && id; i++) {
        f[i].go = &go;
        f[i].count = &count;
        f[i].waiting = &waiting;
        id[i] = co_spawn(counter, &f[i].co, 1 + i % 20);
        if (id[i] == CO_NONE)
            break;
        spawned++;
    }
    struct co_stats st;
    co_stats(&st);
    uint32_t live = st.live;
    /* Every one polled once and (about to be) waiting: then each is polled
     * exactly once more, when the event wakes it, but for those that were
     * between counting themselves and awaiting when the event was set: at
     * most one per worker, and they were polled once in all. */
    while (__atomic_load_n(&waiting, __ATOMIC_SEQ_CST) < spawned)
        sleep(1);
    co_event_set(&go);
    long polls = 0;
    int found_set = 0;
    for (int i = 0; i < spawned; i++) {
        co_join(id[i], 0);
        polls += f[i].polls;
        found_set += f[i].found_set;
    }
    char why[160];
    snprintf(why, sizeof why, "spawned %d of %d (live %u), counted %d, polls %ld "
             "(want %d less the %d that found the event set)",
             spawned, n, live, count, polls, 2 * n, found_set);
    report("many", spawned == n && count == n && found_set <= MANY_POLLERS &&
                   polls == 2L * n - found_set, why);
    free(f);
    free(id);
}

/* --- ring --- */
/* Stage i reads pipe i and writes pipe i + 1 (mod n), laps times; the
 * token counts its hops. */
struct stage { struct co co; int in, out, laps, i; long r; uint32_t tok; };

static int stage(struct co *c)
{
    struct stage *f = (struct stage *)c;
    co_begin(c);
    for (f->i = 0; f->i < f->laps; f->i++) {
        co_read(c, f->r, f->in, &f->tok, sizeof f->tok);
        if (f->r != (long)sizeof f->tok)
            co_return(c, f->r < 0 ? f->r : -EPIPE);
        f->tok++;
        co_write(c, f->r, f->out, &f->tok, sizeof f->tok);
        if (f->r != (long)sizeof f->tok)
            co_return(c, f->r < 0 ? f->r : -EPIPE);
    }
    co_end(c);
}

static void check_ring(int n, int laps)
{
    int (*fds)[2] = calloc((size_t)n, sizeof *fds);
    struct stage *s = calloc((size_t)n, sizeof *s);
    cid_t *id = calloc((size_t)n, sizeof *id);
    int made = 0;
    while (fds && s && id && made < n && pipe(fds[made]) == 0)
        made++;
    bool ok = made == n;
    for (int i = 0; i < n && ok; i++) {
        s[i] = (struct stage){ .in = fds[i][0], .out = fds[(i + 1) % n][1], .laps = laps };
        id[i] = co_spawn(stage, &s[i].co, 10);
        ok = id[i] != CO_NONE;
    }
    uint32_t tok = 0;
    int failed = 0;
    if (ok) {
        write(fds[0][1], &tok, sizeof tok);
        for (int i = 0; i < n; i++) {
            int64_t r = 0;
            co_join(id[i], &r);
            failed += r != 0;
        }
        ok = read(fds[0][0], &tok, sizeof tok) == (long)sizeof tok;
    }
    for (int i = 0; i < made; i++) {
        close(fds[i][0]);
        close(fds[i][1]);
    }
    char why[96];
    snprintf(why, sizeof why, "%d stages x %d laps: token made %u hops (want %d), %d failed",
             n, laps, tok, n * laps, failed);
    report("ring", ok && failed == 0 && tok == (uint32_t)(n * laps), why);
    free(fds);
    free(s);
    free(id);
}

/* --- affinity: a worker runs what its own write woke, boundedly --- */
/* docs/coroutines.md, "Affinity".  Main alone polls (one worker): a ring
 * of two stages at priority 10 passes a token through two pipes, and a
 * third coroutine at 10 yields all along.  Each stage's write completes
 * the other's waiting read in its system call and names this worker, so
 * the woken stage runs next, ahead of the yielder, its equal (under the
 * policy's FIFO alone the yielder would be polled at every hop); but at
 * most AFFINITY_TIES (16) ties in a row, so the yielder is polled at
 * least once every 17 hops.  Both ways are taken: the woken stage run at
 * once, and queued behind its equal. */
#define AFFINITY_HOPS     400
#define AFFINITY_TIES_MAX 16        /* coro_exec.c's AFFINITY_TIES */

struct bystander { struct co co; volatile int *stop; int polls; };

static int bystander(struct co *c)
{
    struct bystander *f = (struct bystander *)c;
    co_begin(c);
    while (!*f->stop) {
        f->polls++;
        co_yield(c);
    }
    co_end(c);
}

static void check_affinity(void)
{
    int fds[2][2];
    struct stage s[2];
    struct bystander b = { .stop = 0 };
    volatile int stop = 0;
    b.stop = &stop;
    bool ok = pipe(fds[0]) == 0 && pipe(fds[1]) == 0;
    cid_t id[2] = { CO_NONE, CO_NONE }, bid = CO_NONE;
    for (int i = 0; i < 2 && ok; i++) {
        s[i] = (struct stage){ .in = fds[i][0], .out = fds[1 - i][1],
                               .laps = AFFINITY_HOPS / 2 };
        id[i] = co_spawn(stage, &s[i].co, 10);
        ok = id[i] != CO_NONE;
    }
    if (ok)
        ok = (bid = co_spawn(bystander, &b.co, 10)) != CO_NONE;
    uint32_t tok = 0;
    int failed = 0;
    if (ok) {
        /* The slot is the process's to scribble on: a hint naming a record
         * past those mapped and a count past the bound change nothing. */
        uint32_t task = uthread_self()->task;
        volatile uint64_t *slot = ((CO_EXEC *)SHARED_EXEC_ADDR)->woke_by[task % CO_WOKE_SLOTS];
        slot[CO_WOKE_HINT] = ((uint64_t)task + 1) << 32 | (CO_MAX - 1);
        slot[CO_WOKE_TIES] = ~0ULL;
        write(fds[0][1], &tok, sizeof tok);
        for (int i = 0; i < 2; i++) {
            int64_t r = 0;
            co_join(id[i], &r);
            failed += r != 0;
        }
        stop = 1;
        co_join(bid, 0);
        ok = read(fds[0][0], &tok, sizeof tok) == (long)sizeof tok;
    }
    for (int i = 0; i < 2; i++) {
        close(fds[i][0]);
        close(fds[i][1]);
    }
    /* At least one poll per AFFINITY_TIES_MAX + 1 hops (the bound); at
     * most a quarter of the hops (the affinity: FIFO would give one a
     * hop).  Halved and doubled for the ring's start and end. */
    int least = AFFINITY_HOPS / (AFFINITY_TIES_MAX + 1) / 2, most = AFFINITY_HOPS / 4;
    char why[128];
    snprintf(why, sizeof why, "token made %u hops (want %d), %d failed; the yielder polled "
             "%d times (want %d..%d)", tok, AFFINITY_HOPS, failed, b.polls, least, most);
    report("affinity", ok && failed == 0 && tok == AFFINITY_HOPS && b.polls >= least &&
           b.polls <= most, why);
}

/* --- left: what another thread woke is left to it, once --- */
/* docs/coroutines.md, "Affinity" ("Left to the thread that woke it").
 * Main alone polls (one worker): a reader awaits LEFT_HOPS bytes from a
 * pipe, one read each, and a bystander at 10 yields all along.  A second
 * thread, which never polls, writes each byte and then waits for the
 * reader to have it: spinning on its hart when there are several harts,
 * asleep on one.  Each write completes the reader's read and names the
 * writer in its slot (CO_EXEC.woke_by).  With several harts main finds
 * the writer on its hart and the bystander to run: it leaves the reader
 * rung for the writer (CO_EXEC.bells_left counts it), and since the
 * writer never takes it, takes it in itself at its next look (it must:
 * else the writer waits for ever and the check hangs).  Twice: the reader
 * the bystander's equal (10), then more urgent (12; left all the same,
 * for one look).  On one hart the writer is off its hart whenever main
 * looks: nothing is left.  Each hint is left at most once.  Whether main
 * leaves it at all is not asked: that depends on the writer being on its
 * hart at the moment main looks, which a raise of main (the reader at
 * 12), a switch or other processes' threads (h_coforge runs t_coro
 * beside its forgers) can prevent at every look; it did leave 11-50
 * times a round in runs on a machine of its own, and 0 in some. */
#define LEFT_HOPS 50

struct left_reader { struct co co; int fd; long n; char byte; volatile int got; bool bad; };

static int left_reader(struct co *c)
{
    struct left_reader *f = (struct left_reader *)c;
    co_begin(c);
    while (f->got < LEFT_HOPS) {
        co_read(c, f->n, f->fd, &f->byte, 1);
        if (f->n != 1 || f->byte != (char)f->got) {
            f->bad = true;
            break;
        }
        __atomic_store_n(&f->got, f->got + 1, __ATOMIC_SEQ_CST);
    }
    co_end(c);
}

struct left_writer { int fd; struct left_reader *r; bool spin; };

static void *left_writer(void *arg)
{
    struct left_writer *w = arg;
    for (int i = 0; i < LEFT_HOPS && !w->r->bad; i++) {
        char b = (char)i;
        if (write(w->fd, &b, 1) != 1)
            break;
        /* On its hart while main looks; asleep past a bound (main is
         * never slower than that on a hart of its own), or on one hart. */
        for (long spins = 0; __atomic_load_n(&w->r->got, __ATOMIC_SEQ_CST) <= i &&
                             !w->r->bad; spins++)
            if (!w->spin || spins > 20000000)
                sleep(1);
    }
    return 0;
}

/* One round, the reader at `prio`: true if it went as above; *why. */
static bool left_round(int prio, int harts, char *why, size_t size)
{
    int fds[2];
    struct left_reader r = { .fd = -1 };
    struct bystander b = { .stop = 0 };
    volatile int stop = 0;
    b.stop = &stop;
    bool ok = pipe(fds) == 0;
    r.fd = fds[0];
    struct co_stats before, after;
    co_stats(&before);
    cid_t rid = ok ? co_spawn(left_reader, &r.co, prio) : CO_NONE;
    cid_t bid = rid != CO_NONE ? co_spawn(bystander, &b.co, 10) : CO_NONE;
    struct left_writer w = { .fd = fds[1], .r = &r, .spin = harts > 1 };
    int tid = bid != CO_NONE ? thread_create(left_writer, &w) : -1;
    ok = tid >= 0;
    if (ok) {
        co_join(rid, 0);
        stop = 1;
        co_join(bid, 0);
        thread_join(tid, 0);
    }
    co_stats(&after);
    close(fds[0]);
    close(fds[1]);
    uint64_t left = after.bells_left - before.bells_left;
    bool left_ok = harts > 1 ? left <= LEFT_HOPS : left == 0;
    snprintf(why, size, "reader at %d got %d of %d bytes%s; left %lu times on %d harts (want %s)",
             prio, r.got, LEFT_HOPS, r.bad ? ", a bad one" : "", (unsigned long)left, harts,
             harts > 1 ? "0..50" : "0");
    return ok && !r.bad && r.got == LEFT_HOPS && left_ok;
}

static void check_left(void)
{
    struct sysinfo si;
    int harts = sysinfo(&si) == 0 ? (int)si.harts : 1;
    char why[2][128];
    bool equal = left_round(10, harts, why[0], sizeof why[0]);
    bool urgent = left_round(12, harts, why[1], sizeof why[1]);
    report("left", equal && urgent, equal ? why[1] : why[0]);
}

int main(int argc, char **argv)
{
    const char *only = argc > 1 ? argv[1] : 0;
#define WANT(name) (!only || strcmp(only, name) == 0)
    if (WANT("order")) {
        co_workers(1);          /* main alone polls: a strict order */
        check_order();
        co_workers(4);          /* the others need workers beside main */
    }
    if (WANT("turns")) {
        co_workers(1);
        check_turns();
        co_workers(4);
    }
    if (WANT("affinity")) {
        co_workers(1);
        check_affinity();
        co_workers(4);
    }
    if (WANT("left")) {
        co_workers(1);
        check_left();
        co_workers(4);
    }
    if (WANT("polls"))
        check_polls();
    if (WANT("wake"))
        check_wake();
    if (WANT("join"))
        check_join();
    if (WANT("cancel"))
        check_cancel();
    if (WANT("any"))
        check_any();
    if (WANT("sleep"))
        check_sleep();
    if (WANT("many"))
        check_many(argc > 2 ? atoi(argv[2]) : 10000);
    if (WANT("ring"))
        check_ring(argc > 2 ? atoi(argv[2]) : 6, argc > 3 ? atoi(argv[3]) : 10);
    printf("t_coro: %s\n", all_ok ? "PASS" : "FAIL");
    return all_ok ? 0 : 1;
}
