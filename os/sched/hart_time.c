/* Per-hart idle and spin time (sched/hart_time.h). */
#include "sched/hart_time.h"
#include "sched/shared.h"
#include "kernel/cpu.h"
#include "trap/timer.h"

/* Adds `ticks` to this hart's *total and publishes the new total, in
 * microseconds, in its entry of `published`.  Only this hart writes its
 * own entries, so a plain store of the new total is enough; readers
 * (processes) see a value that only grows. */
static void add_and_publish(uint64_t *total, volatile uint64_t *published, uint64_t ticks)
{
    uint64_t hart = this_cpu()->hartid;
    *total += ticks;
    if (published && hart < SCHED_MAX_HARTS)
        __atomic_store_n(&published[hart], timer_ticks_to_us(*total), __ATOMIC_RELAXED);
}

void hart_time_idle(uint64_t ticks)
{
    add_and_publish(&this_cpu()->idle_ticks, shared_kinfo ? shared_kinfo->idle_us : NULL, ticks);
}

void hart_time_spin(uint64_t ticks)
{
    add_and_publish(&this_cpu()->spin_ticks, shared_kinfo ? shared_kinfo->spin_us : NULL, ticks);
}
