/*
 * The kernel's own coroutines: one executor (a CO_EXEC, its queue and its
 * records, in kernel memory) driven through the runtime blob's co_call, the
 * very code that runs every process's executor (sched_abi/coro.h).
 *
 * Kernel coroutines are stackless (struct co first in their frame, a
 * switch-based resume point) and are polled by every hart, with interrupts
 * off: on the way back to user mode when the executor has work (one load:
 * kcoro_has_work), and in its idle loop when the work is its own
 * (kcoro_has_own_work).  A poll must therefore never sleep
 * and must be bounded; kcoro_poll itself polls at most KCORO_POLL_MAX
 * coroutines per call.
 *
 * Every function here may be called from any context, interrupt handlers
 * included (each call runs with interrupts off, so no hart is interrupted
 * while it holds the executor's lock).
 */
#ifndef SCHED_KCORO_H
#define SCHED_KCORO_H

#include <stdbool.h>
#include <stdint.h>
#include "coro.h"
#include "kernel/cpu.h"

/* Kernel coroutines at once: the timer's and one per pipe with more
 * asynchronous completions due at once than a batch (fs/pipe_async.c),
 * while it works them off.  A pipe with none at hand, when it needs one,
 * completes them in the call that let them go.  Each costs a TaskSched record (256 bytes, 2 MiB in all) and a queue word,
 * allocated at boot. */
#define KCORO_CAPACITY  8192
#define KCORO_POLL_MAX  64      /* polls per kcoro_poll call */

/* Sets up the executor (once, at boot, after shared_init). */
void kcoro_init(void);

/* A new coroutine: poll(frame) until it returns CO_READY.  drop (or NULL)
 * runs once when it ends or is cancelled.  Its CID, or CO_NONE if the
 * table is full. */
uint32_t kcoro_spawn(co_poll_fn poll, struct co *frame, uint32_t prio, co_drop_fn drop);
/* Makes it ready (if it still lives and is not queued already).  A wake
 * while it is being polled polls it once more: no wake-up is lost. */
void kcoro_wake(uint32_t cid);
/* Cancels it: it is never polled again; its drop hook runs and it ends
 * with CO_RESULT_CANCELLED (now, or once its current poll returns).
 * 0, or -1 if there is no such coroutine. */
int kcoro_cancel(uint32_t cid);
/* 1 and *result if it is done (its record is freed), 0 if not yet, -1 if
 * no such coroutine.  (No joiner is registered: the kernel polls.) */
int kcoro_join(uint32_t cid, int64_t *result);
/* Lets it go: its record is freed when it ends. */
void kcoro_detach(uint32_t cid);
/* Its state word's low bits (CO_LIVE, ...), or -1. */
int64_t kcoro_state(uint32_t cid);
/* Times it has been polled. */
uint64_t kcoro_polls(uint32_t cid);

/* Polls ready coroutines, at most KCORO_POLL_MAX; returns how many. */
int kcoro_poll(void);
/* Self-tests: only this hart polls until kcoro_release (the other harts'
 * poll points skip), so an order can be checked.  Not for anything else. */
void kcoro_hold(void);
void kcoro_release(void);

/* Nonzero when some coroutine may be ready: bit h set by a wake or spawn
 * on hart h, all cleared by the poller that takes the work (whatever is
 * ready, whoever flagged it). */
extern volatile uint64_t kcoro_work;
static inline bool kcoro_has_work(void)
{
    return __atomic_load_n(&kcoro_work, __ATOMIC_RELAXED) != 0;
}

/* Work this hart flagged (interrupts off, or on the hart's idle thread,
 * which never moves).  The idle loop polls only that: every hart polls on
 * its way out of the kernel (trap_return_work, its idle loop), so work
 * flagged elsewhere is taken there, by the hart that just made it, while
 * an idle hart that woke for its tick and polled it would only meet that
 * hart on the coroutine's locks (a pipe's, sched_lock for the doorbell)
 * and spin for as long as the host keeps that hart stopped in its hold
 * (b_prings, two harts, one worker: 4 to 20 ms at a time). */
static inline bool kcoro_has_own_work(void)
{
    return __atomic_load_n(&kcoro_work, __ATOMIC_RELAXED) & (1ull << this_hartid());
}

#endif
