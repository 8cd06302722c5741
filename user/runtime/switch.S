/*
 * User-mode thread switch (runs in U-mode, from the shared code pages).
 *
 * The switch is a function call, so only what a call must preserve is
 * saved: ra, sp, tp, s0..s11.  user_schedule (user_schedule.S) saves them
 * once into the thread's TaskSched.ctx at the start of a yield; the
 * same save is where a thread that switches back to it returns (its
 * user_schedule returns 1), where the kernel resumes it, and where a
 * policy fault sends it (rt_rescue).  The fast path of a switch makes
 * rt_switch's steps itself (user_schedule.S); the C half calls it.
 * rt_setjmp is the same save for leave_queue's rescue point.
 *
 * rt_switch(uint64_t to[16], uint32_t *queue_lock, uint8_t *from_state)
 *   Marks the thread giving up the hart READY (only now may anyone, the
 *   kernel included, claim it: its registers were saved at the start of
 *   the yield), releases the process's queue lock, which unpins, and
 *   loads `to`.  Returns in the other thread, from its user_schedule (or
 *   rt_park), with 1.
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

    .section .text
    .globl rt_switch
    .hidden rt_switch
rt_switch:
    fence   rw, w                   /* the context was saved, the queue
                                       written, before... */
    li      t0, 1                   /* TASK_READY */
    sb      t0, 0(a2)               /* ...the thread may be claimed... */
    sw      zero, 0(a1)             /* ...and the queue lock released,
                                       which unpins.  Before the load, not
                                       after: current[hart] names the other
                                       thread already, so a trap here is
                                       that thread's, which the lock does
                                       not name.  The kernel spares it all
                                       the same while the lock still holds
                                       the value of the thread it released
                                       (reconcile.c, in_switch_tail): were
                                       it preempted with the lock held in
                                       the old thread's name, every waiter
                                       would wait for a thread that is
                                       parked. */
    LOAD_CONTEXT
    li      a0, 1                   /* rt_setjmp returns 1: switched back */
    ret

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
    li      a1, 2                   /* rt_setjmp returns 2: rescued */
    j       rt_load
    /* user_schedule's save: back in the yield_() call with its registers,
     * schedule_rescued finishes it (and returns 0 from it). */
1:  andi    a0, a0, ~RT_RESCUE_SCHEDULE
    LOAD_CONTEXT
    j       schedule_rescued

/*
 * rt_commit_current(TaskSched *me, TaskSched *next, uint32_t value,
 *                   uint32_t *current)
 *   current[hart] = value, and next->hart = hart, where hart is the one
 *   this thread runs on *now* (me->hart: the kernel rewrites it before
 *   every return to user mode).  The value the runtime read when it began
 *   the yield may be stale by now: the kernel preempts a thread that stays
 *   pinned too long and may resume it on another hart.
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
 *         uint32_t *current, long how)
 *   Parks the calling thread: saves it, writes `parking` (its slot with
 *   CURRENT_PARKING) into current[hart] (through rt_commit_current) and
 *   makes the yield system call with parked = how (1, or 2 to rest the
 *   hart too).  The thread still holds the queue lock (a system call is
 *   never spared, pinned or not) and its record still says RUNNING:
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
    mv      s2, a4                  /* s2: saved above, free to use */
    mv      a0, a1                  /* next = me: it stays on this hart */
    call    rt_commit_current       /* ...the kernel may be told so */
    mv      a0, s2                  /* parked = how */
    li      a7, 17                  /* SYS_yield */
    ecall
    /* Not reached: the kernel resumes a parked thread through rt_load, or
     * kills a process whose record was not RUNNING. */
    unimp
