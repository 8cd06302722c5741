/*
 * For assembly: save or load the registers a call must preserve, at
 * 0(base), one doubleword each, in this order: ra, sp, then (with_tp=1)
 * tp, then s0..s11.
 *
 * The kernel leaves tp out (14 doublewords): it holds the hart, not the
 * thread; struct context (context_switch) and blob_setjmp's record use
 * that layout.  The user-side runtime (user/runtime/switch.S) keeps tp,
 * the thread pointer of the thread being switched (15 doublewords, the
 * TASK_CTX_* layout of sched_abi/sched_abi.h).  One macro for both, so
 * that the two lists of registers cannot drift apart.
 */
#ifndef ARCH_CALLEE_SAVED_H
#define ARCH_CALLEE_SAVED_H

/* `op` (sd or ld) on each register of the layout, at off(base) on; with_tp
 * is 0 or 1.  (The user runtime passes off: its fast path loads a context
 * straight from the thread's record, without an address to compute.) */
.macro CALLEE_SAVED_EACH op, base, with_tp, off=0
    .if (\with_tp) != 0 && (\with_tp) != 1
    .error "CALLEE_SAVED_EACH: with_tp must be 0 or 1"
    .endif
    \op     ra, \off(\base)
    \op     sp, \off + 8(\base)
    .if \with_tp
    \op     tp, \off + 16(\base)
    .endif
    .set    callee_saved_off, \off + 16 + 8 * (\with_tp)
    .irp    reg, s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, s11
    \op     \reg, callee_saved_off(\base)
    .set    callee_saved_off, callee_saved_off + 8
    .endr
.endm

.macro SAVE_CALLEE_SAVED base, with_tp=0, off=0
    CALLEE_SAVED_EACH sd, \base, \with_tp, \off
.endm

.macro LOAD_CALLEE_SAVED base, with_tp=0, off=0
    CALLEE_SAVED_EACH ld, \base, \with_tp, \off
.endm

#endif
