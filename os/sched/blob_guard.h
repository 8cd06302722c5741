/*
 * A guarded call into a policy blob: whatever the blob does, the hart comes
 * back to the kernel.  A fault inside the blob, or a call still running
 * after BLOB_CALL_MAX_TICKS timer ticks, resumes the caller where it made
 * the call (blob_setjmp returns 1 a second time, sched/recover.S) with what
 * happened in the cpu's blob_fault_* fields; the caller replaces the policy.
 *
 * The caller holds sched_lock (or is booting) with interrupts off.  During
 * the call only the supervisor timer interrupt is enabled (sie = STIE,
 * sstatus.SIE = 1): the other interrupts' handlers take locks, sched_lock
 * among them, and must wait.  The timer's handler, in this window, only
 * counts (blob_guard_trap): the tick the kernel owes itself is delivered
 * as soon as interrupts are back on after the call.
 *
 * Ticks are counted, not time measured: without -icount the time CSR is
 * host time, and a virtual hart the host does not run for 100 ms in the
 * middle of a 1 us call sees one tick when it runs again, not ten.
 */
#ifndef SCHED_BLOB_GUARD_H
#define SCHED_BLOB_GUARD_H

#include <stdbool.h>
#include <stdint.h>
#include "kernel/cpu.h"
#include "kernel/panic.h"
#include "arch/riscv.h"
#include "trap/trap.h"
#include "trap/timer.h"

/* Ticks a call may see before it is taken for a loop: the first may come
 * right after the call began, so this is at least two full ticks (20 ms)
 * of running inside the blob, far beyond any policy operation (< 10 us). */
/* Ten, not three: with three, a correct policy was twice taken for a
 * looping one on a host at load 40 and more ("add did not return within 3
 * timer ticks", once at boot; "fetch ...", once in t_mem), a virtual hart
 * descheduled by the host more than once inside one call.  A policy that
 * really loops then holds sched_lock for 100 ms, once. */
#define BLOB_CALL_MAX_TICKS 10
/* blob_fault_cause when the call did not return in time (not an scause). */
#define BLOB_CAUSE_TIMEOUT 0xffffffffffffffffULL

struct blob_jmp { uint64_t r[14]; };     /* ra, sp, s0..s11 (callee_saved.h) */
/* Not declared returns_twice: that makes GCC keep every local of the
 * caller on the stack (60 instructions more per policy call, measured).
 * A caller must not read, after the second return, a local it changed
 * after the first. */
int blob_setjmp(struct blob_jmp *r);

/* After blob_setjmp returned 0: from here on a fault or a loop in the blob
 * comes back there. */
static inline void blob_guard_open(struct cpu *c, struct blob_jmp *recover)
{
    KASSERT(!intr_enabled());
    c->blob_recover = recover;
    uint64_t sie;
    __asm__ volatile("csrrw %0, sie, %1" : "=r"(sie) : "r"(SIE_STIE) : "memory");
    c->blob_sie = sie;
    intr_on();
}

/* After the call, returned or not: interrupts off again, the other
 * interrupts enabled in sie again, and the tick the guard held back due. */
static inline void blob_guard_close(struct cpu *c)
{
    intr_off();
    csr_write(sie, c->blob_sie);
    c->blob_recover = NULL;
    if (c->blob_ticks) {
        c->blob_ticks = 0;
        timer_resume_ticks();
    }
}

/* From trap_kernel while c->blob_recover is set: true if the trap was the
 * guard's (a tick during the call, or a fault inside the blob). */
bool blob_guard_trap(struct trapframe *tf);

#endif
