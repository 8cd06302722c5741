#include "kernel/hart_rwlock.h"
#include "kernel/cpu.h"
#include "kernel/panic.h"
#include "arch/riscv.h"

void hart_rwlock_init(struct hart_rwlock *lock, const char *name,
                      struct hart_readers *readers)
{
    spin_init(&lock->writer, name);
    lock->readers = readers;
}

/* Waits while hart h's slot names `lock`: that hart holds it shared.
 * True if it had to wait. */
static bool wait_for_reader(struct hart_rwlock *lock, uint64_t h)
{
    struct hart_reader *slot = &lock->readers->hart[h];
    /* Acquire: pairs with the reader's release of the slot, so that what
     * it did under its hold (a copy into a frame) comes before what this
     * holder does next (frees the frame). */
    if (__atomic_load_n(&slot->held, __ATOMIC_ACQUIRE) != lock)
        return false;
    uint64_t from = read_time();
    while (__atomic_load_n(&slot->held, __ATOMIC_ACQUIRE) == lock)
        cpu_relax();
    spin_waited(lock->writer.name, from);
    return true;
}

void hart_rwlock_lock(struct hart_rwlock *lock)
{
    /* Before the spinlock: holding it shared, this hart would wait for
     * itself below, for ever. */
    if (hart_rwlock_holding_shared(lock))
        hart_rwlock_shared_misuse(lock, "hart_rwlock_lock: hart holds it shared");
    spin_lock(&lock->writer);
    /* SPIN_WRITER (set by spin_lock's atomic) before the look at the
     * slots (store buffering, kernel/hart_rwlock.h): a reader whose slot
     * this misses sees SPIN_WRITER and steps back.  In C11's terms an
     * acquire read-modify-write does not keep a later load of another
     * word from being served before its store is seen by the other
     * harts; a sequentially consistent fence does (one fence, on the
     * rare side). */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    /* The harts the machine has (kernel/cpu.h), not MAX_HARTS: a slot of
     * a hart that does not exist stays clear. */
    bool waited = false;
    for (uint64_t i = 0; i < hart_count; i++)
        waited |= wait_for_reader(lock, hart_ids[i]);
    if (waited)     /* counted once per hold that waits, as spin_lock's */
        __atomic_fetch_add(&lock->writer.waits, 1, __ATOMIC_RELAXED);
}

void hart_rwlock_shared_misuse(struct hart_rwlock *lock, const char *what)
{
    spin_misuse(&lock->writer, what);
}

void hart_rwlock_wait_for_writer(struct hart_rwlock *lock)
{
    if (spin_holding(&lock->writer))
        hart_rwlock_shared_misuse(lock, "hart_rwlock_lock_shared: hart holds it exclusively");
    spin_wait_for_writer(&lock->writer);
}
