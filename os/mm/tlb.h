/*
 * Which address space each hart has loaded, and shooting down the stale
 * translations of one on every hart that may cache them.
 *
 * The rule: a frame (of user memory or of a page table) that was reachable
 * through an address space is freed only after tlb_shootdown() of that
 * address space, so no hart can still read or write it through a cached
 * translation once it is handed out again.  A root table is freed only
 * when no hart has it loaded (tlb_assert_unloaded).
 */
#ifndef MM_TLB_H
#define MM_TLB_H

#include <stdint.h>
#include "kernel/cacheline.h"
#include "kernel/cpu.h"
#include "arch/riscv.h"
#include "kernel/ordered_store.h"

/* Records the satp this hart booted onto. */
void tlb_init_this_hart(void);
/* What each hart has loaded (written by that hart only, at every switch of
 * address space: a line of its own, kernel/cacheline.h). */
struct tlb_loaded {
    volatile uint64_t satp;
} LINE_ALIGNED;
extern struct tlb_loaded tlb_loaded[MAX_HARTS];
/* Loads satp on this hart (and flushes its TLB).  Published before the
 * write, so that a shootdown that misses this hart happened before the
 * hart could cache anything of the new space.  Inline: every switch
 * between processes loads one (a call and a frame of its own cost half
 * as much again as the work). */
static inline void tlb_load_satp(uint64_t satp)
{
    uint64_t h = this_hartid();
    store_relaxed(&tlb_loaded[h].satp, satp);
    /* Pairs with the fence in tlb_shootdown: either the shooter sees this
     * hart on `satp`, or its cleared entries are visible to this hart's
     * walks after the sfence below. */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    csr_write(satp, satp);
    sfence_vma();
}
/* The satp this hart has loaded.  Inline: every switch compares it.  The
 * CSR itself (one instruction; tlb_loaded[] says the same but for the
 * moment inside tlb_load_satp between its publish and the write). */
static inline uint64_t tlb_loaded_satp(void)
{
    return csr_read(satp);
}
/* Flushes every hart that has `satp` loaded (this one included) and
 * returns once all have.  Callers clear the mappings first. */
void tlb_shootdown(uint64_t satp);
/* Panics if some hart still runs on `satp` (its root is about to go). */
void tlb_assert_unloaded(uint64_t satp);

#endif
