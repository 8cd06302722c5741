#include "kernel/spinlock.h"
#include "kernel/cpu.h"
#include "kernel/panic.h"
#include "arch/riscv.h"

void push_off(void)
{
    bool was_on = intr_enabled();
    intr_off();
    struct cpu *c = this_cpu();
    if (c->irq_depth == 0)
        c->irq_were_on = was_on;
    c->irq_depth++;
}

void pop_off(void)
{
    struct cpu *c = this_cpu();
    if (intr_enabled())
        panic("pop_off: interrupts are on");
    if (c->irq_depth < 1)
        panic("pop_off: not pushed");
    if (--c->irq_depth == 0 && c->irq_were_on)
        intr_on();
}

void spin_init(struct spinlock *lock, const char *name)
{
    lock->locked = 0;
    lock->owner = -1;
    lock->name = name;
}

void spin_lock(struct spinlock *lock)
{
    push_off();
    if (spin_holding(lock))
        panic("spin_lock: hart already holds '%s'", lock->name);
    while (__atomic_exchange_n(&lock->locked, 1, __ATOMIC_ACQUIRE))
        while (lock->locked)
            cpu_relax();
    lock->owner = (int)this_hartid();
}

bool spin_trylock(struct spinlock *lock)
{
    push_off();
    if (!lock->locked && !__atomic_exchange_n(&lock->locked, 1, __ATOMIC_ACQUIRE)) {
        lock->owner = (int)this_hartid();
        return true;
    }
    pop_off();
    return false;
}

void spin_unlock(struct spinlock *lock)
{
    if (!spin_holding(lock))
        panic("spin_unlock: hart does not hold '%s'", lock->name);
    lock->owner = -1;
    __atomic_store_n(&lock->locked, 0, __ATOMIC_RELEASE);
    pop_off();
}
