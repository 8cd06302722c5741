#include "ktest/ktest.h"
#include "kernel/cpu.h"
#include "kernel/smp.h"
#include "kernel/spinlock.h"
#include "arch/riscv.h"

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

int ktest_spinlock(void)
{
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
    return 0;
}
