#include "kernel/smp.h"
#include "kernel/cpu.h"
#include "kernel/printf.h"
#include "kernel/panic.h"
#include "mm/vm.h"
#include "trap/trap.h"
#include "trap/timer.h"
#include "trap/ipi.h"
#include "drivers/plic.h"
#include "arch/riscv.h"
#include "arch/sbi.h"
#include "sched/sched.h"
#include "kernel/ordered_store.h"

extern char _start_secondary[];

static volatile int call_busy;
static void (*volatile call_fn)(void *);
static void *volatile call_arg;
static volatile uint64_t call_generation;
static volatile int call_done;

void smp_start_secondaries(void)
{
    for (uint64_t i = 0; i < hart_count; i++) {
        uint64_t id = hart_ids[i];
        if (id == boot_hartid)
            continue;
        long err = sbi_hart_start(id, VA2PA(_start_secondary), kernel_satp);
        if (err == SBI_ERR_ALREADY_AVAILABLE)
            kprintf("smp: hart %lu was already running; it joins through _start\n", id);
        else if (err)
            kprintf("smp: hart %lu did not start (SBI error %ld)\n", id, err);
    }
    /* One second is plenty even for 8 harts under TCG. */
    uint64_t deadline = timer_now_ns() + 1000000000ULL;
    while (cpu_online_count() < (int)hart_count && timer_now_ns() < deadline)
        cpu_relax();
    for (uint64_t i = 0; i < hart_count; i++)
        if (!cpus[hart_ids[i]].online)
            kprintf("smp: hart %lu is not online\n", hart_ids[i]);
}

/* C entry of a secondary hart (from entry.S), on the kernel page table. */
void secondary_main(uint64_t hartid)
{
    cpu_init_this(hartid);
    trap_init_this_hart();
    plic_init_this_hart();
    timer_init_this_hart();
    sched_init_this_hart();
    this_cpu()->call_seen = __atomic_load_n(&call_generation, __ATOMIC_ACQUIRE);
    kprintf("hart %lu online\n", hartid);
    store_release(&this_cpu()->online, true);
    sched_idle_loop();
}

bool smp_call_pending(void)
{
    return __atomic_load_n(&call_generation, __ATOMIC_ACQUIRE) != this_cpu()->call_seen;
}

void smp_run_pending_call(void)
{
    struct cpu *c = this_cpu();
    uint64_t gen = __atomic_load_n(&call_generation, __ATOMIC_ACQUIRE);
    if (gen == c->call_seen)
        return;
    c->call_seen = gen;
    intr_on();
    call_fn(call_arg);
    __atomic_fetch_add(&call_done, 1, __ATOMIC_RELEASE);
}

void smp_call_all(void (*fn)(void *), void *arg)
{
    /* A plain flag, not a spinlock: fn must run with interrupts on. */
    while (__atomic_exchange_n(&call_busy, 1, __ATOMIC_ACQUIRE))
        cpu_relax();
    int others = cpu_online_count() - 1;
    call_fn = fn;
    call_arg = arg;
    call_done = 0;
    this_cpu()->call_seen = __atomic_add_fetch(&call_generation, 1, __ATOMIC_RELEASE);
    for (uint64_t i = 0; i < hart_count; i++)
        if (hart_ids[i] != this_hartid() && cpus[hart_ids[i]].online)
            ipi_send(hart_ids[i], IPI_WAKE);
    fn(arg);
    while (__atomic_load_n(&call_done, __ATOMIC_ACQUIRE) < others)
        cpu_relax();
    store_release(&call_busy, 0);
}
