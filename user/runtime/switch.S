/*
 * User-mode thread switch (runs in U-mode, from the shared code pages).
 *
 * rt_switch(uint64_t from[16], uint64_t to[16], uint32_t *queue_lock,
 *           uint32_t *block_sched, uint8_t *from_state)
 *   Saves ra, sp, tp, s0..s11 into `from` (TaskSched.ctx of the thread
 *   giving up the hart), marks it READY (only now may anyone, the kernel
 *   included, claim it: its registers are saved), releases the process's
 *   queue lock, loads `to` and clears this hart's block_sched.  Returns in
 *   the other thread.
 *
 * rt_load(uint64_t to[16], uint32_t *block_sched)
 *   Only the second half: used when the kernel resumes a parked thread.
 *
 * Layout of the context: TASK_CTX_* in sched_abi/sched_abi.h.
 */
/* Saves ra, sp, tp, s0..s11 at 0(a0), in the order of TASK_CTX_*. */
.macro SAVE_CONTEXT
    sd      ra, 0(a0)
    sd      sp, 8(a0)
    sd      tp, 16(a0)
    sd      s0, 24(a0)
    sd      s1, 32(a0)
    sd      s2, 40(a0)
    sd      s3, 48(a0)
    sd      s4, 56(a0)
    sd      s5, 64(a0)
    sd      s6, 72(a0)
    sd      s7, 80(a0)
    sd      s8, 88(a0)
    sd      s9, 96(a0)
    sd      s10, 104(a0)
    sd      s11, 112(a0)
.endm

    .section .text
    .globl rt_switch
    .hidden rt_switch
rt_switch:
    SAVE_CONTEXT
    fence   rw, w                   /* the context is saved before... */
    li      t0, 1                   /* TASK_READY */
    sb      t0, 0(a4)               /* ...the thread may be claimed... */
    sw      zero, 0(a2)             /* ...and the queue lock is released */
    mv      a0, a1
    mv      a1, a3
    /* fall through */

    .globl rt_load
    .hidden rt_load
rt_load:
    ld      ra, 0(a0)
    ld      sp, 8(a0)
    ld      tp, 16(a0)
    ld      s0, 24(a0)
    ld      s1, 32(a0)
    ld      s2, 40(a0)
    ld      s3, 48(a0)
    ld      s4, 56(a0)
    ld      s5, 64(a0)
    ld      s6, 72(a0)
    ld      s7, 80(a0)
    ld      s8, 88(a0)
    ld      s9, 96(a0)
    ld      s10, 104(a0)
    ld      s11, 112(a0)
    fence   rw, w
    sw      zero, 0(a1)             /* block_sched off: the switch is done */
    li      a0, 1                   /* user_schedule() returns 1: switched */
    ret

/*
 * rt_park(uint64_t from[16], uint32_t *queue_lock, uint32_t *block_sched,
 *         uint8_t *from_state)
 *   Parks the calling thread (saves it, marks it READY, releases the queue
 *   lock) and makes the yield system call with parked = 1: the kernel runs
 *   something else and, when this thread's turn comes (or another thread
 *   of the process switches to it), it comes back through rt_load,
 *   returning 1 from here.  block_sched stays set until the kernel has the
 *   call (the kernel clears it): a timer tick between the two must not
 *   preempt a thread that is READY for others to take.
 */
    .globl rt_park
    .hidden rt_park
rt_park:
    SAVE_CONTEXT
    fence   rw, w
    li      t0, 1                   /* TASK_READY */
    sb      t0, 0(a3)
    sw      zero, 0(a1)             /* queue unlocked */
    li      a0, 1                   /* parked */
    li      a7, 17                  /* SYS_yield */
    ecall
    /* Only if the kernel did a plain yield (it found the record not READY:
     * the process scribbled on it): carry on. */
    li      a0, 0
    ret
