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
 *   h_vmrace all [rounds]        all of the above.
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
};

static const struct mode modes[] = {
    { "staletlb", staletlb_child, true, false },
    { "pipe", pipe_child, true, true },
    { "fork", fork_child, false, true },
    { "exec", exec_child, false, true },
    { "schedstat", schedstat_child, false, true },
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
        if (strcmp(which, "all") == 0 || strcmp(which, modes[i].name) == 0) {
            known = true;
            all_ok &= run_mode(&modes[i], rounds);
        }
    if (!known) {
        printf("usage: h_vmrace staletlb|pipe|fork|exec|schedstat|all [rounds]\n");
        return 2;
    }
    printf("h_vmrace: %s\n", all_ok ? "PASS" : "FAIL");
    return all_ok ? 0 : 1;
}
