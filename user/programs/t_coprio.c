// help: test: coroutine priorities count across processes
/*
 * t_coprio: coroutine priorities count across processes.
 *
 *   t_coprio [CHUNKS]          (the judge; default 50 chunks per coroutine)
 *
 * The judge forks two processes: A, whose
 * coroutines run at priority 5, and B, at priority 9; each has two
 * CPU-bound coroutines doing CHUNKS chunks of pure computation, with a
 * co_yield between chunks, and the executor's four workers.  After each
 * chunk a coroutine writes one record (8 bytes: a pipe write of at most
 * PIPE_BUF_SIZE is atomic) to the judge's log pipe, so the judge sees one
 * order of every chunk of both.  Both get ready, then wait at a gate; the
 * judge opens both gates at once.
 *
 * A worker's thread priority follows the coroutine it polls (the
 * executor's follow_priority, within the ceiling of 10 the shell gives):
 * A's run at 5, B's at 9.  So with a priority policy on one hart, B does
 * all its chunks before A does any: the judge counts A's chunks logged
 * before B's last one (at most LATE_A), and B's logged before A's first.
 * Without priorities (fifo), or on several harts, only that both finish
 * every chunk with the right results.
 *
 * Prints one line with the counts and "t_coprio: PASS" or "t_coprio: FAIL".
 */
#include <coroutine.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NCO     2           /* coroutines per process */
#define ROUND   100000      /* iterations of one chunk: many ticks in all */
#define LATE_A  0           /* A's chunks allowed before B's last */

enum { REC_READY = 1, REC_CHUNK, REC_DONE };

struct rec {
    char who;               /* 'A' or 'B' */
    uint8_t kind;           /* REC_* */
    uint16_t ok;            /* REC_DONE: every result right */
    uint32_t n;             /* REC_CHUNK: chunks this process has done */
};
_Static_assert(sizeof(struct rec) == 8, "a record is one small write");

/* --- a worker process --- */

static int log_fd;
static char me;
static uint32_t chunks_done;        /* by this process's coroutines */

static void put(uint8_t kind, uint32_t n, uint16_t ok)
{
    struct rec r = { me, kind, ok, n };
    if (write(log_fd, &r, sizeof r) != sizeof r)
        exit(3);
}

struct worker { struct co co; struct co_event *go; int chunks, i; uint32_t sum; };

/* One chunk of work: a sum the judge can check (through the result). */
static uint32_t chunk(uint32_t seed)
{
    volatile uint32_t s = seed;
    for (uint32_t i = 0; i < ROUND; i++)
        s = s * 1664525u + 1013904223u;
    return s;
}

static int worker(struct co *c)
{
    struct worker *f = (struct worker *)c;
    co_begin(c);
    co_await_event(c, f->go);
    for (f->i = 0; f->i < f->chunks; f->i++) {
        f->sum = chunk(f->sum);
        put(REC_CHUNK, __atomic_add_fetch(&chunks_done, 1, __ATOMIC_SEQ_CST), 0);
        co_yield(c);
    }
    co_return(c, f->sum);
    co_end(c);
}

static int work(char who, int prio, int chunks, int logw, int gate)
{
    static struct co_event go = CO_EVENT_INIT;
    static struct worker w[NCO];
    cid_t id[NCO];
    me = who;
    log_fd = logw;
    for (int i = 0; i < NCO; i++) {
        w[i] = (struct worker){ .go = &go, .chunks = chunks, .sum = (uint32_t)i };
        id[i] = co_spawn(worker, &w[i].co, prio);
        if (id[i] == CO_NONE)
            return 2;
    }
    put(REC_READY, 0, 0);
    char byte;
    if (read(gate, &byte, 1) != 1)
        return 2;
    co_event_set(&go);
    int64_t r[NCO];
    bool ok = true;
    for (int i = 0; i < NCO; i++)
        ok &= co_join(id[i], &r[i]) == 0;
    /* Checked only now: main runs at the priority it was started with
     * until it joins, and must not compete with the other process. */
    for (int i = 0; i < NCO; i++) {
        uint32_t want = (uint32_t)i;
        for (int k = 0; k < chunks; k++)
            want = chunk(want);
        ok &= (uint32_t)r[i] == want;
    }
    put(REC_DONE, chunks_done, ok);
    return ok ? 0 : 1;
}

/* --- the judge --- */

static bool priority_policy(void)
{
    const VDSO_DATA *v = (const VDSO_DATA *)SHARED_BASE_ADDR;
    return v->policy_flags & SCHED_FLAG_PRIORITY;
}

/* A worker process: a fork of the judge (spawn passes only fds 0-2; a
 * fork keeps the pipes), before the judge has threads or an executor. */
static int start(char who, int prio, int chunks, int logw, int gate)
{
    int pid = fork();
    if (pid == 0)
        exit(work(who, prio, chunks, logw, gate));
    return pid;
}

static int judge(int chunks)
{
    int logp[2], gate_a[2], gate_b[2];
    if (pipe(logp) < 0 || pipe(gate_a) < 0 || pipe(gate_b) < 0) {
        printf("t_coprio: FAIL (pipe: %s)\n", strerror(errno));
        return 1;
    }
    int pa = start('A', 5, chunks, logp[1], gate_a[0]);
    int pb = pa < 0 ? -1 : start('B', 9, chunks, logp[1], gate_b[0]);
    close(logp[1]);                 /* EOF once both have exited */
    close(gate_a[0]);
    close(gate_b[0]);
    if (pa < 0 || pb < 0) {
        printf("t_coprio: FAIL (spawn: %s)\n", strerror(errno));
        return 1;
    }
    uint32_t a = 0, b = 0;          /* chunks logged so far */
    int ready = 0, done = 0, ok_results = 0;
    uint32_t a_before_b_end = 0, b_before_a_start = 0;
    bool a_started = false, b_ended = false, in_order = true;
    static struct rec buf[PIPE_BUF_SIZE / sizeof(struct rec)];
    long got;
    while ((got = read(logp[0], buf, sizeof buf)) > 0) {
        for (long i = 0; i < got / (long)sizeof buf[0]; i++) {
            struct rec *r = &buf[i];
            if (r->kind == REC_READY && ++ready == 2) {
                /* Both set up: open both gates at once. */
                if (write(gate_a[1], "g", 1) != 1 || write(gate_b[1], "g", 1) != 1)
                    in_order = false;
            } else if (r->kind == REC_CHUNK) {
                /* Chunks logged, not r->n: on several harts two
                 * coroutines of a process may log out of their order. */
                uint32_t *mine = r->who == 'A' ? &a : &b;
                in_order &= r->n >= 1 && r->n <= (uint32_t)(NCO * chunks);
                ++*mine;
                if (r->who == 'A' && !a_started) {
                    a_started = true;
                    b_before_a_start = b;
                }
                if (r->who == 'B' && b == (uint32_t)(NCO * chunks) && !b_ended) {
                    b_ended = true;
                    a_before_b_end = a;
                }
            } else if (r->kind == REC_DONE) {
                done++;
                ok_results += r->ok == 1;
            }
        }
    }
    int sa = -1, sb = -1;
    waitpid(pa, &sa, 0);
    waitpid(pb, &sb, 0);
    close(logp[0]);
    close(gate_a[1]);
    close(gate_b[1]);
    uint32_t total = (uint32_t)(NCO * chunks);
    bool complete = a == total && b == total && done == 2 && ok_results == 2 && in_order &&
                    sa == 0 && sb == 0;
    bool by_prio = priority_policy();
    const VDSO_DATA *v = (const VDSO_DATA *)SHARED_BASE_ADDR;
    bool one_hart = v->nharts == 1;
    bool ordered = a_before_b_end <= LATE_A;
    printf("t_coprio: A (priority 5) %u/%u chunks, B (priority 9) %u/%u, results %d/2, "
           "status %d %d; A had %u when B ended, B had %u when A started%s\n", a, total, b,
           total, ok_results, sa, sb, a_before_b_end, b_before_a_start,
           by_prio && one_hart ? "" : " (order not judged)");
    bool ok = complete && (!(by_prio && one_hart) || ordered);
    printf("t_coprio: %s\n", ok ? "PASS" : "FAIL");
    return ok ? 0 : 1;
}

int main(int argc, char **argv)
{
    int chunks = argc > 1 ? atoi(argv[1]) : 50;
    if (chunks < 1 || chunks > 1000) {
        printf("usage: t_coprio [CHUNKS]\n");
        return 2;
    }
    return judge(chunks);
}
