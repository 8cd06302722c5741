// help: test: a coroutine waiting on a pipe costs nothing
/*
 * t_coidle: a coroutine waiting on a pipe costs nothing while it waits.
 *
 *   t_coidle [MS_SHORT MS_LONG [N]]     (default 300 1200 200)
 *
 * Two trials, one per wait.  In each, a coroutine awaits co_read on a pipe
 * that nobody writes; a thread of this process (the observer, not a
 * worker) waits until every worker sleeps in the kernel, takes the counts,
 * sleeps MS ms, then waits for a CPU-bound counter process (forked before
 * anything else, spinning beside us) to have made N more rounds of work
 * since the counts were taken, takes the counts again and only then
 * writes the pipe.  So the coroutine waits at least MS ms and at least
 * while the counter does N rounds: on one hart the counter can only have
 * done them on the hart this process did not use.
 *
 * What must hold during each wait (all counts, no time):
 *   - the coroutine is not polled (co_polls stays 1) and the executor polls
 *     nothing at all; no worker wakes up and goes back to sleep (the
 *     executor's `sleeps`), every worker stays asleep on the futex;
 *   - what the kernel counted for this process (switches to its threads,
 *     yield calls, user-mode switches it noticed) stays below IDLE_MAX: the
 *     observer's own sleep and reads cost a few, a polling or spinning
 *     worker would cost some for every tick of the wait;
 *   - the long wait costs no more than the short one (+ SLACK): what an
 *     idle coroutine costs does not grow with how long it waits.
 * Then the write completes the read: polled exactly twice, the data right.
 *
 * One line per trial, "t_coidle: PASS" at the end if every check held.
 */
#include <coroutine.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <thread.h>
#include <unistd.h>

#define WORKERS  4          /* main (in co_join) and three threads */
#define IDLE_MAX 8          /* kernel-counted events per wait, at most */
#define SLACK    2          /* the long wait may cost this many more */
#define ROUND    20000      /* iterations of one round of the counter */

static bool all_ok = true;

static CO_EXEC *const X = (CO_EXEC *)SHARED_EXEC_ADDR;

/* The counter process: rounds of pure computation; after every 10 rounds
 * it writes the number done so far (4 bytes) to its pipe, which the
 * observer reads.  Killed by the parent when the trials are over. */
static void counter_main(int out)
{
    volatile uint32_t sink = 0;
    for (uint32_t round = 1;; round++) {
        for (uint32_t i = 0; i < ROUND; i++)
            sink += i ^ round;
        if (round % 10 == 0 && write(out, &round, sizeof round) != sizeof round)
            exit(1);
    }
}

struct reader { struct co co; int fd; char buf[16]; long got; int polls; };

static int reader(struct co *c)
{
    struct reader *f = (struct reader *)c;
    f->polls++;
    co_begin(c);
    co_read(c, f->got, f->fd, f->buf, sizeof f->buf);
    co_end(c);
}

struct counts {
    long polls_of_reader;
    uint64_t polls, sleeps, wakes;
    uint32_t sleepers;
    uint64_t kernel_switches, yield_syscalls, user_switches_seen;
};

static void take(struct counts *k, cid_t rid)
{
    struct schedstat s;
    memset(&s, 0, sizeof s);
    schedstat(-1, &s);
    k->polls_of_reader = co_polls(rid);
    k->polls = X->polls;
    k->sleeps = X->sleeps;
    k->wakes = X->wakes;
    k->sleepers = X->sleepers;
    k->kernel_switches = s.kernel_switches;
    k->yield_syscalls = s.yield_syscalls;
    k->user_switches_seen = s.user_switches_seen;
}

struct trial {
    int ms, rounds;
    int data_w;             /* the pipe the coroutine reads */
    int counted_r;          /* the counter's reports */
    cid_t rid;
    struct counts before, after;
    uint32_t counter_from, counter_to;
};

/* The counter's newest report, waiting for one if none is queued: one
 * read takes every queued report (each is one 4-byte write, so whole
 * ones).  Only the observer calls it. */
static uint32_t counter_report(int fd)
{
    static uint32_t buf[PIPE_BUF_SIZE / sizeof(uint32_t)];     /* all a pipe holds */
    long n = read(fd, buf, sizeof buf);
    if (n < (long)sizeof buf[0])
        return 0;
    return buf[n / (long)sizeof buf[0] - 1];
}

static void *observer(void *arg)
{
    struct trial *t = arg;
    /* Until the coroutine has been polled once (it waits on the pipe) and
     * every worker sleeps in the kernel.  Bounded: a worker that never
     * sleeps is what this test is for, and then the checks below fail. */
    for (int i = 0; i < 20000; i++) {
        if (co_polls(t->rid) == 1 && X->sleepers == WORKERS)
            break;
        sleep(1);
    }
    /* A worker counts its sleep before it counts itself among the
     * sleepers (coro_exec.c, run_fetch), so the count is settled now;
     * it must also stand still across 20 ms (bounded like the wait
     * above), which a worker that sleeps again and again would not. */
    for (int i = 0; i < 100; i++) {
        uint64_t sleeps = X->sleeps;
        sleep(20);
        if (X->sleeps == sleeps && X->sleepers == WORKERS)
            break;
    }
    t->counter_from = counter_report(t->counted_r);
    take(&t->before, t->rid);
    sleep((uint64_t)t->ms);
    /* Then until the counter has done its rounds since the first count. */
    do
        t->counter_to = counter_report(t->counted_r);
    while (t->counter_to && t->counter_to < t->counter_from + (uint32_t)t->rounds);
    take(&t->after, t->rid);
    if (write(t->data_w, "wake up", 7) != 7)
        t->counter_to = 0;
    return 0;
}

/* What the kernel counted for this process during the wait. */
static uint64_t kernel_cost(const struct trial *t)
{
    return (t->after.kernel_switches - t->before.kernel_switches) +
           (t->after.yield_syscalls - t->before.yield_syscalls) +
           (t->after.user_switches_seen - t->before.user_switches_seen);
}

static void run_trial(struct trial *t, int counted_r)
{
    int fds[2];
    if (pipe(fds) < 0) {
        printf("t_coidle: FAIL (pipe: %s)\n", strerror(errno));
        all_ok = false;
        return;
    }
    t->data_w = fds[1];
    t->counted_r = counted_r;
    struct reader r = { .fd = fds[0] };
    t->rid = co_spawn(reader, &r.co, 10);
    int tid = t->rid == CO_NONE ? -1 : thread_create(observer, t);
    if (tid > 0) {
        co_join(t->rid, 0);
        thread_join(tid, 0);
    }
    close(fds[0]);
    close(fds[1]);
    const struct counts *b = &t->before, *a = &t->after;
    bool read_ok = r.got == 7 && memcmp(r.buf, "wake up", 7) == 0 && r.polls == 2;
    bool asleep = b->sleepers == WORKERS && a->sleepers == WORKERS;
    bool unpolled = b->polls_of_reader == 1 && a->polls_of_reader == 1 && a->polls == b->polls &&
                    a->sleeps == b->sleeps && a->wakes == b->wakes;
    bool counted = t->counter_to >= t->counter_from + (uint32_t)t->rounds && t->counter_from;
    bool cheap = kernel_cost(t) <= IDLE_MAX;
    bool ok = tid > 0 && read_ok && asleep && unpolled && counted && cheap;
    printf("t_coidle: wait %d ms: reader polled %ld then %ld times, %d in all (read %ld); "
           "executor polls +%lu, sleeps +%lu, wakes +%lu; workers asleep %u then %u; "
           "kernel: switches +%lu, yields +%lu, user switches +%lu (cost %lu, max %d); "
           "counter rounds %u -> %u (want +%d): %s\n",
           t->ms, b->polls_of_reader, a->polls_of_reader, r.polls, r.got,
           (unsigned long)(a->polls - b->polls), (unsigned long)(a->sleeps - b->sleeps),
           (unsigned long)(a->wakes - b->wakes), b->sleepers, a->sleepers,
           (unsigned long)(a->kernel_switches - b->kernel_switches),
           (unsigned long)(a->yield_syscalls - b->yield_syscalls),
           (unsigned long)(a->user_switches_seen - b->user_switches_seen),
           (unsigned long)kernel_cost(t), IDLE_MAX, t->counter_from, t->counter_to, t->rounds,
           ok ? "ok" : "FAIL");
    all_ok &= ok;
}

int main(int argc, char **argv)
{
    int ms_short = argc > 1 ? atoi(argv[1]) : 300;
    int ms_long = argc > 2 ? atoi(argv[2]) : 1200;
    int rounds = argc > 3 ? atoi(argv[3]) : 200;
    if (ms_short < 0 || ms_long < ms_short || rounds < 1) {
        printf("usage: t_coidle [MS_SHORT MS_LONG [ROUNDS]]\n");
        return 2;
    }
    /* The counter first: a fork of a process with no threads and no
     * executor yet. */
    int counted[2];
    if (pipe(counted) < 0) {
        printf("t_coidle: FAIL (pipe: %s)\n", strerror(errno));
        return 1;
    }
    int pid = fork();
    if (pid == 0) {
        close(counted[0]);
        counter_main(counted[1]);
    }
    close(counted[1]);
    if (pid < 0) {
        printf("t_coidle: FAIL (fork: %s)\n", strerror(errno));
        return 1;
    }
    co_workers(WORKERS);
    struct trial shorter = { .ms = ms_short, .rounds = rounds };
    struct trial longer = { .ms = ms_long, .rounds = rounds };
    run_trial(&shorter, counted[0]);
    run_trial(&longer, counted[0]);
    /* Waiting longer cost nothing more. */
    bool flat = kernel_cost(&longer) <= kernel_cost(&shorter) + SLACK;
    printf("t_coidle: cost of %d ms %lu, of %d ms %lu (slack %d): %s\n", ms_short,
           (unsigned long)kernel_cost(&shorter), ms_long, (unsigned long)kernel_cost(&longer),
           SLACK, flat ? "ok" : "FAIL");
    all_ok &= flat;
    kill(pid);
    int status = 0;
    waitpid(pid, &status, 0);
    printf("t_coidle: %s\n", all_ok ? "PASS" : "FAIL");
    return all_ok ? 0 : 1;
}
