#include "mm/vm.h"
#include "mm/frame.h"
#include "mm/tlb.h"
#include "kernel/panic.h"
#include "kernel/bootinfo.h"
#include "lib/string.h"
#include "arch/riscv.h"
#include "memlayout.h"
#include "kernel/ordered_store.h"

pagetable_t kernel_pagetable;
uint64_t kernel_satp;

static bool is_leaf(pte_t pte) { return (pte & (PTE_R | PTE_W | PTE_X)) != 0; }

/* Sv39 uses bits 38..0; bits 63..39 must copy bit 38.  Anything else is no
 * address at all (the walk would silently drop the high bits). */
static bool canonical(uint64_t va)
{
    return (uint64_t)((int64_t)(va << 25) >> 25) == va;
}

static uint64_t satp_of(pagetable_t pt)
{
    return MAKE_SATP(VA2PA(pt));
}

/* The PTE for `va` at `level`, creating intermediate tables if `alloc`.
 * NULL if a table is missing (and !alloc), out of memory, or a larger leaf
 * already covers va. */
static pte_t *walk(pagetable_t pt, uint64_t va, int level, bool alloc)
{
    if (!canonical(va))
        return NULL;
    for (int l = 2; l > level; l--) {
        pte_t *pte = &pt[VPN(va, l)];
        if (*pte & PTE_V) {
            if (is_leaf(*pte))
                return NULL;
            pt = PA2VA(PTE_PA(*pte));
        } else {
            if (!alloc)
                return NULL;
            pagetable_t next = frame_alloc();
            if (!next)
                return NULL;
            *pte = PA_PTE(VA2PA(next)) | PTE_V;
            pt = next;
        }
    }
    return &pt[VPN(va, level)];
}

/* Is any part of [va, va+size) mapped, at any level? */
static bool range_mapped(pagetable_t pt, uint64_t va, uint64_t size)
{
    for (uint64_t off = 0; off < size; off += PAGE_SIZE) {
        uint64_t pa, flags;
        if (vm_translate(pt, va + off, &pa, &flags))
            return true;
    }
    return false;
}

int vm_map(pagetable_t pt, uint64_t va, uint64_t pa, uint64_t size,
           uint64_t perm, int level)
{
    uint64_t step = LEVEL_SIZE(level);
    if (level < 0 || level > 2 || (va | pa | size) & (step - 1) || size == 0 ||
        !(perm & (PTE_R | PTE_X)))
        return VM_EINVAL;
    if (level == 0 && size == PAGE_SIZE) {
        /* One page (every user mapping): a single walk, which sees a
         * page already there as well as range_mapped would.  NULL is a
         * larger leaf over va or no memory for a table. */
        pte_t *pte = walk(pt, va, 0, true);
        if (!pte)
            return range_mapped(pt, va, size) ? VM_EEXIST : VM_ENOMEM;
        if (*pte & PTE_V)
            return VM_EEXIST;
        *pte = PA_PTE(pa) | perm | PTE_V | PTE_A | PTE_D;
        return VM_OK;
    }
    if (range_mapped(pt, va, size))
        return VM_EEXIST;
    for (uint64_t off = 0; off < size; off += step) {
        pte_t *pte = walk(pt, va + off, level, true);
        if (!pte) {
            /* Undo what this call mapped; the range was free before. */
            for (uint64_t undo = 0; undo < off; undo += step)
                *walk(pt, va + undo, level, false) = 0;
            sfence_vma();
            return VM_ENOMEM;
        }
        *pte = PA_PTE(pa + off) | perm | PTE_V | PTE_A | PTE_D;
    }
    return VM_OK;
}

pte_t *vm_leaf_pte(pagetable_t pt, uint64_t va, bool alloc)
{
    return walk(pt, va, 0, alloc);
}

uint64_t vm_table_stop(uint64_t va, uint64_t end)
{
    uint64_t next = (va | (LEVEL_SIZE(1) - 1)) + 1;
    return next > va && next < end ? next : end;
}

#define FREE_BATCH 32

void vm_unmap(pagetable_t pt, uint64_t va, uint64_t size, bool free_frames)
{
    /* Invalidate first, keeping each frame's number in its (now ignored)
     * PTE; free only once no hart can reach the frames any more.  A leaf
     * table at a time: one walk per 2 MiB, not one per page, and a missing
     * table skips its 2 MiB at once. */
    KASSERT(((va | size) & (PAGE_SIZE - 1)) == 0);
    uint64_t end = va + size;
    bool any = false;
    for (uint64_t a = va, stop; a < end; a = stop) {
        stop = vm_table_stop(a, end);
        pte_t *pte = walk(pt, a, 0, false);
        if (pte)
            VM_FOR_EACH_ENTRY(i, pte, (int)((stop - a) / PAGE_SIZE), PTE_V) {
                pte[i] &= ~PTE_V;
                any = true;
            }
    }
    if (!any)
        return;
    tlb_shootdown(satp_of(pt));
    void *batch[FREE_BATCH];          /* freed under one hold of the lock */
    size_t n = 0;
    for (uint64_t a = va, stop; a < end; a = stop) {
        stop = vm_table_stop(a, end);
        pte_t *pte = walk(pt, a, 0, false);
        if (!pte)
            continue;
        VM_FOR_EACH_ENTRY(i, pte, (int)((stop - a) / PAGE_SIZE), ~(pte_t)0) {
            if (free_frames) {
                batch[n++] = PA2VA(PTE_PA(pte[i]));
                if (n == FREE_BATCH) {
                    frame_free_many(batch, n);
                    n = 0;
                }
            }
            pte[i] = 0;
        }
    }
    frame_free_many(batch, n);
}

bool vm_translate(pagetable_t pt, uint64_t va, uint64_t *pa, uint64_t *flags)
{
    if (!canonical(va))
        return false;
    for (int l = 2; l >= 0; l--) {
        pte_t pte = pt[VPN(va, l)];
        if (!(pte & PTE_V))
            return false;
        if (is_leaf(pte)) {
            *pa = PTE_PA(pte) + (va & (LEVEL_SIZE(l) - 1));
            *flags = pte & 0x3ff;
            return true;
        }
        pt = PA2VA(PTE_PA(pte));
    }
    return false;
}

static int count_wx(pagetable_t pt, int level)
{
    int n = 0;
    for (int i = 0; i < 512; i++) {
        pte_t pte = pt[i];
        if (!(pte & PTE_V))
            continue;
        if (is_leaf(pte))
            n += (pte & PTE_W) && (pte & PTE_X);
        else if (level > 0)
            n += count_wx(PA2VA(PTE_PA(pte)), level - 1);
    }
    return n;
}

int vm_count_wx(pagetable_t pt)
{
    return count_wx(pt, 2);
}

pagetable_t vm_create(void)
{
    pagetable_t pt = frame_alloc();
    if (pt)
        memcpy(&pt[256], &kernel_pagetable[256], 256 * sizeof(pte_t));
    return pt;
}

static void free_tables(pagetable_t pt, int level)
{
    if (level > 0)
        VM_FOR_EACH_ENTRY(i, pt, 512, PTE_V)
            if (!is_leaf(pt[i]))
                free_tables(PA2VA(PTE_PA(pt[i])), level - 1);
    frame_free(pt);
}

void vm_free_tables(pagetable_t pt, uint64_t va)
{
    pte_t *top = &pt[VPN(va, 2)];
    pte_t old = *top;
    *top = 0;
    tlb_shootdown(satp_of(pt));      /* walks may have cached the tables */
    if ((old & PTE_V) && !is_leaf(old))
        free_tables(PA2VA(PTE_PA(old)), 1);
}

void vm_destroy(pagetable_t pt)
{
    tlb_assert_unloaded(satp_of(pt));
    VM_FOR_EACH_ENTRY(i, pt, 256, PTE_V)
        if (!is_leaf(pt[i]))
            free_tables(PA2VA(PTE_PA(pt[i])), 1);
    frame_free(pt);
}

/* ---- the kernel page table ---- */

extern char _kernel_start[], _etext[], _erodata[], _stacks_start[],
            _kernel_end[], boot_stacks[];

#define KPERM_RW (PTE_R | PTE_W | PTE_G)
#define KPERM_RX (PTE_R | PTE_X | PTE_G)
#define KPERM_R  (PTE_R | PTE_G)

/* Direct-maps physical [start, end) with the largest pages that fit. */
static void kmap_range(uint64_t start, uint64_t end, uint64_t perm)
{
    start &= ~(uint64_t)(PAGE_SIZE - 1);
    while (start < end) {
        int level = 0;
        if ((start & (LEVEL_SIZE(1) - 1)) == 0 && end - start >= LEVEL_SIZE(1))
            level = 1;
        uint64_t size = LEVEL_SIZE(level);
        if (vm_map(kernel_pagetable, (uint64_t)PA2VA(start), start, size, perm, level))
            panic("vm: cannot map physical %lx in the kernel page table", start);
        start += size;
    }
}

void vm_init_kernel(void)
{
    kernel_pagetable = frame_alloc();
    KASSERT(kernel_pagetable);

    kmap_range(FINISHER_PA, FINISHER_PA + PAGE_SIZE, KPERM_RW);
    kmap_range(PLIC_PA, PLIC_PA + PLIC_SIZE, KPERM_RW);
    kmap_range(UART_PA, UART_PA + PAGE_SIZE, KPERM_RW);

    /* The kernel image, section by section, for W^X. */
    uint64_t kstart = VA2PA(_kernel_start), kend = VA2PA(_kernel_end);
    kmap_range(kstart, VA2PA(_etext), KPERM_RX);
    kmap_range(VA2PA(_etext), VA2PA(_erodata), KPERM_R);
    kmap_range(VA2PA(_erodata), VA2PA(_stacks_start), KPERM_RW);
    for (int h = 0; h < MAX_HARTS; h++) {
        /* Leave the guard page below each boot stack unmapped. */
        uint64_t slot = VA2PA(boot_stacks) + (uint64_t)h * (KSTACK_SIZE + PAGE_SIZE);
        kmap_range(slot + PAGE_SIZE, slot + PAGE_SIZE + KSTACK_SIZE, KPERM_RW);
    }
    uint64_t stacks_end = VA2PA(boot_stacks) + MAX_HARTS * (KSTACK_SIZE + PAGE_SIZE);
    if (stacks_end < kend)
        kmap_range(stacks_end, kend, KPERM_RW);

    /* The rest of RAM, read-write, never executable.  RAM below the kernel
     * belongs to the firmware and stays unmapped. */
    for (int i = 0; i < bootinfo.nram; i++) {
        uint64_t s = bootinfo.ram[i].start, e = bootinfo.ram[i].end;
        if (s < kend && e > kstart) {
            if (e > kend)
                kmap_range(kend, e, KPERM_RW);
        } else if (s >= kend) {
            kmap_range(s, e, KPERM_RW);
        }
    }
    kernel_satp = MAKE_SATP(VA2PA(kernel_pagetable));
    vm_switch_kernel_this_hart();
    /* A hart that strayed into _start may now join (see entry.S). */
    extern volatile uint64_t secondary_satp;
    store_release(&secondary_satp, kernel_satp);
}

void vm_switch_kernel_this_hart(void)
{
    sfence_vma();
    tlb_load_satp(kernel_satp);
}
