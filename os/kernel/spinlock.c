#include "kernel/spinlock.h"
#include "kernel/rwlock.h"
#include "kernel/panic.h"
#include "sched/hart_time.h"
#include "kernel/lockstat.h"
#include "arch/riscv.h"

void spin_waited(const char *name, uint64_t from)
{
    uint64_t spun = read_time() - from;
    hart_time_spin(spun);
    lockstat_waited(name, spun);
}

void spin_init(struct spinlock *lock, const char *name)
{
    lock->locked = 0;
    lock->owner = -1;
    lock->name = name;
}

bool spin_trylock(struct spinlock *lock)
{
    push_off();
    uint32_t was;
    if (!(lock->locked & SPIN_WRITER) &&
        !((was = __atomic_fetch_or(&lock->locked, SPIN_WRITER, __ATOMIC_ACQUIRE)) & SPIN_WRITER)) {
        if (was)
            spin_wait_for_readers(lock);    /* their holds are short */
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

/* Counted once per hold that waits: the count says how often harts met
 * on the lock, not how long they spun (which depends on the host). */
void spin_wait_for_writer(struct spinlock *lock)
{
    __atomic_fetch_add(&lock->waits, 1, __ATOMIC_RELAXED);
    uint64_t from = read_time();
    while (lock->locked & SPIN_WRITER)
        cpu_relax();
    spin_waited(lock->name, from);
}

/* `was`: what spin_lock's fetch_or found.  With the writer's bit set, it
 * did nothing: another holds the lock.  With only shared holders' bits,
 * the writer's bit is now ours. */
void spin_lock_contended(struct spinlock *lock, uint32_t was)
{
    while (was & SPIN_WRITER) {
        spin_wait_for_writer(lock);
        was = __atomic_fetch_or(&lock->locked, SPIN_WRITER, __ATOMIC_ACQUIRE);
    }
    /* Ours now: no new shared hold starts (kernel/rwlock.h); the ones
     * that had started end before the exclusive holder goes on. */
    if (was)
        spin_wait_for_readers(lock);
}

void spin_wait_for_readers(struct spinlock *lock)
{
    uint32_t me = 1u << this_hartid();
    __atomic_fetch_add(&lock->waits, 1, __ATOMIC_RELAXED);
    uint64_t from = read_time();
    while (lock->locked & ~SPIN_WRITER) {
        /* It would wait for itself for ever. */
        if (lock->locked & me)
            spin_misuse(lock, "spin_lock: hart holds it shared");
        cpu_relax();
    }
    spin_waited(lock->name, from);
}
