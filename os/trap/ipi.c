#include "trap/ipi.h"
#include "kernel/cpu.h"
#include "arch/riscv.h"
#include "arch/sbi.h"

static volatile unsigned pending[MAX_HARTS];

void ipi_send(uint64_t hartid, unsigned reasons)
{
    if (hartid >= MAX_HARTS)
        return;
    __atomic_fetch_or(&pending[hartid], reasons, __ATOMIC_RELEASE);
    sbi_send_ipi(1UL << hartid, 0);
}

void ipi_stop_others(void)
{
    uint64_t me = this_hartid();
    for (uint64_t i = 0; i < hart_count; i++)
        if (hart_ids[i] != me && cpus[hart_ids[i]].online)
            ipi_send(hart_ids[i], IPI_STOP);
}

void ipi_interrupt(void)
{
    struct cpu *c = this_cpu();
    csr_clear(sip, SIE_SSIE);
    unsigned reasons = __atomic_exchange_n(&pending[c->hartid], 0, __ATOMIC_ACQUIRE);
    c->ipis_received++;
    if (reasons & IPI_STOP) {
        intr_off();
        for (;;)
            wfi();
    }
}
