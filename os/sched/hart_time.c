/* Per-hart idle and spin time (sched/hart_time.h). */
#include "sched/hart_time.h"
#include "sched/shared.h"
#include "kernel/cpu.h"
#include "trap/timer.h"
#include "kernel/panic.h"
#include "kernel/ordered_store.h"

/* Adds `ticks` to this hart's *total and publishes the new total, in
 * microseconds, in its entry of `published`.  Only this hart writes its
 * own entries, so a plain store of the new total is enough; readers
 * (processes) see a value that only grows. */
static void add_and_publish(uint64_t *total, volatile uint64_t *published, uint64_t ticks)
{
    uint64_t hart = this_cpu()->hartid;
    *total += ticks;
    if (published && hart < SCHED_MAX_HARTS)
        store_relaxed(&published[hart], timer_ticks_to_us(*total));
}

/* SCHED_KINFO.idle_clock_us[this hart] = v (only this hart writes it). */
static void publish_idle_clock(uint64_t v)
{
    uint64_t hart = this_cpu()->hartid;
    if (shared_kinfo && hart < SCHED_MAX_HARTS)
        store_relaxed(&shared_kinfo->idle_clock_us[hart], v);
}

void hart_time_idle_begin(uint64_t from)
{
    /* The total at time T while asleep is total + (T - from), that is
     * T - (from - total): never negative, a hart sleeps no longer than
     * it has been up. */
    uint64_t from_us = timer_ticks_to_us(from);
    uint64_t total_us = timer_ticks_to_us(this_cpu()->idle_ticks);
    KASSERT(total_us <= from_us);
    publish_idle_clock(IDLE_ASLEEP | (from_us - total_us));
}

void hart_time_idle(uint64_t ticks)
{
    add_and_publish(&this_cpu()->idle_ticks, shared_kinfo ? shared_kinfo->idle_us : NULL, ticks);
    publish_idle_clock(timer_ticks_to_us(this_cpu()->idle_ticks));
}

void hart_time_spin(uint64_t ticks)
{
    add_and_publish(&this_cpu()->spin_ticks, shared_kinfo ? shared_kinfo->spin_us : NULL, ticks);
}
