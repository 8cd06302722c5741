/* Starting the other harts, and running a function on all of them. */
#ifndef KERNEL_SMP_H
#define KERNEL_SMP_H

#include <stdbool.h>
#include <stdint.h>

/* Boot hart: starts every other hart of the device tree through SBI HSM and
 * waits (bounded) until each reports online. */
void smp_start_secondaries(void);

/* Runs fn(arg) on every online hart, this one included, with interrupts on,
 * and returns when all have finished.  One call at a time. */
void smp_call_all(void (*fn)(void *), void *arg);

/* For the idle loop: is there a call this hart has not run, and run it. */
bool smp_call_pending(void);
void smp_run_pending_call(void);

#endif
