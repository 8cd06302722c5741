// help: test: yield_() takes the runtime's fast path and its C half (t_uswitch_paths [TURNS])
/*
 * t_uswitch_paths [TURNS]: which way the runtime's user-mode switch went.
 *
 * The runtime's yield (user/runtime/user_schedule.S) has an assembly fast
 * path for the common case and hands everything else over to its C half,
 * counting each hand-over in VDSO_DATA.slow_yields.  This program makes
 * yields that must go each way and checks the counts:
 *
 *   alone      the main thread yields with no other thread: the policy
 *              gives it back.  Only the C half finishes that (one
 *              hand-over per yield, no switch), except under a per-hart
 *              policy, whose fast path asks top_priority first and keeps
 *              the hart itself: on one hart, fewer hand-overs than a tenth
 *              of the yields (the kernel may have queued a thread as
 *              urgent for a moment: then the C half asks the kernel).
 *              Either way the thread is not left marked as queued.
 *   ping-pong  two threads pass a turn TURNS times each (default 2000):
 *              every turn must come in order.  On one hart every yield
 *              switches, and the fast path makes them: fewer hand-overs
 *              than a tenth of the switches (a timer tick may send a yield
 *              or two to the C half).  While the kernel records a
 *              timeline (`trace on`), the C half makes every switch: at
 *              least as many hand-overs as switches.  On more harts each
 *              thread may have a hart to itself: only the turns are
 *              judged.
 *
 *   off        the same ping-pong (a quarter of the turns) with the
 *              process's own VDSO_DATA.rt_off set by the process itself:
 *              every yield must go through the kernel, so no user-mode
 *              switch at all, every turn in order (the fast path reads
 *              rt_off with rt_ready, under the queue lock: a test of the
 *              lower word alone lets the policy run and fails this).
 *              rt_off is cleared after.
 *   ntasks     the same again with VDSO_DATA.ntasks (the process's copy)
 *              scribbled past SCHED_MAX_TASKS: the fast path takes its
 *              policy context from SCHED_KINFO (the kernel's), so on one
 *              hart it still makes the switches, fewer hand-overs than a
 *              tenth (it used to send every yield to the C half on such a
 *              value, which sends them to the kernel).  Put back before
 *              the threads exit (leave_queue reads it).
 *
 * First, what the kernel bound at boot for the fast path (SCHED_KINFO's
 * rt_yield_fetch and rt_ctx, os/sched/shared.c): the policy's yield_fetch
 * when it has one and is not per-hart, else nothing (the fast path then
 * reads the policy's header, out of line), and the context of the
 * process's own queue.  It says "policy entry bound" or "not bound".
 *
 * Every yield_() of both parts is made with s0..s11 set to values of its
 * own (yield_seeded_by with yield_): whichever way it went, a yield must return with the
 * registers a call preserves as they went in (the fast path uses them, and
 * hands over to the C half with the caller's back in place).  The
 * ping-pong's second thread yields light instead (yield_light, <unistd.h>:
 * yield_seeded_by with yield_light_call), which must keep s0..s2 and may change s3..s11: so
 * the first, a full yield's thread, is switched back to by a thread whose
 * own save held six registers, and must still get all twelve back.
 *
 * Prints the counts and PASS, or FAIL and which rule broke.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <thread.h>
#include <unistd.h>
#include "vdso.h"

#define ALONE_YIELDS 100

static const VDSO_DATA *const vdso = (const VDSO_DATA *)SHARED_BASE_ADDR;
static volatile uint32_t counter;
static uint32_t turns, out_of_turn, regs_lost;
/* The ntasks part: the players put VDSO_DATA.ntasks back when done. */
static volatile int restore_ntasks;

/* yield_seeded_by(seed, out, entry): calls entry (yield_, or the light
 * yield's yield_light_call) with s0..s11 set to seed + 0..11; out[i] gets
 * si as the call left it (a light yield keeps only s0..s2: the caller
 * checks those).  Returns what the call returned. */
int yield_seeded_by(uint64_t seed, uint64_t out[12], const void *entry);
__asm__(
    "    .text\n"
    "    .globl yield_seeded_by\n"
    "yield_seeded_by:\n"
    "    addi sp, sp, -112\n"
    "    sd ra, 0(sp)\n    sd a1, 8(sp)\n"
    "    sd s0, 16(sp)\n   sd s1, 24(sp)\n   sd s2, 32(sp)\n   sd s3, 40(sp)\n"
    "    sd s4, 48(sp)\n   sd s5, 56(sp)\n   sd s6, 64(sp)\n   sd s7, 72(sp)\n"
    "    sd s8, 80(sp)\n   sd s9, 88(sp)\n   sd s10, 96(sp)\n  sd s11, 104(sp)\n"
    "    addi s0, a0, 0\n  addi s1, a0, 1\n  addi s2, a0, 2\n  addi s3, a0, 3\n"
    "    addi s4, a0, 4\n  addi s5, a0, 5\n  addi s6, a0, 6\n  addi s7, a0, 7\n"
    "    addi s8, a0, 8\n  addi s9, a0, 9\n  addi s10, a0, 10\n addi s11, a0, 11\n"
    "    jalr a2\n"
    "    ld t0, 8(sp)\n"
    "    sd s0, 0(t0)\n    sd s1, 8(t0)\n    sd s2, 16(t0)\n   sd s3, 24(t0)\n"
    "    sd s4, 32(t0)\n   sd s5, 40(t0)\n   sd s6, 48(t0)\n   sd s7, 56(t0)\n"
    "    sd s8, 64(t0)\n   sd s9, 72(t0)\n   sd s10, 80(t0)\n  sd s11, 88(t0)\n"
    "    ld ra, 0(sp)\n"
    "    ld s0, 16(sp)\n   ld s1, 24(sp)\n   ld s2, 32(sp)\n   ld s3, 40(sp)\n"
    "    ld s4, 48(sp)\n   ld s5, 56(sp)\n   ld s6, 64(sp)\n   ld s7, 72(sp)\n"
    "    ld s8, 80(sp)\n   ld s9, 88(sp)\n   ld s10, 96(sp)\n  ld s11, 104(sp)\n"
    "    addi sp, sp, 112\n"
    "    ret\n");

/* The light yield's entry in the runtime's library (<unistd.h>). */
extern char yield_light_call[];

/* A yield through one of the seeded calls, with values no other yield
 * uses (base: the kind's own, who: the thread, n: its count of yields);
 * of the `kept` registers s0.. that must survive it, one that came back
 * changed is counted in regs_lost and named, the first few times. */
static int seeded_checked(const void *entry, const char *what,
                          uint64_t base, int kept, uint32_t who, uint32_t n)
{
    uint64_t seed = base + ((uint64_t)who << 40) + ((uint64_t)n << 8);
    uint64_t out[12];
    int switched = yield_seeded_by(seed, out, entry);
    for (int i = 0; i < kept; i++)
        if (out[i] != seed + (uint64_t)i &&
            __atomic_fetch_add(&regs_lost, 1, __ATOMIC_RELAXED) < 5)
            printf("t_uswitch_paths: FAIL: s%d came back 0x%lx from %s, went in 0x%lx\n",
                   i, (unsigned long)out[i], what, (unsigned long)(seed + (uint64_t)i));
    return switched;
}

/* yield_(): all twelve s-registers kept. */
static int checked_yield(uint32_t who, uint32_t n)
{
    return seeded_checked((const void *)yield_, "a yield", 0x3c00000000000000ULL, 12, who, n);
}

/* yield_light(): s0..s2 kept (the rest it may change). */
static int checked_light_yield(uint32_t who, uint32_t n)
{
    return seeded_checked(yield_light_call, "a light yield", 0x3d00000000000000ULL, 3,
                          who, n);
}

/* Player 0 yields with yield_(), player 1 with yield_light. */
static void *player(void *arg)
{
    uint32_t me = (uint32_t)(uintptr_t)arg;
    uint32_t yields = 0;
    for (uint32_t t = 0; t < turns; t++) {
        while (__atomic_load_n(&counter, __ATOMIC_ACQUIRE) % 2 != me)
            (me ? checked_light_yield : checked_yield)(me + 1, yields++);
        uint32_t c = __atomic_load_n(&counter, __ATOMIC_RELAXED);
        if (c != t * 2 + me)
            __atomic_fetch_add(&out_of_turn, 1, __ATOMIC_RELAXED);
        __atomic_store_n(&counter, c + 1, __ATOMIC_RELEASE);
    }
    if (restore_ntasks)
        ((VDSO_DATA *)vdso)->ntasks = SCHED_MAX_TASKS;  /* what the kernel wrote */
    return NULL;
}

/* The process's own counters: user-mode switches, and the yields the fast
 * path handed over to the C half. */
struct counts {
    uint64_t switches, slow;
};

static struct counts now(void)
{
    return (struct counts){ __atomic_load_n(&vdso->user_switches, __ATOMIC_RELAXED),
                            __atomic_load_n(&vdso->slow_yields, __ATOMIC_RELAXED) };
}

/* Two players pass the turn n times each; returns the counts' growth
 * (the turns' order goes into out_of_turn, the registers into
 * regs_lost). */
static struct counts pingpong(uint32_t n)
{
    counter = 0;
    turns = n;
    struct counts c0 = now();
    int tids[2];
    for (uint32_t i = 0; i < 2; i++)
        tids[i] = thread_create(player, (void *)(uintptr_t)i);
    for (uint32_t i = 0; i < 2; i++)
        thread_join(tids[i], NULL);
    struct counts c1 = now();
    if (counter != 2 * n)
        out_of_turn++;
    return (struct counts){ c1.switches - c0.switches, c1.slow - c0.slow };
}

/* This thread's record in the shared region: the one with its tid. */
static const TaskSched *own_record(void)
{
    const TaskSched *tasks = (const TaskSched *)SHARED_TASKS_ADDR;
    uint32_t n = vdso->nrecords < SCHED_MAX_TASKS ? vdso->nrecords : SCHED_MAX_TASKS;
    uint32_t tid = (uint32_t)gettid();
    for (uint32_t i = 0; i < n; i++)
        if (tasks[i].tid == tid && tasks[i].state == TASK_RUNNING)
            return &tasks[i];
    return NULL;
}

int main(int argc, char **argv)
{
    turns = argc > 1 ? (uint32_t)atoi(argv[1]) : 2000;
    if (argc > 2 || turns < 100 || turns > 1000000) {
        dprintf(2, "usage: t_uswitch_paths [TURNS 100..1000000]\n");
        return 2;
    }
    const SCHED_KINFO *kinfo = (const SCHED_KINFO *)SHARED_KINFO_ADDR;
    struct sysinfo si;
    sysinfo(&si);
    if (vdso->magic != SCHED_VDSO_MAGIC || vdso->rt_off || kinfo->user_switching_off) {
        printf("t_uswitch_paths: FAIL: user-mode switching is not on (rt_off %u)\n",
               vdso->rt_off);
        return 1;
    }
    int traced = kinfo->trace_on != 0;
    int per_hart = (vdso->policy_flags & SCHED_FLAG_PER_HART) != 0;
    int ok = 1;

    const struct sched_blob_header *policy = (const void *)SHARED_CODE_ADDR;
    uint64_t want = policy->yield_fetch_offset && !per_hart
                    ? SHARED_CODE_ADDR + policy->yield_fetch_offset : 0;
    const struct sched_ctx *c = &kinfo->rt_ctx;
    printf("t_uswitch_paths: policy entry %s\n", kinfo->rt_yield_fetch ? "bound" : "not bound");
    if (kinfo->rt_yield_fetch != want || c->nharts != vdso->nharts ||
        c->ntasks != SCHED_MAX_TASKS || c->tasks != (TaskSched *)SHARED_TASKS_ADDR ||
        c->queue != (const void *)vdso->queue || !c->serial_calls) {
        printf("t_uswitch_paths: FAIL: SCHED_KINFO binds entry 0x%lx (want 0x%lx), "
               "%u harts (%u), %u tasks\n", (unsigned long)kinfo->rt_yield_fetch,
               (unsigned long)want, c->nharts, vdso->nharts, c->ntasks);
        ok = 0;
    }

    struct counts a0 = now();
    int alone_switched = 0;
    for (int i = 0; i < ALONE_YIELDS; i++)
        alone_switched += checked_yield(0, (uint32_t)i);
    struct counts a1 = now();
    uint64_t alone_slow = a1.slow - a0.slow;
    printf("t_uswitch_paths: alone: %d yields, %d switched, %lu handed to the C half\n",
           ALONE_YIELDS, alone_switched, (unsigned long)alone_slow);
    if (alone_switched != 0 || a1.switches != a0.switches) {
        printf("t_uswitch_paths: FAIL: a lone thread switched\n");
        ok = 0;
    }
    if (!per_hart && alone_slow < ALONE_YIELDS) {
        printf("t_uswitch_paths: FAIL: a lone thread's yield did not reach the C half\n");
        ok = 0;
    }
    if (per_hart && !traced && si.harts == 1 && alone_slow * 10 >= ALONE_YIELDS) {
        printf("t_uswitch_paths: FAIL: a per-hart policy's fast path did not keep the hart\n");
        ok = 0;
    }
    const TaskSched *self = own_record();
    if (!self || (self->flags & TASK_FLAG_IN_QUEUE)) {
        printf("t_uswitch_paths: FAIL: %s\n", self ? "a thread that kept its hart is "
               "marked as in the queue" : "no record of this thread");
        ok = 0;
    }

    struct counts p0 = now();
    int tids[2];
    for (uint32_t i = 0; i < 2; i++)
        tids[i] = thread_create(player, (void *)(uintptr_t)i);
    for (uint32_t i = 0; i < 2; i++)
        thread_join(tids[i], NULL);
    struct counts p1 = now();
    uint64_t switches = p1.switches - p0.switches, slow = p1.slow - p0.slow;
    printf("t_uswitch_paths: ping-pong: 2 threads x %u turns, counter %u, %u out of turn; "
           "%lu user-mode switches, %lu yields handed to the C half (%s, %u harts)\n",
           turns, counter, out_of_turn, (unsigned long)switches, (unsigned long)slow,
           traced ? "timeline on" : "timeline off", (unsigned)si.harts);
    if (counter != 2 * turns || out_of_turn != 0) {
        printf("t_uswitch_paths: FAIL: turns out of order\n");
        ok = 0;
    }
    if (si.harts == 1 && switches < turns) {
        printf("t_uswitch_paths: FAIL: too few user-mode switches on one hart\n");
        ok = 0;
    }
    if (si.harts == 1 && !traced && slow * 10 >= switches) {
        printf("t_uswitch_paths: FAIL: the fast path made too few of the switches\n");
        ok = 0;
    }
    if (traced && slow < switches) {
        printf("t_uswitch_paths: FAIL: a switch took the fast path while tracing\n");
        ok = 0;
    }

    /* off: the process turns user-mode switching off itself. */
    uint32_t part_turns = turns / 4;
    VDSO_DATA *own = (VDSO_DATA *)SHARED_BASE_ADDR;    /* the process's to write */
    __atomic_store_n(&own->rt_off, RT_OFF_QUEUE, __ATOMIC_RELEASE);
    struct counts off = pingpong(part_turns);
    __atomic_store_n(&own->rt_off, 0, __ATOMIC_RELEASE);
    printf("t_uswitch_paths: off: 2 threads x %u turns, %u out of turn; %lu user-mode "
           "switches\n", part_turns, out_of_turn, (unsigned long)off.switches);
    if (off.switches != 0 || out_of_turn != 0) {
        printf("t_uswitch_paths: FAIL: a yield switched in user mode with rt_off set, "
               "or turns out of order\n");
        ok = 0;
    }

    /* ntasks: the process's copy scribbled; the fast path does not read it. */
    own->ntasks = SCHED_MAX_TASKS + 1;
    restore_ntasks = 1;
    struct counts scribbled = pingpong(part_turns);
    restore_ntasks = 0;
    own->ntasks = SCHED_MAX_TASKS;
    printf("t_uswitch_paths: ntasks %u: 2 threads x %u turns, %u out of turn; %lu user-mode "
           "switches, %lu yields handed to the C half\n", SCHED_MAX_TASKS + 1, part_turns,
           out_of_turn, (unsigned long)scribbled.switches, (unsigned long)scribbled.slow);
    if (out_of_turn != 0) {
        printf("t_uswitch_paths: FAIL: turns out of order with ntasks scribbled\n");
        ok = 0;
    }
    if (si.harts == 1 && !traced &&
        (scribbled.switches < part_turns || scribbled.slow * 10 >= scribbled.switches)) {
        printf("t_uswitch_paths: FAIL: the fast path read the process's ntasks\n");
        ok = 0;
    }

    if (regs_lost) {
        printf("t_uswitch_paths: FAIL: %u registers a call preserves came back changed "
               "from yields\n", regs_lost);
        ok = 0;
    }
    printf("t_uswitch_paths: %s\n", ok ? "PASS" : "FAIL");
    return ok ? 0 : 1;
}
