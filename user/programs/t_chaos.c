// help: multi-hart stress for SECONDS: processes, threads, pipes, coroutines, sleeps, priorities, kills
/*
 * t_chaos [SECONDS]: everything the kernel schedules, at once, for SECONDS
 * (default 10, 1..3600), then checks that the counts add up.  The
 * multi-hart stress of issue 14 (testsuite/test_stress.py runs it on the
 * debug kernel, whose invariant checks watch meanwhile; docs/testing.md).
 *
 * Parts, each a thread of main (so that a part that hangs is a thread main
 * can name) until the deadline:
 *   workers  two per hart: a mutex-protected counter, yield_ (user-mode
 *            switch), yield, sleeps (each must last at least what was
 *            asked), priority changes of each other;
 *   procs    fork (the child spins, sleeps, exits with a code) and spawn
 *            (`t_chaos child CODE`), each reaped and its code checked;
 *   pipe N   a forked writer process streams bytes whose value is a
 *            function of their position, in chunks of random size, then
 *            reports its total on a second pipe; the reader (this thread)
 *            checks every byte and the total: nothing lost, duplicated or
 *            reordered;
 *   coro     a spawned process (`t_chaos coro DEADLINE`) whose coroutines
 *            stream bytes through a pipe with asynchronous reads and
 *            writes (checked the same way), sleep asynchronously, change
 *            their priorities and ping-pong on events; exit 0 if its own
 *            counts add up;
 *   killer   spawns victims (`t_chaos victim`: a thread blocked reading a
 *            pipe, one sleeping, one yielding) at random priorities and
 *            kills each after a few ms; each must end killed.
 * At the deadline main waits (GRACE_S at most: a slow host is not a
 * failure) for every part; a part that never finishes is named: that is
 * what a lost wake-up looks like.  Then the counts, one line, and
 * "t_chaos: PASS" or a FAIL line per check that failed.
 *
 * Run it with a ceiling of 2 or more (`ceiling 20 t_chaos 20`): main and
 * the killer run at the ceiling, everything else below it.
 */
#include <errno.h>
#include <coroutine.h>
#include <mutex.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <thread.h>
#include <unistd.h>
#include <workload.h>

#define DEFAULT_SECONDS 10
#define MAX_SECONDS     3600
#define GRACE_S         180     /* after the deadline, for every part to end */
#define WORKERS_PER_HART 2
#define MAX_WORKERS     16
#define NPIPES          2
#define CHUNK_MAX       512     /* bytes a pipe writer writes at once, at most */
#define MAX_IN_FLIGHT   3       /* children of procs not yet reaped */
#define NS_PER_MS       1000000ull
#define NS_PER_S        1000000000ull

static uint64_t deadline;               /* time(), ns since boot */
static int ceiling;
static int failures;

/* One line per failure, written at once (threads fail concurrently). */
static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void fail(const char *fmt, ...)
{
    char line[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    printf("t_chaos: FAIL: %s\n", line);
    __atomic_fetch_add(&failures, 1, __ATOMIC_RELAXED);
}

static bool before_deadline(void)
{
    return time() < deadline;
}

/* The byte at position k of every checked stream: a loss, a duplicate or
 * a swap shows at once (consecutive positions differ). */
static uint8_t stream_byte(uint64_t k)
{
    return (uint8_t)((uint32_t)(k * 2654435761u) >> 24) ^ (uint8_t)(k >> 8);
}

/* Sleeps ms; counts a sleep that ended early (the one thing a sleep
 * promises whatever the host's load). */
static uint64_t early_wakes;
static void checked_sleep(uint64_t ms)
{
    uint64_t t0 = time();
    sleep(ms);
    if (time() - t0 < ms * NS_PER_MS)
        __atomic_fetch_add(&early_wakes, 1, __ATOMIC_RELAXED);
}

/* ---- the parts' bookkeeping: main names a part that never finished ---- */

enum { MAX_PARTS = MAX_WORKERS + NPIPES + 3 };
static struct part {
    char name[16];
    int tid;
    volatile uint32_t done;
} parts[MAX_PARTS];
static uint32_t nparts, parts_done;

static void part_done(struct part *p)
{
    __atomic_store_n(&p->done, 1, __ATOMIC_RELEASE);
    __atomic_fetch_add(&parts_done, 1, __ATOMIC_RELEASE);
}

/* ---- workers ---- */

static uint32_t nworkers;
static int worker_tids[MAX_WORKERS];
static volatile uint32_t started;
static mutex_t counter_lock = MUTEX_INITIALIZER;
static uint64_t counter;                 /* under counter_lock */
static uint64_t worker_rounds[MAX_WORKERS];
static uint64_t prio_changes, user_switches, sleeps;

static void *worker(void *arg)
{
    struct part *p = arg;
    uint32_t me = (uint32_t)(p - parts), rng = 0x9e3779b9u ^ (me * 0x85ebca6bu);
    while (!__atomic_load_n(&started, __ATOMIC_ACQUIRE))
        yield();
    while (before_deadline()) {
        spin(200 + next_random(&rng) % 1000);
        mutex_lock(&counter_lock);
        counter++;
        mutex_unlock(&counter_lock);
        worker_rounds[me]++;
        uint32_t what = next_random(&rng) % 100;
        /* Every eighth round sleeps: under a strict-priority policy a
         * worker that only yielded would keep the ones below it off its
         * hart (no starvation is what the watchdog checks). */
        if (worker_rounds[me] % 8 == 0 || what < 20) {
            checked_sleep(1 + next_random(&rng) % 3);
            __atomic_fetch_add(&sleeps, 1, __ATOMIC_RELAXED);
        } else if (what < 50) {
            if (yield_())
                __atomic_fetch_add(&user_switches, 1, __ATOMIC_RELAXED);
        } else if (what < 70) {
            int peer = worker_tids[next_random(&rng) % nworkers];
            if (set_priority(peer, 1 + (int)(next_random(&rng) % (uint32_t)(ceiling - 1))) == 0)
                __atomic_fetch_add(&prio_changes, 1, __ATOMIC_RELAXED);
            else if (errno != ESRCH)
                fail("set_priority(%lu): errno %lu", (unsigned long)peer,
                     (unsigned long)errno);
        } else {
            yield();
        }
    }
    part_done(p);
    return NULL;
}

/* ---- procs: fork and spawn, every child reaped with its code ---- */

static uint64_t forked, spawned, reaped;

/* A forked child of a process with many threads: it may only use what
 * takes no lock another thread could have held at the fork (no printf,
 * no malloc): system calls. */
static void __attribute__((noreturn)) forked_child(uint32_t rng, int code)
{
    spin(next_random(&rng) % 5000);
    if (next_random(&rng) % 2)
        sleep(next_random(&rng) % 3);
    else
        yield();
    exit(code);
}

static void *procs(void *arg)
{
    struct part *p = arg;
    uint32_t rng = 0xc0ffee11u;
    int pids[MAX_IN_FLIGHT], codes[MAX_IN_FLIGHT], n = 0;
    char *path = "t_chaos";
    while (before_deadline() || n > 0) {
        if (before_deadline() && n < MAX_IN_FLIGHT) {
            int code = 1 + (int)(next_random(&rng) % 100), pid;
            if (next_random(&rng) % 2) {
                pid = fork();
                if (pid == 0)
                    forked_child(rng, code);
                if (pid > 0)
                    forked++;
            } else {
                char arg[8];
                snprintf(arg, sizeof arg, "%d", code);
                char *argv[] = { path, "child", arg, NULL };
                pid = spawn_prio(path, argv, 1 + (int)(next_random(&rng) % (uint32_t)(ceiling - 1)), 0);
                if (pid > 0)
                    spawned++;
            }
            if (pid < 0) {
                fail("procs: fork/spawn failed: errno %d", errno);
                break;
            }
            pids[n] = pid;
            codes[n++] = code;
            if (n < MAX_IN_FLIGHT && next_random(&rng) % 2)
                continue;
        }
        int status = 0;
        if (waitpid(pids[0], &status, 0) != pids[0] || WIFSIGNALED(status) ||
            WEXITSTATUS(status) != codes[0])
            fail("procs: a child ended with status %#lx, not code %lu", (unsigned long)status,
                 (unsigned long)codes[0]);
        else
            reaped++;
        n--;
        memmove(pids, pids + 1, (size_t)n * sizeof pids[0]);
        memmove(codes, codes + 1, (size_t)n * sizeof codes[0]);
    }
    part_done(p);
    return NULL;
}

/* ---- pipes: a writer process, this thread the reader ---- */

static struct pipe_run {
    int data, report, writer;           /* read ends; the writer's pid */
    uint64_t bytes_read, bytes_reported;
} pipes[NPIPES];

static void __attribute__((noreturn)) pipe_writer(int data, int report, uint32_t rng)
{
    static uint8_t buf[CHUNK_MAX];
    uint64_t pos = 0;
    while (before_deadline()) {
        size_t n = 1 + next_random(&rng) % CHUNK_MAX;
        for (size_t k = 0; k < n; k++)
            buf[k] = stream_byte(pos + k);
        for (size_t off = 0; off < n; ) {
            ssize_t w = write(data, buf + off, n - off);
            if (w <= 0)
                exit(10);               /* the reader checks the code */
            off += (size_t)w;
        }
        pos += n;
        uint32_t what = next_random(&rng) % 16;
        if (what == 0)
            sleep(1);
        else if (what == 1)
            set_priority(0, 1 + (int)(next_random(&rng) % (uint32_t)(ceiling - 1)));
    }
    close(data);                        /* the reader's end of file */
    if (write(report, &pos, sizeof pos) != sizeof pos)
        exit(11);
    exit(0);
}

/* Before any other thread exists (the writer is a fork). */
static bool start_pipe(int i)
{
    int data[2], report[2];
    if (pipe(data) != 0 || pipe(report) != 0)
        return false;
    int pid = fork();
    if (pid < 0)
        return false;
    if (pid == 0) {
        close(data[0]);
        close(report[0]);
        for (int j = 0; j < i; j++) {           /* not the other pipes' either */
            close(pipes[j].data);
            close(pipes[j].report);
        }
        pipe_writer(data[1], report[1], 0x51ed270bu * (uint32_t)(i + 1));
    }
    close(data[1]);
    close(report[1]);
    pipes[i] = (struct pipe_run){ .data = data[0], .report = report[0], .writer = pid };
    return true;
}

static void *pipe_reader(void *arg)
{
    struct part *p = arg;
    struct pipe_run *r = &pipes[p - parts - nworkers - 1];     /* (see main) */
    static uint8_t bufs[NPIPES][700];
    uint8_t *buf = bufs[r - pipes];
    uint32_t rng = 0xabcdef01u ^ (uint32_t)(r - pipes);
    bool bad = false;
    for (;;) {
        ssize_t got = read(r->data, buf, 1 + next_random(&rng) % 700);
        if (got < 0) {
            fail("pipe %lu: read: errno %lu", (unsigned long)(r - pipes), (unsigned long)errno);
            break;
        }
        if (got == 0)
            break;
        for (ssize_t k = 0; k < got && !bad; k++)
            if (buf[k] != stream_byte(r->bytes_read + (uint64_t)k)) {
                fail("pipe %d: byte %lu of the stream is %#x, not %#x", (int)(r - pipes),
                     (unsigned long)(r->bytes_read + (uint64_t)k), buf[k],
                     stream_byte(r->bytes_read + (uint64_t)k));
                bad = true;
            }
        r->bytes_read += (uint64_t)got;
        if (next_random(&rng) % 32 == 0)
            sleep(1);
    }
    if (read(r->report, &r->bytes_reported, sizeof r->bytes_reported) !=
        sizeof r->bytes_reported)
        fail("pipe %d: no report from the writer", (int)(r - pipes));
    int status = 0;
    if (waitpid(r->writer, &status, 0) != r->writer || status != 0)
        fail("pipe writer %lu ended with status %#lx", (unsigned long)r->writer,
             (unsigned long)status);
    if (r->bytes_read != r->bytes_reported)
        fail("pipe: %lu bytes read of %lu written", r->bytes_read, r->bytes_reported);
    part_done(p);
    return NULL;
}

/* ---- coroutines: a process of their own ---- */

static struct {
    int fds[2];
    uint64_t written, read, wakes, prio_changes;
    uint32_t pings, pongs;
    volatile uint32_t stop;
    bool bad;
    struct co_event ping, pong;
} co = { .ping = CO_EVENT_INIT, .pong = CO_EVENT_INIT };

struct co_writer { struct co co; uint8_t buf[256]; size_t n, off; long r; uint32_t rng; };

static int co_write_stream(struct co *c)
{
    struct co_writer *f = (struct co_writer *)c;
    co_begin(c);
    while (before_deadline()) {
        f->n = 1 + next_random(&f->rng) % sizeof f->buf;
        for (size_t k = 0; k < f->n; k++)
            f->buf[k] = stream_byte(co.written + k);
        for (f->off = 0; f->off < f->n; f->off += (size_t)f->r) {
            co_write(c, f->r, co.fds[1], f->buf + f->off, f->n - f->off);
            if (f->r <= 0) {
                co.bad = true;
                co_return(c, -1);
            }
        }
        co.written += f->n;
        if (next_random(&f->rng) % 8 == 0)
            co_sleep(c, 1);
    }
    close(co.fds[1]);                   /* the reader's end of file */
    co_return(c, 0);
    co_end(c);
}

struct co_reader { struct co co; uint8_t buf[300]; long r; uint32_t rng; };

static int co_read_stream(struct co *c)
{
    struct co_reader *f = (struct co_reader *)c;
    co_begin(c);
    for (;;) {
        co_read(c, f->r, co.fds[0], f->buf, 1 + next_random(&f->rng) % sizeof f->buf);
        if (f->r <= 0)
            break;
        for (long k = 0; k < f->r; k++)
            if (f->buf[k] != stream_byte(co.read + (uint64_t)k))
                co.bad = true;
        co.read += (uint64_t)f->r;
    }
    co_return(c, f->r);
    co_end(c);
}

#define NSLEEPERS 4
static cid_t sleeper_ids[NSLEEPERS] = { CO_NONE, CO_NONE, CO_NONE, CO_NONE };

struct co_sleeper { struct co co; uint64_t t0, ms; uint32_t rng; cid_t other; };

static int co_sleeper(struct co *c)
{
    struct co_sleeper *f = (struct co_sleeper *)c;
    co_begin(c);
    while (before_deadline()) {
        f->ms = 1 + next_random(&f->rng) % 5;
        f->t0 = time();
        co_sleep(c, f->ms);
        if (time() - f->t0 < f->ms * NS_PER_MS)
            co.bad = true;              /* woken early */
        __atomic_fetch_add(&co.wakes, 1, __ATOMIC_RELAXED);
        /* Another sleeper's priority (its id, once main has it). */
        f->other = __atomic_load_n(&sleeper_ids[next_random(&f->rng) % NSLEEPERS],
                                   __ATOMIC_ACQUIRE);
        if (f->other != CO_NONE && co_set_priority(f->other, 1 + (int)(next_random(&f->rng) % 20)) == 0)
            co.prio_changes++;
    }
    co_return(c, 0);
    co_end(c);
}

static int co_pinger(struct co *c)
{
    co_begin(c);
    while (before_deadline()) {
        co_event_set(&co.pong);
        co_await_event(c, &co.ping);
        co_event_reset(&co.ping);
        co.pings++;
    }
    co.stop = 1;
    co_event_set(&co.pong);
    co_return(c, 0);
    co_end(c);
}

static int co_ponger(struct co *c)
{
    co_begin(c);
    for (;;) {
        co_await_event(c, &co.pong);
        co_event_reset(&co.pong);
        if (co.stop)
            break;
        co.pongs++;
        co_event_set(&co.ping);
    }
    co_return(c, 0);
    co_end(c);
}

/* `t_chaos coro DEADLINE`: exit 0 if its counts add up. */
static int coro_process(void)
{
    if (pipe(co.fds) != 0 || co_workers(3) != 0)
        return 20;
    static struct co_writer w = { .rng = 0x1234u };
    static struct co_reader r = { .rng = 0x4321u };
    static struct co_sleeper s[NSLEEPERS];
    static struct co pi, po;
    cid_t ids[4 + NSLEEPERS];
    int n = 0;
    ids[n++] = co_spawn(co_write_stream, &w.co, 8);
    ids[n++] = co_spawn(co_read_stream, &r.co, 12);
    ids[n++] = co_spawn(co_pinger, &pi, 10);
    ids[n++] = co_spawn(co_ponger, &po, 10);
    for (int i = 0; i < NSLEEPERS; i++) {
        s[i].rng = 0x777u + (uint32_t)i;
        ids[n] = co_spawn(co_sleeper, &s[i].co, 5 + i);
        __atomic_store_n(&sleeper_ids[i], ids[n++], __ATOMIC_RELEASE);
    }
    int bad_joins = 0;
    for (int i = 0; i < n; i++) {
        int64_t res = -1;
        if (ids[i] == CO_NONE || co_join(ids[i], &res) != 0 || res != 0)
            bad_joins++;
    }
    printf("t_chaos: coro: %lu bytes written, %lu read, %lu async sleeps, %lu priority "
           "changes, %u pings, %u pongs\n", (unsigned long)co.written, (unsigned long)co.read,
           (unsigned long)co.wakes, (unsigned long)co.prio_changes, co.pings, co.pongs);
    bool ok = !bad_joins && !co.bad && co.written == co.read && co.written > 0 &&
              co.pings == co.pongs && co.wakes > 0;
    return ok ? 0 : 21;
}

static int coro_pid;
static void *coro_watcher(void *arg)
{
    struct part *p = arg;
    int status = 0;
    if (waitpid(coro_pid, &status, 0) != coro_pid || status != 0)
        fail("coro: the coroutine process ended with status %#lx (%lu: see its line)",
             (unsigned long)status, (unsigned long)WEXITSTATUS(status));
    part_done(p);
    return NULL;
}

/* ---- killer: victims killed wherever they are ---- */

static uint64_t victims, kills;

static void *victim_reader(void *arg)
{
    int *fds = arg;
    char c;
    read(fds[0], &c, 1);                /* nobody writes: until killed */
    return NULL;
}
static void *victim_sleeper(void *arg)
{
    (void)arg;
    for (;;)
        sleep(2);
    return NULL;
}

/* `t_chaos victim`. */
static int victim(void)
{
    static int fds[2];
    if (pipe(fds) == 0)
        thread_create(victim_reader, fds);
    thread_create(victim_sleeper, NULL);
    for (;;) {
        spin(1000);
        yield_();
    }
    return 0;           /* not reached: it runs until killed */
}

static void *killer(void *arg)
{
    struct part *p = arg;
    uint32_t rng = 0x2545f491u;
    char *argv[] = { "t_chaos", "victim", NULL };
    set_priority(0, ceiling);
    while (before_deadline()) {
        int pid = spawn_prio("t_chaos", argv, 1 + (int)(next_random(&rng) % (uint32_t)(ceiling - 1)), 0);
        if (pid < 0) {
            fail("killer: spawn: errno %d", errno);
            break;
        }
        victims++;
        sleep(1 + next_random(&rng) % 20);
        int status = 0;
        if (kill(pid) != 0 || waitpid(pid, &status, 0) != pid || !WIFSIGNALED(status) ||
            WTERMSIG(status) != TERM_KILLED)
            fail("killer: victim %lu: kill or waitpid failed (status %#lx)", (unsigned long)pid,
                 (unsigned long)status);
        else
            kills++;
    }
    part_done(p);
    return NULL;
}

/* ---- main ---- */

static struct part *add_part(const char *name, unsigned i)
{
    struct part *p = &parts[nparts++];
    snprintf(p->name, sizeof p->name, name, i);
    return p;
}

static bool start(struct part *p, void *(*fn)(void *))
{
    p->tid = thread_create(fn, p);
    if (p->tid < 0) {
        printf("t_chaos: FAIL: thread_create (%s): errno %d\n", p->name, errno);
        return false;
    }
    return true;
}

int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "child"))
        return atoi(argv[2]);
    ceiling = get_ceiling(0);
    if (argc == 3 && !strcmp(argv[1], "coro")) {
        deadline = strtoul(argv[2], NULL, 10);
        return coro_process();
    }
    if (argc == 2 && !strcmp(argv[1], "victim"))
        return victim();
    long seconds = argc > 1 ? strtol(argv[1], NULL, 10) : DEFAULT_SECONDS;
    if (argc > 2 || seconds < 1 || seconds > MAX_SECONDS) {
        printf("usage: t_chaos [SECONDS 1..%d]  (default %d; run it as 'ceiling 20 t_chaos')\n",
               MAX_SECONDS, DEFAULT_SECONDS);
        return 2;
    }
    if (ceiling < 2) {
        printf("t_chaos: FAIL: ceiling %d: it needs 2 or more (run it as "
               "'ceiling 20 t_chaos')\n", ceiling);
        return 1;
    }
    struct sysinfo si;
    if (sysinfo(&si) != 0) {
        printf("t_chaos: FAIL: sysinfo\n");
        return 1;
    }
    nworkers = WORKERS_PER_HART * (uint32_t)si.harts;
    nworkers = nworkers > MAX_WORKERS ? MAX_WORKERS : nworkers;
    printf("t_chaos: %ld s on %u harts, policy %s: %u workers, %d pipes, procs, coroutines, "
           "killer\n", seconds, (unsigned)si.harts, si.sched_name, nworkers, NPIPES);
    set_priority(0, ceiling);           /* main at the top: it keeps the time */
    uint64_t t0 = time();
    deadline = t0 + (uint64_t)seconds * NS_PER_S;

    /* Forks of a process with one thread only: the pipe writers. */
    for (int i = 0; i < NPIPES; i++)
        if (!start_pipe(i)) {
            printf("t_chaos: FAIL: pipe writer %d: errno %d\n", i, errno);
            return 1;
        }
    char dl[24];
    snprintf(dl, sizeof dl, "%lu", (unsigned long)deadline);
    char *cargv[] = { "t_chaos", "coro", dl, NULL };
    coro_pid = spawn_prio("t_chaos", cargv, ceiling - 1, 0);
    if (coro_pid < 0) {
        printf("t_chaos: FAIL: spawn coro: errno %d\n", errno);
        return 1;
    }

    /* parts[]: workers 0..nworkers-1, procs, pipes, coro, killer. */
    bool ok = true;
    for (uint32_t i = 0; i < nworkers && ok; i++) {
        ok = start(add_part("worker %u", i), worker);
        worker_tids[i] = parts[i].tid;
    }
    ok = ok && start(add_part("procs", 0), procs);
    for (unsigned i = 0; i < NPIPES && ok; i++)
        ok = start(add_part("pipe %u", i), pipe_reader);
    ok = ok && start(add_part("coro", 0), coro_watcher);
    ok = ok && start(add_part("killer", 0), killer);
    if (!ok)
        return 1;
    for (uint32_t i = 0; i < nworkers; i++)
        set_priority(worker_tids[i], 1 + (int)(i % (uint32_t)(ceiling - 1)));
    __atomic_store_n(&started, 1, __ATOMIC_RELEASE);

    /* Until every part is done, or the grace after the deadline is over. */
    uint64_t give_up = deadline + GRACE_S * NS_PER_S;
    while (__atomic_load_n(&parts_done, __ATOMIC_ACQUIRE) < nparts && time() < give_up)
        sleep(20);
    uint64_t ms = (time() - t0) / NS_PER_MS;
    uint32_t missing = 0;
    for (uint32_t i = 0; i < nparts; i++)
        if (!__atomic_load_n(&parts[i].done, __ATOMIC_ACQUIRE)) {
            printf("t_chaos: FAIL: %s (tid %d) never finished: a lost wake-up, or a "
                   "thread the scheduler lost\n", parts[i].name, parts[i].tid);
            missing++;
        }
    if (missing) {
        printf("t_chaos: FAIL: %u of %u parts did not finish %d s after the deadline\n",
               missing, nparts, GRACE_S);
        exit(1);                        /* their threads may be lost: no join */
    }
    for (uint32_t i = 0; i < nparts; i++)
        thread_join(parts[i].tid, NULL);

    uint64_t rounds = 0, bytes = 0;
    for (uint32_t i = 0; i < nworkers; i++)
        rounds += worker_rounds[i];
    for (int i = 0; i < NPIPES; i++)
        bytes += pipes[i].bytes_read;
    printf("t_chaos: %lu ms: rounds=%lu counter=%lu sleeps=%lu early_wakes=%lu "
           "prio_changes=%lu user_switches=%lu\n", (unsigned long)ms, (unsigned long)rounds,
           (unsigned long)counter, (unsigned long)sleeps, (unsigned long)early_wakes,
           (unsigned long)prio_changes, (unsigned long)user_switches);
    printf("t_chaos: forked=%lu spawned=%lu reaped=%lu pipe_bytes=%lu victims=%lu kills=%lu\n",
           (unsigned long)forked, (unsigned long)spawned, (unsigned long)reaped,
           (unsigned long)bytes, (unsigned long)victims, (unsigned long)kills);
    if (rounds != counter)
        fail("the workers' rounds (%lu) and the shared counter (%lu) differ", rounds, counter);
    if (forked + spawned != reaped)
        fail("%lu children started, %lu reaped", forked + spawned, reaped);
    if (victims != kills)
        fail("%lu victims spawned, %lu killed", victims, kills);
    if (early_wakes)
        fail("%lu sleeps ended before their time", (unsigned long)early_wakes);
    if (!rounds || !forked || !spawned || !bytes || !kills || !prio_changes)
        fail("a part did nothing (rounds %lu, pipe bytes %lu; see the counts)", rounds, bytes);
    if (failures) {
        printf("t_chaos: FAIL (%d checks failed)\n", failures);
        return 1;
    }
    printf("t_chaos: PASS\n");
    return 0;
}
