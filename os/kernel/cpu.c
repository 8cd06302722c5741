#include "kernel/cpu.h"
#include "arch/riscv.h"
#include "kernel/trace.h"

struct cpu cpus[MAX_HARTS];
uint64_t hart_count;
uint64_t hart_ids[MAX_HARTS];
uint64_t boot_hartid;

void cpu_init_this(uint64_t hartid)
{
    struct cpu *c = &cpus[hartid];
    c->hartid = hartid;
    c->trace = &trace_rings[hartid];
    this_cpu_tp = c;
    csr_write(sscratch, 0);
    /* Let user programs read cycle, time and instret (benchmarks). */
    csr_write(scounteren, 7);
}

int cpu_online_count(void)
{
    int n = 0;
    for (uint64_t i = 0; i < hart_count; i++)
        n += __atomic_load_n(&cpus[hart_ids[i]].online, __ATOMIC_ACQUIRE);
    return n;
}
