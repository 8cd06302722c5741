/* The loops the ceiling program times (bench/bare/README.md).  Each is
 *     void loop_NAME(uint64_t iterations, uint8_t *area)
 * where area is the calling hart's own 4 KiB page.  A turn is shaped like a
 * user-mode coroutine switch: twelve callee-saved registers stored to one
 * save area and loaded from another, and an indirect call.  The variants add
 * what a multi-hart kernel adds to such a path: a full fence, an atomic add,
 * an LR/SC pair, all on this hart's own page, so no cache line is shared. */

    .macro SAVE_CALLER_REGS
    addi    sp, sp, -112
    sd      ra, 0(sp)
    sd      s0, 8(sp)
    sd      s1, 16(sp)
    sd      s2, 24(sp)
    sd      s3, 32(sp)
    sd      s4, 40(sp)
    sd      s5, 48(sp)
    sd      s6, 56(sp)
    sd      s7, 64(sp)
    sd      s8, 72(sp)
    sd      s9, 80(sp)
    sd      s10, 88(sp)
    sd      s11, 96(sp)
    .endm

    .macro RESTORE_CALLER_REGS
    ld      ra, 0(sp)
    ld      s0, 8(sp)
    ld      s1, 16(sp)
    ld      s2, 24(sp)
    ld      s3, 32(sp)
    ld      s4, 40(sp)
    ld      s5, 48(sp)
    ld      s6, 56(sp)
    ld      s7, 64(sp)
    ld      s8, 72(sp)
    ld      s9, 80(sp)
    ld      s10, 88(sp)
    ld      s11, 96(sp)
    addi    sp, sp, 112
    ret
    .endm

    /* One switch's worth of register traffic, then an indirect call. */
    .macro SWITCH_TURN
    sd      s0, 0(a1)
    sd      s1, 8(a1)
    sd      s2, 16(a1)
    sd      s3, 24(a1)
    sd      s4, 32(a1)
    sd      s5, 40(a1)
    sd      s6, 48(a1)
    sd      s7, 56(a1)
    sd      s8, 64(a1)
    sd      s9, 72(a1)
    sd      s10, 80(a1)
    sd      s11, 88(a1)
    ld      s0, 128(a1)
    ld      s1, 136(a1)
    ld      s2, 144(a1)
    ld      s3, 152(a1)
    ld      s4, 160(a1)
    ld      s5, 168(a1)
    ld      s6, 176(a1)
    ld      s7, 184(a1)
    ld      s8, 192(a1)
    ld      s9, 200(a1)
    ld      s10, 208(a1)
    ld      s11, 216(a1)
    jalr    t0
    .endm

    .macro LOOP name, extra
    .globl loop_\name
loop_\name:
    SAVE_CALLER_REGS
    la      t0, leaf
    li      t1, 1
    addi    t3, a1, 256             /* the atomic variants' word */
    beqz    a0, 2f
1:  SWITCH_TURN
    \extra
    addi    a0, a0, -1
    bnez    a0, 1b
2:  RESTORE_CALLER_REGS
    .endm

    .text
leaf:
    addi    t2, t2, 1
    ret

    LOOP plain, "nop"
    LOOP fence, "fence rw, rw"
    LOOP amo, "amoadd.d zero, t1, (t3)"
    LOOP lrsc, "call lrsc_add"

/* An LR/SC increment of this hart's own word, as a lock's take would do. */
lrsc_add:
3:  lr.d    t4, (t3)
    addi    t4, t4, 1
    sc.d    t5, t4, (t3)
    bnez    t5, 3b
    ret
