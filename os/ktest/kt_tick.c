#include "ktest/ktest.h"
#include "kernel/cpu.h"
#include "kernel/smp.h"
#include "kernel/spinlock.h"
#include "sched/sched.h"
#include "trap/timer.h"
#include "arch/riscv.h"
#include "kernel/ordered_store.h"

/*
 * A tick that finds sched_lock taken leaves its work to a later tick of its
 * hart, but TICK_DEFER_MAX ticks at most (sched/sched.c, sched_tick).  The
 * boot hart holds sched_lock while every other hart takes ticks with
 * interrupts on: each must come to a tick that waits for the lock
 * (tick_must_wait) instead of leaving its work to the next tick for ever,
 * and once the lock is let go, do that work.  A kernel whose tick always
 * gave up would never wait: the hold ends after WAIT_MAX_MS and the test
 * fails.  How soon the ticks come is the host's business (a loaded host
 * may not run a virtual hart for a second): the waits are long and end as
 * soon as what they wait for has happened.
 *
 * On one hart nobody else can hold the lock when a tick comes (the holder
 * has interrupts off): every tick does its work at once.
 */
#define WAIT_MAX_MS 30000

static volatile uint32_t arrived;
static volatile bool hold_over;
static volatile bool waited[MAX_HARTS], worked_after[MAX_HARTS];
static uint64_t worked_before[MAX_HARTS], deferred_in_hold[MAX_HARTS];

static uint64_t deadline_after(uint64_t ms)
{
    return timer_now_ns() + ms * 1000000ULL;
}

static bool others_wait(uint64_t me)
{
    for (uint64_t i = 0; i < hart_count; i++) {
        uint64_t h = hart_ids[i];
        if (h != me && cpus[h].online &&
            !__atomic_load_n(&cpus[h].tick_must_wait, __ATOMIC_ACQUIRE))
            return false;
    }
    return true;
}

/* The boot hart: holds sched_lock until every other hart's tick waits. */
static void hold_lock(uint64_t me)
{
    /* Everyone inside this call first: a hart still on its way (in the
     * idle loop) might take the lock itself with interrupts off, and take
     * no tick while it waits. */
    uint64_t end = deadline_after(WAIT_MAX_MS);
    while (__atomic_load_n(&arrived, __ATOMIC_ACQUIRE) < (uint32_t)cpu_online_count() &&
           timer_now_ns() < end)
        cpu_relax();
    spin_lock(&sched_lock);
    uint64_t deferred_before[MAX_HARTS];
    for (uint64_t i = 0; i < hart_count; i++) {
        uint64_t h = hart_ids[i];
        /* Under the lock: no tick of theirs can do its work now. */
        worked_before[h] = __atomic_load_n(&cpus[h].ticks_worked, __ATOMIC_RELAXED);
        deferred_before[h] = __atomic_load_n(&cpus[h].ticks_deferred, __ATOMIC_RELAXED);
    }
    end = deadline_after(WAIT_MAX_MS);
    while (!others_wait(me) && timer_now_ns() < end)
        cpu_relax();
    for (uint64_t i = 0; i < hart_count; i++) {
        uint64_t h = hart_ids[i];
        waited[h] = __atomic_load_n(&cpus[h].tick_must_wait, __ATOMIC_ACQUIRE);
        deferred_in_hold[h] =
            __atomic_load_n(&cpus[h].ticks_deferred, __ATOMIC_RELAXED) - deferred_before[h];
    }
    spin_unlock(&sched_lock);
    store_release(&hold_over, true);
}

static void tick_while_held(void *arg)
{
    (void)arg;
    struct cpu *c = this_cpu();
    __atomic_fetch_add(&arrived, 1, __ATOMIC_ACQ_REL);
    if (c->hartid == boot_hartid) {
        hold_lock(c->hartid);
        return;
    }
    /* Interrupts on: the ticks come here. */
    uint64_t end = deadline_after(2 * WAIT_MAX_MS + 1000);
    while (!__atomic_load_n(&hold_over, __ATOMIC_ACQUIRE) && timer_now_ns() < end)
        cpu_relax();
    end = deadline_after(WAIT_MAX_MS);
    while (__atomic_load_n(&c->ticks_worked, __ATOMIC_RELAXED) == worked_before[c->hartid] &&
           timer_now_ns() < end)
        cpu_relax();
    worked_after[c->hartid] = c->ticks_worked != worked_before[c->hartid];
}

/* One hart: its ticks do their work, none is left to a later one. */
static int one_hart(void)
{
    struct cpu *c = this_cpu();
    uint64_t worked = c->ticks_worked, deferred = c->ticks_deferred;
    uint64_t end = deadline_after(WAIT_MAX_MS);
    while (c->ticks_worked - worked < 3 && timer_now_ns() < end)
        cpu_relax();
    KT_DIAG("hart %lu: %lu ticks worked, %lu left to a later tick\n", c->hartid,
            c->ticks_worked - worked, c->ticks_deferred - deferred);
    KT_CHECK(c->ticks_worked - worked >= 3);
    KT_CHECK(c->ticks_deferred == deferred);
    return 0;
}

int ktest_tick(void)
{
    if (cpu_online_count() < 2)
        return one_hart();
    arrived = 0;
    hold_over = false;
    smp_call_all(tick_while_held, NULL);
    int ok = 1;
    for (uint64_t i = 0; i < hart_count; i++) {
        uint64_t h = hart_ids[i];
        if (h == boot_hartid || !cpus[h].online)
            continue;
        KT_DIAG("hart %lu: %lu ticks left their work while the lock was held, then one "
                "%s for it; work done after: %s\n", h, deferred_in_hold[h],
                waited[h] ? "waited" : "did not wait", worked_after[h] ? "yes" : "no");
        /* It waited: its ticks had left their work TICK_DEFER_MAX times in
         * a row (during the hold, or a few just before it). */
        ok &= waited[h] && deferred_in_hold[h] <= TICK_DEFER_MAX &&
              cpus[h].ticks_deferred >= TICK_DEFER_MAX && worked_after[h];
    }
    KT_CHECK(ok);
    return 0;
}
