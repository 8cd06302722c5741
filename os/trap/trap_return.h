/* The way back to user mode, but its last step: shared by trap.c (every
 * trap) and by the plain yield's fast way (trap_user_yield, in
 * sched/sched.c, so that the yield, its switch and this are one frame). */
#ifndef TRAP_TRAP_RETURN_H
#define TRAP_TRAP_RETURN_H

#include <stdbool.h>
#include "trap/trap.h"
#include "kernel/cpu.h"
#include "kernel/invariants.h"
#include "kernel/panic.h"
#include "proc/proc.h"
#include "sched/kcoro.h"
#include "sched/shared.h"
#include "arch/riscv.h"

/* Anything to do before user mode: the process is being killed, the
 * scheduler wants this hart, or the kernel's coroutines have work.  Looked
 * at with interrupts off, so that nothing sets one of them unseen between
 * this look and the sret (an interrupt that comes meanwhile is taken in
 * user mode, at once). */
static inline bool trap_return_has_work(const struct cpu *c, const struct thread *t)
{
    return t->proc->killed | c->need_resched | kcoro_has_work();
}

/* The way back when trap_return_has_work: entered and left with
 * interrupts off (trap.c).  Out of line: the common way back has no use
 * for its registers. */
void trap_return_work(void) __attribute__((noinline, cold));

/* The way back to user mode but its last step and the sstatus of the
 * sret: pending work, the process told which thread runs here
 * (shared_publish inline, or called: `publish_inline`, a constant).
 * Entered and left with interrupts off (each caller turns them off, or
 * knows they are). */
static inline __attribute__((always_inline)) void trap_prepare_return_publishing(bool publish_inline)
{
#ifdef KDEBUG
    KASSERT(!intr_enabled());
#endif
    struct thread *t = thread_current();
    if (trap_return_has_work(this_cpu(), t)) {
        trap_return_work();
        t = thread_current();        /* (it may have switched and come back) */
    }
    /* Tell the process which of its threads runs here now (unless this
     * hart told it just that and nothing changed since). */
    const struct shared_region *r = &t->proc->shared;
    if (shared_vdso(r) && !shared_published(t, r)) {
        if (publish_inline)
            shared_publish_inline(t, r);
        else
            shared_publish(t, r);
    }
    inv_check_user_return();         /* debug builds: kernel/invariants.h */
}

/* The plain yield's (trap_user_yield), whose sstatus trapentry.S sets in
 * place: it publishes after every switch, so inline, where every other
 * way back mostly skips it (below).  Interrupts are off already: the
 * yield's one hold ended with them off (spin_unlock_irqs_off_outermost),
 * and its way without a hold turned them off itself. */
static inline __attribute__((always_inline)) void trap_prepare_return_but_sstatus(void)
{
    trap_prepare_return_publishing(true);
}

/* The way back to user mode but its last step (user_return): the above,
 * and the sstatus of the sret in tf. */
static inline __attribute__((always_inline)) void trap_prepare_return(struct trapframe *tf)
{
    intr_off();
    trap_prepare_return_publishing(false);
    /* To user mode, with interrupts enabled there. */
    tf->sstatus = (csr_read(sstatus) & ~SSTATUS_SPP) | SSTATUS_SPIE;
}

#endif
