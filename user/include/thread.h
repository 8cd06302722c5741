/*
 * Kernel threads of one process.  Every thread runs on its own stack of
 * USER_THREAD_STACK bytes (allocated by the kernel) and starts with the
 * creator's priority.
 */
#ifndef USER_THREAD_H
#define USER_THREAD_H

#include <stdint.h>

/* Starts fn(arg) in a new thread; returns its tid, or -1 and errno. */
int  thread_create(void *(*fn)(void *), void *arg);
/* Waits for the thread to end; *retval (if not NULL) gets what fn returned
 * or what it passed to thread_exit.  Joining oneself fails with EDEADLK. */
int  thread_join(int tid, void **retval);
/* Ends the calling thread; the last one to go ends the process (status 0). */
void thread_exit(void *retval) __attribute__((noreturn));
int  gettid(void);

/* Starts n threads running fn, thread i with (void *)i as its argument
 * (its index in tids[], where its tid goes).  Returns n, or the number
 * started before a thread_create failed (errno says why): those run on,
 * and the caller stops and joins them. */
int  thread_create_indexed(int *tids, int n, void *(*fn)(void *));

/* One side of a two-thread ping-pong with yield_light(): takes `turns` turns
 * on *counter, this thread's when *counter % 2 == me (0 or 1), yielding
 * until then.  Two such threads leave *counter at 2 * turns. */
void yield_turns(volatile uint32_t *counter, uint32_t me, uint32_t turns);

#endif
