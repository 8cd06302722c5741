/*
 * Thread stacks in a user address space: USER_STACK_SLOTS slots below
 * USER_STACK_TOP (os/memlayout.h), each USER_THREAD_STACK bytes over an
 * unmapped guard page, one per thread.
 *
 * Demand-paged, so that thousands of threads fit in a small machine and a
 * process with two threads costs what it did when there were 64 slots: a
 * thread's slot starts with its top page mapped; a fault (or a system
 * call's copy) anywhere else in the stack of a slot in use maps a zeroed
 * frame; the guard page below it and every slot not in use still fault
 * and kill as before.  A thread's exit frees its stack's pages but the
 * top one, which the slot's next thread gets (zeroed): freeing that too
 * would need a TLB shootdown at every exit (ustack.c says what it cost).
 *
 * Which slots are in use is part of the address space (struct uspace,
 * under its lock), so the copies in mm/uvm.c can map what they touch.
 */
#ifndef MM_USTACK_H
#define MM_USTACK_H

#include <stdint.h>
#include "mm/uvm.h"

/* Highest address (exclusive) of slot's stack: a new thread's sp. */
uint64_t ustack_top(int slot);
/* Takes the lowest free slot, clears what an earlier user left in it (a
 * forked child inherits every stack of its parent) and maps its top page
 * (or zeroes the one a thread before it left).
 * Returns the slot, -EAGAIN if every slot is in use, or -ENOMEM. */
int ustack_take(struct uspace *us);
/* Marks `slot` (free) in use and leaves its pages as they are: a forked
 * child's copy of the caller's stack, a new image's main stack. */
void ustack_claim(struct uspace *us, int slot);
/* Frees the slot and the pages of its stack but the top one (a thread's
 * exit). */
void ustack_release(struct uspace *us, int slot);
/* No slot in use (a new image: exec). */
void ustack_reset(struct uspace *us);
/* With us->lock held: if va is in the stack of a slot in use, above its
 * guard page, makes sure its page is mapped (a zeroed frame).  0 if it is
 * mapped now, -EFAULT if va is no such address, -ENOMEM. */
int ustack_demand_locked(struct uspace *us, uint64_t va);
/* A user page fault at va: ustack_demand_locked under the lock. */
int ustack_fault(struct uspace *us, uint64_t va);

#endif
