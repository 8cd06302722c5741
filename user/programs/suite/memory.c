/*
 * Memory: processes and threads until the kernel says no, then recovery;
 * sbrk up, down and past its limits while sibling threads use their own
 * memory on other harts; and the accesses the kernel must end with a
 * fault (TERM_FAULT) without harm to anything else: stack overflows,
 * writes to the program's text and to the read-only shared pages, jumps
 * into the kernel and into data.
 */
#include <stdbool.h>
#include <string.h>
#include <thread.h>
#include <futex.h>
#include "suite.h"
#include "vdso.h"               /* SHARED_CODE_ADDR, SHARED_KINFO_ADDR */

#define MIB (1024L * 1024)

/* Children that each take EACH bytes of heap and wait on a pipe, forked
 * until fork fails: at MAX_PROCS processes (-EAGAIN) or when the frames
 * run out first (-ENOMEM; a child whose sbrk fails exits 3).  Then all
 * are let go, every one must end, and a fork must work again. */
#define OOM_MAX_CHILDREN 256
static int fork_until_full(const struct suite_case *c)
{
    static int pids[OOM_MAX_CHILDREN];
    int hold[2], n = 0, err = 0;
    if (pipe(hold) < 0)
        return EXPECT(0, "pipe: %s", strerror(errno));
    while (n < OOM_MAX_CHILDREN) {
        int pid = fork();
        if (pid == 0) {
            close(hold[1]);
            char *m = sbrk(c->arg);
            if (m == (char *)-1)
                exit(3);
            for (long i = 0; i < c->arg; i += 4096)
                m[i] = 1;
            char byte;
            read(hold[0], &byte, 1);        /* until the parent lets go */
            exit(0);
        }
        if (pid < 0) {
            err = errno;
            break;
        }
        pids[n++] = pid;
    }
    int bad = EXPECT(err == EAGAIN || err == ENOMEM,
                     "fork %d times and never refused, or refused with %s", n,
                     errname(err));
    close(hold[1]);                         /* every child reads EOF */
    int out_of_memory = 0;
    for (int i = 0; i < n; i++) {
        int status = -1;
        bad |= EXPECT(waitpid(pids[i], &status, 0) == pids[i], "waitpid %d", pids[i]);
        bad |= EXPECT(WIFEXITED(status) && (WEXITSTATUS(status) == 0 ||
                                            WEXITSTATUS(status) == 3),
                      "child %d ended with status %#x", i, status);
        out_of_memory += WIFEXITED(status) && WEXITSTATUS(status) == 3;
    }
    printf("# %d children, fork refused with %s, %d found no memory\n", n,
           errname(err), out_of_memory);
    /* Recovered: a fork and an exit work again. */
    int pid = fork();
    if (pid == 0)
        exit(7);
    int status = -1;
    bad |= EXPECT(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
                  WEXITSTATUS(status) == 7, "fork after recovery: status %#x", status);
    return bad;
}

/* Threads that wait on a futex until released. */
static volatile uint32_t release;
static void *waiter(void *arg)
{
    (void)arg;
    while (!release)
        futex_wait((uint32_t *)&release, 0, 0);
    return (void *)7;
}

#define THREADS_MAX 8192
static int threads_until_full(const struct suite_case *c)
{
    (void)c;
    static int tids[THREADS_MAX];
    int n = 0, err = 0;
    while (n < THREADS_MAX) {
        int tid = thread_create(waiter, 0);
        if (tid < 0) {
            err = errno;
            break;
        }
        tids[n++] = tid;
    }
    int bad = EXPECT(err == EAGAIN || err == ENOMEM,
                     "%d threads and never refused, or refused with %s", n, errname(err));
    printf("# %d threads, then %s\n", n, errname(err));
    release = 1;
    futex_wake((uint32_t *)&release, -1);
    for (int i = 0; i < n; i++) {
        void *ret = 0;
        bad |= EXPECT(thread_join(tids[i], &ret) == 0 && ret == (void *)7,
                      "join thread %d: %s", i, strerror(errno));
        if (bad)
            return bad;
    }
    /* Recovered: a thread starts and ends again. */
    int tid = thread_create(waiter, 0);
    void *ret = 0;
    bad |= EXPECT(tid > 0 && thread_join(tid, &ret) == 0 && ret == (void *)7,
                  "a thread after recovery: %s", strerror(errno));
    return bad;
}

/* Sibling threads fill buffers of their own (malloc'd before the sbrk
 * storm, below the break it moves) and check them, while the main thread
 * moves the break up and down and past its limits. */
#define SIBLINGS 3
#define SIB_BYTES (64 * 1024)
static volatile uint32_t stop_siblings;
static void *sibling(void *arg)
{
    unsigned char *mine = arg;
    long rounds = 0;
    for (unsigned char v = 1; !stop_siblings; v++, rounds++) {
        memset(mine, v, SIB_BYTES);
        for (int i = 0; i < SIB_BYTES; i += 509)
            if (mine[i] != v)
                return (void *)-1L;
    }
    return (void *)rounds;
}

static int sbrk_storm(const struct suite_case *c)
{
    (void)c;
    int bad = 0, tids[SIBLINGS];
    for (int i = 0; i < SIBLINGS; i++) {
        void *buf = sbrk(SIB_BYTES);        /* below every break to come */
        if (buf == (void *)-1 || (tids[i] = thread_create(sibling, buf)) < 0)
            return EXPECT(0, "sibling %d: %s", i, strerror(errno));
    }
    char *base = sbrk(0);
    for (int round = 0; round < 40 && !bad; round++) {
        long grow = (round % 5 + 1) * MIB;
        char *old = sbrk(grow);
        bad |= EXPECT(old == base, "round %d: sbrk(+%ld) gave %p, not %p", round, grow,
                      old, base);
        if (bad)
            break;
        for (long i = 0; i < grow; i += 4096)
            old[i] = (char)round;           /* the new pages are there */
        bad |= EXPECT(old[grow - 1] == 0, "a new page was not zero");
        bad |= EXPECT(sbrk(-grow) == old + grow, "round %d: sbrk(-%ld)", round, grow);
        /* Past the limit, and below the image: refused, nothing moved. */
        bad |= EXPECT(sbrk(1L << 40) == (void *)-1 && errno == ENOMEM,
                      "sbrk(2^40): %s", strerror(errno));
        bad |= EXPECT(sbrk(-(1L << 40)) == (void *)-1 && errno == EINVAL,
                      "sbrk(-2^40): %s", strerror(errno));
        bad |= EXPECT(syscall_raw(SYS_sbrk, (long)(1UL << 63), 0, 0) == -EINVAL,
                      "sbrk(INT64_MIN) not refused");
        bad |= EXPECT(syscall_raw(SYS_sbrk, (1UL << 63) - 1, 0, 0) == -ENOMEM,
                      "sbrk(INT64_MAX) not refused");
        bad |= EXPECT(sbrk(0) == base, "the break moved to %p", sbrk(0));
    }
    stop_siblings = 1;
    for (int i = 0; i < SIBLINGS; i++) {
        void *ret = 0;
        bad |= EXPECT(thread_join(tids[i], &ret) == 0 && (long)ret >= 0,
                      "sibling %d saw its buffer change under it", i);
    }
    return bad;
}

/* Sibling threads keep writing to the top of the heap while the main
 * thread gives it back: once sbrk has returned, no hart may still reach
 * those frames through a stale TLB entry, so the siblings must fault
 * (and the process end with TERM_FAULT), never go on writing into frames
 * that are free again. */
static volatile char *shrinking;
static void *toucher(void *arg)
{
    for (long i = (long)arg;; i += 4096 * 3)
        shrinking[i % MIB] = (char)i;
    return 0;
}

static int sbrk_shrink_under_siblings(const struct suite_case *c)
{
    (void)c;
    sbrk(4096 - ((uintptr_t)sbrk(0) & 4095));
    shrinking = sbrk(MIB);
    for (long i = 0; i < SIBLINGS; i++)
        if (thread_create(toucher, (void *)(i * 4096)) < 0)
            return EXPECT(0, "thread_create: %s", strerror(errno));
    sleep(20);                                  /* they are writing */
    sbrk(-MIB);
    sleep(200);
    return EXPECT(0, "the siblings went on writing to memory sbrk gave back");
}

/* Memory given back by sbrk is gone: touching it faults. */
static int sbrk_then_touch(const struct suite_case *c)
{
    (void)c;
    sbrk(4096 - ((uintptr_t)sbrk(0) & 4095));   /* the break on a page boundary */
    char *p = sbrk(8 * 4096);
    p[5 * 4096] = 1;
    sbrk(-8 * 4096);
    *(volatile char *)(p + 5 * 4096) = 2;       /* must fault */
    return EXPECT(0, "wrote to memory sbrk gave back");
}

static int overflow(int depth)
{
    volatile char frame[1024];
    frame[0] = (char)depth;
    frame[sizeof frame - 1] = (char)depth;
    return depth > (1 << 20) ? frame[0] : overflow(depth + 1) + frame[1023];
}

static int stack_overflow(const struct suite_case *c)
{
    (void)c;
    return EXPECT(overflow(0) == -1, "the stack never ended");
}

static void *overflow_thread(void *arg)
{
    (void)arg;
    overflow(0);
    return 0;
}

/* A thread's stack runs into the guard page: the whole process ends. */
static int thread_stack_overflow(const struct suite_case *c)
{
    (void)c;
    int tid = thread_create(overflow_thread, 0);
    if (tid < 0)
        return EXPECT(0, "thread_create: %s", strerror(errno));
    thread_join(tid, 0);
    return EXPECT(0, "the thread's overflow did not end the process");
}

/* Stores that must fault: arg is the address. */
static int store_to(const struct suite_case *c)
{
    *(volatile uint32_t *)c->arg = 0x00100073;    /* ebreak */
    return EXPECT(0, "stored to %#lx", c->arg);
}

static int store_to_text(const struct suite_case *c)
{
    *(volatile uint32_t *)(uintptr_t)&stack_overflow = 0x00100073;
    (void)c;
    return EXPECT(0, "wrote over the program's text");
}

/* Jumps that must fault: arg is the address. */
static int jump_to(const struct suite_case *c)
{
    void (*fn)(void) = (void (*)(void))c->arg;
    fn();
    return EXPECT(0, "returned from a jump to %#lx", c->arg);
}

static uint32_t data_code[1] = { 0x00008067 };      /* ret, in a data page */

/* The kernel's copies hold the address space shared (os/mm/uvm.c,
 * copy_in_page) while the main thread gives the pages they copy into back
 * and takes them again (sbrk) on another hart: a read into the heap's top
 * gets its bytes or -EFAULT, never a write into a frame already freed, and
 * the kernel goes on.  The writer and the reader are siblings on a pipe. */
#define COPY_PAGES 4
#define COPY_BYTES (COPY_PAGES * 4096L)
static volatile uint32_t stop_copies;
static int copy_pipe[2];
static char *volatile copy_region;      /* NULL until set: -EFAULT */

static void *copy_writer(void *arg)
{
    (void)arg;
    static char src[COPY_BYTES];
    memset(src, 0xa5, sizeof src);
    long rounds = 0;
    while (!stop_copies) {
        if (write(copy_pipe[1], src, sizeof src) <= 0)
            return (void *)-1L;
        rounds++;
    }
    return (void *)rounds;
}

static void *copy_reader(void *arg)
{
    (void)arg;
    static char spare[COPY_BYTES];
    long faults = 0;
    for (;;) {
        long r = syscall_raw(SYS_read, copy_pipe[0], (long)copy_region, COPY_BYTES);
        if (r == -EFAULT) {
            faults++;           /* given back meanwhile: drain elsewhere */
            r = syscall_raw(SYS_read, copy_pipe[0], (long)spare, COPY_BYTES);
        }
        if (r == 0)
            return (void *)(faults + 1);        /* end of the pipe */
        if (r < 0)
            return (void *)-1L;
    }
}

static int copy_vs_sbrk_shrink(const struct suite_case *c)
{
    (void)c;
    if (pipe(copy_pipe) < 0)
        return EXPECT(0, "pipe: %s", strerror(errno));
    /* The threads first: thread_create may take heap (the break moves). */
    int w = thread_create(copy_writer, 0), r = thread_create(copy_reader, 0);
    if (w <= 0 || r <= 0)
        return EXPECT(0, "thread_create: %d %d", w, r);
    char *brk0 = sbrk(0);
    long pad = (4096 - (long)((uintptr_t)brk0 & 4095)) & 4095;
    if (sbrk(pad) == (void *)-1)
        return EXPECT(0, "sbrk(%ld): %s", pad, strerror(errno));
    copy_region = sbrk(0);
    int bad = 0;
    for (int round = 0; round < 400 && !bad; round++) {
        bad |= EXPECT(sbrk(COPY_BYTES) == copy_region, "round %d: sbrk(+)", round);
        for (volatile int spin = 0; spin < 200; spin++)
            ;
        bad |= EXPECT(sbrk(-COPY_BYTES) == copy_region + COPY_BYTES, "round %d: sbrk(-)", round);
    }
    stop_copies = 1;
    void *wret = 0, *rret = 0;
    bad |= EXPECT(thread_join(w, &wret) == 0 && (long)wret >= 0, "the writer: %ld", (long)wret);
    close(copy_pipe[1]);
    bad |= EXPECT(thread_join(r, &rret) == 0 && (long)rret > 0, "the reader: %ld", (long)rret);
    /* How often a copy met a page given back (depends on the host). */
    printf("# copy_vs_sbrk_shrink: %ld writes, %ld reads refused with EFAULT\n",
           (long)wret, (long)rret - 1);
    close(copy_pipe[0]);
    return bad;
}

void suite_memory_cases(void)
{
    suite_add("mem/fork_until_full", fork_until_full, END_EXIT0, 8 * MIB, 0);
    suite_add("mem/fork_until_procs", fork_until_full, END_EXIT0, 4096, 0);
    suite_add("mem/threads_until_full", threads_until_full, END_EXIT0, 0, 0);
    suite_add("mem/sbrk_storm", sbrk_storm, END_EXIT0, 0, 0);
    suite_add("mem/copy_vs_sbrk_shrink", copy_vs_sbrk_shrink, END_EXIT0, 0, 0);
    suite_add("mem/sbrk_then_touch", sbrk_then_touch, END_FAULT, 0, 0);
    suite_add("mem/sbrk_shrink_under_siblings", sbrk_shrink_under_siblings, END_FAULT, 0, 0);
    suite_add("mem/stack_overflow", stack_overflow, END_FAULT, 0, 0);
    suite_add("mem/thread_stack_overflow", thread_stack_overflow, END_FAULT, 0, 0);
    suite_add("mem/write_text", store_to_text, END_FAULT, 0, 0);
    suite_add("mem/write_shared_code", store_to, END_FAULT, (long)SHARED_CODE_ADDR, 0);
    suite_add("mem/write_runtime", store_to, END_FAULT, (long)SHARED_RUNTIME_ADDR, 0);
    suite_add("mem/write_kinfo", store_to, END_FAULT, (long)SHARED_KINFO_ADDR, 0);
    suite_add("mem/write_kernel", store_to, END_FAULT, (long)SUITE_KADDR, 0);
    suite_add("mem/write_null", store_to, END_FAULT, 0, 0);
    suite_add("mem/jump_kernel", jump_to, END_FAULT, (long)SUITE_KADDR, 0);
    suite_add("mem/jump_noncanon", jump_to, END_FAULT, (long)(0x10000 | SUITE_NONCANON), 0);
    suite_add("mem/jump_null", jump_to, END_FAULT, 0, 0);
    suite_add("mem/jump_data", jump_to, END_FAULT, (long)data_code, 0);
    suite_add("mem/jump_shared_data", jump_to, END_FAULT, (long)SHARED_BASE_ADDR, 0);
}
