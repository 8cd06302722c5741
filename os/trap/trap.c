#include "trap/trap.h"
#include "trap/trap_return.h"
#include "sched/kcoro.h"
#include "trap/timer.h"
#include "trap/ipi.h"
#include "drivers/plic.h"
#include "kernel/panic.h"
#include "kernel/printf.h"
#include "kernel/cpu.h"
#include "proc/proc.h"
#include "sched/sched.h"
#include "syscall/syscall.h"
#include "sched/reconcile.h"
#include "sched/shared.h"
#include "sched/policy.h"
#include "sched/blob_guard.h"
#include "uapi/syscall.h"
#include "uapi/errno.h"
#include "mm/ustack.h"
#include "arch/riscv.h"
#include "kernel/invariants.h"

void user_return(struct trapframe *tf) __attribute__((noreturn));

extern char trap_vector[];

void trap_init_this_hart(void)
{
    csr_write(stvec, (uint64_t)trap_vector);
    csr_set(sie, SIE_SSIE | SIE_STIE | SIE_SEIE);
}

const char *trap_cause_name(uint64_t scause)
{
    if (scause & SCAUSE_INTR) {
        switch (scause & ~SCAUSE_INTR) {
        case IRQ_S_SOFT: return "supervisor software interrupt";
        case IRQ_S_TIMER: return "supervisor timer interrupt";
        case IRQ_S_EXT: return "supervisor external interrupt";
        default: return "unknown interrupt";
        }
    }
    switch (scause) {
    case EXC_INST_MISALIGNED: return "instruction address misaligned";
    case EXC_INST_ACCESS: return "instruction access fault";
    case EXC_ILLEGAL_INST: return "illegal instruction";
    case EXC_BREAKPOINT: return "breakpoint";
    case EXC_LOAD_MISALIGNED: return "load address misaligned";
    case EXC_LOAD_ACCESS: return "load access fault";
    case EXC_STORE_MISALIGNED: return "store address misaligned";
    case EXC_STORE_ACCESS: return "store access fault";
    case EXC_ECALL_U: return "environment call from U-mode";
    case EXC_ECALL_S: return "environment call from S-mode";
    case EXC_INST_PAGE_FAULT: return "instruction page fault";
    case EXC_LOAD_PAGE_FAULT: return "load page fault";
    case EXC_STORE_PAGE_FAULT: return "store page fault";
    default: return "unknown exception";
    }
}

/* Interrupts are handled the same way whatever mode they came from. */
static bool handle_interrupt(uint64_t scause)
{
    if (!(scause & SCAUSE_INTR))
        return false;
    switch (scause & ~SCAUSE_INTR) {
    case IRQ_S_TIMER:
        timer_interrupt();
        return true;
    case IRQ_S_EXT:
        plic_dispatch();
        return true;
    case IRQ_S_SOFT:
        ipi_interrupt();
        return true;
    }
    return false;
}

void trap_kernel(struct trapframe *tf)
{
    if (!(tf->sstatus & SSTATUS_SPP))
        panic_trap(tf, "user trap taken on the kernel path");
    /* During a call into a policy blob, first of all: a tick there must
     * not reach sched_tick (the caller holds sched_lock), and a fault or a
     * loop inside the blob is the policy's, not the kernel's (the call is
     * abandoned and the policy replaced: sched/blob_guard.h). */
    if (this_cpu()->blob_recover && blob_guard_trap(tf))
        return;
    if (handle_interrupt(tf->scause))
        return;
    panic_trap(tf, "unexpected trap in the kernel");
}

/* A page fault on a page that is mapped, with the rights the access
 * needs, by the time the kernel looks: another thread of the process
 * mapped it on another hart (sbrk growing, SYS_co_setup adding executor
 * records), which flushes only its own TLB, and this hart walked the
 * table before the entry was written (the privileged spec lets a hart
 * keep such a miss until its own sfence.vma).  Flushed here, the access
 * is retried instead of killing the process. */
static bool spurious_page_fault(struct trapframe *tf)
{
    uint64_t need;
    switch (tf->scause) {
    case EXC_LOAD_PAGE_FAULT: need = PTE_R; break;
    case EXC_STORE_PAGE_FAULT: need = PTE_W; break;
    case EXC_INST_PAGE_FAULT: need = PTE_X; break;
    default: return false;
    }
    struct proc *p = thread_current()->proc;
    uint64_t pa, flags;
    hart_rwlock_lock(&p->vm.lock);
    bool mapped = vm_translate(p->vm.pt, tf->stval, &pa, &flags) &&
                  (flags & (PTE_U | need)) == (PTE_U | need);
    hart_rwlock_unlock(&p->vm.lock);
    if (mapped)
        sfence_vma();
    return mapped;
}

/* A first touch of a thread's stack page (demand-paged, mm/ustack.h):
 * mapped with a zeroed frame and retried.  With no frame left, the process
 * is killed, saying why (the fault alone would not tell). */
static bool stack_page_fault(struct trapframe *tf)
{
    if (tf->scause != EXC_LOAD_PAGE_FAULT && tf->scause != EXC_STORE_PAGE_FAULT)
        return false;
    struct thread *t = thread_current();
    int err = ustack_fault(&t->proc->vm, tf->stval);
    if (err == -ENOMEM) {
        kprintf("[pid %d %s] killed: out of memory for its stack at address 0x%lx "
                "(pc 0x%lx, thread %d)\n", t->proc->pid, t->proc->name, tf->stval,
                tf->sepc, t->tid);
        proc_kill(t->proc, STATUS_TERMINATED(TERM_FAULT));
        return true;
    }
    return err == 0;
}

/* A user program did something the hardware refused: say so on the
 * console and end the process with a status its parent can tell apart. */
static void user_fault(struct trapframe *tf)
{
    struct thread *t = thread_current();
    kprintf("[pid %d %s] killed: %s at address 0x%lx (pc 0x%lx, thread %d)\n",
            t->proc->pid, t->proc->name, trap_cause_name(tf->scause),
            tf->stval, tf->sepc, t->tid);
    proc_kill(t->proc, STATUS_TERMINATED(TERM_FAULT));
}

/* The way back when trap_return_has_work (trap/trap_return.h). */
void trap_return_work(void)
{
    intr_on();
    struct thread *t = thread_current();
    for (;;) {
        if (proc_killed(t->proc))
            thread_exit(0);
        if (!this_cpu()->need_resched)
            break;
        sched_yield();
    }
    /* The kernel's coroutines have work: this hart does some (bounded,
     * interrupts off) on its way out. */
    if (kcoro_has_work())
        kcoro_poll();
    intr_off();
}

/* Back to user mode with tf's registers (trap_return). */
static inline __attribute__((always_inline, noreturn)) void return_to_user(struct trapframe *tf)
{
    trap_prepare_return(tf);
    user_return(tf);
}

/* A system call from the thread the kernel has on this hart.  None of
 * trap_user_handle's checks for other traps concerns it: block_sched
 * spares interrupts only, the policy-loop rescue looks at timer ticks, and
 * a park is finished by the yield call itself. */
static inline __attribute__((always_inline, noreturn)) void system_call(struct trapframe *tf)
{
    tf->sepc += 4;                   /* return past the ecall */
    intr_on();                       /* system calls may block or take long */
    tf->regs[REG_A0] = (uint64_t)syscall_dispatch(tf);
    return_to_user(tf);
}

/*
 * A trap from user mode takes one path (trapentry.S):
 *   trap_user: whose trap is it?  Usually the thread the kernel has on
 *       this hart (one compare: reconcile_user_trap): then a system call
 *       is made at once, any other trap goes to trap_user_handle.  After a
 *       user-mode switch, another thread of the process: then trap_user
 *       returns, and on the hart's own stack reconcile_switch releases the
 *       old thread and returns the new one's frame, for trap_user_handle;
 *   trap_user_handle: a system call, block_sched, a park, an interrupt or
 *       a fault, as that thread;
 *   trap_return: pending kills and reschedules, then back to user mode.
 */
void trap_user(struct trapframe *tf)
{
    /* First, so that the trap frame is final before it is looked at or
     * carried to another thread (and so that nothing below is kept across
     * a call). */
    if (tf->scause & SCAUSE_INTR)
        shared_restart_commit(tf);
    struct thread *t = thread_current();
    VDSO_DATA *v = shared_vdso(&t->proc->shared);
    /* Did the process switch threads since the kernel last looked?
     * Settled first, whatever block_sched says: another hart may be
     * waiting for this one to let go of a thread. */
    if (v && !reconcile_user_trap(tf, t, v))
        return;
    if (tf->scause == EXC_ECALL_U)
        system_call(tf);
    trap_user_handle(tf);
}

_Static_assert(TRAP_ECALL_U == EXC_ECALL_U && TRAP_SYS_YIELD == SYS_yield,
               "trapentry.S tests for a plain yield with these");
_Static_assert(TRAP_SSTATUS_SPP == SSTATUS_SPP && TRAP_SSTATUS_SPIE == SSTATUS_SPIE,
               "trapentry.S's sstatus bits");

/* A plain yield's fast way (trapentry.S), trap_user_yield, is in
 * sched/sched.c: there the yield's decision and switch are inline in it,
 * one frame from the trap entry to the way back. */

void trap_user_handle(struct trapframe *tf)
{
    if (tf->scause == EXC_ECALL_U)
        system_call(tf);
    /* A poke (trap/timer.h) is there to land inside the commit, which
     * trap_user has restarted: nothing else may count it as a tick. */
    if (tf->scause == (SCAUSE_INTR | IRQ_S_TIMER) && timer_poke()) {
        intr_off();
        user_return(tf);
    }
    struct thread *t = thread_current();
    VDSO_DATA *v = shared_vdso(&t->proc->shared);
    if (v) {
        /* A replaced policy still running in user mode (it may loop):
         * rescued, whatever block_sched says (the runtime set it). */
        if (tf->scause == (SCAUSE_INTR | IRQ_S_TIMER))
            shared_rescue_policy_loop(tf);
        /* In the middle of a user-mode switch: do not disturb (bounded). */
        if (reconcile_block_sched(tf)) {
            handle_interrupt(tf->scause);
            intr_off();
            user_return(tf);
        }
        /* Interrupted between parking and the yield call: finish the park
         * (the thread's registers are in its record, not in tf). */
        if (v->current[this_hartid()] == ((uint32_t)t->stack_slot | CURRENT_PARKING)) {
            handle_interrupt(tf->scause);
            tf->regs[REG_A0] = (uint64_t)sched_yield_parked(false);
            trap_return(tf);
        }
    }
    if (!handle_interrupt(tf->scause) && !shared_rescue_policy_fault(tf) &&
        !spurious_page_fault(tf) && !stack_page_fault(tf)) {
        user_fault(tf);
    }
    trap_return(tf);
}

void trap_return(struct trapframe *tf)
{
    return_to_user(tf);
}
