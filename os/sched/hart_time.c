/* Per-hart idle and spin time (sched/hart_time.h). */
#include "sched/hart_time.h"
#include "sched/shared.h"
#include "kernel/cpu.h"
#include "trap/timer.h"

/* Only this hart writes its own entries, so a plain store of the new
 * total is enough; readers (processes) see a value that only grows. */
void hart_time_idle(uint64_t ticks)
{
    struct cpu *c = this_cpu();
    c->idle_ticks += ticks;
    if (shared_kinfo && c->hartid < SCHED_MAX_HARTS)
        __atomic_store_n(&shared_kinfo->idle_us[c->hartid], timer_ticks_to_us(c->idle_ticks),
                         __ATOMIC_RELAXED);
}

void hart_time_spin(uint64_t ticks)
{
    struct cpu *c = this_cpu();
    c->spin_ticks += ticks;
    if (shared_kinfo && c->hartid < SCHED_MAX_HARTS)
        __atomic_store_n(&shared_kinfo->spin_us[c->hartid], timer_ticks_to_us(c->spin_ticks),
                         __ATOMIC_RELAXED);
}
