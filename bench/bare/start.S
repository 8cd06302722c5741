/* Entry of the bare-metal ceiling program (bench/bare/README.md).
 * QEMU's virt machine with -bios none starts every hart here, in M-mode,
 * with a0 = its hart id.  Each hart gets its own 16 KiB stack and calls
 * bare_main(hartid). */
    .section .text.entry
    .globl _start
_start:
    csrw    mie, zero
    la      sp, stacks_end
    slli    t0, a0, 14              /* 16 KiB a hart */
    sub     sp, sp, t0
    call    bare_main
1:  wfi
    j       1b

/* The timer interrupt of the "tick" variant: the next deadline is the last
 * one plus the period; nothing else.  mscratch holds this hart's slot:
 * [0] its mtimecmp address, [8] the period, [16..40] saved registers. */
    .align 4
    .globl bare_tick_entry
bare_tick_entry:
    csrrw   t0, mscratch, t0
    sd      t1, 16(t0)
    sd      t2, 24(t0)
    ld      t1, 0(t0)               /* &mtimecmp */
    ld      t2, 0(t1)
    sd      t3, 32(t0)
    ld      t3, 8(t0)               /* period */
    add     t2, t2, t3
    sd      t2, 0(t1)
    ld      t1, 16(t0)
    ld      t2, 24(t0)
    ld      t3, 32(t0)
    csrrw   t0, mscratch, t0
    mret
