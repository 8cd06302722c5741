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
 *   Only the second half (block_sched may be NULL): used when the kernel
 *   resumes a parked thread.
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
    beqz    a1, 1f
    sw      zero, 0(a1)             /* block_sched off: the switch is done */
1:  li      a0, 1                   /* user_schedule() returns 1: switched */
    ret

/*
 * rt_setjmp(uint64_t buf[16]) saves ra, sp, tp, s0..s11 (the layout of a
 * context) and returns 0; rt_rescue(buf), entered by the kernel after a
 * fault in the policy code, returns 1 from that rt_setjmp (through
 * rt_load, with no block_sched to clear).
 */
    .globl rt_setjmp
    .hidden rt_setjmp
rt_setjmp:
    SAVE_CONTEXT
    li      a0, 0
    ret

    .globl rt_rescue
    .hidden rt_rescue
rt_rescue:
    li      a1, 0
    j       rt_load

/*
 * rt_commit_current(TaskSched *me, TaskSched *next, uint32_t value,
 *                   uint32_t *current)
 *   current[hart] = value, and next->hart = hart, where hart is the one
 *   this thread runs on *now* (me->hart: the kernel rewrites it before
 *   every return to user mode).  The value the runtime read when it began
 *   the yield may be stale by now: the kernel preempts a thread that keeps
 *   block_sched too long and may resume it on another hart.
 *
 *   A restartable sequence: if the hart traps anywhere after
 *   rt_commit_start and before the store at rt_commit_store has been
 *   done, the kernel restarts it at rt_commit_start (the runtime's header
 *   gives it both addresses), so the hart read and the store that depends
 *   on it are never separated by a move to another hart.
 */
    .globl rt_commit_current
    .hidden rt_commit_current
    .globl rt_commit_start
    .hidden rt_commit_start
    .globl rt_commit_store
    .hidden rt_commit_store
rt_commit_current:
rt_commit_start:
    lbu     t0, 6(a0)               /* TaskSched.hart */
    sb      t0, 6(a1)
    slli    t0, t0, 2
    add     t0, t0, a3
rt_commit_store:
    sw      a2, 0(t0)               /* the commit */
    ret

/*
 * rt_park(uint64_t from[16], TaskSched *me, uint32_t parking,
 *         uint32_t *current, uint32_t *block_sched)
 *   Parks the calling thread: saves it, writes `parking` (its slot with
 *   CURRENT_PARKING) into current[hart] (through rt_commit_current), drops
 *   block_sched and makes the yield system call with parked = 1.  The
 *   thread still holds the queue lock and its record still says RUNNING:
 *   the kernel, which has the call (or an interrupt that came first),
 *   marks the record READY and releases the lock.  So there is no moment
 *   at which another hart may take this thread while this hart still runs
 *   it.  When the thread's turn comes (or another thread of the process
 *   switches to it) it comes back through rt_load, returning 1 from here.
 */
    .globl rt_park
    .hidden rt_park
rt_park:
    SAVE_CONTEXT
    fence   rw, w                   /* the context is saved before... */
    mv      s1, a4                  /* s1: saved above, free to use */
    mv      a0, a1                  /* next = me: it stays on this hart */
    call    rt_commit_current       /* ...the kernel may be told so */
    fence   rw, w
    sw      zero, 0(s1)             /* block_sched off: the kernel knows */
    li      a0, 1                   /* parked */
    li      a7, 17                  /* SYS_yield */
    ecall
    /* Not reached: the kernel resumes a parked thread through rt_load, or
     * kills a process whose record was not RUNNING. */
    unimp
