#include "ktest/ktest.h"
#include "kernel/cpu.h"
#include "mm/uvm.h"

/* The holds of an address space's lock that a hart must never take, each
 * of which must panic (kernel/hart_rwlock.h).  On the real kind of lock,
 * two address-space locks sharing uspace_readers, because the design
 * rests on "a hart copies through one address space at a time": a hart
 * has one slot for every address space, so a second shared hold, if it
 * went on, would overwrite the slot, and the first space's writers (an
 * unmap on another hart) would no longer wait for this hart's copy.  The
 * other two would wait for themselves for ever, interrupts off.  Each test
 * must end in the panic; getting past the hold is its failure. */

static struct hart_rwlock space_a = USPACE_LOCK_INIT("kt-space-a");
static struct hart_rwlock space_b = USPACE_LOCK_INIT("kt-space-b");

/* Holds a shared, then takes b shared: the slot names a. */
int ktest_hartrw_nest(void)
{
    hart_rwlock_lock_shared(&space_a);
    KT_DIAG("hart %lu holds kt-space-a shared; taking kt-space-b shared\n", this_hartid());
    hart_rwlock_lock_shared(&space_b);
    /* Went on: the slot now names b, and a writer of a would not wait. */
    KT_DIAG("not reached: slot names %s\n",
            uspace_readers.hart[this_hartid()].held == &space_b ? "kt-space-b" : "?");
    hart_rwlock_unlock_shared(&space_b);
    return -1;
}

/* Holds a shared, then takes it exclusively: it would wait for its own slot. */
int ktest_hartrw_upgrade(void)
{
    hart_rwlock_lock_shared(&space_a);
    KT_DIAG("hart %lu holds kt-space-a shared; taking it exclusively\n", this_hartid());
    hart_rwlock_lock(&space_a);
    KT_DIAG("not reached\n");
    return -1;
}

/* Holds a exclusively, then takes it shared (a copy under an unmap's
 * hold): it would wait for its own writer bit. */
int ktest_hartrw_downgrade(void)
{
    hart_rwlock_lock(&space_a);
    KT_DIAG("hart %lu holds kt-space-a exclusively; taking it shared\n", this_hartid());
    hart_rwlock_lock_shared(&space_a);
    KT_DIAG("not reached\n");
    return -1;
}
