#include "kernel/spinlock.h"
#include "kernel/panic.h"

void spin_init(struct spinlock *lock, const char *name)
{
    lock->locked = 0;
    lock->owner = -1;
    lock->name = name;
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

void spin_misuse(const struct spinlock *lock, const char *what)
{
    panic("%s '%s'", what, lock->name);
}

void irq_nesting_misuse(const char *what)
{
    panic("%s", what);
}
