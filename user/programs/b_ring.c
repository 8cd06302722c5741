// help: benchmark: a token around a ring of pipes (b_ring [-w N] coro|thread LEN SIZE LAPS)
/*
 * b_ring [-w WORKERS] MODE LEN SIZE LAPS: the serial pipe ring (seed 000,
 * section 4; bench/README.md "b_ring").
 *
 * LEN pipes in a ring, pipe[0] .. pipe[LEN-1].  The client writes a token
 * of SIZE bytes into pipe[0]; server k (1 .. LEN-1) reads pipe[k-1] and
 * writes what it read into pipe[k]; the client reads pipe[LEN-1].  That is
 * one lap; LAPS laps are timed as one, from before the client's first
 * write to after its last read (time(), ns).  Making the pipes and starting
 * the tasks is not timed: the client starts once every server has started
 * (threads) or has been polled once and waits on its pipe (coroutines: a
 * starter at the lowest priority lets the client go).  Only one token is
 * ever in flight, so the ring is strictly serial: every hop is a wake-up of
 * the next task.
 *
 *   coro    every task a coroutine of this process, asynchronous pipes
 *           (co_read / co_write), on WORKERS worker threads (-w, default 1);
 *           servers at priority 10, the client at 11
 *   thread  every task a thread of this process, blocking read / write;
 *           the client (the main thread) at P = min(11, the process's
 *           ceiling), servers at P - 1 (the shell's ceiling is 10, so 10
 *           and 9 from the shell; `ceiling 20 b_ring ...` gives 11 and 10)
 *
 * Every lap's token carries a pattern of its lap; the client checks every
 * byte it gets back.  A task that fails (a refused system call: a limit,
 * the token damaged) closes the write end of its output pipe: the next
 * task reads end of file, fails and does the same, so the failure goes
 * round the ring and every task ends; nobody waits for ever.
 *
 * Prints "BENCH ring mode=M len=L size=S laps=N workers=W us=T" (W = 0 in
 * thread mode: no executor), or "BENCH-ERROR ring <what>" and exit status
 * 1; the last line is always "BENCH-DONE ring".  Bad usage: exit 2.
 */
#include <coroutine.h>
#include <bench_limit.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <thread.h>
#include <unistd.h>

#define LEN_MIN       2
#define LEN_MAX       100000        /* the kernel's limits come much sooner */
#define SIZE_MAX_TOK  3876          /* seed 000's largest token; < PIPE_BUF_SIZE */
#define LAPS_MAX      1000000
/* A token goes into a pipe in one write, whole: the ring's one token in
 * flight depends on it. */
_Static_assert(SIZE_MAX_TOK <= PIPE_BUF_SIZE, "a token fits a pipe's atomic write");
#define WORKERS_MAX   64
#define PRIO_SERVER   10
#define PRIO_CLIENT   11

static void usage(void)
{
    printf("usage: b_ring [-w WORKERS] coro|thread LEN SIZE LAPS\n"
           "  LEN pipes in a ring (%d..), a token of SIZE bytes (1..%d) sent round LAPS times\n"
           "  (1..%d); -w: coroutine worker threads (1..%d, default 1; coro only)\n",
           LEN_MIN, SIZE_MAX_TOK, LAPS_MAX, WORKERS_MAX);
}

/* The bytes of lap `lap`'s token: a different pattern every lap, so a
 * token left over from an earlier lap or a shifted copy is caught. */
static uint8_t token_byte(uint32_t lap, uint32_t i)
{
    return (uint8_t)((lap * 131u + i * 7u + (i >> 8) + 1u) & 0xff);
}

/* ---- the ring, shared by both modes ---- */

static int len, size, laps;
static int (*pipes)[2];             /* pipes[k]: stage k writes [1], stage k+1 reads [0] */
static struct bench_failure failure;   /* the first failure */

/* Stops the ring after a failure of stage k: its successor reads EOF. */
static void break_ring(int k)
{
    int fd = __atomic_exchange_n(&pipes[k][1], -1, __ATOMIC_SEQ_CST);
    if (fd >= 0)
        close(fd);
}

/* A ring that could not be set up whole: every task started reads end of
 * file (or fails to write) and ends. */
static void break_all(void)
{
    for (int k = 0; k < len; k++)
        break_ring(k);
}

static int check_token(const uint8_t *tok, uint32_t lap)
{
    for (int i = 0; i < size; i++)
        if (tok[i] != token_byte(lap, (uint32_t)i))
            return 0;
    return 1;
}

static void fill_token(uint8_t *tok, uint32_t lap)
{
    for (int i = 0; i < size; i++)
        tok[i] = token_byte(lap, (uint32_t)i);
}

/* ---- coro mode ---- */

struct co_stage {
    struct co co;
    int k;                          /* 0: the client; 1..len-1: a server */
    int lap, got;
    long r;
    uint64_t start, end;            /* the client's timing */
    uint8_t *tok;
};

/* Reads a whole token from pipe[k-1] (a write of <= PIPE_BUF_SIZE bytes
 * goes in whole, but a read is not promised to take it whole). */
#define CO_READ_TOKEN(c, f, in)                                                 \
    for ((f)->got = 0; (f)->got < size; (f)->got += (int)(f)->r) {             \
        co_read(c, (f)->r, in, (f)->tok + (f)->got, (size_t)(size - (f)->got)); \
        if ((f)->r <= 0)                                                        \
            break;                                                              \
    }

static int co_server(struct co *c)
{
    struct co_stage *f = (struct co_stage *)c;
    co_begin(c);
    for (f->lap = 0; f->lap < laps; f->lap++) {
        CO_READ_TOKEN(c, f, pipes[f->k - 1][0]);
        if (f->r <= 0) {
            bench_fail(&failure, f->r == 0 ? "read: end of file" : "read", f->r == 0 ? 0 : (int)-f->r);
            break_ring(f->k);
            co_return(c, -1);
        }
        co_write(c, f->r, pipes[f->k][1], f->tok, (size_t)size);
        if (f->r != size) {
            bench_fail(&failure, f->r < 0 ? "write" : "write: short", f->r < 0 ? (int)-f->r : 0);
            break_ring(f->k);
            co_return(c, -1);
        }
    }
    co_end(c);
}

/* The client starts timing once every server waits on its pipe: the
 * starter, at the lowest priority, runs when nothing else is ready (under
 * fifo: after everything spawned before it), and lets the client go. */
static struct co_event go = CO_EVENT_INIT;

static int co_starter(struct co *c)
{
    co_event_set(&go);
    c->line = -1;
    return CO_READY;
}

static int co_client(struct co *c)
{
    struct co_stage *f = (struct co_stage *)c;
    co_begin(c);
    co_await_event(c, &go);
    f->start = time();
    for (f->lap = 0; f->lap < laps; f->lap++) {
        fill_token(f->tok, (uint32_t)f->lap);
        co_write(c, f->r, pipes[0][1], f->tok, (size_t)size);
        if (f->r != size) {
            bench_fail(&failure, f->r < 0 ? "write" : "write: short", f->r < 0 ? (int)-f->r : 0);
            break_ring(0);
            co_return(c, -1);
        }
        memset(f->tok, 0, (size_t)size);
        CO_READ_TOKEN(c, f, pipes[len - 1][0]);
        if (f->r <= 0) {
            bench_fail(&failure, f->r == 0 ? "read: end of file" : "read", f->r == 0 ? 0 : (int)-f->r);
            break_ring(0);
            co_return(c, -1);
        }
        if (!check_token(f->tok, (uint32_t)f->lap)) {
            bench_fail(&failure, "token damaged", 0);
            break_ring(0);
            co_return(c, -1);
        }
    }
    f->end = time();
    co_end(c);
}

/* Spawns every stage, then joins them all (the main thread polls as a
 * worker meanwhile).  The time, or 0 after a failure. */
static uint64_t run_coro(int workers)
{
    if (co_workers(workers) < 0) {
        bench_fail(&failure, "co_workers", errno);
        return 0;
    }
    struct co_stage *st = calloc((size_t)len, sizeof *st);
    cid_t *ids = calloc((size_t)len, sizeof *ids);
    uint8_t *toks = malloc((size_t)len * (size_t)size);
    if (!st || !ids || !toks) {
        bench_fail(&failure, "malloc", ENOMEM);
        free(st), free(ids), free(toks);
        return 0;
    }
    int spawned = 0;
    for (int k = len - 1; k >= 0; k--) {           /* the client last: servers wait first */
        st[k].k = k;
        st[k].tok = toks + (size_t)k * (size_t)size;
        ids[k] = co_spawn(k == 0 ? co_client : co_server, &st[k].co,
                          k == 0 ? PRIO_CLIENT : PRIO_SERVER);
        if (ids[k] == CO_NONE) {
            bench_fail(&failure, "co_spawn", errno);
            break_all();                           /* ends the ones spawned */
            co_event_set(&go);
            break;
        }
        spawned++;
    }
    static struct co starter;
    cid_t sid = failure.failed ? CO_NONE : co_spawn(co_starter, &starter, 1);
    if (!failure.failed && sid == CO_NONE) {
        bench_fail(&failure, "co_spawn", errno);
        break_all();
        co_event_set(&go);                         /* the client finds the ring broken */
    }
    if (sid != CO_NONE)
        co_join(sid, 0);
    for (int k = len - spawned; k < len; k++)
        co_join(ids[k], 0);
    uint64_t t = failure.failed ? 0 : st[0].end - st[0].start;
    free(st), free(ids), free(toks);
    return t;
}

/* ---- thread mode ---- */

struct th_stage { int k; uint8_t *tok; };

/* A whole token from fd, or <= 0 (0: end of file, else -errno). */
static long read_token(int fd, uint8_t *tok)
{
    int got = 0;
    while (got < size) {
        long r = read(fd, tok + got, (size_t)(size - got));
        if (r <= 0)
            return r < 0 ? -errno : 0;
        got += (int)r;
    }
    return got;
}

static int servers_started;          /* thread mode: the client waits for all */

static void *th_server(void *arg)
{
    struct th_stage *s = arg;
    __atomic_fetch_add(&servers_started, 1, __ATOMIC_SEQ_CST);
    for (int lap = 0; lap < laps; lap++) {
        long r = read_token(pipes[s->k - 1][0], s->tok);
        if (r <= 0) {
            bench_fail(&failure, r == 0 ? "read: end of file" : "read", r == 0 ? 0 : (int)-r);
            break_ring(s->k);
            return (void *)1;
        }
        if (write(pipes[s->k][1], s->tok, (size_t)size) != size) {
            bench_fail(&failure, "write", errno);
            break_ring(s->k);
            return (void *)1;
        }
    }
    return 0;
}

static uint64_t run_threads(void)
{
    int ceiling = get_ceiling(0);
    int client_prio = ceiling < PRIO_CLIENT ? ceiling : PRIO_CLIENT;
    if (client_prio < 2) {
        bench_fail(&failure, "priority ceiling below 2", EPERM);
        return 0;
    }
    /* The servers inherit the main thread's priority at creation. */
    if (set_priority(0, client_prio - 1) < 0) {
        bench_fail(&failure, "set_priority", errno);
        return 0;
    }
    struct th_stage *st = calloc((size_t)len, sizeof *st);
    int *tids = calloc((size_t)len, sizeof *tids);
    uint8_t *toks = malloc((size_t)len * (size_t)size);
    if (!st || !tids || !toks) {
        bench_fail(&failure, "malloc", ENOMEM);
        free(st), free(tids), free(toks);
        return 0;
    }
    int made = 1;                                  /* stage 0 is this thread */
    for (int k = 1; k < len; k++, made++) {
        st[k] = (struct th_stage){ .k = k, .tok = toks + (size_t)k * (size_t)size };
        tids[k] = thread_create(th_server, &st[k]);
        if (tids[k] < 0) {
            bench_fail(&failure, "thread_create", errno);
            break;
        }
    }
    uint64_t start = 0, end = 0;
    /* Untimed: every server is on its way to its first read. */
    while (!failure.failed && __atomic_load_n(&servers_started, __ATOMIC_SEQ_CST) < len - 1)
        yield();
    if (!failure.failed && set_priority(0, client_prio) < 0)
        bench_fail(&failure, "set_priority", errno);
    if (!failure.failed) {
        uint8_t *tok = toks;
        start = time();
        for (int lap = 0; lap < laps; lap++) {
            fill_token(tok, (uint32_t)lap);
            if (write(pipes[0][1], tok, (size_t)size) != size) {
                bench_fail(&failure, "write", errno);
                break;
            }
            memset(tok, 0, (size_t)size);
            long r = read_token(pipes[len - 1][0], tok);
            if (r <= 0) {
                bench_fail(&failure, r == 0 ? "read: end of file" : "read", r == 0 ? 0 : (int)-r);
                break;
            }
            if (!check_token(tok, (uint32_t)lap)) {
                bench_fail(&failure, "token damaged", 0);
                break;
            }
        }
        end = time();
    }
    if (failure.failed)
        break_all();        /* servers made so far wait on their pipes: EOF ends them */
    for (int k = 1; k < made; k++)
        thread_join(tids[k], 0);
    free(st), free(tids), free(toks);
    return failure.failed ? 0 : end - start;
}

int main(int argc, char **argv)
{
    int workers = 1, wset = 0, a = 1;
    if (argc > 1 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
        usage();
        return 2;
    }
    if (argc > 2 && strcmp(argv[1], "-w") == 0) {
        workers = (int)bench_number(argv[2], 1, WORKERS_MAX);
        wset = 1;
        a = 3;
    }
    if (argc - a != 4 || workers < 0) {
        usage();
        return 2;
    }
    const char *mode = argv[a];
    int coro = strcmp(mode, "coro") == 0;
    len = (int)bench_number(argv[a + 1], LEN_MIN, LEN_MAX);
    size = (int)bench_number(argv[a + 2], 1, SIZE_MAX_TOK);
    laps = (int)bench_number(argv[a + 3], 1, LAPS_MAX);
    if ((!coro && strcmp(mode, "thread") != 0) || len < 0 || size < 0 || laps < 0 ||
        (wset && !coro)) {
        usage();
        return 2;
    }
    pipes = malloc((size_t)len * sizeof *pipes);
    if (!pipes) {
        printf("BENCH-ERROR ring malloc: ENOMEM\nBENCH-DONE ring\n");
        return 1;
    }
    int made = 0;
    for (; made < len; made++)
        if (pipe(pipes[made]) < 0) {
            bench_fail(&failure, "pipe", errno);
            break;
        }
    uint64_t ns = 0;
    if (!failure.failed)
        ns = coro ? run_coro(workers) : run_threads();
    for (int k = 0; k < made; k++) {
        close(pipes[k][0]);
        if (pipes[k][1] >= 0)
            close(pipes[k][1]);
    }
    free(pipes);
    if (failure.failed) {
        printf("BENCH-ERROR ring %s%s%s%s (mode=%s len=%d size=%d laps=%d)\n", failure.what,
               failure.err ? ": " : "", failure.err ? errname(failure.err) : "", bench_limit_note(failure.what, failure.err), mode, len,
               size, laps);
        printf("BENCH-DONE ring\n");
        return 1;
    }
    uint64_t us = ns / 1000;
    printf("BENCH ring mode=%s len=%d size=%d laps=%d workers=%d us=%lu\n", mode, len, size,
           laps, coro ? workers : 0, (unsigned long)(us ? us : 1));
    printf("BENCH-DONE ring\n");
    return 0;
}
