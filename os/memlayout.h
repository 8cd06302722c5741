/*
 * The memory map, physical and virtual, in one place.
 *
 * Physical (QEMU virt):
 *
 *   0x00100000  sifive_test finisher (power off / exit status)
 *   0x0c000000  PLIC (platform-level interrupt controller)
 *   0x10000000  UART 16550 (PLIC irq 10)
 *   0x80000000  RAM: OpenSBI first, then the kernel image at 0x80200000,
 *               then free frames (minus the device tree and the initrd)
 *
 * Virtual (Sv39: 39-bit addresses, bit 38 sign-extended):
 *
 *   0x0000000000000000 +----------------------------------------+
 *                      | user space of the current process, U=1 |
 *   0x0000004000000000 +----------------------------------------+
 *                      |        (non-canonical, unmapped)       |
 *   0xffffffc000000000 +----------------------------------------+ SHARED_BASE
 *                      | shared region: 263 data pages          |
 *                      | (VDSO_DATA + TaskSched heap), then the |
 *                      | code pages (scheduler blob, user       |
 *                      | runtime), U=1                          |
 *   0xffffffc040000000 +----------------------------------------+ SHARED_KALIAS
 *                      | kernel's alias of the shared code, U=0 |
 *                      | (S-mode cannot execute U=1 pages)      |
 *   0xffffffc080000000 +----------------------------------------+ KSCHED_BASE
 *                      | the kernel's own task table and queue, |
 *                      | between unmapped guard pages           |
 *   0xffffffe000000000 +----------------------------------------+ DIRECT_MAP_BASE
 *                      | all physical memory, VA = PA + base,   |
 *                      | U=0. The kernel image lives here, at   |
 *                      | 0xffffffe080200000, with W^X pages.    |
 *   0xffffffffffffffff +----------------------------------------+
 *
 * Every address space (the kernel's and each process's) shares the upper
 * half: its top-level page-table entries are copied from the kernel's, so a
 * trap or a system call never writes satp; only a process switch does.
 * The exception is the shared region's entry (SHARED_BASE, the first GiB
 * of the upper half): empty in the kernel's table, each process's own,
 * since the region's data pages are per process (sched/shared.c).
 */
#ifndef MEMLAYOUT_H
#define MEMLAYOUT_H

#define PAGE_SIZE       4096
#define PAGE_SHIFT      12

#define DIRECT_MAP_BASE 0xffffffe000000000UL
#define SHARED_BASE     0xffffffc000000000UL
#define SHARED_KALIAS   0xffffffc040000000UL
#define KSCHED_BASE     0xffffffc080000000UL
/* The runtime blob's kernel alias: after the policy's (sched/kcoro.c). */
#define SHARED_KALIAS_RUNTIME (SHARED_KALIAS + SHARED_CODE_PAGES * PAGE_SIZE)
#define SHARED_DATA_PAGES 263                /* VDSO_DATA (7) + 256 TaskSched pages */
#define SHARED_CODE     (SHARED_BASE + SHARED_DATA_PAGES * PAGE_SIZE)
#define SHARED_CODE_PAGES 16                 /* SCHED_BLOB_MAX */
#define SCHED_BLOB_PA_DEFAULT 0x80800000UL   /* where run-qemu.sh loads a blob */
#define USER_TOP        0x0000004000000000UL

/* The boot page table maps this much physical memory (from 0) before the
 * real kernel page table exists: enough for the kernel, the device tree and
 * the initrd on any machine we boot (QEMU puts them in the first GiBs). */
#define BOOT_MAP_GIB    16

#define MAX_HARTS       8
#define KSTACK_SIZE     (16 * 1024)
/* Written at the lowest word of every thread's kernel stack and checked at
 * each switch: an overflow is caught instead of corrupting memory. */
#define KSTACK_CANARY   0x57ac4ca7a4157ac4UL

/* User address space of every process:
 *   USER_BASE            program text/data (the ELF's segments), then the
 *                        heap (sbrk) growing up from the end of the image
 *   USER_STACKS_BOTTOM   lowest possible thread stack
 *   USER_STACK_TOP       thread stacks, growing down: slot i spans
 *                        [top - (i+1)*STRIDE + guard, top - i*STRIDE)
 *                        where STRIDE is the stack size plus an unmapped
 *                        guard page below it.  Slot 0 is the main thread's.
 *                        A slot's stack is demand-paged (mm/uvm.c): its
 *                        top page is mapped when a thread takes the slot,
 *                        the others at the first touch, and all are freed
 *                        when the thread exits.  One slot per thread, so
 *                        this is also the most threads a process can have
 *                        (a TaskSched record each: SCHED_MAX_TASKS). */
#define USER_BASE          0x0000000000010000UL
#define USER_STACK_TOP     0x0000003fc0000000UL
#define USER_STACK_SLOTS   4096
#define USER_MAX_IMAGE     0x0000000040000000UL   /* ELF segments below this */

/* Devices, physical addresses. */
#define FINISHER_PA     0x00100000UL
#define PLIC_PA         0x0c000000UL
#define PLIC_SIZE       0x00600000UL
#define UART_PA         0x10000000UL
#define UART_IRQ        10
#define RAM_PA          0x80000000UL

#ifndef __ASSEMBLY__
#include <stdint.h>
#define PA2VA(pa)  ((void *)((uintptr_t)(pa) + DIRECT_MAP_BASE))
#define VA2PA(va)  ((uintptr_t)(va) - DIRECT_MAP_BASE)
#endif

#endif
