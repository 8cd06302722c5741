/* Starting the other harts, and running a function on all of them. */
#ifndef KERNEL_SMP_H
#define KERNEL_SMP_H

#include <stdint.h>

/* Boot hart: starts every other hart of the device tree through SBI HSM and
 * waits (bounded) until each reports online. */
void smp_start_secondaries(void);

/* Runs fn(arg) on every online hart, this one included, with interrupts on,
 * and returns when all have finished.  One call at a time. */
void smp_call_all(void (*fn)(void *), void *arg);

/* Where an idle hart waits for work. */
void smp_idle_loop(void) __attribute__((noreturn));

#endif
