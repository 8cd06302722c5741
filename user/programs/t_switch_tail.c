// help: test: a user-mode switch caught between naming the next thread and releasing the lock
/*
 * t_switch_tail: a user-mode switch from thread A to thread B ends with
 * three steps after current[hart] names B (rt_switch, user/runtime/
 * switch.S): A's record READY, the queue lock (A's slot + 1) released, B's
 * registers loaded.  A trap that comes between the first and the last is
 * B's (the kernel reconciles: it releases A and takes over B), yet the lock
 * still names A and A's record still says RUNNING.  The kernel must
 * (os/sched/reconcile.c, in_switch_tail):
 *   - spare B there, as it spares a lock holder: preempted, B would leave
 *     every thread of its process waiting for a lock whose named holder is
 *     parked (t_chaos on 8 harts once idled every hart for minutes so), and
 *     the kernel, finding A's record RUNNING with no thread of the process
 *     on a hart, would resume A under the unfinished switch;
 *   - mark A off its hart (off_hart), as it does for any thread it takes
 *     off a hart: waiters must not rest their harts for a holder that runs
 *     nowhere.
 *
 * A real switch is over in a few instructions, so this program makes one
 * by hand, the same steps, and stays in that window for WINDOW_MS: main
 * (A) takes the lock, claims the parked partner (B), saves its registers
 * into its record, names B in current[], then spins; a competitor of
 * higher priority wakes every millisecond meanwhile, and would take the
 * hart at the first tick if B were not spared.  Then main finishes the
 * switch and loads the partner's registers; the kernel resumes main later,
 * from its record, like any parked thread.
 *
 * One hart only: the partner must stay parked until main claims it, and on
 * more harts the kernel may take it to another hart at any moment.  The
 * stress test (t_chaos) exercises the window on many harts, by chance.
 * Prints "t_switch_tail: PASS", or a FAIL line per check that failed.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <thread.h>
#include <unistd.h>
#include "../lib/uthread.h"
#include "../lib/rdtime.h"
#include "../lib/shared_records.h"
#include "vdso.h"

#define WINDOW_MS     40    /* in the window: a few ticks, under the spare's bound
                               (BLOCK_SCHED_MAX_TICKS, 10 ticks with the kernel waiting) */
#define PARK_TRIES    10000 /* yields to find the partner parked in user mode */
#define MAIN_PRIO     4     /* main and the partner, below the competitor */
#define COMPETITOR_PRIO 6

/* Saves ra, sp, tp, s0..s11 in the layout of TaskSched.ctx (TASK_CTX_*)
 * and returns 0; returns 1 when the kernel resumes the thread from that
 * record (resume_parked loads it with 1 in a0). */
int tail_save(volatile uint64_t *ctx) __attribute__((returns_twice));
/* Loads such a context and returns `value` there. */
void tail_load(volatile uint64_t *ctx, long value) __attribute__((noreturn));
__asm__(
    "    .text\n"
    "    .globl tail_save\n"
    "tail_save:\n"
    "    sd ra, 0(a0)\n    sd sp, 8(a0)\n    sd tp, 16(a0)\n"
    "    sd s0, 24(a0)\n   sd s1, 32(a0)\n   sd s2, 40(a0)\n   sd s3, 48(a0)\n"
    "    sd s4, 56(a0)\n   sd s5, 64(a0)\n   sd s6, 72(a0)\n   sd s7, 80(a0)\n"
    "    sd s8, 88(a0)\n   sd s9, 96(a0)\n   sd s10, 104(a0)\n sd s11, 112(a0)\n"
    "    li a0, 0\n"
    "    ret\n"
    "    .globl tail_load\n"
    "tail_load:\n"
    "    ld ra, 0(a0)\n    ld sp, 8(a0)\n    ld tp, 16(a0)\n"
    "    ld s0, 24(a0)\n   ld s1, 32(a0)\n   ld s2, 40(a0)\n   ld s3, 48(a0)\n"
    "    ld s4, 56(a0)\n   ld s5, 64(a0)\n   ld s6, 72(a0)\n   ld s7, 80(a0)\n"
    "    ld s8, 88(a0)\n   ld s9, 96(a0)\n   ld s10, 104(a0)\n ld s11, 112(a0)\n"
    "    mv a0, a1\n"
    "    ret\n");

static volatile int stop;
static volatile uint64_t wakes;             /* the competitor's */
static int failures;

/* What the window saw, kept outside main's frame: main leaves the window
 * as the partner, on the partner's stack. */
static volatile struct {
    int done;                               /* the switch finished */
    uint64_t wakes_before, wakes_after;     /* the competitor's, around it */
    uint8_t off_hart_seen;                  /* main's off_hart at its end */
} window;

static void fail(const char *what)
{
    printf("t_switch_tail: FAIL: %s\n", what);
    failures++;
}

/* B: yields in user mode until told to stop; between its yields it is
 * parked in the process's queue, READY. */
static void *partner(void *arg)
{
    (void)arg;
    while (!stop)
        yield_();
    return NULL;
}

/* Wakes every millisecond (at the next tick), more urgent than main. */
static void *competitor(void *arg)
{
    (void)arg;
    while (!stop) {
        sleep(1);
        wakes++;
    }
    return NULL;
}

/* Takes the queue lock in main's name (slot a), which pins main, with the
 * partner (slot b) parked READY under it.  False if the partner never
 * stays parked that long. */
static bool lock_with_partner_parked(uint32_t a, uint32_t b)
{
    for (int tries = 0; tries < PARK_TRIES; tries++) {
        yield_();       /* the partner runs, and parks again at its yield */
        if (SHARED_RECORDS[b].state != TASK_READY)
            continue;
        getcpu();       /* a system call: the kernel's view of this hart is main */
        uint32_t free_lock = 0;
        if (!__atomic_compare_exchange_n(&SHARED_VDSO->queue_lock, &free_lock, a + 1, 0,
                                         __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
            continue;
        /* Pinned from here: nothing else runs on this one hart. */
        if (SHARED_RECORDS[b].state == TASK_READY)
            return true;
        __atomic_store_n(&SHARED_VDSO->queue_lock, 0, __ATOMIC_RELEASE);  /* a tick first */
    }
    return false;
}

/* The window, as main (slot a) switching to the partner (slot b), which is
 * parked READY.  Returns when the kernel resumes main afterwards. */
static void switch_by_hand(uint32_t a, uint32_t b)
{
    uint64_t ticks_per_ms = SHARED_VDSO->ticks_per_ms;
    if (!lock_with_partner_parked(a, b)) {
        fail("the partner never stayed parked in user mode");
        return;
    }
    SHARED_RECORDS[b].state = TASK_RUNNING;  /* claimed (one hart: nobody else looks) */
    uint32_t hart = SHARED_RECORDS[a].hart;
    if (tail_save(SHARED_RECORDS[a].ctx) != 0)
        return;                             /* resumed by the kernel, as main */
    SHARED_VDSO->off_hart[b] = 0;
    __atomic_store_n(&SHARED_VDSO->current[hart], b, __ATOMIC_RELEASE);
    /* In the window: to the kernel's next trap, this is the partner, and
     * the lock names main. */
    window.wakes_before = wakes;
    uint64_t from = rdtime();
    while (rdtime() - from < WINDOW_MS * ticks_per_ms)
        ;
    window.wakes_after = wakes;
    window.off_hart_seen = SHARED_VDSO->off_hart[a];
    window.done = 1;
    /* rt_switch's steps: main READY, the lock released, the partner's
     * registers loaded (its yield_() returns 1). */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    SHARED_RECORDS[a].state = TASK_READY;
    __atomic_store_n(&SHARED_VDSO->queue_lock, 0, __ATOMIC_RELEASE);
    tail_load(SHARED_RECORDS[b].ctx, 1);
}

int main(void)
{
    struct sysinfo si;
    if (sysinfo(&si) != 0 || si.harts != 1) {
        printf("t_switch_tail: needs exactly one hart (it has %d)\n", (int)si.harts);
        return 2;
    }
    if (SHARED_VDSO->ticks_per_ms == 0) {
        printf("t_switch_tail: FAIL: the kernel did not publish ticks_per_ms\n");
        return 1;
    }
    set_priority(0, MAIN_PRIO);
    int ptid = thread_create(partner, NULL);
    int ctid = thread_create(competitor, NULL);
    if (ptid <= 0 || ctid <= 0) {
        printf("t_switch_tail: FAIL: thread_create\n");
        return 1;
    }
    set_priority(ptid, MAIN_PRIO);
    set_priority(ctid, COMPETITOR_PRIO);
    uint32_t a = uthread_self()->task;
    int b = -1;
    for (int tries = 0; tries < PARK_TRIES && b < 0; tries++) {
        yield_();                           /* its record is named once it has run */
        b = shared_slot_of(ptid);
    }
    if (b < 0 || (uint32_t)b == a) {
        printf("t_switch_tail: FAIL: no record for the partner\n");
        return 1;
    }
    switch_by_hand(a, (uint32_t)b);
    if (!failures) {
        if (!window.done) {
            /* Resumed under the unfinished switch: the kernel took main's
             * RUNNING record for a lie.  Its partner's frames share this
             * stack: end here. */
            printf("t_switch_tail: FAIL: main was resumed before its switch finished "
                   "(the kernel preempted the partner in the window)\n");
            exit(1);
        }
        if (window.wakes_after != window.wakes_before)
            fail("the competitor ran while the partner was in the window (not spared)");
        if (window.off_hart_seen != 1)
            fail("main was still marked on a hart after the kernel released it");
    }
    uint64_t seen = wakes;
    while (wakes == seen)                   /* the competitor is alive */
        yield_();
    stop = 1;
    thread_join(ptid, NULL);
    thread_join(ctid, NULL);
    printf("t_switch_tail: window %d ms, competitor wakes %lu in it, %lu in all\n", WINDOW_MS,
           (unsigned long)(window.wakes_after - window.wakes_before), (unsigned long)wakes);
    if (failures)
        return 1;
    printf("t_switch_tail: PASS\n");
    return 0;
}
