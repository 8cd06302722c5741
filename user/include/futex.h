/*
 * Futexes: sleep until a 32-bit word changes.  The building block of the
 * mutex, semaphore and condition variable; use those instead when you can.
 */
#ifndef USER_FUTEX_H
#define USER_FUTEX_H

#include <stdint.h>

/* Sleeps while *addr == expected (checked atomically by the kernel), until
 * futex_wake or timeout_ms (0 = no timeout).  Returns 0 when woken, -1 with
 * errno EAGAIN if *addr != expected, ETIMEDOUT on timeout. */
int futex_wait(uint32_t *addr, uint32_t expected, uint64_t timeout_ms);
/* Wakes up to max threads sleeping on addr; returns how many. */
int futex_wake(uint32_t *addr, int max);

#endif
