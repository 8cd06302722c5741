// help: hostile test: the kernel's coroutine calls with bad arguments
/*
 * h_coio: the kernel's side of coroutines, from a hostile process: the
 * executor region (SYS_co_setup), the doorbell, asynchronous pipe reads and
 * writes, sleeps, cancellation, and what the kernel must refuse.  Raw system
 * calls only (no coroutine library): each check prints a line, failures a
 * FAIL line, and the last line is "h_coio: PASS" or "h_coio: FAIL".
 *
 *   h_coio
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <thread.h>
#include <unistd.h>
#include "../lib/sys.h"
#include "../lib/uthread.h"            /* this thread's TaskSched index */
#include "coro.h"

static int failures;

#define CHECK(cond, ...) do { \
    if (!(cond)) { \
        failures++; \
        printf("h_coio: FAIL line %d: %s: ", __LINE__, #cond); \
        printf(__VA_ARGS__); \
        printf("\n"); \
    } \
} while (0)

static long co_setup(long n) { return sys_call3(SYS_co_setup, n, 0, 0); }
static long read_async(int fd, void *buf, size_t n, void *io)
{
    return syscall_raw4(SYS_read_async, fd, (long)buf, (long)n, (long)io);
}
static long write_async(int fd, const void *buf, size_t n, void *io)
{
    return syscall_raw4(SYS_write_async, fd, (long)buf, (long)n, (long)io);
}
static long sleep_async(long ms, void *io) { return sys_call3(SYS_sleep_async, ms, (long)io, 0); }
static long cancel_io(void *io) { return sys_call3(SYS_co_cancel_io, (long)io, 0, 0); }

static CO_EXEC *const X = (CO_EXEC *)SHARED_EXEC_ADDR;
static const VDSO_DATA *const V = (const VDSO_DATA *)SHARED_BASE_ADDR;

static struct co_io io_of(uint32_t cid)
{
    return (struct co_io){ .result = 0x7777, .cid = cid, .done = 0 };
}

/* Waits (bounded) for the kernel to complete io. */
static bool wait_done(volatile struct co_io *io)
{
    for (int i = 0; i < 5000 && !io->done; i++)
        sleep(1);
    return io->done == 1;
}

static bool bell_rung(uint32_t i)
{
    return (X->bell[i / 64] >> (i % 64)) & 1;
}

static uint64_t heap_bytes(void)
{
    struct sysinfo si;
    return sysinfo(&si) == 0 ? si.heap_bytes : 0;
}

/* The kernel heap's size once it is back to heap0, or after 2 s: what
 * the kernel frees after a close or an exit (its coroutines end at their
 * next poll) may come a little later. */
static uint64_t heap_bytes_settled(uint64_t heap0)
{
    uint64_t heap1 = heap_bytes();
    for (int i = 0; i < 200 && heap1 != heap0; i++) {
        sleep(10);
        heap1 = heap_bytes();
    }
    return heap1;
}

static void no_executor(void)
{
    struct co_io io = io_of(0);
    int fds[2];
    char b[4];
    CHECK(V->exec_capacity == 0, "capacity %u", V->exec_capacity);
    CHECK(sleep_async(10, &io) == -EINVAL, "sleep without executor");
    CHECK(pipe(fds) == 0, "pipe");
    CHECK(read_async(fds[0], b, 4, &io) == -EINVAL, "read without executor");
    close(fds[0]);
    close(fds[1]);
    printf("h_coio: no executor: refused\n");
}

static void *grow(void *arg)
{
    return (void *)co_setup((long)(intptr_t)arg);
}

static void setup(void)
{
    CHECK(co_setup(0) == -EINVAL, "0");
    CHECK(co_setup(CO_MAX + 1) == -EINVAL, "CO_MAX + 1");
    CHECK(co_setup(-1) == -EINVAL, "-1");
    CHECK(co_setup(1) == 16, "rounded to a page of records");
    CHECK(co_setup(5) == 16, "smaller: unchanged");
    CHECK(V->exec_capacity == 16 && X->capacity == 16, "%u %u", V->exec_capacity, X->capacity);
    /* Two threads growing it at once. */
    int t1 = thread_create(grow, (void *)(intptr_t)40);
    int t2 = thread_create(grow, (void *)(intptr_t)64);
    void *r1 = 0, *r2 = 0;
    CHECK(t1 > 0 && t2 > 0, "threads");
    thread_join(t1, &r1);
    thread_join(t2, &r2);
    CHECK((long)r1 >= 48 && (long)r2 == 64, "%ld %ld", (long)r1, (long)r2);
    CHECK(co_setup(1) == 64 && V->exec_capacity == 64 && X->capacity == 64, "64");
    /* The region is ours, zeroed, writable: records and queue. */
    TaskSched *recs = (TaskSched *)CO_RECORDS_ADDR;
    CHECK(recs[63].reserved[9] == 0 && X->seq == 0, "zeroed");
    recs[63].ctx[5] = 0x1234;
    ((volatile uint32_t *)CO_QUEUE_ADDR)[CO_QUEUE_WORDS - 1] = 7;
    printf("h_coio: executor: %u records mapped\n", V->exec_capacity);
}

/* The lowest address of the calling (main) thread's stack: its slot's
 * top is USER_STACK_TOP, aligned to the stack's size, and under the
 * stack lies its guard page, never mapped. */
static uintptr_t main_stack_bottom(void)
{
    volatile char here;
    uintptr_t top = ((uintptr_t)&here + USER_THREAD_STACK - 1) & ~(uintptr_t)(USER_THREAD_STACK - 1);
    return top - USER_THREAD_STACK;
}

static void bad_arguments(void)
{
    int fds[2];
    char b[8];
    struct co_io io = io_of(1);
    CHECK(pipe(fds) == 0, "pipe");
    /* Its result in the guard page, its CID in the stack's lowest page
     * (mapped on demand, writable, zero: CO_NONE): a check of the CID's
     * page alone would say -EINVAL. */
    void *over_guard = (void *)(main_stack_bottom() - 8);
    void *bad_io[] = {
        NULL,                                   /* unmapped */
        (void *)SHARED_BASE_ADDR,               /* the shared region */
        (void *)SHARED_EXEC_ADDR,               /* our own executor */
        (void *)0xffffffe080200000ULL,          /* the kernel */
        (void *)0x3000000000ULL,                /* unmapped user */
        (char *)&io + 4,                        /* misaligned */
        (void *)(uintptr_t)heap_bytes,                /* read-only (text) */
        (void *)0x8000000000000000ULL,          /* not canonical */
        over_guard,                             /* across two pages, the first unmapped */
    };
    for (unsigned i = 0; i < sizeof(bad_io) / sizeof(bad_io[0]); i++) {
        CHECK(read_async(fds[0], b, 8, bad_io[i]) == -EFAULT, "io %p", bad_io[i]);
        CHECK(sleep_async(10, bad_io[i]) == -EFAULT, "io %p", bad_io[i]);
        CHECK(cancel_io(bad_io[i]) == -ENOENT, "io %p", bad_io[i]);
    }
    uint32_t bad_cid[] = { 64, 100, CO_MAX - 1, CO_NONE, CO_MAKE_CID(64, 3) };
    for (unsigned i = 0; i < sizeof(bad_cid) / sizeof(bad_cid[0]); i++) {
        io = io_of(bad_cid[i]);
        CHECK(read_async(fds[0], b, 8, &io) == -EINVAL, "cid %#x", bad_cid[i]);
        CHECK(sleep_async(10, &io) == -EINVAL, "cid %#x", bad_cid[i]);
    }
    io = io_of(CO_MAKE_CID(5, 77));       /* any generation: the kernel checks the index */
    CHECK(sleep_async(0, &io) == 0, "a good cid");
    io = io_of(1);
    CHECK(read_async(99, b, 8, &io) == -EBADF, "fd 99");
    CHECK(read_async(-1, b, 8, &io) == -EBADF, "fd -1");
    CHECK(read_async(fds[1], b, 8, &io) == -EBADF, "read the write end");
    CHECK(write_async(fds[0], b, 8, &io) == -EBADF, "write the read end");
    CHECK(read_async(fds[0], NULL, 8, &io) == -EFAULT, "buf NULL");
    CHECK(read_async(fds[0], b, 1ULL << 60, &io) == -EFAULT, "huge n");
    CHECK(write_async(fds[1], (void *)SHARED_EXEC_ADDR, 8, &io) == -EFAULT, "buf in shared");
    CHECK(read_async(fds[0], (void *)(uintptr_t)heap_bytes, 8, &io) == -EFAULT, "buf read-only");
    /* A buffer within one page is checked by the copy when the transfer
     * goes at once (the kernel's pipe_submit_async): every other outcome
     * must still be -EFAULT, as if it had been checked first. */
    CHECK(write(fds[1], "k", 1) == 1, "write");
    CHECK(read_async(fds[0], (void *)(uintptr_t)heap_bytes, 8, &io) == -EFAULT,
          "buf read-only, data there");
    CHECK(read(fds[0], b, 8) == 1 && b[0] == 'k', "the byte was not taken");
    CHECK(read_async(99, NULL, 8, &io) == -EFAULT, "fd 99 and buf NULL");
    CHECK(read_async(fds[1], NULL, 8, &io) == -EFAULT, "the write end and buf NULL");
    int ends[2];
    CHECK(pipe(ends) == 0, "pipe");
    close(ends[0]);
    CHECK(write_async(ends[1], NULL, 8, &io) == -EFAULT, "no reader and buf NULL");
    CHECK(write_async(ends[1], b, 8, &io) == -EPIPE, "no reader");
    close(ends[1]);
    CHECK(pipe(ends) == 0, "pipe");
    close(ends[1]);
    CHECK(read_async(ends[0], NULL, 8, &io) == -EFAULT, "end of file and buf NULL");
    CHECK(read_async(ends[0], b, 8, &io) == 0, "end of file");
    close(ends[0]);
    CHECK(sleep_async(2000000000LL, &io) == -EINVAL, "ms too large");
    CHECK(io.done == 0 && io.result == 0x7777, "io untouched");
    close(fds[0]);
    close(fds[1]);
    printf("h_coio: bad io, cid, fd, buf, n: refused\n");
}

static void completions(void)
{
    int fds[2];
    char b[16];
    CHECK(pipe(fds) == 0, "pipe");
    struct co_io io = io_of(2);
    /* Can complete now: the result comes back at once, io untouched. */
    CHECK(write(fds[1], "abc", 3) == 3, "write");
    CHECK(read_async(fds[0], b, 16, &io) == 3 && memcmp(b, "abc", 3) == 0, "immediate read");
    CHECK(write_async(fds[1], "de", 2, &io) == 2, "immediate write");
    CHECK(read(fds[0], b, 16) == 2, "read back");
    CHECK(io.done == 0, "io untouched");
    /* Pending: completed by the kernel when data comes, doorbell rung. */
    uint32_t seq0 = X->seq;
    X->bell[0] = 0;
    X->bell_summary[0] = 0;
    CHECK(read_async(fds[0], b, 16, &io) == -EINPROGRESS, "pending read");
    CHECK(io.done == 0, "not yet");
    CHECK(write(fds[1], "hello", 5) == 5, "write");
    CHECK(wait_done(&io) && io.result == 5 && memcmp(b, "hello", 5) == 0, "completed %ld",
          (long)io.result);
    CHECK(bell_rung(2) && (X->bell_summary[0] & 1) && X->seq != seq0, "doorbell");
    /* An asynchronous write that goes in at once completes the waiting
     * read in its own call (done before it returns) and names this
     * thread as the waker (CO_EXEC.woke_by, docs/coroutines.md
     * "Affinity"); so does a plain write() (h_pipeserve checks what is
     * left to the pipe's kernel coroutine, which names nobody).  Whatever
     * the slot held before. */
    uint32_t task = uthread_self()->task;
    volatile uint64_t *hint = &X->woke_by[task % CO_WOKE_SLOTS][CO_WOKE_HINT];
    *hint = 0xdeadbeefdeadbeefULL;
    struct co_io r = io_of(7);
    CHECK(read_async(fds[0], b, 16, &r) == -EINPROGRESS, "pending read");
    CHECK(write_async(fds[1], "xyz", 3, &io) == 3, "write that completes it");
    CHECK(r.done == 1 && r.result == 3 && memcmp(b, "xyz", 3) == 0 && bell_rung(7),
          "completed in the write's call: done %u result %ld", r.done, (long)r.result);
    CHECK(*hint == (((uint64_t)task + 1) << 32 | 7), "hint %#lx (task %u)",
          (unsigned long)*hint, task);
    *hint = 0;
    r = io_of(8);
    CHECK(read_async(fds[0], b, 16, &r) == -EINPROGRESS, "pending read");
    CHECK(write(fds[1], "uv", 2) == 2, "write");
    CHECK(r.done == 1 && r.result == 2 && memcmp(b, "uv", 2) == 0 && bell_rung(8),
          "completed in the plain write's call: done %u result %ld", r.done, (long)r.result);
    CHECK(*hint == (((uint64_t)task + 1) << 32 | 8), "hint %#lx (task %u)",
          (unsigned long)*hint, task);
    /* A record across two pages (its result in the first one's last 8
     * bytes): completed by the kernel's two copies, not its one-page way. */
    static char two_pages[2 * 4096] __attribute__((aligned(4096)));
    struct co_io *across = (struct co_io *)(two_pages + 4096 - 8);
    *across = io_of(9);
    CHECK(read_async(fds[0], b, 16, across) == -EINPROGRESS, "pending read across pages");
    CHECK(write(fds[1], "st", 2) == 2, "write");
    CHECK(across->done == 1 && across->result == 2 && across->cid == 9 &&
          memcmp(b, "st", 2) == 0 && bell_rung(9),
          "across pages: done %u result %ld", across->done, (long)across->result);
    /* FIFO: two asynchronous readers, served in order. */
    struct co_io a = io_of(3), c = io_of(4);
    char ba[3], bc[3];
    CHECK(read_async(fds[0], ba, 3, &a) == -EINPROGRESS, "a");
    CHECK(read_async(fds[0], bc, 3, &c) == -EINPROGRESS, "c");
    CHECK(read_async(fds[0], bc, 3, &c) == -EBUSY, "same io twice");
    CHECK(write(fds[1], "123456", 6) == 6, "write");
    CHECK(wait_done(&a) && wait_done(&c), "both");
    CHECK(a.result == 3 && c.result == 3 && !memcmp(ba, "123", 3) && !memcmp(bc, "456", 3),
          "fifo %ld %ld", (long)a.result, (long)c.result);
    /* A sleep completes; a worker sleeping on seq (futex in the executor
     * page) is woken by the doorbell.  As the runtime's workers do, it
     * counts itself in sleepers first: the kernel makes the futex wake
     * only if sleepers says someone may sleep (docs/coroutines.md, "The
     * doorbell"). */
    struct co_io s = io_of(6);
    uint32_t seen = X->seq;
    __atomic_add_fetch(&X->sleepers, 1, __ATOMIC_SEQ_CST);
    CHECK(sleep_async(30, &s) == -EINPROGRESS, "sleep");
    long w = sys_call3(SYS_futex_wait, (long)&X->seq, seen, 5000);
    __atomic_sub_fetch(&X->sleepers, 1, __ATOMIC_SEQ_CST);
    CHECK(w == 0 || w == -EAGAIN, "futex_wait on seq: %ld", w);
    CHECK(wait_done(&s) && s.result == 0 && bell_rung(6), "sleep done");
    /* Nobody counted in sleepers (or the count forged to 0): the doorbell
     * rings, seq moves, and no futex wake is made, so a thread asleep on
     * seq all the same sleeps until its timeout (or finds seq moved
     * already).  Only the process's own thread is left asleep. */
    s = io_of(6);
    seen = X->seq;
    CHECK(sleep_async(30, &s) == -EINPROGRESS, "sleep, nobody in sleepers");
    w = sys_call3(SYS_futex_wait, (long)&X->seq, seen, 300);
    CHECK(w == -ETIMEDOUT || w == -EAGAIN, "futex_wait on seq, not counted: %ld", w);
    CHECK(wait_done(&s) && s.result == 0 && bell_rung(6) && X->seq != seen,
          "sleep done, nobody woken");
    CHECK(sys_call3(SYS_futex_wake, (long)&X->seq, 1, 0) == 0, "futex_wake on seq");
    CHECK(sys_call3(SYS_futex_wait, (long)((char *)X + 4096 * 2), 5, 10) == -EAGAIN,
          "futex on a queue page");
    CHECK(sys_call3(SYS_futex_wait, (long)SHARED_BASE_ADDR, 0, 10) == -EFAULT,
          "futex on VDSO_DATA");
    CHECK(sys_call3(SYS_futex_wait, (long)(CO_RECORDS_ADDR + 64 * 256), 0, 10) == -EFAULT,
          "futex past the records mapped");
    /* Close the other end while pending: EOF for a reader...  (A fresh io:
     * the last one's done is still 1, and the completion on another hart
     * would race the check of result.) */
    io = io_of(2);
    CHECK(read_async(fds[0], b, 16, &io) == -EINPROGRESS, "pending read");
    close(fds[1]);
    CHECK(wait_done(&io) && io.result == 0, "EOF %ld", (long)io.result);
    close(fds[0]);
    /* ... EPIPE for a writer. */
    static char full[PIPE_BUF_SIZE];
    CHECK(pipe(fds) == 0, "pipe");
    CHECK(write(fds[1], full, sizeof(full)) == (long)sizeof(full), "fill");
    io = io_of(7);
    CHECK(write_async(fds[1], "x", 1, &io) == -EINPROGRESS, "pending write");
    close(fds[0]);
    CHECK(wait_done(&io) && io.result == -EPIPE, "EPIPE %ld", (long)io.result);
    close(fds[1]);
    printf("h_coio: completions: immediate, pending, doorbell, FIFO, sleep, EOF, EPIPE\n");
}

/* A sibling thread asleep in a read until `gate` gets a byte: while it
 * lives, every submission of the process takes the borrowing way (a
 * process of one thread uses its file alone: fs/file.h, "A borrow"). */
static void *asleep_until(void *arg)
{
    char c;
    return (void *)read((int)(intptr_t)arg, &c, 1);
}

/* Every way out of a submission, taken the borrowing way: the refusals
 * and the completions again, a console write, transfers of nothing.
 * Each must let its borrow go before the call returns, whatever its
 * outcome: the debug kernel checks it at every return to user mode and
 * at every thread switch (inv_check_user_return, inv_check_switch); a
 * borrow left named keeps the file's last close waiting for that hart
 * (or panics it, if that hart closes it: wait_unborrowed). */
static void borrowing_ways_out(void)
{
    int gate[2];
    CHECK(pipe(gate) == 0, "pipe");
    int t = thread_create(asleep_until, (void *)(intptr_t)gate[0]);
    CHECK(t > 0, "sibling");
    bad_arguments();
    completions();
    static const char line[] = "h_coio: a console write, borrowed\n";
    struct co_io io = io_of(1);
    CHECK(write_async(STDOUT_FILENO, line, sizeof(line) - 1, &io) == (long)sizeof(line) - 1,
          "console write");
    int fds[2];
    char b[1];
    CHECK(pipe(fds) == 0, "pipe");
    CHECK(read_async(fds[0], b, 0, &io) == 0 && write_async(fds[1], b, 0, &io) == 0,
          "transfers of nothing");
    close(fds[0]);
    close(fds[1]);
    CHECK(write(gate[1], "g", 1) == 1, "gate");
    void *r = NULL;
    CHECK(t > 0 && thread_join(t, &r) == 0 && (long)r == 1, "sibling %ld", (long)r);
    close(gate[0]);
    close(gate[1]);
    printf("h_coio: every way out of a submission, with a sibling: borrow let go\n");
}

static void cancels(void)
{
    int fds[2];
    char b[16];
    CHECK(pipe(fds) == 0, "pipe");
    struct co_io io = io_of(8);
    CHECK(read_async(fds[0], b, 16, &io) == -EINPROGRESS, "pending");
    CHECK(cancel_io(&io) == 0, "cancel");
    CHECK(cancel_io(&io) == -ENOENT, "cancel twice");
    CHECK(write(fds[1], "data", 4) == 4, "write");
    CHECK(read(fds[0], b, 16) == 4 && !memcmp(b, "data", 4), "the cancelled read took nothing");
    CHECK(io.done == 0 && io.result == 0x7777, "io never touched");
    struct co_io never = io_of(9);
    CHECK(cancel_io(&never) == -ENOENT, "never submitted");
    /* The bound on pending operations. */
    static struct co_io many[COIO_MAX_PENDING + 1];
    int ok = 0;
    for (int i = 0; i < COIO_MAX_PENDING; i++) {
        many[i] = io_of((uint32_t)(i % 64));
        ok += sleep_async(1000000, &many[i]) == -EINPROGRESS;
    }
    many[COIO_MAX_PENDING] = io_of(1);
    CHECK(ok == COIO_MAX_PENDING, "%d", ok);
    CHECK(sleep_async(1000000, &many[COIO_MAX_PENDING]) == -EAGAIN, "past the bound");
    CHECK(read_async(fds[0], b, 16, &many[COIO_MAX_PENDING]) == -EAGAIN, "past the bound");
    ok = 0;
    for (int i = 0; i < COIO_MAX_PENDING; i++)
        ok += cancel_io(&many[i]) == 0;
    CHECK(ok == COIO_MAX_PENDING, "%d", ok);
    close(fds[0]);
    close(fds[1]);
    printf("h_coio: cancel: once, twice, unknown; %d pending at most\n", COIO_MAX_PENDING);
}

/* io and buf given back by sbrk before the completion. */
static void unmapped_before_completion(void)
{
    int fds[2];
    char b[8];
    CHECK(pipe(fds) == 0, "pipe");
    char *page = sbrk(8192);
    CHECK(page != (void *)-1, "sbrk");
    struct co_io *io = (struct co_io *)(((uintptr_t)page + 4095) & ~4095UL);
    *io = io_of(10);
    CHECK(read_async(fds[0], b, 8, io) == -EINPROGRESS, "pending, io on the heap");
    struct co_io io2 = io_of(11);
    CHECK(read_async(fds[0], (char *)io + 64, 8, &io2) == -EINPROGRESS, "pending, buf there");
    sbrk(-8192);
    CHECK(write(fds[1], "12345678abcdefgh", 16) == 16, "write");
    CHECK(wait_done(&io2) && io2.result == -EFAULT, "buf gone: %ld", (long)io2.result);
    /* The first read took its bytes (its buffer was fine), its io is lost;
     * the second took nothing. */
    CHECK(read(fds[0], b, 8) == 8 && !memcmp(b, "abcdefgh", 8), "the rest");
    close(fds[0]);
    close(fds[1]);
    printf("h_coio: io and buf unmapped before completion: dropped\n");
}

/* A child with operations in flight exits (or is killed): nothing of
 * ours is lost, nothing leaks. */
static int child_with_ops(int rfd, int wfd, int mode)
{
    char *b = sbrk(4096);
    static struct co_io io[4];
    if (co_setup(16) != 16)
        return 10;
    for (int i = 0; i < 4; i++)
        io[i] = io_of((uint32_t)i);
    if (read_async(rfd, b, 64, &io[0]) != -EINPROGRESS ||
        write_async(wfd, "child", 5, &io[1]) != -EINPROGRESS ||
        sleep_async(100000, &io[2]) != -EINPROGRESS)
        return 11;
    if (mode == 1) {
        char *argv[] = { "echo", "h_coio: exec with operations in flight", NULL };
        exec("echo", argv);
        return 12;
    }
    if (mode == 2)
        for (;;)
            yield();
    return 0;
}

static void exits(void)
{
    static char full[PIPE_BUF_SIZE];
    char b[PIPE_BUF_SIZE + 8];
    for (int mode = 0; mode < 3; mode++) {
        uint64_t heap0 = heap_bytes();
        int in[2], out[2];
        CHECK(pipe(in) == 0 && pipe(out) == 0, "pipes");
        CHECK(write(out[1], full, sizeof(full)) == (long)sizeof(full), "fill");
        int pid = fork();
        if (pid == 0)
            exit(child_with_ops(in[0], out[1], mode));
        if (mode == 2) {
            sleep(50);
            CHECK(kill(pid) == 0, "kill");
        }
        int status = -1;
        CHECK(waitpid(pid, &status, 0) == pid, "waitpid");
        CHECK(mode == 2 ? WIFSIGNALED(status) : WIFEXITED(status) && WEXITSTATUS(status) == 0,
              "mode %d status %#x", mode, status);
        /* The child's pending read took nothing, its write added nothing. */
        CHECK(write(in[1], "parent", 6) == 6, "write");
        CHECK(read(in[0], b, sizeof(b)) == 6 && !memcmp(b, "parent", 6), "ours");
        close(out[1]);
        long got = 0, r;
        while ((r = read(out[0], b, sizeof(b))) > 0)
            got += r;
        CHECK(got == PIPE_BUF_SIZE, "mode %d: %ld bytes, not half a write", mode, got);
        close(in[0]);
        close(in[1]);
        close(out[0]);
        /* The kernel's side is gone (its coroutines end at their next poll). */
        uint64_t heap1 = heap_bytes_settled(heap0);
        CHECK(heap1 == heap0, "mode %d: kernel heap %lu before, %lu after", mode,
              (unsigned long)heap0, (unsigned long)heap1);
    }
    printf("h_coio: exit, exec and kill with operations in flight: dropped\n");
}

static void forked(void)
{
    struct co_io io = io_of(12);
    CHECK(sleep_async(100000, &io) == -EINPROGRESS, "pending");
    int pid = fork();
    if (pid == 0) {
        int bad = 0;
        bad |= V->exec_capacity != 0;
        bad |= cancel_io(&io) != -ENOENT;        /* not the child's */
        bad |= sleep_async(10, &io) != -EINVAL;   /* no executor */
        bad |= co_setup(16) != 16;
        exit(bad);
    }
    int status = -1;
    CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0,
          "child %#x", status);
    CHECK(cancel_io(&io) == 0, "still ours");
    printf("h_coio: a forked child starts with no executor\n");
}

/* Sibling threads swap the two descriptors that submitters use, each time
 * for the ends of a new pipe, so that the files the submitters find are
 * closed and freed under them on other harts (the kernel borrows a
 * submission's file without its descriptor table's lock or a reference:
 * fs/file.h, "A borrow").  A file freed too early shows as a kernel fault
 * (a freed struct file's pipe pointer is the heap's free mark), a double
 * free, a reference count below zero (each a panic), or as a result no
 * submission may give, or heap bytes not given back. */
#define SWAP_READ   3             /* the descriptors swapped: the lowest two */
#define SWAP_WRITE  4
#define SWAP_ROUNDS 3000
#define SUBMITTERS  2

static volatile int swaps_done;
static volatile int swap_fail, submit_fail;
static volatile long last_bad;

/* Puts the ends of a new pipe at SWAP_READ and SWAP_WRITE, dropping the
 * old ones (their last references: nothing else holds them). */
static void *swapper(void *arg)
{
    (void)arg;
    for (int i = 0; i < SWAP_ROUNDS && !swap_fail; i++) {
        int q[2];
        if (pipe(q) != 0 || close(SWAP_READ) != 0 || dup(q[0]) != SWAP_READ ||
            close(SWAP_WRITE) != 0 || dup(q[1]) != SWAP_WRITE ||
            close(q[0]) != 0 || close(q[1]) != 0)
            swap_fail = i + 1;
        if (i % 64 == 0)
            yield();              /* on one hart, let the submitters in */
    }
    swaps_done = 1;
    return NULL;
}

/* One asynchronous read or write on a swapped descriptor; a pending one is
 * cancelled or waited for, so io is free again.  False on a result no
 * submission may give. */
static bool submit_swapped(bool reading, struct co_io *io, char *b)
{
    *io = io_of(io->cid);
    long r = reading ? read_async(SWAP_READ, b, 1, io) : write_async(SWAP_WRITE, "x", 1, io);
    if (r == -EINPROGRESS) {
        if (cancel_io(io) == 0)
            return true;
        if (!wait_done(io))
            return false;
        r = io->result;
    }
    bool ok = r == 1 || r == -EBADF || (reading ? r == 0 : r == -EPIPE);
    if (!ok)
        last_bad = r;
    return ok;
}

static void *submitter(void *arg)
{
    struct co_io io = io_of(20 + (uint32_t)(intptr_t)arg);
    char b[4];
    for (long n = 0; !swaps_done; n++)
        if (!submit_swapped(n % 2 == 0, &io, b)) {
            submit_fail++;
            break;
        }
    return NULL;
}

/* Sibling threads grow the descriptor table (dup up to MAX_FDS, the array
 * replaced at each doubling) while others submit on it: a submission that
 * reads a replaced array reads one the table keeps.  A child each round, as
 * a table never shrinks. */
static void *grower(void *arg)
{
    int fd = (int)(intptr_t)arg;
    while (dup(fd) >= 0)
        ;
    swaps_done = 1;
    return NULL;
}

static int child_grows_under_submitters(void)
{
    int fds[2];
    if (co_setup(64) != 64)         /* a child starts with no executor */
        return 19;
    if (pipe(fds) != 0 || fds[0] != SWAP_READ || fds[1] != SWAP_WRITE)
        return 20;
    swaps_done = 0;
    int t[SUBMITTERS], g;
    for (int i = 0; i < SUBMITTERS; i++)
        t[i] = thread_create(submitter, (void *)(intptr_t)i);
    g = thread_create(grower, (void *)(intptr_t)SWAP_WRITE);
    if (g < 0)
        return 21;
    thread_join(g, NULL);
    for (int i = 0; i < SUBMITTERS; i++)
        if (t[i] > 0)
            thread_join(t[i], NULL);
    return submit_fail ? 22 : 0;
}

/* A process exits with reads pending while another completes them on
 * its own hart: each completion holds the exiting process (co.holds) until
 * it is finished, and exit waits for that before anything is freed. */
static void exit_under_completions(void)
{
    uint64_t heap0 = heap_bytes();
    for (int round = 0; round < 20; round++) {
        int fds[2];
        CHECK(pipe(fds) == 0, "pipe");
        int reader = fork();
        if (reader == 0) {
            static struct co_io io[32];
            static char b[32];
            if (co_setup(64) != 64)
                exit(30);
            for (int i = 0; i < 32; i++) {
                io[i] = io_of((uint32_t)i);
                long r = read_async(fds[0], &b[i], 1, &io[i]);
                if (r != -EINPROGRESS && r != 1)
                    exit(31);
            }
            exit(0);                /* some pending, some being completed */
        }
        int writer = fork();
        if (writer == 0) {
            close(fds[0]);
            for (int i = 0; i < 64 && write(fds[1], "y", 1) == 1; i++)
                ;
            exit(0);
        }
        close(fds[0]);
        close(fds[1]);
        int status = -1;
        CHECK(waitpid(reader, &status, 0) == reader && WIFEXITED(status) &&
              WEXITSTATUS(status) == 0, "reader %#x", status);
        CHECK(waitpid(writer, &status, 0) == writer && WIFEXITED(status), "writer %#x", status);
    }
    uint64_t heap1 = heap_bytes_settled(heap0);
    CHECK(heap1 <= heap0, "kernel heap %lu before, %lu after", (unsigned long)heap0,
          (unsigned long)heap1);
}

static void swapped_under_submitters(void)
{
    /* The lowest free descriptors must be ours to swap. */
    int fds[2];
    CHECK(pipe(fds) == 0 && fds[0] == SWAP_READ && fds[1] == SWAP_WRITE,
          "fds %d %d", fds[0], fds[1]);
    uint64_t heap0 = heap_bytes();
    swaps_done = 0;
    swap_fail = submit_fail = 0;
    int t[SUBMITTERS], s;
    for (int i = 0; i < SUBMITTERS; i++) {
        t[i] = thread_create(submitter, (void *)(intptr_t)i);
        CHECK(t[i] > 0, "submitter");
    }
    s = thread_create(swapper, NULL);
    CHECK(s > 0, "swapper");
    if (s > 0)
        thread_join(s, NULL);
    else
        swaps_done = 1;
    for (int i = 0; i < SUBMITTERS; i++)
        if (t[i] > 0)
            thread_join(t[i], NULL);
    CHECK(swap_fail == 0, "swap round %d", swap_fail);
    CHECK(submit_fail == 0, "a submission gave %ld", last_bad);
    close(SWAP_READ);
    close(SWAP_WRITE);
    uint64_t heap1 = heap_bytes_settled(heap0);
    CHECK(heap1 <= heap0, "kernel heap %lu before, %lu after", (unsigned long)heap0,
          (unsigned long)heap1);
    for (int round = 0; round < 3; round++) {
        int pid = fork();
        if (pid == 0)
            exit(child_grows_under_submitters());
        int status = -1;
        CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0,
              "grower child %#x", status);
    }
    printf("h_coio: descriptors closed and swapped under submissions: %d rounds\n",
           SWAP_ROUNDS);
    exit_under_completions();
    printf("h_coio: exit while another process completes its operations\n");
}

/* h_coio [sections]: a letter per section to run (default all):
 * b bad arguments, c completions, B both again with a sibling thread
 * alive (every submission borrows its file), x cancels, u unmapped,
 * f fork, e exits, s descriptors swapped under submitters. */
int main(int argc, char **argv)
{
    const char *run = argc > 1 ? argv[1] : "bcBxufes";
    no_executor();
    setup();
    if (strchr(run, 'b'))
        bad_arguments();
    if (strchr(run, 'c'))
        completions();
    if (strchr(run, 'B'))
        borrowing_ways_out();
    if (strchr(run, 'x'))
        cancels();
    if (strchr(run, 'u'))
        unmapped_before_completion();
    if (strchr(run, 'f'))
        forked();
    if (strchr(run, 'e'))
        exits();
    if (strchr(run, 's'))
        swapped_under_submitters();
    printf("h_coio: %s\n", failures ? "FAIL" : "PASS");
    return failures ? 1 : 0;
}
