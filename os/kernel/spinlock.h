/*
 * Spinlocks.  Taking a lock disables interrupts on this hart (an interrupt
 * handler that takes the same lock would otherwise deadlock against the code
 * it interrupted); the disabling nests, so interrupts come back on only when
 * the outermost holder releases.
 *
 * The lock, unlock and interrupt-nesting operations are inline: every
 * scheduling path takes sched_lock, and a call with its frame cost as much
 * as the lock itself.  What they check (a hart taking a lock it holds,
 * releasing one it does not, unbalanced nesting) is checked here too; only
 * the report is out of line.
 */
#ifndef KERNEL_SPINLOCK_H
#define KERNEL_SPINLOCK_H

#include <stdbool.h>
#include <stdint.h>
#include "kernel/cpu.h"
#include "arch/riscv.h"
#include "kernel/ordered_store.h"

/* `locked` is one word for both kinds of hold (kernel/rwlock.h): bit
 * SPIN_WRITER for the one exclusive holder, bit h for hart h holding it
 * shared.  A lock nobody takes shared only ever has SPIN_WRITER set. */
struct spinlock {
    volatile uint32_t locked;
    int owner;                  /* hart id of the exclusive holder, -1 when free */
    const char *name;
    uint64_t waits;             /* holds that had to wait for another (statistics:
                                   counted only then, so free when uncontended) */
};

#define SPIN_WRITER (1u << 31)
_Static_assert(MAX_HARTS < 31, "a reader bit per hart below SPIN_WRITER");

#define SPINLOCK_INIT(n) { .locked = 0, .owner = -1, .name = (n) }

void spin_init(struct spinlock *lock, const char *name);
/* Tries to take the lock without spinning; returns true on success. */
bool spin_trylock(struct spinlock *lock);

/* The reports of a broken discipline (spinlock.c): they panic. */
void spin_misuse(const struct spinlock *lock, const char *what)
    __attribute__((noreturn, cold));
void irq_nesting_misuse(const char *what) __attribute__((noreturn, cold));
/* The slow ends of spin_lock and spin_unlock (spinlock.c): waiting for
 * shared holders to leave. */
void spin_wait_for_readers(struct spinlock *lock) __attribute__((cold));
void spin_wait_for_writer(struct spinlock *lock);
/* A wait for the lock named `name` that began at `from` (time CSR) is
 * over: counted in this hart's spin time and in the lock's kind's
 * statistics (kernel/lockstat.h).  Every spin wait ends here. */
void spin_waited(const char *name, uint64_t from) __attribute__((cold));
/* spin_lock's way when the lock was not free: another holder, or shared
 * holds to wait out. */
void spin_lock_contended(struct spinlock *lock, uint32_t was);

/* Held exclusively by this hart.  Inline: assertions call it on every
 * scheduling path.  (owner is -1 whenever only shared holds exist.) */
static inline bool spin_holding(struct spinlock *lock)
{
    return (lock->locked & SPIN_WRITER) && lock->owner == (int)this_hartid();
}

/* Interrupt-disable nesting, usable on their own.  One csrrci both reads
 * and clears SIE: no interrupt can come between the two. */
static inline void push_off(void)
{
    uint64_t sstatus;
    __asm__ volatile("csrrci %0, sstatus, %1" : "=r"(sstatus) : "i"(SSTATUS_SIE) : "memory");
    struct cpu *c = this_cpu();
    if (c->irq_depth++ == 0)
        c->irq_were_on = (sstatus & SSTATUS_SIE) != 0;
}

static inline void pop_off(void)
{
    struct cpu *c = this_cpu();
    if (__builtin_expect(intr_enabled(), 0))
        irq_nesting_misuse("pop_off: interrupts are on");
    if (__builtin_expect(c->irq_depth < 1, 0))
        irq_nesting_misuse("pop_off: not pushed");
    if (--c->irq_depth == 0 && c->irq_were_on)
        intr_on();
}

/* The hold itself, for a caller that knows this hart holds no lock at
 * all (spin_lock_irqs_off_outermost), with interrupts already off. */
static inline void spin_take_hold_unheld(struct spinlock *lock)
{
    /* One test when the lock is free, the usual case. */
    uint32_t was = __atomic_fetch_or(&lock->locked, SPIN_WRITER, __ATOMIC_ACQUIRE);
    if (__builtin_expect(was != 0, 0))
        spin_lock_contended(lock, was);
    lock->owner = (int)this_hartid();
}

/* The hold itself, with interrupts already off. */
static inline void spin_take_hold(struct spinlock *lock)
{
    if (__builtin_expect(spin_holding(lock), 0))
        spin_misuse(lock, "spin_lock: hart already holds");
    spin_take_hold_unheld(lock);
}

static inline void spin_lock(struct spinlock *lock)
{
    push_off();
    spin_take_hold(lock);
}

/* The way in and out of one hold for a caller that knows the hart's state
 * (the plain yield's fast way, trap_user_yield in sched/sched.c): called
 * with interrupts off and no lock held, and going back to user mode with
 * interrupts still off (its sret turns them on).  So the nesting is set
 * rather than counted: depth 1, and irq_were_on false (a decision that
 * switches away keeps it, per thread, across the switch).  The release
 * asserts the depth is back to 1 and leaves interrupts off. */
static inline void spin_lock_irqs_off_outermost(struct spinlock *lock)
{
    struct cpu *c = this_cpu();
    /* Depth 0 is no hold at all: every hold, exclusive or shared, counts
     * itself in irq_depth first (push_off; kmalloc's hart cache too), so
     * this test is spin_take_hold's "already holds" as well. */
    if (__builtin_expect(c->irq_depth != 0, 0))
        irq_nesting_misuse("spin_lock_irqs_off_outermost: nested");
    c->irq_depth = 1;
    c->irq_were_on = false;
    spin_take_hold_unheld(lock);
}

/* Releases this hart's hold, exclusive or shared: a decision taken under a
 * shared hold may switch to a thread that stopped under an exclusive one,
 * and that thread releases what this hart holds now. */
static inline void spin_release_hold(struct spinlock *lock)
{
    if (__builtin_expect(!spin_holding(lock), 0)) {
        /* A shared hold (kernel/rwlock.h), here rather than in a call:
         * the only call left is the report, which does not return, so a
         * caller that calls nothing else needs no frame for it. */
        uint32_t me = 1u << this_hartid();
        if (!(lock->locked & me))
            spin_misuse(lock, "spin_unlock: hart does not hold");
        __atomic_fetch_and(&lock->locked, ~me, __ATOMIC_RELEASE);
    } else {
        lock->owner = -1;
        store_release(&lock->locked, 0);
    }
}

static inline void spin_unlock(struct spinlock *lock)
{
    spin_release_hold(lock);
    pop_off();
}

/* spin_lock_irqs_off_outermost's release: the hold is released as by
 * spin_unlock (either kind: the decision may have switched to a thread
 * that stopped under a shared hold), and the nesting ends with interrupts
 * left off. */
static inline void spin_unlock_irqs_off_outermost(struct spinlock *lock)
{
    spin_release_hold(lock);
    struct cpu *c = this_cpu();
    if (__builtin_expect(c->irq_depth != 1, 0))
        irq_nesting_misuse("spin_unlock_irqs_off_outermost: not the outermost hold");
    c->irq_depth = 0;
}

#endif
