/* RISC-V privileged-architecture helpers: CSR access and bit names. */
#ifndef ARCH_RISCV_H
#define ARCH_RISCV_H

#include <stdint.h>

#define csr_read(csr) ({ uint64_t v__; \
    __asm__ volatile("csrr %0, " #csr : "=r"(v__)); v__; })
#define csr_write(csr, val) \
    __asm__ volatile("csrw " #csr ", %0" :: "rK"((uint64_t)(val)) : "memory")
#define csr_set(csr, bits) \
    __asm__ volatile("csrs " #csr ", %0" :: "rK"((uint64_t)(bits)) : "memory")
#define csr_clear(csr, bits) \
    __asm__ volatile("csrc " #csr ", %0" :: "rK"((uint64_t)(bits)) : "memory")

/* sstatus */
#define SSTATUS_SIE   (1UL << 1)
#define SSTATUS_SPIE  (1UL << 5)
#define SSTATUS_SPP   (1UL << 8)
#define SSTATUS_SUM   (1UL << 18)

/* sie / sip */
#define SIE_SSIE      (1UL << 1)
#define SIE_STIE      (1UL << 5)
#define SIE_SEIE      (1UL << 9)

/* scause */
#define SCAUSE_INTR   (1UL << 63)
#define IRQ_S_SOFT    1
#define IRQ_S_TIMER   5
#define IRQ_S_EXT     9
#define EXC_INST_MISALIGNED   0
#define EXC_INST_ACCESS       1
#define EXC_ILLEGAL_INST      2
#define EXC_BREAKPOINT        3
#define EXC_LOAD_MISALIGNED   4
#define EXC_LOAD_ACCESS       5
#define EXC_STORE_MISALIGNED  6
#define EXC_STORE_ACCESS      7
#define EXC_ECALL_U           8
#define EXC_ECALL_S           9
#define EXC_INST_PAGE_FAULT   12
#define EXC_LOAD_PAGE_FAULT   13
#define EXC_STORE_PAGE_FAULT  15

/* satp */
#define SATP_SV39     (8UL << 60)
#define MAKE_SATP(pa) (SATP_SV39 | ((uint64_t)(pa) >> 12))

/* stimecmp (Sstc); named by number so older assemblers accept it. */
#define CSR_STIMECMP  0x14d

static inline void intr_on(void)  { csr_set(sstatus, SSTATUS_SIE); }
static inline void intr_off(void) { csr_clear(sstatus, SSTATUS_SIE); }
static inline int intr_enabled(void) { return (csr_read(sstatus) & SSTATUS_SIE) != 0; }

static inline uint64_t read_time(void) { return csr_read(time); }
static inline uint64_t read_fp(void) {
    uint64_t fp; __asm__ volatile("mv %0, s0" : "=r"(fp)); return fp;
}
static inline void wfi(void) { __asm__ volatile("wfi" ::: "memory"); }
static inline void sfence_vma(void) { __asm__ volatile("sfence.vma zero, zero" ::: "memory"); }
/* One turn of a wait for another hart (a lock, a flag it will set).
 * Usually a nop.  But while an interrupt this hart has enabled in sie is
 * pending and cannot be taken (the waiter has interrupts off), a wfi: the
 * privileged spec has a wfi resume at once when a locally enabled
 * interrupt is pending, whatever sstatus.SIE says, so a real hart loses
 * nothing; and QEMU ends a hart's turn at every wfi.  Under -icount QEMU
 * runs the harts in turns on one thread, each turn's length set by the
 * timer deadlines pending when the round of turns began, and a waiter
 * whose own deadline has passed has none left to cut its turns short: it
 * spun through long turns while the hart it waited for, whose deadline
 * passed meanwhile, took its timer interrupt at the first instruction of
 * each of its turns and, re-arming the timer, ended the turn there: no
 * progress for either (docs/user-mode-switching.md, "The multi-hart stall
 * that was").  Ending the waiter's turn lets the other hart run before
 * its deadline. */
static inline void cpu_relax(void)
{
    if (csr_read(sip) & csr_read(sie))
        wfi();
}

#endif
