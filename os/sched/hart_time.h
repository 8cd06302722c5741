/*
 * Where each hart's time goes: asleep in the idle loop, or spinning for a
 * kernel lock another hart holds.  Kept per hart (struct cpu) in time-CSR
 * ticks and published in microseconds in SCHED_KINFO (idle_us, spin_us;
 * sched_abi/vdso.h), which every process can read without a system call:
 * a benchmark (b_prings) tells from them whether a slow run computed or
 * waited (docs/performance.md, "Scaling over harts").
 *
 * Both are called only where the hart waits anyway (after a wfi, after a
 * contended spin): the fast paths pay nothing.
 */
#ifndef SCHED_HART_TIME_H
#define SCHED_HART_TIME_H

#include <stdint.h>

/* This hart is about to sleep in the idle loop's wfi, from time `from`
 * (time CSR): published as a running clock (SCHED_KINFO.idle_clock_us). */
void hart_time_idle_begin(uint64_t from);

/* This hart slept `ticks` (time CSR) in the idle loop's wfi. */
void hart_time_idle(uint64_t ticks);

/* This hart spun `ticks` (time CSR) for a lock another hart held. */
void hart_time_spin(uint64_t ticks);

#endif
