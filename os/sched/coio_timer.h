/*
 * SYS_sleep_async: operations that complete after a delay, completed by
 * one kernel coroutine that the timer tick wakes when the earliest is due.
 */
#ifndef SCHED_COIO_TIMER_H
#define SCHED_COIO_TIMER_H

#include <stdint.h>

struct coio_op;

/* Spawns the timer coroutine (once, after kcoro_init). */
void coio_timer_init(void);
/* op (COIO_SLEEP, deadline_ns set) goes pending: -EINPROGRESS, or the
 * refusal of coio_admit. */
long coio_timer_submit(struct coio_op *op);
/* From every timer tick: one load, and a wake if something is due. */
void coio_timer_tick(void);

#endif
