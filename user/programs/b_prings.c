// help: benchmark: parallel coroutine pipe rings (b_prings [-s SIZE] RINGS LEN WORKERS LAPS)
/*
 * b_prings [-s SIZE] RINGS LEN WORKERS LAPS: parallel rings (seed 000, section 4;
 * bench/README.md "b_prings").
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
 * Prints "BENCH prings rings=R len=L workers=W laps=N size=S us=T harts=H
 * idle_pm=I spin_pm=P", or "BENCH-ERROR prings <what>" and exit status 1;
 * the last line is always "BENCH-DONE prings".  Bad usage: exit 2.
 *
 * idle_pm and spin_pm say where the harts' time went during the run, per
 * mille of H x T: asleep in the kernel's idle loop, and spinning for a
 * kernel lock another hart held (SCHED_KINFO.idle_clock_us and spin_us,
 * read before and after).  A run that did not speed up on more harts while
 * these are high waited rather than computed; on a loaded host spinning
 * is mostly for a holder the host descheduled.
 */
#include <coroutine.h>
#include <bench_limit.h>
#include <errno.h>
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

static void usage(void)
{
    printf("usage: b_prings [-s SIZE] RINGS LEN WORKERS LAPS\n"
           "  RINGS rings (1..%d) of LEN pipes (2..) each, all coroutines on WORKERS worker\n"
           "  threads (1..%d), every token sent round LAPS times (1..%d)\n"
           "  -s SIZE: the token's bytes, 4..%d (default 4)\n",
           RINGS_MAX, WORKERS_MAX, LAPS_MAX, PIPE_BUF_SIZE);
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

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "-s") == 0) {
        size = argc > 2 ? bench_number(argv[2], 4, PIPE_BUF_SIZE) : -1;
        if (size < 0) {
            usage();
            return 2;
        }
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
    if (!failure.failed && co_workers(workers) < 0)
        bench_fail(&failure, "co_workers", errno);
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
    struct sysinfo si;
    int harts = sysinfo(&si) == 0 ? (int)si.harts : 0;
    struct hart_time before = hart_time_now(harts);
    uint64_t start = time();
    co_event_set(&go);
    for (long i = 0; i < spawned; i++)
        co_join(ids[i], 0);
    struct hart_time after = hart_time_now(harts);
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
    if (failure.failed) {
        printf("BENCH-ERROR prings %s%s%s%s (rings=%d len=%d workers=%d laps=%d)\n",
               failure.what, failure.err ? ": " : "", failure.err ? errname(failure.err) : "", bench_limit_note(failure.what, failure.err),
               rings, len, workers, laps);
        printf("BENCH-DONE prings\n");
        return 1;
    }
    uint64_t us = (end - start) / 1000;
    if (!us)
        us = 1;
    /* The counters were read after the joins, a little past `end`. */
    uint64_t all_us = (uint64_t)harts * us;
    uint64_t idle = after.idle - before.idle, spin = after.spin - before.spin;
    printf("BENCH prings rings=%d len=%d workers=%d laps=%d size=%ld us=%lu harts=%d "
           "idle_pm=%lu spin_pm=%lu\n", rings, len, workers, laps, size, (unsigned long)us, harts,
           per_mille(idle < all_us ? idle : all_us, harts, us),
           per_mille(spin < all_us ? spin : all_us, harts, us));
    printf("BENCH-DONE prings\n");
    return 0;
}
