#include "ktest/ktest.h"
#include "kernel/cpu.h"
#include "kernel/smp.h"
#include "kernel/spinlock.h"
#include "sched/nudge.h"
#include "sched/sched.h"
#include "trap/timer.h"
#include "arch/riscv.h"
#include "lib/bits.h"
#include "kernel/ordered_store.h"

/*
 * nudge_a_hart (sched/nudge.h): which hart a newly runnable thread is
 * sent to, by its two ways.
 *   - From an idle hart: a waker on its own idle thread (as the idle loop's
 *     kernel coroutines are) nudges itself, though others sleep.
 *   - Asleep: the other harts sleep in their idle loops, marked in
 *     idle_harts.  A nudge must clear the lowest mark and send that hart an
 *     IPI, which it must take (ipis_received), after which it goes round its
 *     loop, looks at the queue and sleeps again (marked again).  Two nudges
 *     in one hold go to two harts.
 *   - The scan: the other harts run a call (smp_call_all), their idle
 *     threads current but not asleep, so no mark: the nudge must still find
 *     a hart running its idle thread.
 *   - At random moments: nudges land while the other harts wake, look and
 *     go back to sleep; under sched_lock every mark must mean what the
 *     waker relies on (the hart's idle thread is current, it is not
 *     resting), which nudge_asleep also asserts at each nudge.  At the end
 *     every other hart must be asleep again: none was left awake or lost.
 *   - From a hart in a reconcile: its idle thread is current too, but it
 *     carries a process (cpu.carrying) and goes back to user mode with the
 *     thread it takes over: the nudge must go to a hart asleep, not to it.
 * One hart: nothing is ever marked (the hart runs the test), and a nudge
 * for any thread reaches this hart, whose idle thread is less urgent.
 * How soon a hart answers is the host's business: the waits are long and
 * end as soon as what they wait for has happened.
 */
#define WAIT_MAX_MS 30000
#define RACE_ROUNDS 1000

static uint64_t deadline_after(uint64_t ms)
{
    return timer_now_ns() + ms * 1000000ULL;
}

/* The online harts other than this one. */
static uint64_t other_harts(void)
{
    uint64_t mask = 0;
    for (uint64_t i = 0; i < hart_count; i++) {
        uint64_t h = hart_ids[i];
        if (h != this_hartid() && cpus[h].online)
            mask |= 1ull << h;
    }
    return mask;
}

#define MARK_TRIES 100

static bool wait_asleep(uint64_t harts)
{
    uint64_t end = deadline_after(WAIT_MAX_MS);
    while ((idle_harts_load() & harts) != harts && timer_now_ns() < end)
        cpu_relax();
    return (idle_harts_load() & harts) == harts;
}

/* The hart a nudge woke: of `cleared` (the harts marked before the nudge
 * and not after), the first seen to count an IPI past ipis[], or
 * MAX_HARTS if none did within WAIT_MAX_MS.  Not simply the lowest hart
 * marked before: a hart clears its own mark when a tick ends its sleep,
 * without sched_lock, so between the test's look at the marks and the
 * nudge's own look the lowest may wake by itself, and the nudge then goes
 * to the next (waiting for the lowest's IPI failed test_ktest_nudge[smp4]
 * once under load, after 30 s). */
static uint64_t wait_ipi_among(uint64_t cleared, const uint64_t *ipis)
{
    uint64_t end = deadline_after(WAIT_MAX_MS);
    do {
        for (uint64_t m = cleared; m; m &= m - 1) {
            uint64_t h = (uint64_t)ctz64(m);
            if (__atomic_load_n(&cpus[h].ipis_received, __ATOMIC_ACQUIRE) != ipis[h])
                return h;
        }
        cpu_relax();
    } while (timer_now_ns() < end);
    return MAX_HARTS;
}

/* sched_lock held: every marked hart is in its idle loop's sleep. */
static bool marks_hold(void)
{
    for (uint64_t m = idle_harts_load(); m; m &= m - 1) {
        const struct cpu *c = &cpus[ctz64(m)];
        if (c->current != c->idle || c->resting)
            return false;
    }
    return true;
}

/* A nudge as from a busy hart: this test runs on the boot hart's idle
 * thread, which a nudge takes first (awake, it looks at the queue next);
 * resting for the call, it is passed over.  sched_lock held. */
static void nudge_from_busy_hart(void)
{
    struct cpu *c = this_cpu();
    c->resting = true;
    nudge_a_hart(MIN_PRIORITY);
    c->resting = false;
}

/* One nudge from this hart, as a waker with work of the lowest priority
 * makes it: whether it chose this hart (need_resched set here), and the
 * idle marks it saw.  This hart's own need_resched is put back after. */
static bool nudge_lands_here(uint64_t *marked)
{
    struct cpu *c = this_cpu();
    spin_lock(&sched_lock);
    *marked = idle_harts_load();
    bool was = c->need_resched;
    c->need_resched = false;
    nudge_a_hart(MIN_PRIORITY);
    bool nudged = c->need_resched;
    c->need_resched = was;
    spin_unlock(&sched_lock);
    return nudged;
}

/* The waker on its idle thread nudges itself, whoever sleeps. */
static int self_way(uint64_t others)
{
    /* A mark may go between the wait and the look under the lock (a tick
     * ends that hart's sleep; a loaded host may take long over the two):
     * then the nudge went by the scan, and it is tried again. */
    uint64_t marked = 0;
    bool nudged = false;
    for (int tries = 0; tries < MARK_TRIES && !marked; tries++) {
        KT_CHECK(wait_asleep(others));
        nudged = nudge_lands_here(&marked);
    }
    KT_CHECK(marked != 0);
    KT_CHECK(nudged);
    KT_DIAG("marks %#lx: the waker's own idle hart nudged\n", marked);
    return 0;
}

/* A wake-up on a hart in the middle of a reconcile (a tick while it waits
 * for the thread it takes over) goes to a hart asleep: this hart's idle
 * thread is current, as there, and it carries a process (only compared,
 * never followed: any address will do). */
static int reconcile_way(uint64_t others)
{
    struct cpu *c = this_cpu();
    uint64_t before = 0, after = 0, ipis[MAX_HARTS];
    bool self = true;
    for (int tries = 0; tries < MARK_TRIES && !before; tries++) {
        KT_CHECK(wait_asleep(others));
        for (uint64_t i = 0; i < hart_count; i++)
            ipis[hart_ids[i]] = __atomic_load_n(&cpus[hart_ids[i]].ipis_received,
                                                __ATOMIC_ACQUIRE);
        spin_lock(&sched_lock);
        c->carrying = (const struct proc *)(uintptr_t)c;
        before = idle_harts_load();
        bool was = c->need_resched;
        c->need_resched = false;
        nudge_a_hart(MIN_PRIORITY);
        self = c->need_resched;
        c->need_resched = was;
        after = idle_harts_load();
        c->carrying = NULL;
        spin_unlock(&sched_lock);
    }
    KT_CHECK(before != 0);
    KT_CHECK(!self);
    KT_CHECK((before & ~after) != 0);              /* the nudge took a mark */
    uint64_t first = wait_ipi_among(before & ~after, ipis);
    KT_CHECK(first < MAX_HARTS);
    KT_DIAG("marks %#lx: a reconciling hart woke hart %lu, not itself\n", before, first);
    KT_CHECK(wait_asleep(others));
    return 0;
}

static int one_hart(void)
{
    uint64_t marked;
    bool nudged = nudge_lands_here(&marked);
    KT_CHECK(marked == 0);
    KT_CHECK(nudged);
    return 0;
}

/* A nudge goes to the lowest hart asleep, clears its mark (so that a
 * second wake-up in the same hold goes elsewhere) and sends it an IPI,
 * which it must take; then it goes round its loop, finds nothing and
 * sleeps again.  Once per other hart.  (Whether a second nudge in the same
 * hold goes to a second hart cannot be told here: under QEMU one IPI may
 * end every hart's wfi, and each clears its own mark.) */
static int asleep_way(uint64_t others)
{
    for (uint64_t round = 0; round < (uint64_t)cpu_online_count() - 1; round++) {
        uint64_t ipis[MAX_HARTS], before = 0, after = 0;
        /* A tick may end every sleep between the wait and the hold (on a
         * loaded host this hart may not run for a while in between): then
         * no hart is marked, nothing is nudged, and the round starts over.
         * Any mark will do. */
        for (int tries = 0; tries < MARK_TRIES && before == 0; tries++) {
            KT_CHECK(wait_asleep(others));
            spin_lock(&sched_lock);
            for (uint64_t i = 0; i < hart_count; i++)
                ipis[hart_ids[i]] = __atomic_load_n(&cpus[hart_ids[i]].ipis_received,
                                                    __ATOMIC_ACQUIRE);
            before = idle_harts_load();
            if (before != 0)
                nudge_from_busy_hart();
            after = idle_harts_load();
            spin_unlock(&sched_lock);
        }
        KT_CHECK(before != 0);
        KT_CHECK((before & ~after) != 0);          /* the nudge took a mark */
        uint64_t first = wait_ipi_among(before & ~after, ipis);
        KT_CHECK(first < MAX_HARTS);
        KT_DIAG("marks %#lx, then %#lx: hart %lu took its IPI\n", before, after, first);
    }
    KT_CHECK(wait_asleep(others));
    return 0;
}

static volatile uint32_t arrived;
static volatile bool released;
static volatile int scan_result;

/* On every hart: the others wait in the call (their idle threads current,
 * not asleep); this one nudges. */
static void scan_call(void *arg)
{
    uint64_t me = (uint64_t)(uintptr_t)arg;
    __atomic_fetch_add(&arrived, 1, __ATOMIC_ACQ_REL);
    if (this_hartid() != me) {
        uint64_t end = deadline_after(2 * WAIT_MAX_MS);
        while (!__atomic_load_n(&released, __ATOMIC_ACQUIRE) && timer_now_ns() < end)
            cpu_relax();
        return;
    }
    uint64_t end = deadline_after(WAIT_MAX_MS);
    while (__atomic_load_n(&arrived, __ATOMIC_ACQUIRE) < (uint32_t)cpu_online_count() &&
           timer_now_ns() < end)
        cpu_relax();
    int result = -1;
    if (__atomic_load_n(&arrived, __ATOMIC_ACQUIRE) == (uint32_t)cpu_online_count()) {
        bool was[MAX_HARTS];
        spin_lock(&sched_lock);
        uint64_t marked = idle_harts_load();
        for (uint64_t i = 0; i < hart_count; i++) {
            was[hart_ids[i]] = cpus[hart_ids[i]].need_resched;
            cpus[hart_ids[i]].need_resched = false;
        }
        nudge_a_hart(MIN_PRIORITY);
        int nudged = 0;
        for (uint64_t i = 0; i < hart_count; i++) {
            struct cpu *c = &cpus[hart_ids[i]];
            nudged += c->need_resched && c->current == c->idle;
            c->need_resched = was[hart_ids[i]];
        }
        spin_unlock(&sched_lock);
        KT_DIAG("the scan: %d hart nudged (marked: %#lx)\n", nudged, marked);
        result = marked == 0 && nudged == 1 ? 0 : -1;
    }
    scan_result = result;
    store_release(&released, true);
}

static int scan_way(void)
{
    arrived = 0;
    released = false;
    scan_result = -1;
    smp_call_all(scan_call, (void *)(uintptr_t)this_hartid());
    KT_CHECK(scan_result == 0);
    return 0;
}

/* Nudges at random moments of the other harts' idle loops: every other
 * round once they all sleep, else at once, while those nudged in the
 * round before wake, clear their marks, look at the queue (under
 * sched_lock: these holds and theirs interleave) and mark themselves. */
static int race_way(uint64_t others)
{
    uint32_t seed = 12345, nudges = 0;
    bool held = true;
    for (int round = 0; round < RACE_ROUNDS && held; round++) {
        if (round % 2 == 0 && !wait_asleep(others))
            break;
        seed = seed * 1103515245u + 12345u;
        for (uint32_t spin = (seed >> 16) % 1024; spin; spin--)
            cpu_relax();
        spin_lock(&sched_lock);
        held = marks_hold();
        if (idle_harts_load()) {
            nudge_from_busy_hart();
            nudges++;
        }
        spin_unlock(&sched_lock);
    }
    KT_DIAG("%u nudges in %d rounds\n", nudges, RACE_ROUNDS);
    KT_CHECK(held);
    /* Every other round waits for all marks, but a tick may end a sleep
     * between that wait and the hold (a loaded host can stop this hart
     * for milliseconds there): most such rounds nudge, not all. */
    KT_CHECK(nudges >= RACE_ROUNDS / 4);
    KT_CHECK(wait_asleep(others));
    return 0;
}

int ktest_nudge(void)
{
    if (cpu_online_count() < 2)
        return one_hart();
    uint64_t others = other_harts();
    if (self_way(others) || reconcile_way(others) || asleep_way(others) || scan_way() ||
        race_way(others))
        return -1;
    return 0;
}
