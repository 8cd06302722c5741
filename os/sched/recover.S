/*
 * Recovering from a fault inside a policy blob.  blob_setjmp saves the
 * callee-saved registers, sp and ra (returns 0); when the blob faults, the
 * trap handler resumes at blob_fault_return with a0 = the saved record,
 * which restores them so that blob_setjmp returns 1 a second time.
 */
    .section .text
    .globl blob_setjmp
blob_setjmp:
    sd      ra, 0(a0)
    sd      sp, 8(a0)
    sd      s0, 16(a0)
    sd      s1, 24(a0)
    sd      s2, 32(a0)
    sd      s3, 40(a0)
    sd      s4, 48(a0)
    sd      s5, 56(a0)
    sd      s6, 64(a0)
    sd      s7, 72(a0)
    sd      s8, 80(a0)
    sd      s9, 88(a0)
    sd      s10, 96(a0)
    sd      s11, 104(a0)
    li      a0, 0
    ret

    .globl blob_fault_return
blob_fault_return:
    ld      ra, 0(a0)
    ld      sp, 8(a0)
    ld      s0, 16(a0)
    ld      s1, 24(a0)
    ld      s2, 32(a0)
    ld      s3, 40(a0)
    ld      s4, 48(a0)
    ld      s5, 56(a0)
    ld      s6, 64(a0)
    ld      s7, 72(a0)
    ld      s8, 80(a0)
    ld      s9, 88(a0)
    ld      s10, 96(a0)
    ld      s11, 104(a0)
    li      a0, 1
    ret

/*
 * call_on_stack(uint64_t sp, void (*fn)(void *), void *arg): runs fn(arg)
 * on another stack, never to come back (the reconciliation of user-mode
 * switches leaves one thread's kernel stack for another's this way).
 */
    .globl call_on_stack
call_on_stack:
    mv      sp, a0
    mv      s0, zero                /* a fresh stack: the backtrace ends */
    mv      a0, a2
    jalr    a1
1:  j       1b
