#include "ktest/ktest.h"
#include "mm/frame.h"
#include "mm/vm.h"
#include "arch/riscv.h"
#include "memlayout.h"

extern char _kernel_start[], _etext[], _erodata[], boot_stacks[];

#define UVA 0x10000UL
#define NPAGES 4

int ktest_vm(void)
{
    uint64_t pa, flags;

    /* The kernel's own table: W^X everywhere, and each section as built. */
    KT_CHECK(vm_count_wx(kernel_pagetable) == 0);
    KT_CHECK(vm_translate(kernel_pagetable, (uint64_t)_kernel_start, &pa, &flags));
    KT_CHECK(pa == VA2PA(_kernel_start) && (flags & PTE_X) && !(flags & PTE_W));
    KT_CHECK(vm_translate(kernel_pagetable, (uint64_t)_etext, &pa, &flags));
    KT_CHECK(!(flags & PTE_X) && !(flags & PTE_W));            /* rodata */
    KT_CHECK(vm_translate(kernel_pagetable, (uint64_t)_erodata, &pa, &flags));
    KT_CHECK(!(flags & PTE_X) && (flags & PTE_W));             /* data */
    /* Guard page below hart 0's boot stack; the stack itself is mapped. */
    KT_CHECK(!vm_translate(kernel_pagetable, (uint64_t)boot_stacks, &pa, &flags));
    KT_CHECK(vm_translate(kernel_pagetable, (uint64_t)boot_stacks + PAGE_SIZE, &pa, &flags));
    /* Nothing in the user half. */
    KT_CHECK(!vm_translate(kernel_pagetable, UVA, &pa, &flags));

    size_t free0 = frame_free_count();
    pagetable_t pt = vm_create();
    KT_CHECK(pt != NULL);
    void *frames[NPAGES];
    for (int i = 0; i < NPAGES; i++) {
        frames[i] = frame_alloc();
        KT_CHECK(frames[i] != NULL);
        KT_CHECK(vm_map(pt, UVA + (uint64_t)i * PAGE_SIZE, VA2PA(frames[i]),
                        PAGE_SIZE, PTE_R | PTE_W | PTE_U, 0) == VM_OK);
    }
    for (int i = 0; i < NPAGES; i++) {
        KT_CHECK(vm_translate(pt, UVA + (uint64_t)i * PAGE_SIZE + 123, &pa, &flags));
        KT_CHECK(pa == VA2PA(frames[i]) + 123);
        KT_CHECK((flags & (PTE_U | PTE_R | PTE_W)) == (PTE_U | PTE_R | PTE_W));
        KT_CHECK(!(flags & PTE_X));
    }
    /* Refusals leave the table as it was. */
    KT_CHECK(vm_map(pt, UVA, VA2PA(frames[0]), PAGE_SIZE, PTE_R | PTE_U, 0) == VM_EEXIST);
    KT_CHECK(vm_map(pt, UVA + 1, VA2PA(frames[0]), PAGE_SIZE, PTE_R, 0) == VM_EINVAL);
    KT_CHECK(vm_map(pt, UVA + PAGE_SIZE * 512, 0, PAGE_SIZE, PTE_W, 0) == VM_EINVAL);
    /* The kernel half is shared: the kernel text is there, same flags. */
    KT_CHECK(vm_translate(pt, (uint64_t)_kernel_start, &pa, &flags));
    KT_CHECK(pa == VA2PA(_kernel_start) && !(flags & PTE_U));

    /* Let the hardware walk it: switch to the new table, store through the
     * user address (SUM lets S-mode touch U pages), read it back through the
     * direct map. */
    uint64_t old = csr_read(satp);
    csr_write(satp, MAKE_SATP(VA2PA(pt)));
    sfence_vma();
    csr_set(sstatus, SSTATUS_SUM);
    for (int i = 0; i < NPAGES; i++)
        *(volatile uint64_t *)(UVA + (uint64_t)i * PAGE_SIZE + 8) = 0x5a5a0000UL + (uint64_t)i;
    csr_clear(sstatus, SSTATUS_SUM);
    csr_write(satp, old);
    sfence_vma();
    for (int i = 0; i < NPAGES; i++)
        KT_CHECK(((uint64_t *)frames[i])[1] == 0x5a5a0000UL + (uint64_t)i);

    vm_unmap(pt, UVA, NPAGES * PAGE_SIZE, true);
    KT_CHECK(!vm_translate(pt, UVA, &pa, &flags));
    vm_destroy(pt);
    KT_CHECK(frame_free_count() == free0);
    return 0;
}
