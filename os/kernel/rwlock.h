/*
 * Shared holds of a spinlock: a reader-writer lock in the spinlock's own
 * word (kernel/spinlock.h), so that every spin_lock of it stays what it
 * was, an exclusive hold.  One lock is taken shared: sched_lock, by a
 * kernel yield under a policy whose calls for different harts may overlap
 * (SCHED_FLAG_HART_LOCAL, docs/scheduler.md).  Every shared hold writes
 * the lock's word, so the word's line moves between harts that hold it
 * shared at once; a process's address space lock, held shared by every
 * kernel copy, is a kernel/hart_rwlock.h instead, whose shared hold
 * writes only its hart's line.  (sched_lock stays here: its exclusive
 * holds are the common ones, every yield's, and would each pay that
 * lock's look at every hart's slot.)
 *
 * The exclusive side wins: once a hart has set SPIN_WRITER, no shared hold
 * starts, and it waits for the ones already taken to end.  A hart sets its
 * own bit with one atomic operation on the same word, so whichever of the
 * two came first, the other sees it.
 *
 * Interrupts are off while a hold of either kind lasts.  A hart holds the
 * lock one way at a time: taking it again either way panics.
 */
#ifndef KERNEL_RWLOCK_H
#define KERNEL_RWLOCK_H

#include "kernel/spinlock.h"

static inline bool spin_holding_shared(struct spinlock *lock)
{
    return (lock->locked & (1u << this_hartid())) != 0;
}

/* Held by this hart, either way. */
static inline bool spin_holding_any(struct spinlock *lock)
{
    return spin_holding(lock) || spin_holding_shared(lock);
}

static inline void spin_lock_shared(struct spinlock *lock)
{
    push_off();
    uint32_t me = 1u << this_hartid();
    if (__builtin_expect(spin_holding(lock) || (lock->locked & me), 0))
        spin_misuse(lock, "spin_lock_shared: hart already holds");
    while (__atomic_fetch_or(&lock->locked, me, __ATOMIC_ACQUIRE) & SPIN_WRITER) {
        /* An exclusive holder (or one waiting for the shared holds to
         * end): step back until it is done. */
        __atomic_fetch_and(&lock->locked, ~me, __ATOMIC_RELAXED);
        spin_wait_for_writer(lock);
    }
}

static inline void spin_unlock_shared(struct spinlock *lock)
{
    uint32_t me = 1u << this_hartid();
    if (__builtin_expect(!(lock->locked & me), 0))
        spin_misuse(lock, "spin_unlock_shared: hart does not hold it shared");
    __atomic_fetch_and(&lock->locked, ~me, __ATOMIC_RELEASE);
    pop_off();
}

#endif
