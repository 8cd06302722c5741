/*
 * Trap entry.  Every trap (from U-mode or S-mode) arrives at trap_vector.
 *
 * sscratch tells where the trap came from: it holds this hart's struct cpu
 * while the hart runs user code, and 0 while it runs the kernel.  So
 * `csrrw tp, sscratch, tp` leaves tp = cpu (user trap) or tp = 0 (kernel
 * trap, and sscratch now holds the kernel's tp).
 *
 * A kernel trap pushes its frame on the current kernel stack.  A user trap
 * switches to the running thread's kernel stack (cpu->kstack_top) and puts
 * the frame at its top, where the thread's struct thread expects it.
 */
#include "trap/trap.h"
#include "kernel/cpu.h"

/* A trap frame is saved in two parts (restored likewise), so that a plain
 * yield can leave out the second (trap_user_yield in trap.c):
 *   SAVE_CALL_CLOBBERED: what any C call may change (ra, t0-t6, a0-a7),
 *       s0 (the kernel's frame pointer: zeroed to end its backtraces) and
 *       gp (the kernel never uses it, but a policy blob might);
 *   SAVE_CALLEE_SAVED_GPRS: s1-s11, which C code called from here keeps
 *       for its caller. */
.macro SAVE_CALL_CLOBBERED
    sd      ra, 1*8(sp)
    sd      gp, 3*8(sp)
    sd      t0, 5*8(sp)
    sd      t1, 6*8(sp)
    sd      t2, 7*8(sp)
    sd      s0, 8*8(sp)
    sd      a0, 10*8(sp)
    sd      a1, 11*8(sp)
    sd      a2, 12*8(sp)
    sd      a3, 13*8(sp)
    sd      a4, 14*8(sp)
    sd      a5, 15*8(sp)
    sd      a6, 16*8(sp)
    sd      a7, 17*8(sp)
    sd      t3, 28*8(sp)
    sd      t4, 29*8(sp)
    sd      t5, 30*8(sp)
    sd      t6, 31*8(sp)
.endm

.macro SAVE_CALLEE_SAVED_GPRS
    sd      s1, 9*8(sp)
    sd      s2, 18*8(sp)
    sd      s3, 19*8(sp)
    sd      s4, 20*8(sp)
    sd      s5, 21*8(sp)
    sd      s6, 22*8(sp)
    sd      s7, 23*8(sp)
    sd      s8, 24*8(sp)
    sd      s9, 25*8(sp)
    sd      s10, 26*8(sp)
    sd      s11, 27*8(sp)
.endm

/* Saves every register but sp and tp (x2, x4) at 0(sp). */
.macro SAVE_GPRS
    SAVE_CALL_CLOBBERED
    SAVE_CALLEE_SAVED_GPRS
.endm

.macro SAVE_CSRS
    csrr    t0, sepc
    sd      t0, TF_SEPC(sp)
    csrr    t0, sstatus
    sd      t0, TF_SSTATUS(sp)
    csrr    t0, scause
    sd      t0, TF_SCAUSE(sp)
    csrr    t0, stval
    sd      t0, TF_STVAL(sp)
.endm

/* Restores sepc and sstatus, and what SAVE_CALL_CLOBBERED saved. */
.macro RESTORE_CALL_CLOBBERED
    ld      t0, TF_SSTATUS(sp)
    csrw    sstatus, t0
    RESTORE_SEPC_CALL_CLOBBERED
.endm

/* RESTORE_CALL_CLOBBERED but sstatus. */
.macro RESTORE_SEPC_CALL_CLOBBERED
    ld      t0, TF_SEPC(sp)
    csrw    sepc, t0
    RESTORE_CALL_CLOBBERED_GPRS
.endm

/* What SAVE_CALL_CLOBBERED saved. */
.macro RESTORE_CALL_CLOBBERED_GPRS
    ld      ra, 1*8(sp)
    ld      gp, 3*8(sp)
    ld      t0, 5*8(sp)
    ld      t1, 6*8(sp)
    ld      t2, 7*8(sp)
    ld      s0, 8*8(sp)
    ld      a0, 10*8(sp)
    ld      a1, 11*8(sp)
    ld      a2, 12*8(sp)
    ld      a3, 13*8(sp)
    ld      a4, 14*8(sp)
    ld      a5, 15*8(sp)
    ld      a6, 16*8(sp)
    ld      a7, 17*8(sp)
    ld      t3, 28*8(sp)
    ld      t4, 29*8(sp)
    ld      t5, 30*8(sp)
    ld      t6, 31*8(sp)
.endm

/* Restores every register but sp and tp from 0(sp), and sepc/sstatus. */
.macro RESTORE_GPRS
    ld      s1, 9*8(sp)
    ld      s2, 18*8(sp)
    ld      s3, 19*8(sp)
    ld      s4, 20*8(sp)
    ld      s5, 21*8(sp)
    ld      s6, 22*8(sp)
    ld      s7, 23*8(sp)
    ld      s8, 24*8(sp)
    ld      s9, 25*8(sp)
    ld      s10, 26*8(sp)
    ld      s11, 27*8(sp)
    RESTORE_CALL_CLOBBERED
.endm

    .section .text
    .globl trap_vector
    .align 2
trap_vector:
    csrrw   tp, sscratch, tp
    bnez    tp, from_user

    /* ---- from the kernel ---- */
    csrr    tp, sscratch
    csrw    sscratch, zero
    addi    sp, sp, -TF_SIZE
    SAVE_GPRS
    sd      tp, 4*8(sp)
    addi    t0, sp, TF_SIZE
    sd      t0, 2*8(sp)             /* sp before the trap */
    SAVE_CSRS

    /* A frame record so backtraces walk through the trap into the
     * interrupted code: [fp-8] = interrupted pc, [fp-16] = interrupted fp. */
    addi    sp, sp, -16
    ld      t0, 16+TF_SEPC(sp)
    sd      t0, 8(sp)
    sd      s0, 0(sp)
    addi    s0, sp, 16

    addi    a0, sp, 16
    call    trap_kernel
    addi    sp, sp, 16

    RESTORE_GPRS
    /* tp is not restored: it is this hart's cpu pointer either way. */
    addi    sp, sp, TF_SIZE
    sret

    /* ---- from user mode: tp = cpu, sscratch = user tp ---- */
from_user:
    sd      sp, CPU_SCRATCH(tp)
    ld      sp, CPU_KSTACK_TOP(tp)
    addi    sp, sp, -TF_SIZE
    SAVE_CALL_CLOBBERED
    ld      t0, CPU_SCRATCH(tp)
    sd      t0, 2*8(sp)             /* user sp */
    csrrw   t0, sscratch, zero  /* user tp; sscratch 0: in the kernel now */
    sd      t0, 4*8(sp)
    csrr    t0, sepc
    sd      t0, TF_SEPC(sp)
    mv      s0, zero                /* the kernel backtrace ends here */
    /* A plain yield (ecall, a7 = SYS_yield, a0 = 0) may not need s1-s11
     * saved: if the kernel's thread here makes it, the C calls below keep
     * them, and the way back restores only what they may change.  a7 is
     * looked at first: any other system call pays one compare more. */
    li      t1, TRAP_SYS_YIELD
    beq     a7, t1, maybe_yield
full_trap:
    SAVE_CALLEE_SAVED_GPRS
    /* (No trap came since the entry: the CSRs still say what this one was.) */
    csrr    t0, sstatus
    sd      t0, TF_SSTATUS(sp)
    csrr    t0, scause
    sd      t0, TF_SCAUSE(sp)
    csrr    t0, stval
    sd      t0, TF_STVAL(sp)
    mv      a0, sp
    call    trap_user               /* returns only if the trap is another thread's */
    /* It is (a user-mode switch): leave this thread's kernel stack, which
     * is its own again once it is released, for the hart's own; there the
     * new thread's frame is filled in. */
    call    reconcile_stack_top
    mv      sp, a0
    call    reconcile_switch        /* that frame (or it never returns) */
    mv      sp, a0                  /* the frame tops its thread's stack */
    call    trap_user_handle        /* does not return: ends in user_return */
1:  j       1b

maybe_yield:
    csrr    t0, scause
    li      t1, TRAP_ECALL_U
    bne     t0, t1, full_trap
    bnez    a0, full_trap           /* parked or resting: the full way */
    mv      a0, sp
    call    trap_user_yield         /* false: not made, nothing changed */
    beqz    a0, full_trap
    /* Made; interrupts off, tf as it came (sepc is advanced below).
     * s1-s11 are the user's again (trap_user_yield's epilogue).  sstatus
     * is set here, in place, to what trap_prepare_return writes in the
     * frame for every other way back: to user mode (SPP clear),
     * interrupts on there (SPIE). */
    csrw    sscratch, tp            /* the next trap from user finds cpu */
    li      t0, TRAP_SSTATUS_SPP
    csrc    sstatus, t0
    li      t0, TRAP_SSTATUS_SPIE
    csrs    sstatus, t0
    /* Past the ecall: here rather than in tf (trap_user_yield writes
     * nothing of the frame). */
    ld      t0, TF_SEPC(sp)
    addi    t0, t0, 4
    csrw    sepc, t0
    RESTORE_CALL_CLOBBERED_GPRS
    ld      tp, 4*8(sp)
    ld      sp, 2*8(sp)
    sret

/*
 * user_return(struct trapframe *tf): back to user mode with the registers
 * in tf.  Interrupts must be off (sret turns them back on from SPIE).
 */
    .globl user_return
user_return:
    mv      sp, a0
    csrw    sscratch, tp            /* the next trap from user finds cpu */
    RESTORE_GPRS
    ld      tp, 4*8(sp)
    ld      sp, 2*8(sp)
    sret
