/*
 * Expensive invariant checks of the debug kernel (`make KDEBUG=1`, built
 * into build-debug/): every check of the scheduler's and the frame
 * allocator's bookkeeping against what it summarizes, at fixed points.
 * Each failed check panics, naming the invariant and the values seen.
 *
 * Where they run (docs/testing.md, "The multi-hart stress"):
 *   - inv_check_sched: every timer tick, under sched_lock (sched_tick):
 *     no decision is half-made then, so every thread is in a resting
 *     state and every count must add up;
 *   - inv_check_frames: every timer tick, before sched_lock (the frame
 *     lock is never taken inside it);
 *   - inv_frame_taken / inv_frames_ready: every frame handed out still
 *     holds the poison it got when it was freed (a write after the free,
 *     through a mapping left behind, shows there);
 *   - inv_check_user_return: every return to user mode holds no lock
 *     and borrows no file;
 *   - inv_check_switch: every thread switch borrows no file.
 *
 * In a normal build each is an empty inline function: the call sites
 * need no #ifdef and cost nothing.
 */
#ifndef KERNEL_INVARIANTS_H
#define KERNEL_INVARIANTS_H

#include <stddef.h>

#ifdef KDEBUG
#define KDEBUG_ENABLED 1
/* sched_lock held: thread states, queue counts, harts' current threads. */
void inv_check_sched(void);
/* No lock held: the free-frame count against the bitmap. */
void inv_check_frames(void);
/* Called once the allocator is set up: poisons every free frame, so that
 * each frame handed out from then on can be checked. */
void inv_frames_ready(void);
/* va: a frame just taken from the bitmap, not yet zeroed or written. */
void inv_frame_taken(void *va);
/* Interrupts off, about to sret: no spinlock is held by this hart, and
 * no file is borrowed (fs/file.h, "A borrow"). */
void inv_check_user_return(void);
/* A thread switch on this hart (sched_lock held): no file borrowed. */
void inv_check_switch(void);
#else
#define KDEBUG_ENABLED 0
static inline void inv_check_sched(void) {}
static inline void inv_check_frames(void) {}
static inline void inv_frames_ready(void) {}
static inline void inv_frame_taken(void *va) { (void)va; }
static inline void inv_check_user_return(void) {}
static inline void inv_check_switch(void) {}
#endif

#endif
