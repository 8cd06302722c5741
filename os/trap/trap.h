/* Traps: the saved register frame and the handlers. */
#ifndef TRAP_TRAP_H
#define TRAP_TRAP_H

/* Frame offsets, shared with trapentry.S. */
#define TF_SEPC    (32 * 8)
#define TF_SSTATUS (33 * 8)
#define TF_SCAUSE  (34 * 8)
#define TF_STVAL   (35 * 8)
#define TF_SIZE    (36 * 8)

/* What trapentry.S tests for a plain yield (trap_user_yield): scause of an
 * ecall from U-mode and SYS_yield's number (asserted in trap.c). */
#define TRAP_ECALL_U   8
#define TRAP_SYS_YIELD 17
/* The sstatus bits the plain yield's way back sets in place (SPP cleared:
 * to user mode; SPIE set: interrupts on there), as trap_prepare_return
 * sets them in the frame for every other way (asserted in trap.c). */
#define TRAP_SSTATUS_SPP  0x100
#define TRAP_SSTATUS_SPIE 0x20

#ifndef __ASSEMBLY__
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* regs[i] holds register xi (regs[0] is unused). */
struct trapframe {
    uint64_t regs[32];
    uint64_t sepc;
    uint64_t sstatus;
    uint64_t scause;
    uint64_t stval;
};
_Static_assert(offsetof(struct trapframe, sepc) == TF_SEPC, "TF_SEPC");
_Static_assert(offsetof(struct trapframe, stval) == TF_STVAL, "TF_STVAL");
_Static_assert(sizeof(struct trapframe) == TF_SIZE && TF_SIZE % 16 == 0, "TF_SIZE");

enum { REG_SP = 2, REG_TP = 4, REG_S0 = 8, REG_A0 = 10 };

void trap_init_this_hart(void);
/* Called from trapentry.S for a trap taken in S-mode / in U-mode. */
void trap_kernel(struct trapframe *tf);
/* A trap from user mode (see trap.c): trap_user handles it as the thread
 * the kernel has on this hart, and does not return; it returns only if the
 * trap is another thread's (see reconcile_switch), and trapentry.S then
 * hands that thread's frame to trap_user_handle. */
void trap_user(struct trapframe *tf);
void trap_user_handle(struct trapframe *tf) __attribute__((noreturn));
/* A plain yield (SYS_yield, a0 = 0) from user mode, from trapentry.S with
 * only part of tf saved (SAVE_CALL_CLOBBERED and sepc: s1-s11 are still
 * the user's).  False, having changed nothing, if the full way must take
 * it; true when made, with tf ready for the way back (trapentry.S).
 * Defined in sched/sched.c, with the yield and its switch inline. */
bool trap_user_yield(struct trapframe *tf);
/* Returns to user mode with tf's registers (after checking for a pending
 * kill or reschedule). */
void trap_return(struct trapframe *tf) __attribute__((noreturn));
/* Human-readable name of an scause value. */
const char *trap_cause_name(uint64_t scause);
#endif

#endif
