/*
 * int yield_(void): the user-mode yield (<unistd.h>).  The common case is
 * five instructions and no stack frame: load the runtime's user_schedule
 * (found by the first call, block.c), pass this thread's record index and
 * jump, so that user_schedule returns straight to our caller.  A frame
 * here would be of no use to a debugger (the jump leaves none behind) and
 * cost 5 instructions of every user-mode switch with this build's frame
 * pointers: docs/user-mode-switching.md, "Measured".
 *
 * Everything else, the first call and a process with no runtime, is C:
 * yield_first (block.c), which finds the runtime and stores its entry in
 * yield_entry.
 */
#define UTHREAD_TASK 8          /* offsetof(struct uthread, task): block.c
                                   asserts it */

    .section .text.yield_, "ax", @progbits
    .globl  yield_
    .type   yield_, @function
yield_:
    ld      t0, yield_entry     /* the runtime's user_schedule, or 0 */
    beqz    t0, 1f
    lw      a0, UTHREAD_TASK(tp) /* uthread_self()->task */
    jr      t0                  /* user_schedule(task): it returns to our caller */
1:  tail    yield_first
    .size   yield_, . - yield_
