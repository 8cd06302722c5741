#include "ktest/ktest.h"
#include "kernel/cpu.h"
#include "kernel/smp.h"
#include "kernel/spinlock.h"
#include "kernel/rwlock.h"
#include "arch/riscv.h"
#include "trap/timer.h"

#define ROUNDS 20000

static struct spinlock counter_lock = SPINLOCK_INIT("ktest-counter");
static volatile uint64_t counter;      /* protected by counter_lock */
static volatile int irq_state_errors;

static void hammer(void *arg)
{
    (void)arg;
    for (int i = 0; i < ROUNDS; i++) {
        spin_lock(&counter_lock);
        if (intr_enabled())
            __atomic_fetch_add(&irq_state_errors, 1, __ATOMIC_RELAXED);
        /* A read-modify-write split in two, so a missing lock shows. */
        uint64_t v = counter;
        cpu_relax();
        counter = v + 1;
        spin_unlock(&counter_lock);
    }
    if (!intr_enabled())
        __atomic_fetch_add(&irq_state_errors, 1, __ATOMIC_RELAXED);
}

/* Exclusive and shared holds of one lock, mixed: an exclusive holder's
 * split increment must never be seen half done, nor the counter move
 * while a hart holds the lock shared. */
static volatile int shared_seen_change;
static volatile uint32_t shared_inside, shared_most;

static void hammer_shared(void *arg)
{
    (void)arg;
    for (int i = 0; i < ROUNDS; i++) {
        if (i % 2) {
            spin_lock(&counter_lock);
            if (intr_enabled() || spin_holding_shared(&counter_lock))
                __atomic_fetch_add(&irq_state_errors, 1, __ATOMIC_RELAXED);
            uint64_t v = counter;
            cpu_relax();
            counter = v + 1;
            spin_unlock(&counter_lock);
            continue;
        }
        spin_lock_shared(&counter_lock);
        if (intr_enabled() || !spin_holding_shared(&counter_lock) ||
            spin_holding(&counter_lock))
            __atomic_fetch_add(&irq_state_errors, 1, __ATOMIC_RELAXED);
        uint32_t inside = __atomic_add_fetch(&shared_inside, 1, __ATOMIC_RELAXED);
        uint32_t most = __atomic_load_n(&shared_most, __ATOMIC_RELAXED);
        while (inside > most &&
               !__atomic_compare_exchange_n(&shared_most, &most, inside, false,
                                            __ATOMIC_RELAXED, __ATOMIC_RELAXED))
            ;
        uint64_t before = counter;
        for (int k = 0; k < 8; k++)
            cpu_relax();
        if (counter != before)
            __atomic_fetch_add(&shared_seen_change, 1, __ATOMIC_RELAXED);
        __atomic_fetch_sub(&shared_inside, 1, __ATOMIC_RELAXED);
        spin_unlock(&counter_lock);           /* releases the shared hold */
    }
}

/* cpu_relax executes a wfi only while an interrupt enabled in sie is
 * pending (os/arch/riscv.h): such a wfi returns at once.  With the
 * timer's interrupt pending but masked in sie, a wfi would wait for an
 * interrupt that cannot come, and this test would never end.  True if the
 * timer's interrupt did come pending (within two tick periods). */
static bool relax_returns_with_timer_pending(void)
{
    push_off();
    uint64_t enabled = csr_read(sie);
    csr_clear(sie, enabled);
    uint64_t end = read_time() + 2 * timer_period();
    while (!(csr_read(sip) & SIE_STIE) && read_time() < end)
        ;
    bool pending = (csr_read(sip) & SIE_STIE) != 0;
    for (int i = 0; i < 1000; i++)
        cpu_relax();                        /* pending, masked: no wfi */
    csr_set(sie, SIE_STIE);
    for (int i = 0; i < 1000; i++)
        cpu_relax();                        /* pending, enabled: wfi, no wait */
    csr_write(sie, enabled);
    pop_off();                              /* the tick is taken here */
    return pending;
}

int ktest_spinlock(void)
{
    KT_CHECK(relax_returns_with_timer_pending());

    /* Nesting: interrupts return only when the outermost holder lets go. */
    KT_CHECK(intr_enabled());
    struct spinlock a = SPINLOCK_INIT("a"), b = SPINLOCK_INIT("b");
    spin_lock(&a);
    KT_CHECK(!intr_enabled() && spin_holding(&a));
    spin_lock(&b);
    spin_unlock(&a);
    KT_CHECK(!intr_enabled());
    KT_CHECK(!spin_trylock(&b));           /* held (by this hart) */
    spin_unlock(&b);
    KT_CHECK(intr_enabled());
    KT_CHECK(spin_trylock(&a));
    spin_unlock(&a);
    KT_CHECK(intr_enabled());

    counter = 0;
    irq_state_errors = 0;
    smp_call_all(hammer, NULL);
    int harts = cpu_online_count();
    KT_DIAG("%d harts x %d increments = %lu\n", harts, ROUNDS, counter);
    KT_CHECK(counter == (uint64_t)harts * ROUNDS);
    KT_CHECK(irq_state_errors == 0);

    /* Shared holds: one hart's, then all harts' mixed with exclusive. */
    spin_lock_shared(&a);
    KT_CHECK(!intr_enabled() && spin_holding_shared(&a) && !spin_holding(&a));
    spin_unlock_shared(&a);
    KT_CHECK(intr_enabled() && a.locked == 0);
    counter = 0;
    shared_seen_change = 0;
    shared_inside = shared_most = 0;
    smp_call_all(hammer_shared, NULL);
    /* How many harts held it shared at once depends on the host: said,
     * not judged. */
    KT_DIAG("shared and exclusive: %lu increments, at most %u shared holders at once\n",
            counter, shared_most);
    KT_CHECK(counter == (uint64_t)harts * (ROUNDS / 2));
    KT_CHECK(shared_seen_change == 0 && irq_state_errors == 0);
    KT_CHECK(counter_lock.locked == 0);
    return 0;
}
