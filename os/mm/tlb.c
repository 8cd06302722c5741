#include "mm/tlb.h"
#include "kernel/cpu.h"
#include "kernel/panic.h"
#include "arch/riscv.h"
#include "arch/sbi.h"

struct tlb_loaded tlb_loaded[MAX_HARTS];

void tlb_init_this_hart(void)
{
    tlb_loaded[this_hartid()].satp = csr_read(satp);
}

void tlb_shootdown(uint64_t satp)
{
    __atomic_thread_fence(__ATOMIC_SEQ_CST);   /* the cleared PTEs first */
    sfence_vma();
    uint64_t self = this_hartid(), mask = 0;
    for (uint64_t i = 0; i < hart_count; i++) {
        uint64_t h = hart_ids[i];
        if (h != self && cpus[h].online &&
            __atomic_load_n(&tlb_loaded[h].satp, __ATOMIC_RELAXED) == satp)
            mask |= 1UL << h;
    }
    if (!mask)
        return;
    long err = sbi_remote_sfence_vma(mask, 0);
    if (err)
        panic("tlb: remote sfence.vma to harts %#lx failed (SBI error %ld)", mask, err);
}

void tlb_assert_unloaded(uint64_t satp)
{
    for (uint64_t i = 0; i < hart_count; i++)
        if (__atomic_load_n(&tlb_loaded[hart_ids[i]].satp, __ATOMIC_RELAXED) == satp)
            panic("tlb: freeing the page table %#lx that hart %lu still runs on",
                  satp, hart_ids[i]);
}

