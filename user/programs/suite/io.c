/*
 * Pipes closed under a waiter, and processes that exit with work in
 * flight.  A thread or a coroutine waiting on a pipe whose other end is
 * closed must wake with EOF (a reader) or EPIPE / a short count (a
 * writer), not sleep for ever; one whose own descriptor a sibling closes
 * goes on with the file its call holds; a process that exits with threads
 * blocked and asynchronous operations pending must end with the status it
 * gave, and give back every thread.
 */
#include <coroutine.h>
#include <futex.h>
#include <string.h>
#include <thread.h>
#include "suite.h"

static int ends[2];

/* Set by a pipe thread just before its call. */
static volatile uint32_t started;

/* A reader of one byte and a writer of four pipes' worth (it fills the
 * pipe and waits): each returns its call's result, -errno on error. */
static void *reader(void *arg)
{
    (void)arg;
    char c;
    started = 1;
    long r = read(ends[0], &c, 1);
    return (void *)(r < 0 ? -(long)errno : r);
}

#define WRITTEN (4 * PIPE_BUF_SIZE)
static void *writer(void *arg)
{
    (void)arg;
    static char big[WRITTEN];
    started = 1;
    long r = write(ends[1], big, sizeof big);
    return (void *)(r < 0 ? -(long)errno : r);
}

/* A pipe in ends[] and a thread running fn on it, given settle_ms after
 * it began its call to be waiting in the kernel.  Its tid, or -1 after a
 * diagnostic if the pipe or the thread could not be made. */
static int thread_on_pipe(void *(*fn)(void *), unsigned settle_ms)
{
    if (pipe(ends) < 0) {
        printf("# pipe: %s\n", strerror(errno));
        return -1;
    }
    started = 0;
    int tid = thread_create(fn, 0);
    if (tid < 0) {
        printf("# thread_create: %s\n", strerror(errno));
        return -1;
    }
    while (!started)
        sleep(1);
    sleep(settle_ms);
    return tid;
}

static long join_result(int tid)
{
    void *ret = (void *)-5L;
    thread_join(tid, &ret);
    return (long)ret;
}

/* The other end closed under a waiting thread: EOF for a reader, EPIPE or
 * a short count for a writer. */
static int close_under_reader_thread(const struct suite_case *c)
{
    (void)c;
    int tid = thread_on_pipe(reader, 30);
    if (tid < 0)
        return 1;
    close(ends[1]);
    long got = join_result(tid);
    return EXPECT(got == 0, "the reader got %ld, not EOF", got);
}

static int close_under_writer_thread(const struct suite_case *c)
{
    (void)c;
    int tid = thread_on_pipe(writer, 30);
    if (tid < 0)
        return 1;
    close(ends[0]);
    long r = join_result(tid);
    return EXPECT(r == -EPIPE || (r >= PIPE_BUF_SIZE && r < WRITTEN),
                  "the writer got %ld: neither EPIPE nor a short count", r);
}

/* The descriptor a thread is waiting on closed by its sibling: the call
 * holds its own reference to the file, so the end stays open until the
 * call returns, and goes then.  A thread that was not in the kernel yet
 * when the close came gets EBADF: then again, with longer to settle. */
#define CLOSE_TRIES 5
static int close_own_end_under_reader(const struct suite_case *c)
{
    (void)c;
    for (int try = 0; try < CLOSE_TRIES; try++) {
        int tid = thread_on_pipe(reader, 30u << try);
        if (tid < 0)
            return 1;
        close(ends[0]);
        long w = write(ends[1], "x", 1);    /* the reader's end is open */
        long got = join_result(tid);
        if (got == -EBADF) {
            close(ends[1]);
            continue;
        }
        int bad = EXPECT(w == 1 && got == 1, "write %ld (%s), the reader got %ld", w,
                         w < 0 ? strerror(errno) : "", got);
        long after = write(ends[1], "y", 1);  /* its last reference is gone */
        return bad | EXPECT(after < 0 && errno == EPIPE,
                            "a write after the reader returned: %ld, not EPIPE", after);
    }
    return EXPECT(0, "the reader never waited before the close, %d tries", CLOSE_TRIES);
}

static int close_own_end_under_writer(const struct suite_case *c)
{
    (void)c;
    for (int try = 0; try < CLOSE_TRIES; try++) {
        int tid = thread_on_pipe(writer, 30u << try);
        if (tid < 0)
            return 1;
        close(ends[1]);
        static char sink[WRITTEN];
        long total = 0, r;                  /* the writer's end is open */
        while (total < WRITTEN && (r = read(ends[0], sink, sizeof sink)) > 0)
            total += r;
        long got = join_result(tid);
        if (got == -EBADF) {
            close(ends[0]);
            continue;
        }
        int bad = EXPECT(got == WRITTEN && total == WRITTEN,
                         "the writer wrote %ld, the reader got %ld, of %d", got, total,
                         WRITTEN);
        char byte;                          /* its last reference is gone */
        return bad | EXPECT(read(ends[0], &byte, 1) == 0,
                            "no EOF after the writer returned");
    }
    return EXPECT(0, "the writer never waited before the close, %d tries", CLOSE_TRIES);
}

struct waiting { struct co co; long got; char buf[8]; };

static int read_poll(struct co *c)
{
    struct waiting *f = (struct waiting *)c;
    co_begin(c);
    co_read(c, f->got, ends[0], f->buf, sizeof f->buf);
    co_return(c, f->got);
    co_end(c);
}

/* A pipe in ends[] and a coroutine (in w) reading it, given time to make
 * its first poll and wait; CO_NONE (after a diagnostic) if the pipe or
 * the coroutine could not be made. */
static cid_t pipe_with_waiting_coroutine(struct waiting *w)
{
    if (pipe(ends) < 0) {
        printf("# pipe: %s\n", strerror(errno));
        return CO_NONE;
    }
    cid_t cid = co_spawn(read_poll, &w->co, 10);
    if (cid == CO_NONE)
        printf("# co_spawn: %s\n", strerror(errno));
    else
        sleep(30);                           /* the coroutine is waiting */
    return cid;
}

static int close_under_reader_coroutine(const struct suite_case *c)
{
    (void)c;
    static struct waiting w;
    cid_t cid = pipe_with_waiting_coroutine(&w);
    if (cid == CO_NONE)
        return 1;
    close(ends[1]);
    int64_t result = -1;
    int bad = EXPECT(co_join(cid, &result) == 0, "co_join: %s", strerror(errno));
    return bad | EXPECT(result == 0, "the coroutine's read got %ld, not EOF", (long)result);
}

/* Work left in flight at exit: arg says which. */
enum { INFLIGHT_THREADS, INFLIGHT_COROUTINES, INFLIGHT_RAW_ASYNC };

static volatile uint32_t never;
/* Threads that never end by themselves (arg is always NULL). */
static void *blocked_futex(void *arg)
{
    while (!arg)
        futex_wait((uint32_t *)&never, 0, 0);
    return arg;
}
static void *blocked_read(void *arg) { char c; read(ends[0], &c, 1); return arg; }
static void *spinning(void *arg)
{
    while (!arg)
        __asm__ volatile("");
    return arg;
}
static void *sleeping(void *arg)
{
    while (!arg)
        sleep(1000);
    return arg;
}

struct sleeper { struct co co; };
static int sleep_poll(struct co *c)
{
    co_begin(c);
    co_sleep(c, 100000);
    co_end(c);
}

static int exiter(long what)
{
    if (pipe(ends) < 0)
        return 90;
    if (what == INFLIGHT_THREADS) {
        void *(*fns[])(void *) = { blocked_futex, blocked_read, spinning, sleeping };
        for (int i = 0; i < 4; i++)
            if (thread_create(fns[i], 0) < 0)
                return 91;
    } else if (what == INFLIGHT_COROUTINES) {
        static struct waiting readers[4];
        static struct sleeper sleepers[4];
        for (int i = 0; i < 4; i++)
            if (co_spawn(read_poll, &readers[i].co, 10) == CO_NONE ||
                co_spawn(sleep_poll, &sleepers[i].co, 5) == CO_NONE)
                return 92;
    } else {
        static struct co_io ios[8];
        static char buf[8][8];
        if (syscall_raw(SYS_co_setup, 16, 0, 0) < 16)
            return 93;
        for (int i = 0; i < 8; i++) {
            ios[i] = (struct co_io){ .cid = (uint32_t)i };
            long r = i % 2 ? syscall_raw4(SYS_read_async, ends[0], (long)buf[i], 8,
                                          (long)&ios[i])
                           : syscall_raw(SYS_sleep_async, 100000, (long)&ios[i], 0);
            if (r != -EINPROGRESS)
                return 94;
        }
    }
    sleep(20);                               /* everyone is waiting */
    exit(42);
}

static int exit_in_flight(const struct suite_case *c)
{
    struct sysinfo before, after;
    sysinfo(&before);
    int status = suite_in_child(exiter, c->arg);
    int bad = EXPECT(WIFEXITED(status) && WEXITSTATUS(status) == 42,
                     "the child ended with status %#x, not exit 42", status);
    sysinfo(&after);
    return bad | EXPECT(after.nthreads == before.nthreads && after.nprocs == before.nprocs,
                        "threads %lu -> %lu, processes %lu -> %lu", before.nthreads,
                        after.nthreads, before.nprocs, after.nprocs);
}

/* A forked child has no executor: its coroutine calls name no coroutine of
 * the parent's, and its doorbells are not the parent's to ring. */
static int poke_parents_coroutine(long unused)
{
    (void)unused;
    static struct co_io io = { .cid = 0 };
    char c;
    int bad = EXPECT_ERR(syscall_raw(SYS_sleep_async, 1, (long)&io, 0), EINVAL);
    bad |= EXPECT_ERR(syscall_raw4(SYS_read_async, ends[0], (long)&c, 1, (long)&io), EINVAL);
    bad |= EXPECT_ERR(syscall_raw(SYS_futex_wake, (long)SHARED_EXEC_ADDR, 1, 0), EFAULT);
    bad |= EXPECT_ERR(syscall_raw(SYS_co_cancel_io, (long)&io, 0, 0), ENOENT);
    return bad;
}

static int wake_other_process(const struct suite_case *c)
{
    (void)c;
    static struct waiting w;
    cid_t cid = pipe_with_waiting_coroutine(&w);
    if (cid == CO_NONE)
        return 1;
    int status = suite_in_child(poke_parents_coroutine, 0);
    int bad = EXPECT(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                     "the child's pokes: status %#x", status);
    bad |= EXPECT(co_polls(cid) >= 0 && w.co.io.done == 0,
                  "the parent's read completed without data");
    write(ends[1], "x", 1);                 /* now it may */
    int64_t result = -1;
    bad |= EXPECT(co_join(cid, &result) == 0 && result == 1,
                  "the parent's read: %ld", (long)result);
    return bad;
}

void suite_io_cases(void)
{
    suite_add("pipe/close_under_reader_thread", close_under_reader_thread, END_EXIT0, 0, 0);
    suite_add("pipe/close_under_writer_thread", close_under_writer_thread, END_EXIT0, 0, 0);
    suite_add("pipe/close_own_end_under_reader", close_own_end_under_reader, END_EXIT0,
              0, 0);
    suite_add("pipe/close_own_end_under_writer", close_own_end_under_writer, END_EXIT0,
              0, 0);
    suite_add("pipe/close_under_reader_coroutine", close_under_reader_coroutine,
              END_EXIT0, 0, 0);
    suite_add("exit/threads_in_flight", exit_in_flight, END_EXIT0, INFLIGHT_THREADS, 0);
    suite_add("exit/coroutines_in_flight", exit_in_flight, END_EXIT0, INFLIGHT_COROUTINES, 0);
    suite_add("exit/async_ops_in_flight", exit_in_flight, END_EXIT0, INFLIGHT_RAW_ASYNC, 0);
    suite_add("coro/wake_other_process", wake_other_process, END_EXIT0, 0, 0);
}
