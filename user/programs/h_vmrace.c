// help: test: threads race over their process's memory on several harts
/*
 * h_vmrace: threads of one process race each other over its memory on
 * several harts, the way that once let a process reach freed frames.
 * Each round runs in a child process; the parent judges how it ended.
 *
 *   h_vmrace staletlb [rounds]   writers on other harts keep using heap
 *       pages while the main thread gives them back (sbrk down).  The first
 *       write after sbrk returns must fault (the child is killed); a writer
 *       that goes on writing uses frames the kernel has freed (stale TLB).
 *   h_vmrace pipe [rounds]       a thread blocks in read() into heap pages
 *       that a sibling then frees; the writer fills the pipe: the read must
 *       fail with EFAULT or fault, never write into the freed frames.
 *   h_vmrace fork [rounds]       fork while siblings grow and shrink the
 *       heap: every child sees a heap consistent with its break.
 *   h_vmrace exec [rounds]       exec the moment the last sibling has
 *       exited (it may still be leaving its hart, on the old page table).
 *   h_vmrace schedstat [rounds]  schedstat on processes that exit under it
 *       (boot with poison=1: a read of their freed shared page shows).
 *   h_vmrace copy [rounds]       another process's reads copy heap pages out
 *       of this one (asynchronous pipe writes, completed by the reader)
 *       while the main thread gives the heap back and takes it again
 *       (sbrk), on another hart.  Boot with poison=1: a copy that went on
 *       from a frame freed under it brings the poison to the reader.
 *   h_vmrace copyin [rounds]     the other way: another process's writes
 *       complete this one's asynchronous reads, copying into its heap page
 *       on the writer's hart, while the main thread gives the page back and
 *       takes it again.  Boot the debug kernel: a copy that went on into a
 *       frame freed under it is caught when the frame is taken again.
 *   h_vmrace all [rounds]        all of the above but copy and copyin (their
 *       race needs two harts or more to be met at all: their own tests run
 *       them there).
 *
 * Between rounds the parent forks and spawns, so frames freed by a round
 * are handed out again at once (as page tables, kernel stacks): a kernel
 * that let a process keep them shows it by crashing.  Prints one line per
 * mode and "h_vmrace: PASS" if every round ended as it must.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <thread.h>
#include <unistd.h>
#include "coro.h"

#define PAGE 4096
/* What a freed frame holds when the kernel is booted with poison=1. */
#define POISON64 0xa5a5a5a5a5a5a5a5ULL
#define HEAP_PAGES 64
#define WRITERS 3

static volatile char *heap;
static volatile uint64_t passes[WRITERS];   /* in .bss: stays mapped */
static volatile bool go;

static void *writer(void *arg)
{
    int me = (int)(intptr_t)arg;
    while (!go)
        ;
    for (;;) {
        for (int p = 0; p < HEAP_PAGES; p++)
            heap[p * PAGE + me * 8]++;
        passes[me]++;
    }
    return NULL;
}

static void spin_ms(uint64_t ms)
{
    uint64_t end = time() + ms * 1000000;
    while (time() < end)
        ;
}

/* Child: exits 1 if a writer wrote after the heap was given back. */
static void staletlb_child(void)
{
    heap = sbrk(HEAP_PAGES * PAGE);
    if (heap == (void *)-1)
        exit(3);
    memset((void *)heap, 1, HEAP_PAGES * PAGE);
    for (int i = 0; i < WRITERS; i++)
        if (thread_create(writer, (void *)(intptr_t)i) < 0)
            exit(3);
    go = true;
    for (int i = 0; i < WRITERS; i++)
        while (passes[i] < 2)
            yield();
    if (sbrk(-HEAP_PAGES * PAGE) == (void *)-1)
        exit(3);
    uint64_t seen[WRITERS];
    for (int i = 0; i < WRITERS; i++)
        seen[i] = passes[i];
    /* A writer may finish the pass it was in (one increment); the next
     * write faults and ends this process during the spin. */
    spin_ms(200);
    for (int i = 0; i < WRITERS; i++)
        if (passes[i] > seen[i] + 1) {
            printf("h_vmrace: writer %d made %lu passes over freed pages\n", i,
                   (unsigned long)(passes[i] - seen[i]));
            exit(1);
        }
    exit(2);            /* the writers never ran again: nothing learned */
}

static int pipe_fds[2];
static volatile long read_result;
static volatile bool reading;

static void *reader(void *arg)
{
    (void)arg;
    reading = true;
    read_result = read(pipe_fds[0], (void *)heap, HEAP_PAGES * PAGE);
    read_result = read_result < 0 ? -errno : read_result;
    return NULL;
}

/* Child: a read blocked into pages that are freed before data arrives.
 * Exits 0 if the read failed with EFAULT (or the process faulted), 1 if it
 * claims to have read into the freed pages. */
static void pipe_child(void)
{
    heap = sbrk(HEAP_PAGES * PAGE);
    if (heap == (void *)-1 || pipe(pipe_fds) < 0)
        exit(3);
    int tid = thread_create(reader, NULL);
    if (tid < 0)
        exit(3);
    while (!reading)
        yield();
    sleep(20);                          /* let it block in read */
    if (sbrk(-HEAP_PAGES * PAGE) == (void *)-1)
        exit(3);
    static char data[PAGE];
    memset(data, 'x', sizeof data);
    write(pipe_fds[1], data, sizeof data);
    thread_join(tid, NULL);
    if (read_result == -EFAULT)
        exit(0);
    printf("h_vmrace: read into freed pages returned %ld\n", (long)read_result);
    exit(1);
}

static volatile bool stop_resizers;

static void *resizer(void *arg)
{
    (void)arg;
    while (!stop_resizers) {
        char *p = sbrk(16 * PAGE);
        if (p == (void *)-1)
            continue;
        memset(p, 0x5a, 16 * PAGE);
        sbrk(-16 * PAGE);
    }
    return NULL;
}

/* Child: forks while a thread resizes the heap; each grandchild checks
 * that every page below its break is readable (it would fault otherwise). */
static void fork_child(void)
{
    char *start = sbrk(0);              /* the heap below it is the image's */
    int tid = thread_create(resizer, NULL);
    if (tid < 0)
        exit(3);
    int bad = 0;
    for (int i = 0; i < 8; i++) {
        int pid = fork();
        if (pid == 0) {
            char *brk = sbrk(0);
            volatile char sum = 0;
            for (char *p = start; p < brk; p += PAGE)
                sum += *p;              /* faults if the copy lost a page */
            exit(0);
        }
        int status;
        if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
            WEXITSTATUS(status) != 0)
            bad++;
    }
    stop_resizers = true;
    thread_join(tid, NULL);
    exit(bad ? 1 : 0);
}

static void *exits_at_once(void *arg)
{
    (void)arg;
    return NULL;
}

/* Child: execs the moment its only sibling has exited. */
static void exec_child(void)
{
    if (thread_create(exits_at_once, NULL) < 0)
        exit(3);
    char *argv[] = { "h_vmrace", "--exit", NULL };
    for (;;) {
        long r = syscall_raw(SYS_exec, (long)"h_vmrace", (long)argv, 0);
        if (r != -EBUSY)
            exit(4);                    /* exec failed otherwise */
    }
}

/* Child: schedstat on short-lived processes that exec and exit. */
static void schedstat_child(void)
{
    int bad = 0;
    for (int i = 0; i < 10; i++) {
        char *argv[] = { "h_vmrace", "--exit", NULL };
        int pid = spawn("h_vmrace", argv);
        if (pid < 0)
            exit(3);
        struct schedstat st;
        long r;
        do {
            r = syscall_raw(SYS_schedstat, pid, (long)&st, 0);
            /* Read out of its freed shared page (booted with poison=1)? */
            if (r == 0 && (st.user_switches_reported == POISON64 ||
                           st.yields_to_kernel_reported == POISON64)) {
                printf("h_vmrace: schedstat read a freed page of pid %d\n", pid);
                bad++;
            }
        } while (r == 0);
        if (r != -ESRCH)
            bad++;
        int status;
        waitpid(pid, &status, 0);
    }
    exit(bad ? 1 : 0);
}

/* copy: the heap's pages hold COPY_BYTE, or 0 for a moment after the
 * main thread has taken them again (sbrk maps zeroed frames) and before it
 * refills them.  Anything else that came out of them came from a frame
 * that was no longer the process's (the poison of a freed one). */
#define COPY_BYTE 0x5a
#define COPY_MS 300
/* The heap here is one page, given back and taken again: its frame is
 * freed (and poisoned) a few hundred instructions after its unmap began,
 * within a copy of it that began before (a page's memcpy).  With sixteen
 * pages it was freed only after sixteen unmaps, and a copy begun before
 * had long ended whatever the lock did (2 and 4 harts, lock broken: no
 * round saw it). */
static int copy_fds[2];
static volatile bool copy_go, copy_stop;
#define COPY_IOS 8                     /* writes in the pipe's line at once */
static struct co_io copy_io[COPY_IOS]; /* in .bss: never unmapped */
static volatile uint64_t copies_done, copies_refused;

/* A write's result: false if the writer should stop (the reader ended,
 * and says why). */
static bool count_write(long r)
{
    if (r == PAGE)
        copies_done++;
    else if (r == -EFAULT)
        copies_refused++;              /* the page was gone: nothing moved */
    else if (r == -EPIPE)
        return false;
    else
        exit(3);
    return true;
}

/* The loop of both directions: COPY_IOS asynchronous transfers of the
 * heap page through fd (sysno SYS_write_async or SYS_read_async) kept in
 * flight until copy_stop, each result given to count, which says whether
 * to go on.  At the end the ones still in the line are cancelled or
 * waited for; their results are counted if count_left says so. */
static void async_pages(int fd, long sysno, bool (*count)(long), bool count_left)
{
    bool in_flight[COPY_IOS] = { false };
    while (!copy_go)
        ;
    while (!copy_stop) {
        bool moved = false;
        for (int i = 0; i < COPY_IOS && !copy_stop; i++) {
            if (in_flight[i]) {
                if (!copy_io[i].done)
                    continue;
                in_flight[i] = false;
                moved = true;
                if (!count(copy_io[i].result))
                    return;
            }
            copy_io[i] = (struct co_io){ .result = 0, .cid = (uint32_t)i, .done = 0 };
            long r = syscall_raw4(sysno, fd, (long)heap, PAGE, (long)&copy_io[i]);
            if (r == -EINPROGRESS)
                in_flight[i] = true;
            else if (!count(r))
                return;
        }
        if (!moved)
            yield();
    }
    for (int i = 0; i < COPY_IOS; i++)
        if (in_flight[i] && syscall_raw(SYS_co_cancel_io, (long)&copy_io[i], 0, 0) != 0) {
            while (!copy_io[i].done)
                yield();
            if (count_left && !count(copy_io[i].result))
                return;
        }
}

/* Writes heap pages into the pipe, asynchronously, COPY_IOS at a time:
 * the pipe is kept full by them, so they wait in the pipe's line, and the
 * reader's reads complete them, each copying a page on the reader's hart,
 * out of this process's memory.  That hart is on the reader's page
 * table, so the unmap's TLB shootdown does not stop it mid-copy (as it
 * stops a copy by a thread of this process, on a hart of this page
 * table): only the address space's lock keeps the frame from being freed
 * under the copy. */
static void *async_writer(void *arg)
{
    (void)arg;
    /* The ones still in the line at the end: the reader completes them
     * (or the close of the write end ends them) before it sees EOF. */
    async_pages(copy_fds[1], SYS_write_async, count_write, true);
    return NULL;
}

/* An asynchronous read's result (copyin): false if the reader should
 * stop (the pipe's other end is gone). */
static bool count_read(long r)
{
    if (r > 0)
        copies_done++;
    else if (r == -EFAULT)
        copies_refused++;              /* the page was gone: nothing moved */
    else if (r == 0)
        return false;
    else
        exit(3);
    return true;
}

/* The other process: reads pages until EOF; exits 1 if one held a byte
 * no heap page of the writer's held, 0 if none did, 2 if it read none. */
static void copy_reader(void)
{
    static char back[PAGE];
    close(copy_fds[1]);
    uint64_t pages = 0;
    ssize_t n;
    while ((n = read(copy_fds[0], back, PAGE)) > 0) {
        for (ssize_t i = 0; i < n; i++)
            if (back[i] != COPY_BYTE && back[i] != 0) {
                printf("h_vmrace: copy: a page read brought %#x at byte %ld\n",
                       (unsigned char)back[i], (long)i);
                exit(1);
            }
        pages++;
    }
    exit(n == 0 && pages ? 0 : 2);
}

/* Child: exits 0 if every copy was clean and both kinds (done and
 * refused) happened, 1 if a copy brought foreign bytes, 2 if the race
 * was not met. */
static void copy_child(void)
{
    if (syscall_raw(SYS_co_setup, 1, 0, 0) <= 0 || pipe(copy_fds) < 0)
        exit(3);
    int reader = fork();
    if (reader == 0)
        copy_reader();
    close(copy_fds[0]);
    /* The thread before the heap: what thread_create allocates (the
     * thread's own data, its errno) must lie below the pages given back,
     * not above. */
    int tid = reader < 0 ? -1 : thread_create(async_writer, NULL);
    if (tid < 0)
        exit(3);
    heap = sbrk(PAGE);
    if (heap == (void *)-1)
        exit(3);
    memset((void *)heap, COPY_BYTE, PAGE);
    copy_go = true;
    uint64_t end = time() + COPY_MS * 1000000ULL;
    while (time() < end) {
        /* Gone, then back: a page may go in the middle of its copy; the
         * kernel must finish the copy first or refuse it. */
        if (sbrk(-PAGE) == (void *)-1 || sbrk(PAGE) == (void *)-1)
            exit(3);
        memset((void *)heap, COPY_BYTE, PAGE);
    }
    copy_stop = true;
    thread_join(tid, NULL);
    close(copy_fds[1]);                /* the reader's EOF */
    int status;
    if (waitpid(reader, &status, 0) != reader || !WIFEXITED(status))
        exit(3);
    printf("h_vmrace: copy: %lu pages written, %lu refused, reader's status %d\n",
           (unsigned long)copies_done, (unsigned long)copies_refused, WEXITSTATUS(status));
    if (WEXITSTATUS(status) != 0)
        exit(WEXITSTATUS(status) == 1 ? 1 : 2);
    exit(copies_done && copies_refused ? 0 : 2);
}

/* copyin: asynchronous reads into the heap's one page, kept COPY_IOS in
 * the pipe's line, completed by the other process's writes: each copies a
 * page into this process's memory on the writer's hart, under the address
 * space's lock held shared (kernel/hart_rwlock.h), while the main thread
 * unmaps the page and maps a fresh one.  The bytes that land are not
 * judged (the page the copy found is this process's either way); what a
 * copy must never do is go on into the frame freed under it, which the
 * debug kernel sees when the frame is taken next (inv_frame_taken: the
 * poison written over), most likely by this very loop's next sbrk. */
static void *async_reader(void *arg)
{
    (void)arg;
    async_pages(copy_fds[0], SYS_read_async, count_read, false);
    return NULL;
}

/* The other process: writes pages into the pipe until the reader is gone. */
static void copyin_writer(void)
{
    static char page[PAGE];
    close(copy_fds[0]);
    memset(page, COPY_BYTE, PAGE);
    while (write(copy_fds[1], page, PAGE) > 0)
        ;
    exit(0);
}

/* Child: exits 0 if the race was met (reads that went through and reads
 * that found their page gone), 2 if not; the debug kernel panics if a
 * copy wrote into a freed frame. */
static void copyin_child(void)
{
    if (syscall_raw(SYS_co_setup, 1, 0, 0) <= 0 || pipe(copy_fds) < 0)
        exit(3);
    int writer_pid = fork();
    if (writer_pid == 0)
        copyin_writer();
    close(copy_fds[1]);
    int tid = writer_pid < 0 ? -1 : thread_create(async_reader, NULL);
    if (tid < 0)
        exit(3);
    heap = sbrk(PAGE);
    if (heap == (void *)-1)
        exit(3);
    copy_go = true;
    uint64_t end = time() + COPY_MS * 1000000ULL;
    while (time() < end)
        if (sbrk(-PAGE) == (void *)-1 || sbrk(PAGE) == (void *)-1)
            exit(3);
    copy_stop = true;
    thread_join(tid, NULL);
    close(copy_fds[0]);                /* the writer's EPIPE */
    int status;
    if (waitpid(writer_pid, &status, 0) != writer_pid)
        exit(3);
    printf("h_vmrace: copyin: %lu pages read, %lu refused\n",
           (unsigned long)copies_done, (unsigned long)copies_refused);
    exit(copies_done && copies_refused ? 0 : 2);
}

/* Hands freed frames out again: a fork and a spawn, both must work. */
static bool reuse_frames(void)
{
    int pid = fork();
    if (pid == 0)
        exit(0);
    int status;
    bool ok = pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status);
    char *argv[] = { "h_vmrace", "--exit", NULL };
    pid = spawn("h_vmrace", argv);
    return ok && pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status);
}

struct mode {
    const char *name;
    void (*child)(void);
    /* How a round must end: killed by a fault, or exit 0 (or either). */
    bool fault_ok, exit0_ok;
    bool in_all;                        /* run by `h_vmrace all` */
};

static const struct mode modes[] = {
    { "staletlb", staletlb_child, true, false, true },
    { "pipe", pipe_child, true, true, true },
    { "fork", fork_child, false, true, true },
    { "exec", exec_child, false, true, true },
    { "schedstat", schedstat_child, false, true, true },
    { "copy", copy_child, false, true, false },
    { "copyin", copyin_child, false, true, false },
};
#define NMODES (int)(sizeof modes / sizeof modes[0])

static bool run_mode(const struct mode *m, int rounds)
{
    int good = 0, undecided = 0;
    for (int r = 0; r < rounds; r++) {
        int pid = fork();
        if (pid == 0)
            m->child();
        int status;
        if (pid < 0 || waitpid(pid, &status, 0) != pid) {
            printf("h_vmrace: %s: fork/waitpid failed: %s\n", m->name, strerror(errno));
            return false;
        }
        bool faulted = WIFSIGNALED(status) && WTERMSIG(status) == TERM_FAULT;
        bool exit0 = WIFEXITED(status) && WEXITSTATUS(status) == 0;
        if ((faulted && m->fault_ok) || (exit0 && m->exit0_ok))
            good++;
        else if (WIFEXITED(status) && WEXITSTATUS(status) == 2)
            undecided++;
        else
            printf("h_vmrace: %s: round %d ended with status %#x\n", m->name, r, status);
        if (!reuse_frames()) {
            printf("h_vmrace: %s: fork or spawn failed after round %d\n", m->name, r);
            return false;
        }
    }
    printf("h_vmrace: %s: %d of %d rounds as they must end, %d undecided\n", m->name,
           good, rounds, undecided);
    return good + undecided == rounds && good > 0;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--exit") == 0)
        return 0;
    const char *which = argc > 1 ? argv[1] : "all";
    int rounds = argc > 2 ? atoi(argv[2]) : 10;
    bool all_ok = true, known = false;
    for (int i = 0; i < NMODES; i++)
        if ((strcmp(which, "all") == 0 && modes[i].in_all) || strcmp(which, modes[i].name) == 0) {
            known = true;
            all_ok &= run_mode(&modes[i], rounds);
        }
    if (!known) {
        printf("usage: h_vmrace staletlb|pipe|fork|exec|schedstat|copy|copyin|all [rounds]\n");
        return 2;
    }
    printf("h_vmrace: %s\n", all_ok ? "PASS" : "FAIL");
    return all_ok ? 0 : 1;
}
