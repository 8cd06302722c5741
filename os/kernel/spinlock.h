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

struct spinlock {
    volatile uint32_t locked;
    int owner;                  /* hart id of the holder, -1 when free */
    const char *name;
};

#define SPINLOCK_INIT(n) { .locked = 0, .owner = -1, .name = (n) }

void spin_init(struct spinlock *lock, const char *name);
/* Tries to take the lock without spinning; returns true on success. */
bool spin_trylock(struct spinlock *lock);

/* The reports of a broken discipline (spinlock.c): they panic. */
void spin_misuse(const struct spinlock *lock, const char *what)
    __attribute__((noreturn, cold));
void irq_nesting_misuse(const char *what) __attribute__((noreturn, cold));

/* Inline: assertions call it on every scheduling path. */
static inline bool spin_holding(struct spinlock *lock)
{
    return lock->locked && lock->owner == (int)this_hartid();
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

static inline void spin_lock(struct spinlock *lock)
{
    push_off();
    if (__builtin_expect(spin_holding(lock), 0))
        spin_misuse(lock, "spin_lock: hart already holds");
    while (__atomic_exchange_n(&lock->locked, 1, __ATOMIC_ACQUIRE))
        while (lock->locked)
            cpu_relax();
    lock->owner = (int)this_hartid();
}

static inline void spin_unlock(struct spinlock *lock)
{
    if (__builtin_expect(!spin_holding(lock), 0))
        spin_misuse(lock, "spin_unlock: hart does not hold");
    lock->owner = -1;
    __atomic_store_n(&lock->locked, 0, __ATOMIC_RELEASE);
    pop_off();
}

#endif
