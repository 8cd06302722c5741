// help: hostile test: who completes a pending pipe read or write (h_pipeserve [ROUNDS])
/*
 * h_pipeserve [ROUNDS]: the kernel completes a pending asynchronous pipe
 * operation in the call that lets it go (a write, read, close, cancel or
 * exit), up to a batch, and leaves only the rest to the pipe's kernel
 * coroutine (docs/coroutines.md, "Asynchronous system calls").  Checks,
 * with raw system calls:
 *
 *   batch   20 pending one-byte reads fed by one write: the first 16 are
 *           done when the write returns and name the writer, the rest are
 *           the coroutine's (which names nobody); FIFO bytes;
 *   close   20 pending reads, the write end closed: all EOF;
 *   cancel  a pending write that cannot go, cancelled: the one behind it
 *           is done when the cancel returns;
 *   exit    the same with the first write a child's, the child exiting or
 *           killed: ours completes;
 *   badbuf  a pending read whose buffer went away: -EFAULT, the next
 *           reader gets the bytes;
 *   big     a write() of three rings read by asynchronous reads: each
 *           doorbell rung before the writer waits for room (the reader
 *           waits for it as a worker does, on seq);
 *   race    ROUNDS (default 200) rounds of 32 pending reads, each fed by a
 *           writer thread on another hart while this thread cancels it:
 *           every byte is read exactly once, by the operation or after its
 *           cancel; and a child with 32 pending reads that exits or is
 *           killed while our writer threads feed them;
 *
 * and after the rounds the kernel heap is back where it was after the
 * first (no operation or coroutine frame left).  Booted with poison=1 (test_pipeserve.py)
 * a use after free shows as a wrong byte or a panic.  Last line
 * "h_pipeserve: PASS" or "h_pipeserve: FAIL".
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <thread.h>
#include <unistd.h>
#include "../lib/sys.h"
#include "../lib/uthread.h"
#include "coro.h"

static int failures;

#define CHECK(cond, ...) do { \
    if (!(cond)) { \
        failures++; \
        printf("h_pipeserve: FAIL line %d: %s: ", __LINE__, #cond); \
        printf(__VA_ARGS__); \
        printf("\n"); \
    } \
} while (0)

#define NPIPES   32             /* pipes of a race round (cids 0..31) */
#define MANY     20             /* past the kernel's batch of 16 */
#define BATCH    16             /* PIPE_CO_BATCH (os/fs/pipe_async.c) */

static long read_async(int fd, void *buf, size_t n, void *io)
{
    return syscall_raw4(SYS_read_async, fd, (long)buf, (long)n, (long)io);
}
static long write_async(int fd, const void *buf, size_t n, void *io)
{
    return syscall_raw4(SYS_write_async, fd, (long)buf, (long)n, (long)io);
}
static long cancel_io(void *io) { return sys_call3(SYS_co_cancel_io, (long)io, 0, 0); }

static CO_EXEC *const X = (CO_EXEC *)SHARED_EXEC_ADDR;

static struct co_io io_of(uint32_t cid)
{
    return (struct co_io){ .result = 0x7777, .cid = cid, .done = 0 };
}

/* Waits (bounded: 10 s) for the kernel to complete io. */
static bool wait_done(volatile struct co_io *io)
{
    for (int i = 0; i < 10000 && !io->done; i++)
        sleep(1);
    return io->done == 1;
}

static uint64_t heap_bytes(void)
{
    struct sysinfo si;
    return sysinfo(&si) == 0 ? si.heap_bytes : 0;
}

static volatile uint64_t *my_hint(void)
{
    uint32_t task = uthread_self()->task;
    return &X->woke_by[task % CO_WOKE_SLOTS][CO_WOKE_HINT];
}

static uint64_t hint_of(uint32_t cid)
{
    return ((uint64_t)uthread_self()->task + 1) << 32 | cid;
}

static void batch(void)
{
    int fds[2];
    static struct co_io io[MANY];
    static char got[MANY];
    CHECK(pipe(fds) == 0, "pipe");
    for (int i = 0; i < MANY; i++) {
        io[i] = io_of(20 + i);
        got[i] = 0;
        CHECK(read_async(fds[0], &got[i], 1, &io[i]) == -EINPROGRESS, "pending %d", i);
    }
    volatile uint64_t *hint = my_hint();
    *hint = 0;
    CHECK(write(fds[1], "abcdefghijklmnopqrst", MANY) == MANY, "write");
    /* The write's own call completed a batch before it returned. */
    int done_now = 0;
    for (int i = 0; i < BATCH; i++)
        done_now += io[i].done == 1;
    CHECK(done_now == BATCH, "%d of the first %d done in the write's call", done_now, BATCH);
    for (int i = 0; i < MANY; i++)
        CHECK(wait_done(&io[i]) && io[i].result == 1 && got[i] == 'a' + i,
              "read %d: done %u result %ld byte %c", i, io[i].done, (long)io[i].result, got[i]);
    /* The last one the write named is the batch's last: the rest were the
     * coroutine's, which names nobody.  (Were all completed in the call,
     * it would name the 20th.) */
    CHECK(*hint == hint_of(20 + BATCH - 1), "hint %#lx, not the batch's last",
          (unsigned long)*hint);
    close(fds[0]);
    close(fds[1]);
    printf("h_pipeserve: batch: %d completed in the write's call, the rest by the coroutine\n",
           BATCH);
}

static void closed(void)
{
    int fds[2];
    static struct co_io io[MANY];
    char b[4];
    CHECK(pipe(fds) == 0, "pipe");
    for (int i = 0; i < MANY; i++) {
        io[i] = io_of(20 + i);
        CHECK(read_async(fds[0], b, 4, &io[i]) == -EINPROGRESS, "pending %d", i);
    }
    close(fds[1]);
    for (int i = 0; i < MANY; i++)
        CHECK(wait_done(&io[i]) && io[i].result == 0, "EOF %d: %ld", i, (long)io[i].result);
    close(fds[0]);
    printf("h_pipeserve: close: %d pending reads see EOF\n", MANY);
}

/* A full pipe, and a pending write of a whole ring at the head of its
 * writers' line (ahead of any one-byte write: it needs all the room). */
static char ring[PIPE_BUF_SIZE];

static long drain(int fd)
{
    char b[PIPE_BUF_SIZE];
    long got = 0, r;
    while ((r = read(fd, b, sizeof(b))) > 0)
        got += r;
    return got;
}

static void cancel(void)
{
    int fds[2];
    CHECK(pipe(fds) == 0, "pipe");
    CHECK(write(fds[1], ring, sizeof(ring)) == (long)sizeof(ring), "fill");
    struct co_io big = io_of(1), small = io_of(2);
    char b;
    CHECK(write_async(fds[1], ring, sizeof(ring), &big) == -EINPROGRESS, "big pending");
    CHECK(write_async(fds[1], "z", 1, &small) == -EINPROGRESS, "small pending");
    CHECK(read(fds[0], &b, 1) == 1, "room for one byte");
    CHECK(!big.done && !small.done, "neither may go: the big one heads the line");
    CHECK(cancel_io(&big) == 0, "cancel the big one");
    CHECK(small.done == 1 && small.result == 1, "done in the cancel's call: %u %ld",
          small.done, (long)small.result);
    close(fds[1]);
    CHECK(drain(fds[0]) == PIPE_BUF_SIZE, "4095 + 1 bytes");
    close(fds[0]);
    printf("h_pipeserve: cancel: the next in line completed in the cancel's call\n");
}

static void exits(void)
{
    for (int mode = 0; mode < 2; mode++) {
        int fds[2], ready[2];
        CHECK(pipe(fds) == 0 && pipe(ready) == 0, "pipes");
        CHECK(write(fds[1], ring, sizeof(ring)) == (long)sizeof(ring), "fill");
        int pid = fork();
        if (pid == 0) {
            static struct co_io big;
            big = io_of(1);
            if (sys_call3(SYS_co_setup, 16, 0, 0) != 16 ||
                write_async(fds[1], ring, sizeof(ring), &big) != -EINPROGRESS)
                exit(10);
            write(ready[1], "r", 1);
            if (mode == 1)
                for (;;)
                    yield();
            exit(0);
        }
        char r = 0;
        CHECK(read(ready[0], &r, 1) == 1 && r == 'r', "child ready");
        struct co_io small = io_of(2);
        char b;
        long w = write_async(fds[1], "z", 1, &small);
        CHECK(read(fds[0], &b, 1) == 1, "room for one byte");
        if (mode == 1)
            CHECK(kill(pid) == 0, "kill");
        int status = -1;
        CHECK(waitpid(pid, &status, 0) == pid, "waitpid");
        CHECK(mode == 1 ? WIFSIGNALED(status) : WIFEXITED(status) && !WEXITSTATUS(status),
              "mode %d status %#x", mode, status);
        /* Pending behind the child's (or, if the child had exited already,
         * in at once); either way the child's write added nothing. */
        CHECK(w == 1 || (w == -EINPROGRESS && wait_done(&small) && small.result == 1),
              "mode %d: ours %ld, then %u %ld", mode, w, small.done, (long)small.result);
        close(fds[1]);
        CHECK(drain(fds[0]) == PIPE_BUF_SIZE, "mode %d: 4095 + 1 bytes", mode);
        close(fds[0]);
        close(ready[0]);
        close(ready[1]);
    }
    printf("h_pipeserve: exit and kill: the next in line completed\n");
}

static void badbuf(void)
{
    int fds[2];
    CHECK(pipe(fds) == 0, "pipe");
    char *page = sbrk(8192);
    CHECK(page != (void *)-1, "sbrk");
    char *gone = (char *)(((uintptr_t)page + 4095) & ~4095UL);
    struct co_io a = io_of(1), c = io_of(2);
    char b[8];
    CHECK(read_async(fds[0], gone, 8, &a) == -EINPROGRESS, "pending, buf on the heap");
    CHECK(read_async(fds[0], b, 8, &c) == -EINPROGRESS, "pending behind it");
    sbrk(-8192);
    CHECK(write(fds[1], "12345678", 8) == 8, "write");
    CHECK(a.done == 1 && a.result == -EFAULT, "buf gone: %u %ld", a.done, (long)a.result);
    CHECK(c.done == 1 && c.result == 8 && !memcmp(b, "12345678", 8), "the next: %u %ld",
          c.done, (long)c.result);
    close(fds[0]);
    close(fds[1]);
    printf("h_pipeserve: a buffer gone: -EFAULT, the next reader gets the bytes\n");
}

/* A write() larger than the ring, read by asynchronous reads: each read
 * it feeds is completed in its call and its doorbell rung before the
 * writer waits for more room, which only the next read makes.  The reader
 * waits for the doorbell (a futex on seq), as a worker does; bounded. */
static int big_fds[2];
static char big[3 * PIPE_BUF_SIZE];

static void *big_writer(void *arg)
{
    (void)arg;
    return (void *)write(big_fds[1], big, sizeof(big));
}

static void bigwrite(void)
{
    static char in[PIPE_BUF_SIZE];
    CHECK(pipe(big_fds) == 0, "pipe");
    for (size_t i = 0; i < sizeof(big); i++)
        big[i] = (char)(i * 7 + 1);
    int t = thread_create(big_writer, 0);
    CHECK(t > 0, "thread");
    long total = 0, reads = 0;
    bool ok = true;
    while (ok && total < (long)sizeof(big)) {
        struct co_io io = io_of(3);
        uint32_t seen = X->seq;
        long r = read_async(big_fds[0], in, sizeof(in), &io);
        if (r == -EINPROGRESS) {
            /* The doorbell moves seq (after io->done): wait for it, not
             * for done, which the completion writes before its doorbell. */
            for (int tries = 0; tries < 3 && X->seq == seen; tries++)
                sys_call3(SYS_futex_wait, (long)&X->seq, seen, 2000);
            ok = X->seq != seen && io.done;
            r = io.result;
        }
        CHECK(ok, "no doorbell within 5 s after %ld bytes", total);
        if (!ok || r <= 0)
            break;
        for (long i = 0; i < r; i++)
            ok = ok && in[i] == (char)((total + i) * 7 + 1);
        CHECK(ok, "bytes at %ld", total);
        total += r;
        reads++;
    }
    if (!ok)
        close(big_fds[0]);          /* lets a stuck writer go (-EPIPE) */
    void *wr = 0;
    thread_join(t, &wr);
    CHECK(total == (long)sizeof(big) && (long)wr == (long)sizeof(big), "read %ld, wrote %ld",
          total, (long)wr);
    if (ok)
        close(big_fds[0]);
    close(big_fds[1]);
    printf("h_pipeserve: a write larger than the ring, read asynchronously: doorbells on time\n");
}

/* ---- races: completions on one hart, cancels or an exit on another ---- */

static int rfd[NPIPES], wfd[NPIPES];
static volatile int go;

static void *feeder(void *arg)
{
    int first = (int)(intptr_t)arg;
    while (!go)
        yield();
    for (int i = first; i < NPIPES; i += 2) {
        char c = (char)('A' + i);
        if (write(wfd[i], &c, 1) != 1)
            return (void *)1;
    }
    return 0;
}

static int start_feeders(int *t)
{
    go = 0;
    t[0] = thread_create(feeder, (void *)0);
    t[1] = thread_create(feeder, (void *)1);
    return t[0] > 0 && t[1] > 0;
}

static bool join_feeders(const int *t)
{
    void *r0 = (void *)1, *r1 = (void *)1;
    thread_join(t[0], &r0);
    thread_join(t[1], &r1);
    return r0 == 0 && r1 == 0;
}

/* Our pending reads, fed by two threads while this one cancels them. */
static void race_cancel(int round, int *lost)
{
    static struct co_io io[NPIPES];
    static char got[NPIPES];
    int t[2];
    for (int i = 0; i < NPIPES; i++) {
        io[i] = io_of((uint32_t)i);
        got[i] = 0;
        if (read_async(rfd[i], &got[i], 1, &io[i]) != -EINPROGRESS)
            (*lost)++;
    }
    CHECK(start_feeders(t), "threads");
    go = 1;
    for (volatile int spin = 0; spin < (round % 8) * 200; spin++)
        ;
    for (int i = NPIPES - 1; i >= 0; i--) {
        char c = 0;
        if (cancel_io(&io[i]) == 0) {
            /* Took nothing: the byte is (or will be) in the pipe. */
            if (io[i].done || read(rfd[i], &c, 1) != 1 || c != 'A' + i)
                (*lost)++;
        } else if (!wait_done(&io[i]) || io[i].result != 1 || got[i] != 'A' + i) {
            (*lost)++;
        }
    }
    CHECK(join_feeders(t), "feeders");
}

/* A child's pending reads, fed by our threads while it exits or is
 * killed.  Each pipe then holds its byte or the child took it. */
static void race_exit(int round, int *lost)
{
    int ready[2], t[2];
    CHECK(pipe(ready) == 0, "pipe");
    int pid = fork();
    if (pid == 0) {
        static struct co_io io[NPIPES];
        static char got[NPIPES];
        if (sys_call3(SYS_co_setup, NPIPES, 0, 0) < NPIPES)
            exit(10);
        for (int i = 0; i < NPIPES; i++) {
            io[i] = io_of((uint32_t)i);
            if (read_async(rfd[i], &got[i], 1, &io[i]) != -EINPROGRESS)
                exit(11);
        }
        write(ready[1], "r", 1);
        for (volatile int spin = 0; spin < (round % 8) * 300; spin++)
            ;
        if (round % 2)
            for (;;)
                yield();
        exit(0);
    }
    char r = 0;
    CHECK(read(ready[0], &r, 1) == 1 && r == 'r', "child ready");
    CHECK(start_feeders(t), "threads");
    go = 1;
    if (round % 2)
        CHECK(kill(pid) == 0, "kill");
    int status = -1;
    CHECK(waitpid(pid, &status, 0) == pid, "waitpid");
    CHECK(join_feeders(t), "feeders");
    /* What is left in each pipe: its byte, or nothing (the child's read
     * took it); an immediate read_async says which without blocking. */
    for (int i = 0; i < NPIPES; i++) {
        struct co_io io = io_of((uint32_t)i);
        char c = 0;
        long n = read_async(rfd[i], &c, 1, &io);
        if (n == -EINPROGRESS)
            CHECK(cancel_io(&io) == 0, "cancel our probe");
        else if (n != 1 || c != 'A' + i)
            (*lost)++;
    }
    close(ready[0]);
    close(ready[1]);
}

static void races(int rounds)
{
    int lost = 0;
    for (int i = 0; i < NPIPES; i++) {
        int fds[2] = { -1, -1 };
        CHECK(pipe(fds) == 0, "pipe %d", i);
        rfd[i] = fds[0];
        wfd[i] = fds[1];
    }
    /* A first round, then the kernel heap: what a round leaves (nothing)
     * is measured with the pipes, threads and table already made. */
    race_cancel(0, &lost);
    race_exit(0, &lost);
    uint64_t heap0 = heap_bytes();
    for (int round = 1; round <= rounds && !failures; round++) {
        race_cancel(round, &lost);
        race_exit(round, &lost);
    }
    CHECK(lost == 0, "%d bytes lost or doubled", lost);
    /* Every operation and coroutine given back (a pipe's coroutine ends
     * at its next poll: give it a moment). */
    uint64_t heap1 = heap_bytes();
    for (int i = 0; i < 200 && heap1 != heap0; i++) {
        sleep(10);
        heap1 = heap_bytes();
    }
    CHECK(heap1 == heap0, "kernel heap %lu before, %lu after", (unsigned long)heap0,
          (unsigned long)heap1);
    for (int i = 0; i < NPIPES; i++) {
        close(rfd[i]);
        close(wfd[i]);
    }
    printf("h_pipeserve: race: %d rounds of completions against cancels and exits\n", rounds);
}

int main(int argc, char **argv)
{
    int rounds = 200;
    bool digits = true;
    if (argc == 2) {
        size_t len = strlen(argv[1]);
        for (size_t i = 0; i < len; i++)
            digits = digits && argv[1][i] >= '0' && argv[1][i] <= '9';
        digits = digits && len > 0 && len <= 6;
        rounds = digits ? atoi(argv[1]) : 0;
    }
    if (argc > 2 || !digits || rounds > 100000) {
        dprintf(2, "usage: h_pipeserve [ROUNDS]   (0..100000, default 200)\n");
        return 2;
    }
    CHECK(sys_call3(SYS_co_setup, 64, 0, 0) == 64, "executor");
    batch();
    closed();
    cancel();
    exits();
    badbuf();
    bigwrite();
    races(rounds);
    printf("h_pipeserve: %s\n", failures ? "FAIL" : "PASS");
    return failures ? 1 : 0;
}
