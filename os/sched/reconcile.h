/*
 * Catching up with user-mode switches.  A process switches threads in user
 * mode without telling the kernel; the kernel finds out at the next trap
 * from that hart, from VDSO_DATA.current[hart].  Also: honouring
 * block_sched, for a bounded time.
 */
#ifndef SCHED_RECONCILE_H
#define SCHED_RECONCILE_H

#include <stdbool.h>
#include <stdint.h>
#include "kernel/cpu.h"
#include "proc/thread.h"
#include "trap/trap.h"
#include "vdso.h"

/* The budget of block_sched, per process, in timer ticks the kernel
 * itself observes.  A tick that finds the flag set while the kernel has
 * wanted the hart since an earlier spared interrupt (need_resched still
 * set) adds one tick of debt; a tick that finds it clear pays two back.
 * Past BLOCK_SCHED_MAX_TICKS of debt the kernel preempts anyway and says
 * so.  Section numbers play no part: renewing them does not help.
 *
 * Why not every tick that finds the flag set: a legitimate ping-pong is in
 * a section at 70% of its ticks (measured, t_pingpong on one hart), in
 * thousands of short sections; what matters is how long the kernel is
 * kept waiting, and a section that ends lets the next tick switch.
 * Counted in ticks, not time: under QEMU a virtual hart can be descheduled
 * by the host for longer than a tick, and that must not count against the
 * process. */
#define BLOCK_SCHED_MAX_TICKS 10
/* After preempting a process anyway, its block_sched is ignored this long:
 * a program that keeps setting it gets no more than its share. */
#define BLOCK_SCHED_PENALTY_NS (1000 * 1000 * 1000ULL)

/* Is thread t, on hart `hart`, in a section the timer should spare (for a
 * bounded time: reconcile_block_sched)?  Either word of its process says
 * so: the queue lock holding t's own slot + 1 (the runtime's pin: one
 * compare-and-swap takes the lock and pins the thread, one store releases
 * both), or block_sched[hart] set (a pin without the queue, for a program
 * that wants one; the runtime no longer sets it).  Both are the process's
 * to write, so this is only ever a reason to wait a bounded time: a lock
 * word naming another thread, or garbage, pins nothing. */
static inline bool reconcile_pinned(const VDSO_DATA *v, uint64_t hart, const struct thread *t)
{
    return (t->stack_slot >= 0 &&
            __atomic_load_n(&v->queue_lock, __ATOMIC_RELAXED) == (uint32_t)t->stack_slot + 1) ||
           __atomic_load_n(&v->block_sched[hart], __ATOMIC_RELAXED) != 0;
}

/* True if this interrupt from user mode must not disturb the thread (it is
 * in the middle of a user-mode switch): the caller returns to it as is. */
bool reconcile_block_sched(struct trapframe *tf);

/* Who does this trap from user mode belong to?  True: to the thread the
 * kernel has on this hart (or the process lied about it and was killed; it
 * ends at trap_return).  False: to another of its threads, or to none (the
 * one that came after it parked itself): the frame is kept aside, and the
 * trap entry must leave this thread's kernel stack for the hart's own
 * (reconcile_stack_top) and call reconcile_switch there.
 *
 * t is this hart's thread, v its process's VDSO_DATA.  The common case,
 * current[hart] naming t exactly, is one load and one compare here; any
 * other value (t parking, another thread, a lie) is the out-of-line
 * reconcile_claimed, which also makes the next return publish afresh
 * (cpu.published: the process's view of this hart is not what the kernel
 * last wrote). */
bool reconcile_claimed(struct trapframe *tf, uint32_t claimed);
static inline bool reconcile_user_trap(struct trapframe *tf, const struct thread *t,
                                       VDSO_DATA *v)
{
    uint32_t claimed = __atomic_load_n(&v->current[this_hartid()], __ATOMIC_ACQUIRE);
    return claimed == (uint32_t)t->stack_slot || reconcile_claimed(tf, claimed);
}
/* The top of this hart's own stack, for reconcile_switch. */
uint64_t reconcile_stack_top(void);
/* On the hart's own stack: releases the thread the kernel had here, takes
 * over the one now here and returns its trap frame (at the top of its
 * kernel stack) for the trap to go on as that thread.  If no thread of the
 * process runs here any more, runs the idle thread: does not return. */
struct trapframe *reconcile_switch(void);

#endif
