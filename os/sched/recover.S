/*
 * Recovering from a fault inside a policy blob.  blob_setjmp saves the
 * callee-saved registers, sp and ra (returns 0); when the blob faults, the
 * trap handler resumes at blob_fault_return with a0 = the saved record,
 * which restores them so that blob_setjmp returns 1 a second time.
 */
#include "arch/callee_saved.h"

    .section .text
    .globl blob_setjmp
blob_setjmp:
    SAVE_CALLEE_SAVED a0
    li      a0, 0
    ret

    .globl blob_fault_return
blob_fault_return:
    LOAD_CALLEE_SAVED a0
    li      a0, 1
    ret
