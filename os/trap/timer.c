#include "trap/timer.h"
#include "kernel/cpu.h"
#include "arch/riscv.h"
#include "arch/sbi.h"
#include "sched/sched.h"
#include "sched/coio_timer.h"
#include "kernel/timeline.h"
#include "kernel/panic.h"

static uint64_t timebase = 10000000;   /* QEMU virt's, until the DT says */
static bool use_sstc;
static uint64_t poke_period;           /* time CSR units; 0: no pokes */

void timer_configure(uint64_t timebase_hz, bool have_sstc)
{
    if (timebase_hz)
        timebase = timebase_hz;
    use_sstc = have_sstc;
}


static void set_deadline(uint64_t when)
{
    if (use_sstc)
        __asm__ volatile("csrw 0x14d, %0" :: "r"(when));   /* stimecmp */
    else
        sbi_set_timer(when);
}

void timer_configure_pokes(uint64_t us)
{
    poke_period = us * (timebase / 1000000);
}

/* The next timer interrupt after `now`: the hart's next tick, or a poke
 * before it.  Not for a hart on its idle thread: no commit to land in,
 * and under -icount an idle machine's virtual clock follows the host's,
 * so idle harts poked every few microseconds of host time keep QEMU too
 * busy to read the console (four harts at 50 us never showed the next
 * command).  Pokes start again at the first tick a thread is running. */
static uint64_t next_deadline(const struct cpu *c, uint64_t now)
{
    bool poke = poke_period && c->current && c->current != c->idle;
    return poke && now + poke_period < c->next_timer ? now + poke_period : c->next_timer;
}

bool timer_poke(void)
{
    struct cpu *c = this_cpu();
    uint64_t now = read_time();
    if (!poke_period || now >= c->next_timer)
        return false;
    set_deadline(next_deadline(c, now));
    return true;
}

/* Where in the tick period this hart's ticks fall: the k-th of n harts at
 * k/n of the period.  Every tick takes sched_lock; harts whose ticks fell
 * together (they start their timers microseconds apart) would take it at the
 * same instant every period, and a hart whose holder was stopped (a host
 * thread descheduled, or QEMU's round-robin under -icount switching harts
 * exactly at a timer deadline) spun for the rest of its slice: half of all
 * instructions of a 2-hart b_prings run (docs/performance.md). */
static uint64_t tick_phase(uint64_t hartid)
{
    uint64_t period = timebase / TICK_HZ;
    for (uint64_t k = 0; k < hart_count; k++)
        if (hart_ids[k] == hartid)
            return period * k / hart_count;
    return 0;
}

/* The first tick of this hart's phase strictly after `now`. */
static uint64_t next_tick_after(const struct cpu *c, uint64_t now)
{
    uint64_t period = timebase / TICK_HZ;
    uint64_t since = now >= c->tick_phase ? now - c->tick_phase : 0;
    uint64_t next = c->tick_phase + (since / period + 1) * period;
    KASSERT(next > now && next - now <= period);
    return next;
}

void timer_init_this_hart(void)
{
    struct cpu *c = this_cpu();
    c->tick_phase = tick_phase(c->hartid);
    uint64_t now = read_time();
    c->next_timer = next_tick_after(c, now);
    set_deadline(next_deadline(c, now));
}

uint64_t timer_tick_phase(uint64_t hartid)
{
    return cpus[hartid].tick_phase;
}

uint64_t timer_period(void)
{
    return timebase / TICK_HZ;
}

void timer_interrupt(void)
{
    if (timer_poke())
        return;
    struct cpu *c = this_cpu();
    c->timer_ticks++;
    /* Schedule from the previous deadline so ticks do not drift, but never
     * into the past (after a long stretch with interrupts off): then the
     * next one of this hart's phase (tick_phase). */
    uint64_t now = read_time();
    c->next_timer += timebase / TICK_HZ;
    if (c->next_timer <= now)
        c->next_timer = next_tick_after(c, now);
    set_deadline(next_deadline(c, now));
    coio_timer_tick();                  /* an asynchronous sleep due? */
    if (c->current) {
        timeline_tick(c->current, (int)c->hartid, c->current == c->idle);
        sched_tick();
    }
}

void timer_hold_off_tick(void)
{
    set_deadline(read_time() + timebase / TICK_HZ);
}

void timer_resume_ticks(void)
{
    /* Usually in the past by now: the interrupt is pending at once. */
    set_deadline(this_cpu()->next_timer);
}

uint64_t timer_ticks_to_us(uint64_t t)
{
    return t / timebase * 1000000ULL + t % timebase * 1000000ULL / timebase;
}

uint64_t timer_now_ns(void)
{
    uint64_t t = read_time();
    /* Split to avoid overflow of t * 1e9 for long uptimes. */
    return t / timebase * 1000000000ULL + t % timebase * 1000000000ULL / timebase;
}

void timer_delay_ms(uint64_t ms)
{
    uint64_t end = read_time() + timebase / 1000 * ms;
    while (read_time() < end)
        cpu_relax();
}
