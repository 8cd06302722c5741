/*
 * The single place where a user thread gives up its hart: every yield and
 * every sleep-on-a-word of the library (mutex, semaphore, condition
 * variable, join) goes through these functions.  A yield goes to the
 * shared runtime (docs/design.md, 3.4), which switches to another thread of
 * the process without a system call when the policy picks one; a sleep is the
 * kernel's futex, which the mutex and the semaphore try to avoid by first
 * yielding in user mode a few times (the holder may be a thread of ours
 * waiting for a hart).
 */
#ifndef USER_LIB_BLOCK_H
#define USER_LIB_BLOCK_H

#include <stdint.h>

/* Lets another ready thread run.  1 if it switched to another thread of
 * this process in user mode (which has run meanwhile), 0 otherwise. */
int  thread_yield_hart(void);
/* Before a thread exits: its record leaves the process's run queue. */
void thread_leave_runqueue(void);
/* Before sleeping on a contended lock: how many user-mode yields to try. */
#define THREAD_YIELDS_BEFORE_SLEEP 4
/* Sleeps while *addr == expected (0 timeout = forever).  Returns 0 when
 * woken, or -errno: -EAGAIN if *addr already differs, -ETIMEDOUT. */
int  thread_block_on(uint32_t *addr, uint32_t expected, uint64_t timeout_ms);
/* Wakes up to max threads sleeping on addr; returns how many. */
int  thread_wake_on(uint32_t *addr, int max);

#endif
