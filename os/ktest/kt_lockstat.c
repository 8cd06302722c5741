#include "ktest/ktest.h"
#include "kernel/cpu.h"
#include "kernel/lockstat.h"
#include "kernel/smp.h"
#include "kernel/spinlock.h"
#include "lib/string.h"
#include "kernel/ordered_store.h"
#include "lib/format.h"

/* The table's entry named `name`, or NULL. */
static const struct lockstat_entry *entry(const struct lockstat_entry *e, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(e[i].name, name) == 0)
            return &e[i];
    return NULL;
}

/* Every other hart spins for the lock hart 0 holds: hart 0 lets go only
 * once the lock's own count says each of them is waiting. */
static struct spinlock contended = SPINLOCK_INIT("ktest-contended");
static volatile uint32_t held;

static void contend(void *arg)
{
    uint64_t others = *(uint64_t *)arg;
    if (this_hartid() == hart_ids[0]) {
        spin_lock(&contended);
        store_release(&held, 1);
        while (__atomic_load_n(&contended.waits, __ATOMIC_RELAXED) < others)
            cpu_relax();
        spin_unlock(&contended);
        return;
    }
    while (!__atomic_load_n(&held, __ATOMIC_ACQUIRE))
        cpu_relax();
    spin_lock(&contended);
    spin_unlock(&contended);
}

/* A real wait: every other hart for the one lock. */
static int real_wait(struct lockstat_entry e[LOCKSTAT_MAX])
{
    uint64_t harts = (uint64_t)cpu_online_count();
    if (harts < 2) {
        KT_DIAG("one hart: no lock can be waited for\n");
        return 0;
    }
    uint64_t waiting = harts - 1;
    smp_call_all(contend, &waiting);
    int n = lockstat_read(e, false);
    const struct lockstat_entry *c = entry(e, n, "ktest-contended");
    /* Each waited once at least (again if another waiter took the lock
     * first). */
    KT_CHECK(c && c->waits >= waiting && c->max_us <= c->spin_us);
    KT_DIAG("contended: %lu harts waited, %lu waits, %lu us in all\n",
            waiting, c->waits, c->spin_us);
    return 0;
}

/* Names that live as long as the kernel (the table keeps the pointers). */
static char filler[LOCKSTAT_MAX + 8][16];

int ktest_lockstat(void)
{
    static struct lockstat_entry e[LOCKSTAT_MAX];
    lockstat_read(e, true);                     /* from zero */

    /* Counted by kind, longest spin first, the longest wait kept. */
    lockstat_waited("ktest-a", 100);
    lockstat_waited("ktest-a", 300);
    lockstat_waited("ktest-b", 10000000);       /* 1 s at 10 MHz */
    int n = lockstat_read(e, false);
    const struct lockstat_entry *a = entry(e, n, "ktest-a"), *b = entry(e, n, "ktest-b");
    KT_CHECK(a && b && a->waits == 2 && b->waits == 1);
    KT_CHECK(b->spin_us == 1000000 && b->max_us == 1000000);
    KT_CHECK(a->spin_us == 40 && a->max_us == 30);
    KT_CHECK(b < a);                            /* the longer first */

    /* A name too long for an entry is cut where it shows. */
    lockstat_waited("ktest-a-name-longer-than-an-entry-holds", 1);
    n = lockstat_read(e, true);
    KT_CHECK(entry(e, n, "ktest-a-name-longer-th~") != NULL);
    n = lockstat_read(e, false);                /* the reset zeroed them */
    KT_CHECK(!entry(e, n, "ktest-a") && !entry(e, n, "ktest-b"));

    if (real_wait(e) != 0)
        return -1;

    /* More kinds than the table holds: the rest are counted, as one.
     * Last: the table stays full until the machine stops. */
    for (int i = 0; i < LOCKSTAT_MAX + 8; i++) {
        snprintf(filler[i], sizeof filler[i], "ktest-fill%d", i);
        lockstat_waited(filler[i], 1);
    }
    n = lockstat_read(e, true);
    const struct lockstat_entry *others = entry(e, n, LOCKSTAT_OTHERS);
    uint64_t own = 0;                           /* fillers with an entry of their own */
    for (int i = 0; i < n; i++)
        own += strncmp(e[i].name, "ktest-fill", 10) == 0;
    /* ktest-a, -b and the long name keep their slots: fewer than
     * LOCKSTAT_MAX - 1 fillers get one.  (A real lock that waited
     * meanwhile may add to the others: at least, not exactly.) */
    KT_CHECK(others && own <= LOCKSTAT_MAX - 4 && own + others->waits >= LOCKSTAT_MAX + 8);

    return 0;
}
