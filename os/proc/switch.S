/*
 * context_switch(struct context *from, struct context *to): saves the
 * callee-saved registers of the running thread in *from and resumes the one
 * saved in *to.  The caller-saved registers are already saved by the C
 * calling convention, which is why a voluntary switch is this cheap.
 */
#include "arch/callee_saved.h"

    .section .text
    .globl context_switch
context_switch:
    SAVE_CALLEE_SAVED a0
    LOAD_CALLEE_SAVED a1
    ret
