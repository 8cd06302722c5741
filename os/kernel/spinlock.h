/*
 * Spinlocks.  Taking a lock disables interrupts on this hart (an interrupt
 * handler that takes the same lock would otherwise deadlock against the code
 * it interrupted); the disabling nests, so interrupts come back on only when
 * the outermost holder releases.
 */
#ifndef KERNEL_SPINLOCK_H
#define KERNEL_SPINLOCK_H

#include <stdbool.h>
#include <stdint.h>
#include "kernel/cpu.h"

struct spinlock {
    volatile uint32_t locked;
    int owner;                  /* hart id of the holder, -1 when free */
    const char *name;
};

#define SPINLOCK_INIT(n) { .locked = 0, .owner = -1, .name = (n) }

void spin_init(struct spinlock *lock, const char *name);
void spin_lock(struct spinlock *lock);
/* Tries to take the lock without spinning; returns true on success. */
bool spin_trylock(struct spinlock *lock);
void spin_unlock(struct spinlock *lock);
/* Inline: assertions call it on every scheduling path. */
static inline bool spin_holding(struct spinlock *lock)
{
    return lock->locked && lock->owner == (int)this_hartid();
}

/* Interrupt-disable nesting, usable on their own. */
void push_off(void);
void pop_off(void);

#endif
