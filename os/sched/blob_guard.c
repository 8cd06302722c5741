#include "sched/blob_guard.h"
#include "memlayout.h"

void blob_fault_return(void);

static bool in_blob(uint64_t pc)
{
    return pc >= SHARED_KALIAS && pc < SHARED_KALIAS + SHARED_CODE_PAGES * PAGE_SIZE;
}

/* Abandons the call: the trap returns into blob_fault_return, which
 * restores the caller's registers from the record blob_setjmp filled. */
static void abandon_call(struct cpu *c, struct trapframe *tf, uint64_t cause)
{
    c->blob_fault_cause = cause;
    c->blob_fault_pc = tf->sepc;
    c->blob_fault_addr = cause == BLOB_CAUSE_TIMEOUT ? 0 : tf->stval;
    tf->regs[REG_A0] = (uint64_t)c->blob_recover;
    tf->sepc = (uint64_t)blob_fault_return;
}

bool blob_guard_trap(struct trapframe *tf)
{
    struct cpu *c = this_cpu();
    KASSERT(c->blob_recover);
    if (tf->scause == (SCAUSE_INTR | IRQ_S_TIMER)) {
        if (timer_poke())
            return true;                /* no tick: the call is not timed by it */
        /* Not sched_tick: the caller holds sched_lock.  The deadline moves
         * one tick on (the guard looks again then, and the pending
         * interrupt goes away); blob_guard_close makes the kernel's own
         * tick due again. */
        timer_hold_off_tick();
        c->blob_held |= BLOB_HELD_TICK;
        if (++c->blob_ticks >= BLOB_CALL_MAX_TICKS && in_blob(tf->sepc))
            abandon_call(c, tf, BLOB_CAUSE_TIMEOUT);
        return true;
    }
    if (tf->scause & SCAUSE_INTR) {
        /* Any other interrupt (an external one, an IPI): its handler takes
         * locks the caller may hold.  Held back: the rest of the call has
         * only the timer enabled, and blob_guard_release enables the others
         * again, pending still, to be taken once interrupts are on. */
        if (!(c->blob_held & BLOB_HELD_IRQS)) {
            c->blob_sie = csr_read(sie);
            c->blob_held |= BLOB_HELD_IRQS;
        }
        csr_write(sie, SIE_STIE);
        return true;
    }
    /* A fault outside the blob is the kernel's own (the caller panics). */
    if (!in_blob(tf->sepc))
        return false;
    abandon_call(c, tf, tf->scause);
    return true;
}

void blob_guard_release(struct cpu *c)
{
    KASSERT(!intr_enabled());
    if (c->blob_held & BLOB_HELD_IRQS)
        csr_write(sie, c->blob_sie);
    if (c->blob_held & BLOB_HELD_TICK) {
        c->blob_ticks = 0;
        timer_resume_ticks();
    }
    c->blob_held = 0;
}
