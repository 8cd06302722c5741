/*
 * A guarded call into a policy blob: whatever the blob does, the hart comes
 * back to the kernel.  A fault inside the blob, or a call still running
 * after BLOB_CALL_MAX_TICKS timer ticks, resumes the caller where it made
 * the call (blob_setjmp returns 1 a second time, sched/recover.S) with what
 * happened in the cpu's blob_fault_* fields; the caller replaces the policy.
 *
 * The caller holds sched_lock (or is booting) with interrupts off.  During
 * the call interrupts are on (sstatus.SIE = 1) so that the timer can stop
 * a call that loops; the other interrupts' handlers take locks, sched_lock
 * among them, and must wait.  So the guard's trap handler
 * (blob_guard_trap) takes every interrupt of the window itself: a timer
 * tick it only counts, and any other interrupt it holds back by leaving
 * only the timer enabled in sie for the rest of the call.  What it held
 * back (the tick the kernel owes itself, the other interrupts) is due
 * again once the call ends (blob_guard_close) and taken as soon as
 * interrupts are back on.  sie is narrowed on demand, not at every
 * call: another interrupt pending during a policy call is rare, and the
 * swap cost every call five instructions (docs/performance.md).
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
    intr_on();
}

/* What blob_guard_trap held back during a call (cpu.blob_held). */
#define BLOB_HELD_TICK 1u        /* timer ticks: the kernel's own is owed */
#define BLOB_HELD_IRQS 2u        /* sie narrowed to the timer: blob_sie is the rest */

/* blob_guard_close's way when something was held back (blob_guard.c). */
void blob_guard_release(struct cpu *c) __attribute__((noinline, cold));

/* After the call, returned or not: interrupts off again, and whatever the
 * guard held back (other interrupts, the kernel's tick) due again. */
static inline void blob_guard_close(struct cpu *c)
{
    intr_off();
    c->blob_recover = NULL;
    if (__builtin_expect(c->blob_held != 0, 0))
        blob_guard_release(c);
}

/* From trap_kernel while c->blob_recover is set: true if the trap was the
 * guard's (a tick during the call, or a fault inside the blob). */
bool blob_guard_trap(struct trapframe *tf);

#endif
