// help: benchmark: long connections (b_conn [-p LEVELS] [-w N] coro|thread CONNS PERIOD_MS MSIZE SECS)
/*
 * b_conn [-p LEVELS] [-w WORKERS] SERVER CONNS PERIOD_MS MSIZE SECS: long
 * connections (seed 000, section 4; bench/README.md "b_conn").
 *
 * This process is the client; it forks the server.  Each connection is two
 * pipes, request and reply.  Per connection the client (one coroutine per
 * connection, in this process) sends a request of MSG_BYTES (400) bytes
 * every PERIOD_MS milliseconds and waits for its reply (400 bytes), for
 * SECS seconds.  The server answers each request with the product of two
 * MSIZE x MSIZE integer matrices made from the request's bytes.
 *
 *   SERVER coro    3 coroutines per connection (receive, compute, send)
 *                  in the server process, on WORKERS worker threads (-w,
 *                  default 4), at priority 10
 *   SERVER thread  3 threads per connection, blocking reads and writes
 *
 * Measured: replies received, and the latency of each request, from just
 * before its write to just after its reply is read, in a histogram
 * (conn/stats.h: exact below 256 us, then within 1/64); and the memory a
 * connection costs: free frames (sysinfo) before and after the client
 * makes the pipes, plus before and after the server sets up its side of
 * every connection (its tasks, their frames or stacks, the buffers), over
 * CONNS.  The server's executor and workers are started before that (one
 * coroutine, joined), so they are not counted.
 *
 * -p LEVELS (1..20): the priority experiment.  Connection i is of level
 * i % LEVELS; level 0 is the most urgent.  The server tasks of a level-K
 * connection get priority max(1, TOP - K), TOP being 20 for coroutines and
 * the server process's priority ceiling for threads (10 from the shell);
 * the client's coroutines all run at one priority (20).  Results come per
 * level ("BENCH prio ...").  Coroutine levels above the ceiling reach the
 * kernel as the ceiling (the workers' priority is clamped), the client's
 * too: from the shell the coroutine levels then come out alike, and
 * bench/README.md says why.
 *
 * Requests go out every PERIOD_MS on each connection, the connections'
 * first sends spread over the first period; a reply later than the next
 * send time is followed at once by the next request (no catching up in a
 * burst).  Sleeps have the kernel's tick granularity (10 ms).
 *
 * Prints one result line (or one per level), or "BENCH-ERROR conn|prio
 * <what>" and exit status 1; the last line is always "BENCH-DONE conn" or
 * "BENCH-DONE prio".  Bad usage: exit 2.
 */
#include <coroutine.h>
#include <bench_limit.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conn/conn.h"
#include "conn/stats.h"

#define CONNS_MAX     100000        /* the kernel's limits come much sooner */
#define PERIOD_MAX_MS 3600000
#define SECS_MAX      3600
#define WORKERS_MAX   64
#define PRIO_CLIENT   20
#define CLIENT_WORKERS 2

static void usage(void)
{
    printf("usage: b_conn [-p LEVELS] [-w WORKERS] coro|thread CONNS PERIOD_MS MSIZE SECS\n"
           "  CONNS connections (1..), a %d-byte request every PERIOD_MS (1..%d) on each,\n"
           "  answered with an MSIZE x MSIZE matrix product (1..%d), for SECS seconds (1..%d)\n"
           "  -p: priority levels (1..%d, at most CONNS), results per level; -w: the coro\n"
           "  server's worker threads (1..%d, default 4)\n",
           MSG_BYTES, PERIOD_MAX_MS, MSIZE_MAX, SECS_MAX, LEVELS_MAX, WORKERS_MAX);
}

static struct conn_config cfg;
static int (*req)[2], (*rep)[2];    /* connection i's request and reply pipes */
static uint64_t deadline, first_send;
static struct bench_failure failure;   /* the first failure */

static uint64_t free_frames(void)
{
    struct sysinfo si;
    if (sysinfo(&si) < 0)
        return 0;
    return si.free_frames;
}

/* ---- the client: one coroutine per connection ---- */

/* co_sleep keeping the result that co_sleep drops: a refused sleep (a
 * limit) must be reported, not turn the loop below into a busy wait. */
#define CO_SLEEP_CHECKED(c, out, ms) co__io(c, out, co__submit(c, CO__SLEEP, 0, 0, (ms)))

struct client {
    struct co co;
    int i;
    uint32_t seq;
    int got;
    long n;
    uint64_t next, sent;
    struct msg out, in;
};

static int client(struct co *c)
{
    struct client *f = (struct client *)c;
    co_begin(c);
    f->next = first_send + (uint64_t)f->i * cfg.period_ms * 1000000ull / (uint64_t)cfg.conns;
    for (;;) {
        uint64_t now = time();
        if (now >= deadline)
            break;
        if (now < f->next) {
            uint64_t ms = (f->next - now + 999999) / 1000000;     /* >= 1 */
            CO_SLEEP_CHECKED(c, f->n, ms);
            if (f->n < 0) {
                bench_fail(&failure, "client: sleep", (int)-f->n);
                co_return(c, -1);
            }
            continue;
        }
        f->seq++;
        msg_request(&f->out, (uint32_t)f->i, f->seq);
        f->sent = time();
        co_write(c, f->n, req[f->i][1], &f->out, sizeof f->out);
        if (f->n != (long)sizeof f->out) {
            bench_fail(&failure, "client: write", f->n < 0 ? (int)-f->n : 0);
            co_return(c, -1);
        }
        for (f->got = 0; f->got < (int)sizeof f->in; f->got += (int)f->n) {
            co_read(c, f->n, rep[f->i][0], (uint8_t *)&f->in + f->got, sizeof f->in - (size_t)f->got);
            if (f->n <= 0)
                break;
        }
        if (f->n <= 0) {
            bench_fail(&failure, f->n < 0 ? "client: read" : "client: read: the server closed the connection",
                 f->n < 0 ? (int)-f->n : 0);
            co_return(c, -1);
        }
        uint64_t lat_us = (time() - f->sent) / 1000;
        if (!msg_reply_ok(&f->in, &f->out)) {
            bench_fail(&failure, "client: wrong reply", 0);
            co_return(c, -1);
        }
        stats_record(f->i % cfg.levels, lat_us);
        f->next += cfg.period_ms * 1000000ull;
        now = time();
        if (f->next < now)
            f->next = now;
    }
    co_end(c);
}

/* Runs the clients to the deadline; 0, or -1 after a failure (reported). */
static int run_clients(void)
{
    struct client *cl = calloc((size_t)cfg.conns, sizeof *cl);
    cid_t *ids = calloc((size_t)cfg.conns, sizeof *ids);
    if (!cl || !ids) {
        bench_fail(&failure, "client: malloc", ENOMEM);
        free(cl), free(ids);
        return -1;
    }
    if (co_workers(CLIENT_WORKERS) < 0) {
        bench_fail(&failure, "client: co_workers", errno);
        free(cl), free(ids);
        return -1;
    }
    first_send = time();
    deadline = first_send + (uint64_t)cfg.secs * 1000000000ull;
    int spawned = 0;
    for (; spawned < cfg.conns; spawned++) {
        cl[spawned].i = spawned;
        ids[spawned] = co_spawn(client, &cl[spawned].co, PRIO_CLIENT);
        if (ids[spawned] == CO_NONE) {
            bench_fail(&failure, "client: co_spawn", errno);
            break;
        }
    }
    for (int i = 0; i < spawned; i++)
        co_join(ids[i], 0);
    free(cl), free(ids);
    return failure.failed ? -1 : 0;
}

/* The connections' pipes: both ends of each, in this process until the
 * fork.  Each side then closes the ends it does not use. */
static int make_pipes(void)
{
    req = calloc((size_t)cfg.conns, sizeof *req);
    rep = calloc((size_t)cfg.conns, sizeof *rep);
    if (!req || !rep) {
        bench_fail(&failure, "malloc", ENOMEM);
        return 0;
    }
    int made = 0;
    for (; made < cfg.conns; made++) {
        if (pipe(req[made]) < 0) {
            bench_fail(&failure, "pipe", errno);
            break;
        }
        if (pipe(rep[made]) < 0) {
            bench_fail(&failure, "pipe", errno);
            close(req[made][0]);
            close(req[made][1]);
            break;
        }
    }
    return made;
}

static void report(const char *workload, uint64_t mem_bytes_per_conn)
{
    const char *server = cfg.coro ? "coro" : "thread";
    if (!cfg.prio_mode) {
        struct lat_summary s;
        stats_summary(-1, &s);
        printf("BENCH conn server=%s conns=%d period_ms=%lu msize=%d secs=%d replies=%lu "
               "lat_mean_us=%lu lat_p50_us=%lu lat_p99_us=%lu mem_per_conn_bytes=%lu\n",
               server, cfg.conns, (unsigned long)cfg.period_ms, cfg.msize, cfg.secs,
               (unsigned long)s.count, (unsigned long)s.mean, (unsigned long)s.p50,
               (unsigned long)s.p99, (unsigned long)mem_bytes_per_conn);
    } else {
        for (int k = 0; k < cfg.levels; k++) {
            struct lat_summary s;
            stats_summary(k, &s);
            printf("BENCH prio server=%s conns=%d levels=%d level=%d prio=%d period_ms=%lu "
                   "msize=%d secs=%d replies=%lu lat_mean_us=%lu lat_p50_us=%lu "
                   "lat_p99_us=%lu\n",
                   server, cfg.conns, cfg.levels, k, level_prio(&cfg, k),
                   (unsigned long)cfg.period_ms, cfg.msize, cfg.secs, (unsigned long)s.count,
                   (unsigned long)s.mean, (unsigned long)s.p50, (unsigned long)s.p99);
        }
    }
    printf("BENCH-DONE %s\n", workload);
}

int main(int argc, char **argv)
{
    int a = 1, levels = 0, workers = 4, wset = 0;
    while (a < argc && argv[a][0] == '-') {
        if (strcmp(argv[a], "-p") == 0 && a + 1 < argc) {
            levels = (int)bench_number(argv[a + 1], 1, LEVELS_MAX);
            if (levels < 0)
                break;
        } else if (strcmp(argv[a], "-w") == 0 && a + 1 < argc) {
            workers = (int)bench_number(argv[a + 1], 1, WORKERS_MAX);
            wset = 1;
            if (workers < 0)
                break;
        } else {
            break;                              /* -h and everything else */
        }
        a += 2;
    }
    if (argc - a != 5 || (a < argc && argv[a][0] == '-')) {
        usage();
        return 2;
    }
    cfg.coro = strcmp(argv[a], "coro") == 0;
    cfg.conns = (int)bench_number(argv[a + 1], 1, CONNS_MAX);
    long period = bench_number(argv[a + 2], 1, PERIOD_MAX_MS);
    cfg.msize = (int)bench_number(argv[a + 3], 1, MSIZE_MAX);
    cfg.secs = (int)bench_number(argv[a + 4], 1, SECS_MAX);
    if ((!cfg.coro && strcmp(argv[a], "thread") != 0) || cfg.conns < 0 || period < 0 ||
        cfg.msize < 0 || cfg.secs < 0 || (wset && !cfg.coro) || levels > cfg.conns) {
        usage();
        return 2;
    }
    cfg.period_ms = (uint64_t)period;
    cfg.workers = workers;
    cfg.prio_mode = levels > 0;
    cfg.levels = levels > 0 ? levels : 1;
    cfg.top = cfg.coro ? 20 : get_ceiling(0);  /* the forked server keeps our ceiling */
    const char *workload = cfg.prio_mode ? "prio" : "conn";

    uint64_t before_pipes = free_frames();
    int made = make_pipes();
    uint64_t after_pipes = free_frames();
    int ctl[2] = { -1, -1 };
    int pid = -1;
    if (!failure.failed && pipe(ctl) < 0)
        bench_fail(&failure, "pipe", errno);
    if (!failure.failed) {
        pid = fork();
        if (pid < 0)
            bench_fail(&failure, "fork", errno);
    }
    if (pid == 0) {
        /* The server: only the request read ends, the reply write ends and
         * the control pipe's write end. */
        close(ctl[0]);
        for (int i = 0; i < made; i++) {
            close(req[i][1]);
            close(rep[i][0]);
        }
        exit(conn_server(&cfg, req, rep, ctl[1]));
    }
    for (int i = 0; i < made; i++) {
        close(req[i][0]);
        close(rep[i][1]);
        if (pid < 0) {                      /* no server: nothing to serve */
            close(req[i][1]);
            close(rep[i][0]);
        }
    }
    if (ctl[1] >= 0)
        close(ctl[1]);

    /* The server says when its side is ready, and what it cost. */
    struct server_ready ready = { 0 };
    if (pid > 0) {
        long n = read(ctl[0], &ready, sizeof ready);
        if (n != (long)sizeof ready)
            bench_fail(&failure, "server: died while setting up", 0);
        else if (ready.failed)
            bench_fail(&failure, "server: could not set up (it says what)", 0);
    }
    if (!failure.failed)
        run_clients();
    /* Closing the requests ends the server's tasks (end of file). */
    for (int i = 0; i < made && pid > 0; i++)
        close(req[i][1]);
    if (pid > 0) {
        int status = 0;
        if (waitpid(pid, &status, 0) < 0)
            bench_fail(&failure, "waitpid", errno);
        else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            bench_fail(&failure, "server: failed (it says what)", 0);
        for (int i = 0; i < made; i++)
            close(rep[i][0]);
    }
    if (ctl[0] >= 0)
        close(ctl[0]);
    free(req), free(rep);
    if (failure.failed) {
        printf("BENCH-ERROR %s %s%s%s%s (server=%s conns=%d)\n", workload, failure.what,
               failure.err ? ": " : "", failure.err ? errname(failure.err) : "", bench_limit_note(failure.what, failure.err),
               cfg.coro ? "coro" : "thread", cfg.conns);
        printf("BENCH-DONE %s\n", workload);
        return 1;
    }
    int64_t frames = (int64_t)(before_pipes - after_pipes) + ready.frames;
    uint64_t mem = frames > 0 ? (uint64_t)frames * 4096 / (uint64_t)cfg.conns : 0;
    report(workload, mem);
    return 0;
}
