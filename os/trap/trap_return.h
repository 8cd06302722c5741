/* The way back to user mode, but its last step: shared by trap.c (every
 * trap) and by the plain yield's fast way (trap_user_yield, in
 * sched/sched.c, so that the yield, its switch and this are one frame). */
#ifndef TRAP_TRAP_RETURN_H
#define TRAP_TRAP_RETURN_H

#include <stdbool.h>
#include "trap/trap.h"
#include "kernel/cpu.h"
#include "kernel/invariants.h"
#include "proc/proc.h"
#include "sched/kcoro.h"
#include "sched/shared.h"
#include "arch/riscv.h"

/* Anything to do before user mode: the process is being killed, the
 * scheduler wants this hart, or the kernel's coroutines have work.  Looked
 * at with interrupts off, so that nothing sets one of them unseen between
 * this look and the sret (an interrupt that comes meanwhile is taken in
 * user mode, at once). */
static inline bool trap_return_has_work(void)
{
    const struct cpu *c = this_cpu();
    return c->current->proc->killed | c->need_resched | kcoro_has_work();
}

/* The way back when trap_return_has_work: entered and left with
 * interrupts off (trap.c).  Out of line: the common way back has no use
 * for its registers. */
void trap_return_work(void) __attribute__((noinline, cold));

/* The way back to user mode but its last step and the sstatus of the
 * sret: pending work, the process told which thread runs here.  Leaves
 * interrupts off.  The plain yield's way (trap_user_yield) calls this
 * alone: trapentry.S sets its sstatus in place. */
static inline __attribute__((always_inline)) void trap_prepare_return_but_sstatus(void)
{
    intr_off();
    if (trap_return_has_work())
        trap_return_work();
    /* Tell the process which of its threads runs here now (unless this
     * hart told it just that and nothing changed since). */
    struct thread *t = thread_current();
    const struct shared_region *r = &t->proc->shared;
    if (shared_vdso(r))
        shared_publish_changed(t, r);
    inv_check_user_return();         /* debug builds: kernel/invariants.h */
}

/* The way back to user mode but its last step (user_return): the above,
 * and the sstatus of the sret in tf. */
static inline __attribute__((always_inline)) void trap_prepare_return(struct trapframe *tf)
{
    trap_prepare_return_but_sstatus();
    /* To user mode, with interrupts enabled there. */
    tf->sstatus = (csr_read(sstatus) & ~SSTATUS_SPP) | SSTATUS_SPIE;
}

#endif
