/*
 * Threads that keep every hart from anything less urgent than the caller,
 * for the tests of "No worker left below the work" (docs/coroutines.md):
 * a thread that yields in a loop lets only threads at least as urgent run
 * (the rule of yield, docs/scheduler.md), so the caller yielding beside a
 * yielder on each other hart leaves a worker below them no hart at all,
 * unless it is raised.
 */
#ifndef USER_YIELDERS_H
#define USER_YIELDERS_H

#include <stdint.h>

#define YIELDERS_MAX 7              /* harts but the caller's, at most */

struct yielders {
    volatile int on;
    int n;                          /* threads started */
    int tids[YIELDERS_MAX];
};

/* Starts a thread (at the caller's priority) on each hart but the
 * caller's, each yielding until yielders_stop. */
void yielders_start(struct yielders *y);
/* Stops them and joins them. */
void yielders_stop(struct yielders *y);
/* The caller yields until *done is set or bound_ns has passed: returns
 * the yields it made. */
uint64_t yield_until(const volatile int *done, uint64_t bound_ns);

#endif
