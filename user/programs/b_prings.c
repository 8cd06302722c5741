// help: benchmark: parallel pipe rings (b_prings [-s SIZE] [-p PROCS] [-r RUNS] RINGS LEN WORKERS LAPS)
/*
 * b_prings [-s SIZE] [-p PROCS] [-r RUNS] RINGS LEN WORKERS LAPS: parallel rings (seed
 * 000, section 4; bench/README.md "b_prings").
 *
 * RINGS rings run at once, each a ring of LEN pipes like b_ring's: a
 * client and LEN-1 servers, every one a coroutine of this process, on
 * WORKERS worker threads (co_workers).  Each client sends a token of SIZE
 * bytes (4 .. PIPE_BUF_SIZE, default 4; the published experiment used
 * 3876) round its ring LAPS times (its first 4 bytes count its hops; the
 * client checks the count every lap).  What it measures is how the rings' work spreads
 * over the workers: the time from the moment every client is let go to the
 * moment the last one has its last token back.
 *
 * Priorities: the k-th stage of every ring (k = 1 .. LEN-1) runs at
 *     max(1, 19 - k * 18 / LEN)
 * so stages at one position share a level and a token gets less urgent
 * the further it goes; every client runs at 20.
 *
 * -p PROCS (default 1): PROCS processes, forked, each running the whole
 * workload (RINGS rings on WORKERS workers of its own), let go at once.
 * They share nothing but the kernel, so the time of PROCS processes on
 * PROCS harts against one on one hart is what the kernel's own sharing
 * between harts costs (docs/performance.md, "Scaling over harts").
 *
 * -r RUNS (default 1): the whole workload RUNS times in a row, after one
 * more run left out (the first run of a boot also pays for memory the
 * guest touches for the first time, and a host's noise is one run's
 * luck): us is the median run's, us_min and us_max the range, and
 * first_us, idle_pm and spin_pm the median run's too.
 *
 * Prints "BENCH prings rings=R len=L workers=W laps=N size=S procs=P runs=N
 * us=T us_min=A us_max=B first_us=F online_harts=H idle_pm=I spin_pm=P", or
 * "BENCH-ERROR prings <what>"
 * and exit status 1; the last line is always "BENCH-DONE prings".  Bad
 * usage: exit 2.  us is from the moment the processes are let go to the
 * moment the last of them has its last token back; first_us the same for
 * the first of them to finish (equal to us with one process).
 *
 * idle_pm and spin_pm say where the harts' time went during the run, per
 * mille of H x T: asleep in the kernel's idle loop, and spinning for a
 * kernel lock another hart held (SCHED_KINFO.idle_clock_us and spin_us,
 * read before and after).  A run that did not speed up on more harts while
 * these are high waited rather than computed; on a loaded host spinning
 * is mostly for a holder the host descheduled.
 *
 * With one process it prints before them "prings: executor lock waits=A
 * spins=B sleeps=C; worker sleeps=D left=E": the executor's own counts for
 * the (median) run (co_stats), how often a worker found the executor lock
 * held, spun for it, slept on it, slept for want of work, and left a
 * coroutine another worker's write woke to that worker (docs/coroutines.md,
 * "Affinity").
 */
#include <coroutine.h>
#include <bench_limit.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "vdso.h"                   /* SCHED_KINFO: idle_us, spin_us */

#define RINGS_MAX   10000
#define LEN_MAX     100000          /* the kernel's limits come much sooner */
#define LAPS_MAX    1000000
#define WORKERS_MAX 64
#define PRIO_CLIENT 20
#define PROCS_MAX   16              /* a process each: pipes and workers add up */
#define RUNS_MAX    99

static void usage(void)
{
    printf("usage: b_prings [-s SIZE] [-p PROCS] [-r RUNS] RINGS LEN WORKERS LAPS\n"
           "  RINGS rings (1..%d) of LEN pipes (2..) each, all coroutines on WORKERS worker\n"
           "  threads (1..%d), every token sent round LAPS times (1..%d)\n"
           "  -s SIZE: the token's bytes, 4..%d (default 4)\n"
           "  -p PROCS: run the whole workload in PROCS processes at once, 1..%d (default 1)\n"
           "  -r RUNS: run it RUNS times after one left out, and give the median, 1..%d\n"
           "     (default 1: once, nothing left out)\n",
           RINGS_MAX, WORKERS_MAX, LAPS_MAX, PIPE_BUF_SIZE, PROCS_MAX, RUNS_MAX);
}

static int rings, len, laps;
static long size = 4;               /* the token's bytes */
static char *tokens;                /* stage i's token: tokens + i * size */
static int (*pipes)[2];             /* ring r's pipe k: pipes[r * len + k] */
static struct co_event go = CO_EVENT_INIT;
static struct bench_failure failure;   /* the first failure */

/* Idle and spin microseconds of every hart so far (SCHED_KINFO). */
struct hart_time {
    uint64_t idle, spin;
};

/* Idle time through idle_clock_us, which counts a sleep under way too:
 * idle_us would leave out an idle hart's sleep at the end of the run (up
 * to a tick, 10 ms, against a run of a few tens) and count the one under
 * way at the start in full. */
static struct hart_time hart_time_now(int harts)
{
    const SCHED_KINFO *k = (const SCHED_KINFO *)SHARED_KINFO_ADDR;
    struct hart_time t = { 0, 0 };
    uint64_t now_us = time() / 1000;
    for (int h = 0; h < harts && h < SCHED_MAX_HARTS; h++) {
        uint64_t clock = k->idle_clock_us[h];
        if (!(clock & IDLE_ASLEEP))
            t.idle += clock;
        else if (now_us > (clock & ~IDLE_ASLEEP))
            t.idle += now_us - (clock & ~IDLE_ASLEEP);
        t.spin += k->spin_us[h];
    }
    return t;
}

/* part of harts x us, per mille (0 when the run took no time). */
static unsigned long per_mille(uint64_t part, int harts, uint64_t us)
{
    return harts > 0 && us ? (unsigned long)(part * 1000 / ((uint64_t)harts * us)) : 0;
}

static int stage_prio(int k)
{
    int p = 19 - (int)((long)k * 18 / len);
    return p < 1 ? 1 : p;
}

/* Ends ring r after stage k failure.failed: the next stage reads end of file, and
 * so on round the ring. */
static void break_ring(int r, int k)
{
    int fd = __atomic_exchange_n(&pipes[r * len + k][1], -1, __ATOMIC_SEQ_CST);
    if (fd >= 0)
        close(fd);
}

struct stage {
    struct co co;
    int r, k, lap;
    long n;
    char *tok;                      /* size bytes; the hop count first */
    uint64_t end;                   /* a client's: when its last lap came back */
};

#define STAGE_FAIL(c, f, what, err) \
    do { bench_fail(&failure, what, err); break_ring((f)->r, (f)->k); co_return(c, -1); } while (0)

/* Adds n to the hop count in a token's first 4 bytes; returns the count. */
static uint32_t hops_add(char *tok, uint32_t n)
{
    uint32_t hops;
    memcpy(&hops, tok, sizeof hops);
    hops += n;
    memcpy(tok, &hops, sizeof hops);
    return hops;
}

static int server(struct co *c)
{
    struct stage *f = (struct stage *)c;
    co_begin(c);
    for (f->lap = 0; f->lap < laps; f->lap++) {
        co_read(c, f->n, pipes[f->r * len + f->k - 1][0], f->tok, size);
        if (f->n != size)
            STAGE_FAIL(c, f, f->n < 0 ? "read" : "read: end of file or short",
                       f->n < 0 ? (int)-f->n : 0);
        hops_add(f->tok, 1);
        co_write(c, f->n, pipes[f->r * len + f->k][1], f->tok, size);
        if (f->n != size)
            STAGE_FAIL(c, f, "write", f->n < 0 ? (int)-f->n : 0);
    }
    co_end(c);
}

static int client(struct co *c)
{
    struct stage *f = (struct stage *)c;
    co_begin(c);
    co_await_event(c, &go);
    for (f->lap = 0; f->lap < laps; f->lap++) {
        co_write(c, f->n, pipes[f->r * len][1], f->tok, size);
        if (f->n != size)
            STAGE_FAIL(c, f, "write", f->n < 0 ? (int)-f->n : 0);
        co_read(c, f->n, pipes[f->r * len + len - 1][0], f->tok, size);
        if (f->n != size)
            STAGE_FAIL(c, f, f->n < 0 ? "read" : "read: end of file or short",
                       f->n < 0 ? (int)-f->n : 0);
        /* Every server added one. */
        if (hops_add(f->tok, 0) != (uint32_t)(f->lap + 1) * (uint32_t)(len - 1))
            STAGE_FAIL(c, f, "token damaged", 0);
    }
    f->end = time();
    co_end(c);
}

/* Sets up this process's rings and workers, waits for the word to go,
 * runs the rings to the end.  With -p (go_fd >= 0) the word is the end of
 * file on go_fd, which the parent closes to let every process go at once,
 * after a byte on ready_fd says this one is set up; alone, it goes at once
 * and reads *before (the harts' time) just before.  Returns when the last
 * client had its last token back (time()), or 0 with `failure` set;
 * *start: when this process let its clients go. */
static uint64_t run_rings(int workers, int harts, int ready_fd, int go_fd,
                          struct hart_time *before, uint64_t *start)
{
    long tasks = (long)rings * len;
    pipes = malloc((size_t)tasks * sizeof *pipes);
    struct stage *st = calloc((size_t)tasks, sizeof *st);
    cid_t *ids = calloc((size_t)tasks, sizeof *ids);
    tokens = calloc((size_t)tasks, (size_t)size);
    long made = 0, spawned = 0;
    if (!pipes || !st || !ids || !tokens)
        bench_fail(&failure, "malloc", ENOMEM);
    for (; !failure.failed && made < tasks; made++)
        if (pipe(pipes[made]) < 0)
            bench_fail(&failure, "pipe", errno);
    /* Once per process: a second call while the workers run is EBUSY (-r
     * runs the workload again in the same process). */
    static bool workers_set;
    if (!failure.failed && !workers_set) {
        if (co_workers(workers) < 0)
            bench_fail(&failure, "co_workers", errno);
        workers_set = true;
    }
    co_event_reset(&go);            /* set by the run before (-r) */
    /* Ring by ring, each ring's client first: it waits for `go`, and a
     * ring whose servers cannot all be spawned is ended by its client. */
    for (int r = 0; r < rings && !failure.failed; r++)
        for (int k = 0; k < len; k++) {
            struct stage *s = &st[r * len + k];
            s->r = r;
            s->k = k;
            s->tok = tokens + (r * len + k) * size;
            cid_t id = co_spawn(k ? server : client, &s->co, k ? stage_prio(k) : PRIO_CLIENT);
            if (id == CO_NONE) {
                bench_fail(&failure, "co_spawn", errno);
                break;
            }
            ids[spawned++] = id;
        }
    /* After a failure every ring is cut: with every write end closed, each
     * stage spawned reads end of file (or fails to write) and ends. */
    if (failure.failed)
        for (long i = 0; i < made; i++)
            break_ring((int)(i / len), (int)(i % len));
    if (go_fd >= 0) {
        char b = 1, got;
        if (write(ready_fd, &b, 1) != 1 && !failure.failed)
            bench_fail(&failure, "write to the parent", errno);
        while (read(go_fd, &got, 1) > 0)
            ;                       /* the parent only closes it */
    } else {
        *before = hart_time_now(harts);
    }
    *start = time();
    co_event_set(&go);
    for (long i = 0; i < spawned; i++)
        co_join(ids[i], 0);
    uint64_t end = 0;
    for (int r = 0; r < rings && !failure.failed; r++)
        if (st[r * len].end > end)
            end = st[r * len].end;
    for (long i = 0; i < made; i++) {
        close(pipes[i][0]);
        if (pipes[i][1] >= 0)
            close(pipes[i][1]);
    }
    free(pipes), free(st), free(ids), free(tokens);
    return failure.failed ? 0 : end;
}

/* What a process of -p tells its parent: one write of a fixed size into a
 * pipe (below PIPE_BUF_SIZE, so records of several children never mix). */
struct proc_result {
    uint64_t end;                   /* 0: failed */
    int err;
    char what[40];                  /* the failure's words, cut to fit */
};

/* -p: forks `procs` processes that each run the whole workload, lets them
 * go at once and waits for their results.  Returns the time the last one
 * ended (0 with `failure` set), and the first in *first_end. */
static uint64_t run_procs(int procs, int workers, int harts, struct hart_time *before,
                          uint64_t *start, uint64_t *first_end)
{
    int ready[2], go_p[2], results[2];
    if (pipe(ready) < 0 || pipe(go_p) < 0 || pipe(results) < 0) {
        bench_fail(&failure, "pipe", errno);
        return 0;
    }
    int pids[PROCS_MAX], forked = 0;
    for (; forked < procs; forked++) {
        int pid = fork();
        if (pid < 0) {
            bench_fail(&failure, "fork", errno);
            break;
        }
        if (pid == 0) {
            close(ready[0]), close(go_p[1]), close(results[0]);
            struct proc_result res = { 0, 0, "" };
            uint64_t my_start;
            res.end = run_rings(workers, harts, ready[1], go_p[0], before, &my_start);
            if (!res.end) {
                res.err = failure.err;
                strncpy(res.what, failure.what ? failure.what : "?", sizeof res.what - 1);
            }
            exit(write(results[1], &res, sizeof res) == (long)sizeof res ? 0 : 1);
        }
        pids[forked] = pid;
    }
    close(ready[1]), close(go_p[0]), close(results[1]);
    /* Each child says it is set up (or dies: end of file). */
    char b;
    int set_up = 0;
    while (set_up < forked && read(ready[0], &b, 1) == 1)
        set_up++;
    *before = hart_time_now(harts);
    *start = time();
    close(go_p[1]);                 /* go, all at once */
    uint64_t last = 0;
    *first_end = 0;
    for (int i = 0; i < forked; i++) {
        struct proc_result res;
        long n = read(results[0], &res, sizeof res);
        if (n != (long)sizeof res) {
            bench_fail(&failure, "a process ended without its result", n < 0 ? errno : 0);
            break;
        }
        if (!res.end) {
            /* The child's words live in this record: keep them for the error line. */
            static char what[sizeof res.what];
            memcpy(what, res.what, sizeof what);
            bench_fail(&failure, what, res.err);
            continue;
        }
        last = res.end > last ? res.end : last;
        *first_end = !*first_end || res.end < *first_end ? res.end : *first_end;
    }
    for (int i = 0; i < forked; i++)
        waitpid(pids[i], 0, 0);
    close(ready[0]), close(results[0]);
    if (!failure.failed && set_up < procs)
        bench_fail(&failure, "a process ended before it was set up", 0);
    return failure.failed ? 0 : last;
}

/* One run's figures. */
struct run_figures {
    uint64_t us, first_us;
    unsigned long idle_pm, spin_pm;
    /* The executor's counts during the run (one process). */
    uint64_t lock_waits, lock_spins, lock_sleeps, worker_sleeps, bells_left;
};

/* Runs the workload once; false with `failure` set. */
static bool run_once(int procs, int workers, int harts, struct run_figures *out)
{
    struct hart_time before = { 0, 0 };
    uint64_t start = 0, first_end = 0;
    struct co_stats st0, st1;
    co_stats(&st0);
    uint64_t end = procs == 1 ? run_rings(workers, harts, -1, -1, &before, &start)
                              : run_procs(procs, workers, harts, &before, &start, &first_end);
    struct hart_time after = hart_time_now(harts);
    co_stats(&st1);
    if (failure.failed)
        return false;
    if (procs == 1)
        first_end = end;
    uint64_t us = (end - start) / 1000;
    if (!us)
        us = 1;
    /* The counters were read after the joins, a little past `end`. */
    uint64_t all_us = (uint64_t)harts * us;
    uint64_t idle = after.idle - before.idle, spin = after.spin - before.spin;
    out->us = us;
    out->lock_waits = st1.lock_waits - st0.lock_waits;
    out->lock_spins = st1.lock_spins - st0.lock_spins;
    out->lock_sleeps = st1.lock_sleeps - st0.lock_sleeps;
    out->worker_sleeps = st1.sleeps - st0.sleeps;
    out->bells_left = st1.bells_left - st0.bells_left;
    out->first_us = (first_end - start) / 1000;
    out->idle_pm = per_mille(idle < all_us ? idle : all_us, harts, us);
    out->spin_pm = per_mille(spin < all_us ? spin : all_us, harts, us);
    return true;
}

int main(int argc, char **argv)
{
    int procs = 1, runs = 1;
    while (argc > 1 && (strcmp(argv[1], "-s") == 0 || strcmp(argv[1], "-p") == 0 ||
                        strcmp(argv[1], "-r") == 0)) {
        char opt = argv[1][1];
        long v = argc > 2 ? bench_number(argv[2], opt == 's' ? 4 : 1,
                                         opt == 's' ? PIPE_BUF_SIZE :
                                         opt == 'p' ? PROCS_MAX : RUNS_MAX) : -1;
        if (v < 0) {
            usage();
            return 2;
        }
        if (opt == 's')
            size = v;
        else if (opt == 'p')
            procs = (int)v;
        else
            runs = (int)v;
        argc -= 2;
        argv += 2;
    }
    if (argc != 5) {
        usage();
        return 2;
    }
    rings = (int)bench_number(argv[1], 1, RINGS_MAX);
    len = (int)bench_number(argv[2], 2, LEN_MAX);
    int workers = (int)bench_number(argv[3], 1, WORKERS_MAX);
    laps = (int)bench_number(argv[4], 1, LAPS_MAX);
    if (rings < 0 || len < 0 || workers < 0 || laps < 0) {
        usage();
        return 2;
    }
    struct sysinfo si;
    int harts = sysinfo(&si) == 0 ? (int)si.harts : 0;
    /* With -r, one run more, the first, left out. */
    struct run_figures fig[RUNS_MAX + 1];
    int made = 0, left_out = runs > 1 ? 1 : 0;
    for (int i = 0; i < runs + left_out && !failure.failed; i++)
        if (run_once(procs, workers, harts, &fig[made]))
            made++;
    if (failure.failed) {
        printf("BENCH-ERROR prings %s%s%s%s (rings=%d len=%d workers=%d laps=%d procs=%d, run %d)\n",
               failure.what, failure.err ? ": " : "", failure.err ? errname(failure.err) : "", bench_limit_note(failure.what, failure.err),
               rings, len, workers, laps, procs, made + 1);
        printf("BENCH-DONE prings\n");
        return 1;
    }
    /* The timed runs, sorted by time (insertion: a few at most). */
    struct run_figures *timed = fig + left_out;
    for (int i = 1; i < runs; i++)
        for (int j = i; j > 0 && timed[j].us < timed[j - 1].us; j--) {
            struct run_figures t = timed[j];
            timed[j] = timed[j - 1];
            timed[j - 1] = t;
        }
    const struct run_figures *med = &timed[(runs - 1) / 2];   /* the lower median */
    if (procs == 1)                 /* (-p: the children's executors, not this one's) */
        printf("prings: executor lock waits=%lu spins=%lu sleeps=%lu; worker sleeps=%lu left=%lu\n",
               (unsigned long)med->lock_waits, (unsigned long)med->lock_spins,
               (unsigned long)med->lock_sleeps, (unsigned long)med->worker_sleeps,
               (unsigned long)med->bells_left);
    printf("BENCH prings rings=%d len=%d workers=%d laps=%d size=%ld procs=%d runs=%d us=%lu "
           "us_min=%lu us_max=%lu first_us=%lu online_harts=%d idle_pm=%lu spin_pm=%lu\n",
           rings, len, workers, laps, size, procs, runs, (unsigned long)med->us,
           (unsigned long)timed[0].us, (unsigned long)timed[runs - 1].us,
           (unsigned long)med->first_us, harts, med->idle_pm, med->spin_pm);
    printf("BENCH-DONE prings\n");
    return 0;
}
