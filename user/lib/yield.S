/*
 * int yield_(void): the user-mode yield (<unistd.h>).  Four instructions
 * and no stack frame: load where yield_entry says to go (the runtime's
 * user_schedule once found; before that, yield_first, block.c, which
 * finds it), pass this thread's record index in a2 (where the runtime
 * takes it: where the policy's call wants it) and jump, so that
 * user_schedule returns straight to our caller.  A frame here would be of
 * no use to a debugger (the jump leaves none behind) and cost 5
 * instructions of every user-mode switch with this build's frame
 * pointers: docs/user-mode-switching.md, "Measured".
 */
#define UTHREAD_TASK 8          /* offsetof(struct uthread, task): block.c
                                   asserts it */

    .section .text.yield_, "ax", @progbits
    .globl  yield_
    .type   yield_, @function
yield_:
    ld      t0, yield_entry     /* never 0: it starts as yield_first */
    lw      a2, UTHREAD_TASK(tp) /* uthread_self()->task, in a2: the
                                   runtime's entry takes it there;
                                   yield_first and the kernel's way ignore it */
    jr      t0                  /* user_schedule: it returns to our caller */
    .size   yield_, . - yield_

/*
 * yield_light_call: yield_light's (<unistd.h>) way into the runtime, the
 * same four instructions with yield_light_entry (block.c): the runtime's
 * user_schedule_light, which keeps only ra, sp, tp, gp and s0..s2 for its
 * caller.  Called only from yield_light's asm, which tells the compiler so.
 */
    .section .text.yield_light_call, "ax", @progbits
    .globl  yield_light_call
    .type   yield_light_call, @function
yield_light_call:
    ld      t0, yield_light_entry /* never 0: it starts as yield_first */
    lw      a2, UTHREAD_TASK(tp) /* the slot in a2, where the runtime's
                                   light entry takes it (and where the
                                   policy's call wants it); yield_first
                                   and the kernel's way ignore it */
    jr      t0                  /* user_schedule_light */
    .size   yield_light_call, . - yield_light_call
