/*
 * A reader-writer lock whose shared hold writes only a line of the
 * holder's own hart.  For a lock that many harts hold shared at once and
 * seldom exclusively: a process's address space lock (mm/uvm.h), held
 * shared by every kernel copy to or from the process's memory.
 *
 * Why not kernel/rwlock.h: there every shared hold sets, then clears, its
 * hart's bit in the lock's one word, so with two threads of a process
 * copying on two harts that word (and whatever shares its line) moves
 * between the harts twice a copy.  Here a shared hold writes its hart's
 * slot in a table of the lock's kind (struct hart_readers, a line per
 * hart) and only reads the lock: the lock's line stays in every reader's
 * cache, and a slot moves only when an exclusive holder looks at it.
 *
 * The table is one per kind of lock, not one per lock: a hart holds at
 * most one lock of a kind shared at a time (its slot says which; a
 * second shared hold of the kind panics, as a nested one would).  So the
 * table costs MAX_HARTS lines for all the locks of the kind (every
 * process's address space), not per lock.
 *
 * The exclusive side is the spinlock `writer` (kernel/spinlock.h) plus a
 * look at every hart's slot:
 *   exclusive: set SPIN_WRITER (spin_lock); full fence; wait until no
 *              hart's slot names this lock.
 *   shared:    store the lock in this hart's slot; full fence; load the
 *              writer's word: SPIN_WRITER clear, it is held (acquire);
 *              set, clear the slot again, wait for the writer, retry.
 * Each side stores, then loads what the other stores: the fences are what
 * keep the two from both missing the other (store buffering: without
 * them each hart's load may be served before its own store is visible,
 * and a reader and a writer would both go on).  With them, whichever
 * fence comes first, the other side's load sees its store: the writer
 * waits for the reader, or the reader steps back.  The exclusive side
 * wins: once SPIN_WRITER is set no shared hold starts, and the ones taken
 * before are waited out.  No test here shows a fence missing (QEMU on an
 * x86 host orders these stores and loads anyway: docs/processes.md,
 * "What the shared hold rests on"): keep them by the argument above.
 *
 * Ordering of the data: a reader's load of the writer's word is an
 * acquire, paired with spin_unlock's release, so what the reader reads
 * under its hold (a page table) comes after the last exclusive holder's
 * changes; a reader clears its slot with a release, and the writer's look
 * at the slot is an acquire, so what the reader did under its hold (a
 * copy into a frame) comes before what the writer does next (frees it).
 *
 * As for every spinlock: interrupts are off while a hold of either kind
 * lasts, and a hart that takes the lock again, either way, panics
 * (spin_misuse).
 */
#ifndef KERNEL_HART_RWLOCK_H
#define KERNEL_HART_RWLOCK_H

#include <stddef.h>
#include "kernel/cacheline.h"
#include "kernel/spinlock.h"
#include "kernel/ordered_store.h"

struct hart_rwlock;

/* The lock of its kind this hart holds shared (NULL: none), written by
 * that hart only: a line of its own. */
struct hart_reader {
    struct hart_rwlock *volatile held;
} LINE_ALIGNED;

/* One per kind of lock: every hart's slot. */
struct hart_readers {
    struct hart_reader hart[MAX_HARTS];
};

struct hart_rwlock {
    struct spinlock writer;            /* the exclusive hold (and its name) */
    struct hart_readers *readers;      /* this kind's slots; set once */
};

#define HART_RWLOCK_INIT(n, r) { .writer = SPINLOCK_INIT(n), .readers = (r) }

void hart_rwlock_init(struct hart_rwlock *lock, const char *name,
                      struct hart_readers *readers);

/* The exclusive hold: out of line, it looks at every hart's slot (the
 * holds that change what the shared ones read are the rare ones). */
void hart_rwlock_lock(struct hart_rwlock *lock);
static inline void hart_rwlock_unlock(struct hart_rwlock *lock)
{
    spin_unlock(&lock->writer);
}

static inline bool hart_rwlock_holding(struct hart_rwlock *lock)
{
    return spin_holding(&lock->writer);
}

static inline struct hart_reader *hart_rwlock_my_slot(struct hart_rwlock *lock)
{
    return &lock->readers->hart[this_hartid()];
}

static inline bool hart_rwlock_holding_shared(struct hart_rwlock *lock)
{
    return hart_rwlock_my_slot(lock)->held == lock;
}

/* The reports and the slow way of the shared hold (hart_rwlock.c). */
void hart_rwlock_shared_misuse(struct hart_rwlock *lock, const char *what)
    __attribute__((noreturn, cold));
/* A writer was there: this hart's slot is clear again; waits until the
 * writer is gone (panics if the writer is this hart). */
void hart_rwlock_wait_for_writer(struct hart_rwlock *lock) __attribute__((cold));

static inline void hart_rwlock_lock_shared(struct hart_rwlock *lock)
{
    push_off();
    struct hart_reader *mine = hart_rwlock_my_slot(lock);
    if (__builtin_expect(mine->held != NULL, 0))
        hart_rwlock_shared_misuse(lock, "hart_rwlock_lock_shared: hart already holds one");
    for (;;) {
        store_relaxed(&mine->held, lock);
        /* The store above before the load below (store buffering: see
         * the top of this file); pairs with hart_rwlock_lock's fence. */
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        if (__builtin_expect(!(__atomic_load_n(&lock->writer.locked, __ATOMIC_ACQUIRE) &
                               SPIN_WRITER), 1))
            return;
        /* An exclusive holder, or one waiting for the shared holds to
         * end: step back until it is done.  (An exclusive holder that is
         * this hart panics there: it would wait for itself.) */
        store_relaxed(&mine->held, NULL);
        hart_rwlock_wait_for_writer(lock);
    }
}

static inline void hart_rwlock_unlock_shared(struct hart_rwlock *lock)
{
    struct hart_reader *mine = hart_rwlock_my_slot(lock);
    if (__builtin_expect(mine->held != lock, 0))
        hart_rwlock_shared_misuse(lock, "hart_rwlock_unlock_shared: hart does not hold it shared");
    /* What was done under the hold before the writer's acquire sees the
     * slot clear. */
    store_release(&mine->held, NULL);
    pop_off();
}

#endif
