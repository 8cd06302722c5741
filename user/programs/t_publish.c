// help: test: what the kernel tells a process on its way back from a system call (t_publish)
/*
 * t_publish: checks what the kernel publishes in the process's shared
 * region on its way back to user mode (os/sched/shared.c, shared_publish):
 * which thread runs on the hart (current[hart]), the record's hart and
 * state, off_hart and kprio.  The kernel writes them only when what it
 * last wrote on that hart may be stale (cpu.published), so each case below
 * takes one side of that test:
 *   same      a thousand getpid calls, nothing changed: the view stays
 *             right (the way back that writes nothing);
 *   prio      set_priority to each level from the thread's own down to 1
 *             and back: kprio follows at once (a change the kernel made);
 *   view      the process marks its own current[hart] (as a park does),
 *             pinned to its hart by block_sched, then calls getpid: the
 *             kernel writes the view afresh (a trap that found current[]
 *             not naming the thread);
 *   exec      a child that fork()ed on this hart execs `t_publish child`,
 *             the same thread in a new region, which checks `same` there
 *             (a new region is published whatever the hart last wrote).
 * Prints "t_publish: PASS", or a FAIL line per case that went wrong.
 */
#include <stdio.h>
#include <string.h>
#include <thread.h>
#include <unistd.h>
#include "../lib/uthread.h"
#include "vdso.h"

#define V     ((volatile VDSO_DATA *)SHARED_BASE_ADDR)
#define TASKS ((volatile TaskSched *)SHARED_TASKS_ADDR)
/* A thread may be moved to another hart between a system call and the
 * reads after it: a sample is retried that many times before it counts
 * as wrong. */
#define TRIES 1000

static int failures;

static void fail(const char *what, const char *detail)
{
    printf("t_publish: FAIL %s: %s\n", what, detail);
    failures++;
}

/* One sample of this hart's view, taken right after a system call (getcpu,
 * which is one); 1 if it says what the kernel must have published. */
static int view_is_right(uint32_t me, char *why, size_t n)
{
    int hart = getcpu();
    uint32_t cur = V->current[hart];
    uint32_t rec_hart = TASKS[me].hart;
    uint32_t state = TASKS[me].state;
    uint32_t off = V->off_hart[me];
    uint32_t kprio = V->kprio[me];
    int prio = get_priority(0);
    if (getcpu() != hart) {
        snprintf(why, n, "moved while looking");
        return 0;
    }
    snprintf(why, n, "hart %d: current %u (me %u), record hart %u, state %u, off_hart %u, "
             "kprio %u (priority %d)", hart, cur, me, rec_hart, state, off, kprio, prio);
    return cur == me && rec_hart == (uint32_t)hart && state == TASK_RUNNING && off == 0 &&
           kprio == (uint32_t)prio;
}

static void check_same(uint32_t me)
{
    int pid = getpid();
    for (int i = 0; i < 1000; i++)
        if (getpid() != pid) {
            fail("same", "getpid changed");
            return;
        }
    char why[160];
    for (int i = 0; i < TRIES; i++)
        if (view_is_right(me, why, sizeof(why)))
            return;
    fail("same", why);
}

static int set_and_check(uint32_t me, int p)
{
    if (set_priority(0, p) != 0) {
        char why[64];
        snprintf(why, sizeof(why), "set_priority(%d) refused", p);
        fail("prio", why);
        return 0;
    }
    /* kprio is per thread, not per hart: any publication writes it. */
    if (V->kprio[me] != (uint32_t)p) {
        char why[64];
        snprintf(why, sizeof(why), "kprio %u after set_priority(%d)", V->kprio[me], p);
        fail("prio", why);
        return 0;
    }
    return 1;
}

static void check_prio(uint32_t me)
{
    int own = get_priority(0);
    int p = own;
    while (p > 1 && set_and_check(me, p - 1))
        p--;
    while (p < own && set_and_check(me, p + 1))
        p++;
}

/* Pins this thread to its hart the way the runtime does (block_sched,
 * then the record still naming that hart: the kernel rewrites it if it
 * moved the thread); the hart, or -1 if it moved meanwhile. */
static int pin(uint32_t me)
{
    uint32_t hart = __atomic_load_n(&TASKS[me].hart, __ATOMIC_ACQUIRE);
    if (hart >= V->nharts || hart >= SCHED_MAX_HARTS)
        return -1;
    uint32_t section = __atomic_add_fetch(&V->block_seq, 2, __ATOMIC_RELAXED) | 1;
    __atomic_store_n(&V->block_sched[hart], section, __ATOMIC_SEQ_CST);
    if (__atomic_load_n(&TASKS[me].hart, __ATOMIC_SEQ_CST) != hart) {
        __atomic_store_n(&V->block_sched[hart], 0, __ATOMIC_RELEASE);
        return -1;
    }
    return (int)hart;
}

static void check_view(uint32_t me)
{
    for (int i = 0; i < TRIES; i++) {
        int hart = pin(me);
        if (hart < 0)
            continue;
        /* As a park marks it, but no park: only the kernel's rewrite can
         * take the mark away.  block_sched keeps an interrupt here from
         * finishing a park that was never begun. */
        V->current[hart] = me | CURRENT_PARKING;
        getpid();
        uint32_t seen = V->current[hart];
        if (seen != me)
            V->current[hart] = me;        /* undone before anything traps */
        __atomic_store_n(&V->block_sched[hart], 0, __ATOMIC_RELEASE);
        if (seen != me) {
            char why[64];
            snprintf(why, sizeof(why), "current[%d] is 0x%x after getpid, not %u", hart,
                     seen, me);
            fail("view", why);
        }
        return;
    }
    fail("view", "could not pin the thread to a hart");
}

/* The second thread of `switch` and `words`: yields through the kernel
 * until told to stop, so that the main thread's yields switch. */
static volatile int partner_stop;

static void *partner(void *arg)
{
    (void)arg;
    while (!partner_stop)
        syscall_raw(SYS_yield, 0, 0, 0);
    return NULL;
}

static void kernel_yields(int n)
{
    for (int i = 0; i < n; i++)
        syscall_raw(SYS_yield, 0, 0, 0);
}

static void check_switch(uint32_t me)
{
    char why[160];
    for (int round = 0; round < 200; round++) {
        kernel_yields(1);
        int right = 0;
        for (int i = 0; i < TRIES && !right; i++)
            right = view_is_right(me, why, sizeof(why));
        if (!right) {
            fail("switch", why);
            return;
        }
    }
}

#define SCRIBBLED_PRIO 0xee           /* no priority (1..SCHED_PRIO_MAX) */
#define SCRIBBLED_TID  0xdeadbeefu

static void scribble_words(uint32_t me)
{
    V->kprio[me] = SCRIBBLED_PRIO;
    TASKS[me].tid = SCRIBBLED_TID;
}

/* With the partner yielding: kernel switches leave the words alone. */
static void check_words_kept(uint32_t me)
{
    int prio = get_priority(0);
    uint32_t tid = (uint32_t)gettid();
    scribble_words(me);
    kernel_yields(100);
    uint32_t kprio = V->kprio[me], rec_tid = TASKS[me].tid;
    int kept = kprio == SCRIBBLED_PRIO && rec_tid == SCRIBBLED_TID;
    int rewritten = kprio == (uint32_t)prio && rec_tid == tid;
    /* One hart: nothing changed, nothing is written.  Several: a move
     * writes both. */
    if (V->nharts == 1 ? !kept : !kept && !rewritten) {
        char why[160];
        snprintf(why, sizeof(why), "after kernel switches: kprio %u, record tid 0x%x "
                 "(priority %d, tid %u, %u harts)", kprio, rec_tid, prio, tid, V->nharts);
        fail("words", why);
    }
}

/* A change of priority writes them afresh, wherever the thread runs.
 * (Without the partner: lowered below it, on one hart, this thread would
 * wait for ever.) */
static void check_words_changed(uint32_t me)
{
    int prio = get_priority(0);
    uint32_t tid = (uint32_t)gettid();
    int other = prio > 1 ? prio - 1 : prio + 1;
    scribble_words(me);
    if (set_priority(0, other) != 0 || V->kprio[me] != (uint32_t)other ||
        TASKS[me].tid != tid) {
        char why[160];
        snprintf(why, sizeof(why), "after set_priority(%d): kprio %u, record tid 0x%x",
                 other, V->kprio[me], TASKS[me].tid);
        fail("words", why);
    }
    set_priority(0, prio);
}

static void check_exec(void)
{
    int pid = fork();
    if (pid == 0) {
        char *argv[] = { "t_publish", "child", NULL };
        exec("t_publish", argv);
        printf("t_publish: exec failed\n");
        exit(3);
    }
    int status = -1;
    if (pid < 0 || waitpid(pid, &status, 0) != pid || status != 0) {
        char why[64];
        snprintf(why, sizeof(why), "the exec'd child ended with status 0x%x", status);
        fail("exec", why);
    }
}

int main(int argc, char **argv)
{
    uint32_t me = uthread_self()->task;
    if (argc == 2 && strcmp(argv[1], "child") == 0) {
        check_same(me);
        return failures ? 1 : 0;
    }
    if (argc != 1) {
        dprintf(2, "usage: t_publish\n");
        return 2;
    }
    check_same(me);
    check_prio(me);
    check_same(me);
    check_view(me);
    check_same(me);
    check_exec();
    int tid = thread_create(partner, NULL);
    if (tid < 0) {
        fail("switch", "thread_create failed");
    } else {
        check_switch(me);
        check_words_kept(me);
        partner_stop = 1;
        thread_join(tid, NULL);
        check_words_changed(me);
        check_same(me);
    }
    if (failures)
        return 1;
    printf("t_publish: PASS\n");
    return 0;
}
