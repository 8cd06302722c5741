/*
 * User-mode thread switch (runs in U-mode, from the shared code pages).
 *
 * The switch is a function call, so only what a call must preserve is
 * saved: ra, sp, tp, s0..s11.  user_schedule (user_schedule.S) saves them
 * once into the thread's TaskSched.ctx at the start of a yield; the
 * same save is where a thread that switches back to it returns (its
 * user_schedule returns 1), where the kernel resumes it, and where a
 * policy fault sends it (rt_rescue).  The end of every switch and park,
 * the restartable commit and what follows it, is the fast path's own code
 * (user_schedule.S, rt_commit_current on): rt_switch (the C half's) and
 * rt_park only put their arguments in its registers and jump there.
 * rt_setjmp is the same save for leave_queue's rescue point.
 *
 * rt_switch(TaskSched *me, TaskSched *next, uint32_t value, VDSO_DATA *v)
 *   The C half's switch: writes current[hart] = value (next's slot) and
 *   next->hart through the restartable commit, marks the thread giving up
 *   the hart READY (only now may anyone, the kernel included, claim it:
 *   its registers were saved at the start of the yield), releases the
 *   process's queue lock, which unpins, and loads next's registers.  All
 *   of it is the fast path's own code (user_schedule.S, rt_commit_current
 *   on): this only puts the arguments where that code keeps them.
 *   Returns in the other thread, from its user_schedule (or rt_park),
 *   with 1.
 *
 * rt_load(uint64_t to[16], long value)
 *   Only the load, returning `value`: used when the kernel resumes a
 *   parked thread (1) and after a policy fault (rt_rescue, 2).
 *
 * Layout of the context: TASK_CTX_* in sched_abi/sched_abi.h.
 */
/* The registers a call preserves, ra, sp, tp, s0..s11, in the order of
 * TASK_CTX_* (the kernel's context_switch saves the same ones but tp:
 * one macro serves both). */
#include "../../os/arch/callee_saved.h"
.macro SAVE_CONTEXT base=a0
    SAVE_CALLEE_SAVED \base, 1
.endm
.macro LOAD_CONTEXT base=a0
    LOAD_CALLEE_SAVED \base, 1
.endm

#include "rt_layout.h"
#define TASK_CTX_RESCUE_AT (RT_CTX_RESCUE - RT_CTX) /* in a context */

    .section .text
    .globl rt_switch
    .hidden rt_switch
rt_switch:
    /* The registers of rt_commit_current (user_schedule.S).  The callee-
     * saved ones are free: nothing returns here, and the yield's caller's
     * are in the record since user_schedule's entry. */
    mv      s11, a0                 /* s11: our record */
    mv      s10, a3                 /* s10: VDSO_DATA */
    mv      a0, a2                  /* a0: current[hart]'s new value; */
    li      s8, RT_STATE_READY      /* s8: what the tail marks us with */
    j       rt_commit_current       /* a1: next's record, as passed */

    .globl rt_load
    .hidden rt_load
rt_load:
    LOAD_CONTEXT
    mv      a0, a1                  /* what rt_setjmp returns */
    ret

/*
 * rt_setjmp(uint64_t buf[16]) saves ra, sp, tp, s0..s11 (the layout of a
 * context) and returns 0; rt_rescue(buf), entered by the kernel after a
 * fault in the policy code, returns 2 from that rt_setjmp; rt_load and
 * rt_switch return 1 from it.
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
    andi    t0, a0, RT_RESCUE_SCHEDULE
    bnez    t0, 1f
    li      t1, -1
    slli    t1, t1, RT_BASE_SHIFT
    lui     t2, RT_TASKS_PAGES
    add     t1, t1, t2              /* t1: the records */
    /* A record's offset among the records (below 1 << RT_RECORDS_SHIFT,
     * on a record's boundary) is user_schedule's save: that record's
     * ctx, all fifteen registers, as below. */
    srli    t2, a0, RT_RECORDS_SHIFT
    bnez    t2, 4f                  /* not an offset */
    andi    t2, a0, (1 << RT_TASK_SHIFT) - 1
    bnez    t2, 2f                  /* not a record's */
    add     a0, a0, t1
    addi    a0, a0, RT_CTX
    j       3f
    /* A record's own address (a record of the TaskSched heap, on its
     * boundary) is user_schedule_light's save: its record's ctx, as below
     * (what it left of s3..s11 is stale: its caller keeps nothing there). */
4:  sub     t0, a0, t1
    srli    t2, t0, RT_RECORDS_SHIFT
    bnez    t2, 2f                  /* not among them */
    andi    t2, t0, (1 << RT_TASK_SHIFT) - 1
    bnez    t2, 2f                  /* not a record's start */
    addi    a0, a0, RT_CTX
    j       3f
2:  li      a1, 2                   /* rt_setjmp returns 2: rescued */
    j       rt_load
    /* rt_park's save (the ctx's address with RT_RESCUE_SCHEDULE): back in
     * the yield_() call with its registers, schedule_rescued finishes it
     * (and returns 0 from it); so for user_schedule's, above. */
1:  andi    a0, a0, ~RT_RESCUE_SCHEDULE
3:  LOAD_CONTEXT
    j       schedule_rescued

/*
 * rt_park(uint64_t from[16], TaskSched *me, uint32_t parking, VDSO_DATA *v,
 *         long how)
 *   Parks the calling thread: saves it, writes `parking` (its slot with
 *   CURRENT_PARKING) into current[hart] (through rt_commit_current, with
 *   itself as "next": user_schedule.S then makes the call) and makes the
 *   yield system call with parked = how (1, or 2 to rest the hart too).
 *   The thread still holds the queue lock (a system call is never
 *   spared, pinned or not) and its record still says RUNNING: the
 *   kernel, which has the call (or an interrupt that came first), marks
 *   the record READY and releases the lock.  So there is no moment at
 *   which another hart may take this thread while this hart still runs
 *   it.  When the thread's turn comes (or another thread of the process
 *   switches to it) it comes back through rt_load, returning 1 from here.
 */
    .globl rt_park
    .hidden rt_park
rt_park:
    SAVE_CONTEXT
    addi    t0, a0, RT_RESCUE_SCHEDULE /* a full save now, whatever the */
    sd      t0, TASK_CTX_RESCUE_AT(a0) /* yield's entry said (a light one's
                                          mark would have whoever resumes us
                                          leave s3..s11 out) */
    fence   rw, w                   /* the context is saved before the
                                       kernel may be told so */
    mv      s2, a4                  /* s2: `how` (saved above, free to use) */
    mv      s11, a1                 /* the registers of rt_commit_current: */
    mv      s10, a3                 /* our record, VDSO_DATA, */
    mv      a0, a2                  /* the value, and a1, our record again */
    j       rt_commit_current       /* as "next": it stays on this hart */
