/*
 * The single place where a user thread gives up its hart: every yield and
 * every sleep-on-a-word of the library (mutex, semaphore, condition
 * variable, join) goes through these three functions.  Today they are the
 * kernel's yield and futex calls; the user-mode scheduler (DESIGN.md 7)
 * will re-route them, switching to another thread of the process without a
 * system call when it can, and nothing else will need to change.
 */
#ifndef USER_LIB_BLOCK_H
#define USER_LIB_BLOCK_H

#include <stdint.h>

/* Lets another ready thread run. */
void thread_yield_hart(void);
/* Sleeps while *addr == expected (0 timeout = forever).  Returns 0 when
 * woken, or -errno: -EAGAIN if *addr already differs, -ETIMEDOUT. */
int  thread_block_on(uint32_t *addr, uint32_t expected, uint64_t timeout_ms);
/* Wakes up to max threads sleeping on addr; returns how many. */
int  thread_wake_on(uint32_t *addr, int max);

#endif
