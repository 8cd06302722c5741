/* The per-hart periodic tick.  Uses Sstc's stimecmp when the hart has it
 * (no firmware call per tick) and SBI set_timer otherwise. */
#ifndef TRAP_TIMER_H
#define TRAP_TIMER_H

#include <stdbool.h>
#include <stdint.h>

#define TICK_HZ 100

/* Set once at boot from the device tree, before any hart starts its timer. */
void timer_configure(uint64_t timebase_hz, bool have_sstc);
void timer_init_this_hart(void);
/* The tick period, and where in it a hart's ticks fall (time CSR units):
 * harts' ticks are spread over the period, not taken together. */
uint64_t timer_period(void);
uint64_t timer_tick_phase(uint64_t hartid);
void timer_interrupt(void);
/* For a guarded policy call (sched/blob_guard.h): move this hart's timer
 * interrupt one tick from now without counting a tick, and afterwards make
 * the regular tick due again (at once if its time has passed). */
void timer_hold_off_tick(void);
void timer_resume_ticks(void);
/* Pokes (boot option timer_poke_us=N, for tests; none by default): a
 * timer interrupt every N microseconds between the ticks, which does
 * nothing but interrupt.  What it is for: under QEMU's -icount an
 * interrupt lands between any two instructions, and pokes make it land
 * inside the user-mode switch's five-instruction commit often enough for
 * a test to see the restart (shared_restart_commit, t_commit_restart);
 * the ticks alone take minutes.  Call once, at boot, before any hart
 * starts its timer. */
void timer_configure_pokes(uint64_t us);
#define TIMER_POKE_MIN_US 10    /* below, the harts would do little else */
/* This timer interrupt is a poke (not a tick): the next deadline is set,
 * and the caller does nothing else for it.  False without pokes. */
bool timer_poke(void);
/* Nanoseconds since boot (from the `time` CSR). */
uint64_t timer_now_ns(void);
/* A reading of the time CSR, in microseconds. */
uint64_t timer_ticks_to_us(uint64_t ticks);
/* Busy-waits (interrupts still taken) for the given number of ms. */
void timer_delay_ms(uint64_t ms);

#endif
