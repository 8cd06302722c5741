/*
 * Sv39 page tables: three levels of 512 entries, 4 KiB pages, 2 MiB
 * megapages and 1 GiB gigapages.  Page-table pages are frames from the frame
 * allocator, reached through the direct map.
 */
#ifndef MM_VM_H
#define MM_VM_H

#include <stdbool.h>
#include <stdint.h>

typedef uint64_t pte_t;
typedef pte_t *pagetable_t;     /* kernel VA of a 512-entry table */

#define PTE_V (1UL << 0)
#define PTE_R (1UL << 1)
#define PTE_W (1UL << 2)
#define PTE_X (1UL << 3)
#define PTE_U (1UL << 4)
#define PTE_G (1UL << 5)
#define PTE_A (1UL << 6)
#define PTE_D (1UL << 7)
#define PTE_PERM_MASK (PTE_R | PTE_W | PTE_X | PTE_U | PTE_G)

#define PTE_PA(pte)    (((pte) >> 10) << 12)
#define PA_PTE(pa)     (((uint64_t)(pa) >> 12) << 10)
#define VPN(va, level) (((uint64_t)(va) >> (12 + 9 * (level))) & 0x1ff)
#define LEVEL_SIZE(l)  (1UL << (12 + 9 * (l)))

/* The first index from i on (below n) whose entry has a bit of `mask`
 * set, or n.  Empty stretches eight entries a test: a small process's
 * tables are nearly empty, and fork, exit and exec look at every entry of
 * every one; a full stretch (sbrk's pages) costs one test an entry. */
static inline int vm_next_entry(const pte_t *t, int i, int n, pte_t mask)
{
    while (i < n && !(t[i] & mask)) {
        if (i + 8 <= n && !((t[i] | t[i + 1] | t[i + 2] | t[i + 3] |
                             t[i + 4] | t[i + 5] | t[i + 6] | t[i + 7]) & mask))
            i += 8;
        else
            i++;
    }
    return i;
}
/* for (i over the entries of t[0..n) with a bit of mask set) */
#define VM_FOR_EACH_ENTRY(i, t, n, mask) \
    for (int i = vm_next_entry((t), 0, (n), (mask)); i < (n); \
         i = vm_next_entry((t), i + 1, (n), (mask)))

enum { VM_OK = 0, VM_ENOMEM = -1, VM_EEXIST = -2, VM_EINVAL = -3 };

extern pagetable_t kernel_pagetable;
extern uint64_t kernel_satp;

/* Builds the kernel page table (direct map of RAM and devices, kernel image
 * with W^X, guard pages under the boot stacks) and switches this hart to it. */
void vm_init_kernel(void);
void vm_switch_kernel_this_hart(void);

pagetable_t vm_create(void);          /* empty user half, kernel half shared */
void vm_destroy(pagetable_t pt);      /* frees the user half's tables (not the
                                         frames they map) and the root */
/* Maps [va, va+size) to [pa, pa+size) with pages of the given level
 * (0 = 4 KiB, 1 = 2 MiB, 2 = 1 GiB).  Fails with VM_EEXIST, leaving
 * nothing mapped, if any page of the range is already mapped. */
int vm_map(pagetable_t pt, uint64_t va, uint64_t pa, uint64_t size,
           uint64_t perm, int level);
/* Unmaps 4 KiB pages (va and size page-aligned); frees the frames they
 * mapped if `free_frames`. */
void vm_unmap(pagetable_t pt, uint64_t va, uint64_t size, bool free_frames);
/* Frees the page-table pages under the top-level entry covering va (whose
 * leaves must already be unmapped) and clears that entry. */
void vm_free_tables(pagetable_t pt, uint64_t va);
/* The level-0 PTE for va (a 4 KiB page's slot, valid or not), creating
 * the tables above it if `alloc`; NULL if a table is missing (!alloc), no
 * memory, or a larger leaf covers va.  For loops over many pages: the
 * slots of one leaf table follow each other up to vm_table_stop. */
pte_t *vm_leaf_pte(pagetable_t pt, uint64_t va, bool alloc);
/* The end of the 2 MiB that va's leaf table covers, or `end` if sooner. */
uint64_t vm_table_stop(uint64_t va, uint64_t end);
/* Physical address for va, and the leaf's flags; false if unmapped. */
bool vm_translate(pagetable_t pt, uint64_t va, uint64_t *pa, uint64_t *flags);
/* Counts leaves that are writable and executable at once (must be 0). */
int vm_count_wx(pagetable_t pt);

#endif
