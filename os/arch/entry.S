/*
 * Boot entry.  OpenSBI jumps here (the lowest loaded address) in S-mode with
 * a0 = hart id, a1 = physical address of the device tree, paging off.  The
 * kernel is linked in the direct map (VA = PA + DIRECT_MAP_BASE), so until
 * paging is on only PC-relative code may run: this file does the minimum
 * (stack, page table, switch to virtual addresses) and then calls C.
 *
 * Switching to virtual addresses uses the trap trick: point stvec at the
 * virtual address of the next instruction and write satp.  The next fetch
 * (still at a physical address) faults, and the fault "returns" to stvec, so
 * no identity mapping of the kernel is ever needed.
 */
#include "memlayout.h"

#define PTE_FLAGS_RWX_AD 0xcf   /* V R W X A D */
#define BOOT_VPN2 ((DIRECT_MAP_BASE >> 30) & 0x1ff)

    .section .text.entry
    .globl _start
_start:
    /* Harts beyond MAX_HARTS have no stack: park them. */
    li      t0, MAX_HARTS
    bgeu    a0, t0, park

    /* Only one hart may boot the kernel.  Should the firmware ever send a
     * second one here, it waits for the kernel page table and joins as a
     * secondary hart instead of zeroing .bss under the first one's feet. */
    la      t0, boot_claimed
    li      t1, 1
    amoswap.w.aq t1, t1, (t0)
    beqz    t1, 1f
    la      t0, secondary_satp
0:  ld      a1, 0(t0)
    beqz    a1, 0b
    j       _start_secondary
1:

    /* Zero .bss (physical addresses, PC-relative). */
    la      t0, _bss_start
    la      t1, _bss_end
1:  bgeu    t0, t1, 2f
    sd      zero, 0(t0)
    addi    t0, t0, 8
    j       1b
2:
    /* Fill the boot page table: gigapages mapping PA [0, BOOT_MAP_GIB GiB)
     * at DIRECT_MAP_BASE.  It lives in .data so zeroing .bss spares it. */
    la      t0, boot_pagetable
    li      t1, BOOT_VPN2 * 8
    add     t0, t0, t1
    li      t1, PTE_FLAGS_RWX_AD
    li      t2, 1 << 28            /* one GiB, as a PTE's PPN field */
    li      t3, BOOT_MAP_GIB
3:  sd      t1, 0(t0)
    add     t1, t1, t2
    addi    t0, t0, 8
    addi    t3, t3, -1
    bnez    t3, 3b

    la      a2, boot_pagetable
    srli    a2, a2, 12
    li      t0, 8 << 60            /* Sv39 */
    or      a2, a2, t0
    la      a3, kmain
    j       enter_virtual

/*
 * Secondary harts start here (SBI HSM hart_start) with a0 = hart id and
 * a1 = satp of the kernel page table, paging off.
 */
    .globl _start_secondary
_start_secondary:
    li      t0, MAX_HARTS
    bgeu    a0, t0, park
    mv      a2, a1
    la      a3, secondary_main
    /* fall through */

/*
 * a0 = hart id, a1 = argument for C, a2 = satp value, a3 = C function
 * (physical address).  Sets sp to this hart's boot stack, turns paging on
 * and calls the C function at its virtual address.  Never returns.
 */
enter_virtual:
    la      sp, boot_stacks
    addi    t0, a0, 1
    li      t1, KSTACK_SIZE + PAGE_SIZE   /* stack + guard page per hart */
    mul     t0, t0, t1
    add     sp, sp, t0

    li      t0, DIRECT_MAP_BASE
    add     sp, sp, t0
    add     a3, a3, t0
    la      t1, 4f
    add     t1, t1, t0
    csrw    stvec, t1
    sfence.vma
    csrw    satp, a2
    sfence.vma
    nop                             /* faults here unless already mapped */
    .align 2
4:  mv      fp, zero                /* ends the frame-pointer chain */
    mv      ra, zero
    csrw    sscratch, zero
    jr      a3

park:
    wfi
    j       park

    .section .data
    /* In .data, not .bss: they must survive the boot hart zeroing .bss. */
    .align 3
boot_claimed:
    .word   0
    .align 3
    .globl secondary_satp
secondary_satp:
    .dword  0

    .align 12
    .globl boot_pagetable
boot_pagetable:
    .zero   4096

    /* Per hart: a guard page (unmapped later) then the stack. */
    .section .kstacks, "aw", @nobits
    .align 12
    .globl boot_stacks
boot_stacks:
    .zero   (KSTACK_SIZE + PAGE_SIZE) * MAX_HARTS
    .globl boot_stacks_end
boot_stacks_end:
