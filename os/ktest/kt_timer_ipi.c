#include "ktest/ktest.h"
#include "kernel/cpu.h"
#include "kernel/smp.h"
#include "trap/timer.h"
#include "trap/ipi.h"
#include "arch/riscv.h"

#define WAIT_MS 300

static volatile uint64_t ticks_seen[MAX_HARTS];

static void count_ticks(void *arg)
{
    (void)arg;
    struct cpu *c = this_cpu();
    uint64_t before = c->timer_ticks;
    timer_delay_ms(WAIT_MS);
    ticks_seen[c->hartid] = c->timer_ticks - before;
}

int ktest_timer(void)
{
    smp_call_all(count_ticks, NULL);
    int ok = 1;
    for (uint64_t i = 0; i < hart_count; i++) {
        uint64_t id = hart_ids[i];
        if (!cpus[id].online)
            continue;
        /* 30 expected at 100 Hz; allow for a slow, busy host. */
        KT_DIAG("hart %lu: %lu ticks in %d ms\n", id, ticks_seen[id], WAIT_MS);
        ok &= ticks_seen[id] >= 5 && ticks_seen[id] <= 3 * WAIT_MS * TICK_HZ / 1000;
    }
    KT_CHECK(ok);
    /* Time only moves forward and matches the tick rate roughly. */
    uint64_t t0 = timer_now_ns();
    timer_delay_ms(10);
    KT_CHECK(timer_now_ns() - t0 >= 10 * 1000000ULL);
    return 0;
}

int ktest_ipi(void)
{
    uint64_t before[MAX_HARTS];
    int targets = 0;
    for (uint64_t i = 0; i < hart_count; i++)
        before[hart_ids[i]] = __atomic_load_n(&cpus[hart_ids[i]].ipis_received, __ATOMIC_ACQUIRE);
    for (uint64_t i = 0; i < hart_count; i++) {
        uint64_t id = hart_ids[i];
        if (id != this_hartid() && cpus[id].online) {
            ipi_send(id, IPI_WAKE);
            targets++;
        }
    }
    /* Each target must take the interrupt within a second. */
    uint64_t deadline = timer_now_ns() + 1000000000ULL;
    for (uint64_t i = 0; i < hart_count; i++) {
        uint64_t id = hart_ids[i];
        if (id == this_hartid() || !cpus[id].online)
            continue;
        while (__atomic_load_n(&cpus[id].ipis_received, __ATOMIC_ACQUIRE) == before[id] &&
               timer_now_ns() < deadline)
            cpu_relax();
        KT_CHECK(cpus[id].ipis_received > before[id]);
    }
    KT_DIAG("%d harts took an IPI\n", targets);
    return 0;
}
