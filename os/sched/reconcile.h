/*
 * Catching up with user-mode switches.  A process switches threads in user
 * mode without telling the kernel; the kernel finds out at the next trap
 * from that hart, from VDSO_DATA.current[hart].  Also: honouring
 * block_sched, for a bounded time.
 */
#ifndef SCHED_RECONCILE_H
#define SCHED_RECONCILE_H

#include <stdbool.h>
#include "trap/trap.h"

/* How many timer ticks in a row the kernel lets pass without touching a
 * thread that has block_sched set (one section: see VDSO_DATA); after that
 * it preempts anyway and says so.  Counted in ticks the hart takes, not in
 * time: under QEMU a virtual hart can be descheduled by the host for
 * longer than a tick, and that must not count against the process. */
#define BLOCK_SCHED_MAX_TICKS 10
/* After preempting a process anyway, its block_sched is ignored this long:
 * a program that keeps setting it gets no more than its share. */
#define BLOCK_SCHED_PENALTY_NS (1000 * 1000 * 1000ULL)

/* True if this interrupt from user mode must not disturb the thread (it is
 * in the middle of a user-mode switch): the caller returns to it as is. */
bool reconcile_block_sched(struct trapframe *tf);

/* Who does this trap from user mode belong to?  True: to the thread the
 * kernel has on this hart (or the process lied about it and was killed; it
 * ends at trap_return).  False: to another of its threads, or to none (the
 * one that came after it parked itself): the frame is kept aside, and the
 * trap entry must leave this thread's kernel stack for the hart's own
 * (reconcile_stack_top) and call reconcile_switch there. */
bool reconcile_user_trap(struct trapframe *tf);
/* The top of this hart's own stack, for reconcile_switch. */
uint64_t reconcile_stack_top(void);
/* On the hart's own stack: releases the thread the kernel had here, takes
 * over the one now here and returns its trap frame (at the top of its
 * kernel stack) for the trap to go on as that thread.  If no thread of the
 * process runs here any more, runs the idle thread: does not return. */
struct trapframe *reconcile_switch(void);

#endif
