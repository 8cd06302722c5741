#include "sched/reconcile.h"
#include "sched/sched.h"
#include "sched/policy.h"
#include "sched/shared.h"
#include "sched/thread_state.h"
#include "proc/proc.h"
#include "kernel/cacheline.h"
#include "kernel/cpu.h"
#include "kernel/panic.h"
#include "kernel/printf.h"
#include "kernel/trace.h"
#include "kernel/timeline.h"
#include "lib/string.h"
#include "trap/ipi.h"
#include "trap/timer.h"
#include "uapi/syscall.h"
#include "arch/riscv.h"
#include "mm/tlb.h"
#include "mm/vm.h"
#include "kernel/ordered_store.h"

void context_switch(struct context *from, struct context *to);

/* How long a hart waits for another to let go of a thread (generous: the
 * other virtual hart may be descheduled by the host). */
#define RECONCILE_WAIT_NS (5000 * 1000 * 1000ULL)

/* Per hart: a stack to stand on between two threads, and the trap frame
 * carried across. */
static uint8_t reconcile_stacks[MAX_HARTS][4096] __attribute__((aligned(CACHE_LINE)));
/* Written by this hart at each reconcile: lines of its own
 * (kernel/cacheline.h). */
static struct carry {
    struct trapframe tf;
    uint32_t slot;
    bool parked;                /* the named thread parked itself */
    /* The last switch_identity here: the thread it took over, and the
     * queue lock's value while the switch that brought it is unfinished
     * (the slot + 1 of the thread it released).  See in_switch_tail. */
    const struct thread *tail_thread;
    uint32_t tail_lock;
} LINE_ALIGNED carried[MAX_HARTS];
/* A tick that finds the thread unpinned (reconcile_pinned) pays back this many ticks of the
 * process's debt (see reconcile.h). */
#define BLOCK_SCHED_PAYBACK 2

/*
 * A user-mode switch from A to B ends (user_schedule.S's tail,
 * rt_switch_to_next, where the C half's rt_switch ends too) with three
 * steps after current[hart] names B: A's record
 * READY, the queue lock (A's slot + 1) released, B's registers loaded.  A
 * trap after current[] names B and before the lock is released belongs to
 * B, but B still holds the lock in A's name, and A's record may still say
 * RUNNING.  Preempting B there leaves every other thread of the
 * process waiting for a lock whose named holder, A, is parked: they rest
 * their harts, each tick gives the hart back to the most urgent of them,
 * and B, less urgent, is never run to release it (t_chaos on 8 harts: all
 * harts idle for minutes with twenty threads queued).  Worse, with no
 * thread of the process on a hart, claim_parked takes A's record for a
 * lie and resumes A, which B then marks READY under it: two harts could
 * run A.  So B is spared there as the lock's holder is: a few instructions
 * finish the switch, within the same bounded debt.
 *
 * That moment is known by the trapped pc: between the commit's store and
 * the lock's release in the runtime's code (shared_in_switch_tail), which
 * every switch runs, however many switches the hart made since the kernel
 * last looked.  (Known before by the lock alone, naming the thread this
 * hart's last switch_identity released: a hart that had switched twice
 * since, Z to A to B, has the lock in A's name and the kernel expecting Z,
 * and its tick there was not spared; the process could end up running A
 * twice and be killed, once in 770 runs of a 4-hart ping-pong.)
 *
 * The lock's name is still heard as well: a switch made by hand, outside
 * the runtime's code, in the same steps (t_switch_tail holds one open for
 * 40 ms, which no real switch does), is spared when the hart's last
 * reconcile took its thread over.  The process can fake either, as it can
 * set block_sched: it only gets the same bounded spare (the debt of
 * reconcile_block_sched).  The runtime's code is read-only to it, so the
 * pc range is the kernel's own, checked at boot (shared_init).
 */
static bool in_switch_tail(const VDSO_DATA *v, uint64_t h, const struct thread *t,
                           const struct trapframe *tf)
{
    const struct carry *k = &carried[h];
    return shared_in_switch_tail(tf->sepc) ||
           (k->tail_thread == t &&
            __atomic_load_n(&v->queue_lock, __ATOMIC_RELAXED) == k->tail_lock);
}

/*
 * The kernel is about to take a pinned thread off its hart, maybe in the
 * middle of a switch: it may have claimed the record of the thread it
 * switches to (READY -> RUNNING) and not yet named it in current[], or
 * (in_switch_tail) named it and not yet marked its own record READY.
 * Either record says RUNNING for a thread that runs nowhere, which
 * claim_parked would take for a lie once no thread of the process is on
 * a hart (always, on one hart), and resume that thread itself: then the
 * preempted thread, run again, finishes its switch into a thread the
 * kernel is running too, and the process is killed for it (t_cross under
 * multiqueue).  So the lock's value is remembered: while the lock still
 * holds it, the switch is unfinished, and claim_parked waits for it.
 */
static void remember_preempted_lock(struct proc *p, const VDSO_DATA *v)
{
    spin_lock(&p->lock);                /* against forget_finished_switch */
    store_relaxed(&p->block_sched_preempted_lock,
                  __atomic_load_n(&v->queue_lock, __ATOMIC_RELAXED));
    spin_unlock(&p->lock);
}

/*
 * The remembered value outlives the switch unless the kernel forgets it:
 * nothing else clears it.  Stale, it comes true again whenever the same
 * thread takes the lock again (the lock names a thread), and then
 * claim_parked defers instead of claiming a thread whose record is not
 * READY.  For an honest process that changes nothing (its records lie
 * only in an unfinished switch), but a record the process forged while
 * that thread held the lock was never claimed: the thread waited, deferred,
 * as long as the lock held that name (h_suite
 * shared/forge_parked_after_forced_preemption).  Only the process itself
 * was harmed, yet the kernel's promise, that a forged record never keeps a
 * thread parked for ever, did not hold.
 *
 * So it is forgotten as soon as the kernel sees the lock with another
 * value, at an interrupt of any thread of the process that is not pinned:
 * the preempted thread, off its hart, cannot change the lock, so another
 * value means it ran again and finished (or the process wrote the lock:
 * its own business).  Under p->lock, with the lock read again there: a
 * hart that remembers meanwhile (the same value, a new preemption) is
 * never undone by one that saw the lock a moment before.  A lock that
 * goes from the value and back between two interrupts is never seen
 * changed; it then names a thread that holds it now, on a hart (and so
 * the process is on one: claim_parked defers anyway) or preempted holding
 * it (remembered afresh).
 */
static void forget_finished_switch(struct proc *p, const VDSO_DATA *v)
{
    spin_lock(&p->lock);
    uint32_t remembered = p->block_sched_preempted_lock;
    if (remembered && __atomic_load_n(&v->queue_lock, __ATOMIC_RELAXED) != remembered)
        store_relaxed(&p->block_sched_preempted_lock, 0);
    spin_unlock(&p->lock);
}

/*
 * Does the kernel want this hart for anything but the process's own
 * parked threads (at priority `prio` or more, the only ones a tick makes
 * it want the hart for)?  The kernel queues a thread that parked in user
 * mode as a thread it may resume, at its priority, so at the end of a
 * slice it wants the hart for the thread's parked equals: the threads the
 * process itself takes turns with in user mode, and the runtime cannot
 * see that want (SCHED_KINFO.queued_top leaves parked threads out).  A
 * pinned tick charged for it charges the process for its own threads: a
 * ping-pong pinned at more than two ticks in three (multiqueue, whose
 * switch takes the runtime's C half) ran its debt up to the limit and was
 * preempted "anyway" in most runs of t_cross.  Holding the hart from its
 * own threads harms only the process; anything else queued still
 * charges.  Only on a tick that would charge: it walks the process's
 * threads.
 *
 * The counts are the whole machine's, also under a per-hart policy
 * (multiqueue), where the hart would fetch from its own queue only (or,
 * that empty, the busiest hart's): a thread waiting in another hart's
 * queue then charges a tick here that preempting would not have served
 * (this hart would run the process's own parked thread).  That errs on
 * the safe side only: this hart's queue is part of the counts, so a
 * thread waiting there is never left out, and the error costs the
 * process no more than its bounded pin.  The exact question, what this
 * hart's fetch would give, the ABI cannot answer without fetching
 * (which queue holds a task is the policy's own business), and a guess
 * from each thread's last hart would leave out a woken thread that
 * multiqueue queues on the least loaded hart: a pin could then hold a
 * hart another process's thread waits for.  (And a hart whose own queue
 * is empty takes from the busiest: docs/user-mode-switching.md has what
 * a dump of the queues at forced preemptions showed.)
 */
static bool wanted_beyond_own_parked(struct proc *p, int prio)
{
    uint32_t own_parked = 0;
    spin_lock(&p->lock);                    /* its thread list */
    spin_lock(&sched_lock);                 /* their states, the counts */
    list_for_each(pos, &p->threads) {
        const struct thread *x = list_entry(pos, struct thread, proc_node);
        own_parked += x->state == THREAD_PARKED && x->queued_prio == 0;
    }
    uint32_t parked = policy_parked_count();
    KASSERT(own_parked <= parked);
    bool beyond = policy_queued_top() >= prio || parked > own_parked;
    spin_unlock(&sched_lock);
    spin_unlock(&p->lock);
    return beyond;
}

bool reconcile_block_sched(struct trapframe *tf)
{
    if (!(tf->scause & SCAUSE_INTR))
        return false;               /* a system call or a fault: never spared */
    struct thread *t = thread_current();
    struct proc *p = t->proc;
    uint64_t h = this_hartid();
    VDSO_DATA *v = shared_vdso(&p->shared);
    /* Only timer ticks count: an IPI or a device interrupt is not a
     * decision to preempt (and another hart waiting on this one sends
     * IPIs). */
    bool tick = (tf->scause & ~SCAUSE_INTR) == IRQ_S_TIMER;
    /* Counted for schedstat (test_switch_tail_spared_by_pc): an interrupt
     * in the runtime's tail is spared, bar the bounds below. */
    bool runtime_tail = shared_in_switch_tail(tf->sepc);
    if (runtime_tail)
        __atomic_fetch_add(&p->stat_tail_interrupts, 1, __ATOMIC_RELAXED);
    if ((!reconcile_pinned(v, h, t) && !in_switch_tail(v, h, t, tf)) || p->killed) {
        carried[h].tail_thread = NULL;      /* the switch is over */
        uint32_t remembered = __atomic_load_n(&p->block_sched_preempted_lock, __ATOMIC_RELAXED);
        if (remembered && __atomic_load_n(&v->queue_lock, __ATOMIC_RELAXED) != remembered)
            forget_finished_switch(p, v);
        if (tick)
            p->block_sched_debt = p->block_sched_debt > BLOCK_SCHED_PAYBACK ?
                                  p->block_sched_debt - BLOCK_SCHED_PAYBACK : 0;
        return false;
    }
    if (timer_now_ns() < p->block_sched_ignored_until) {
        remember_preempted_lock(p, v);
        return false;
    }
    /* need_resched still set at a tick: the kernel has wanted this hart
     * since an earlier interrupt it spared.  That tick is charged to the
     * process, whichever section number it shows now. */
    if (!tick || !this_cpu()->need_resched || !wanted_beyond_own_parked(p, t->priority) ||
        ++p->block_sched_debt <= BLOCK_SCHED_MAX_TICKS) {
        if (runtime_tail)
            __atomic_fetch_add(&p->stat_tail_spared, 1, __ATOMIC_RELAXED);
        return true;
    }
    remember_preempted_lock(p, v);
    /* Preempted anyway: the flag must not outlive the thread on this hart,
     * and the process is not listened to for a while.  (The queue lock is
     * left as it is: it guards the process's queue, and the thread still
     * holds it; for a second it pins nothing.) */
    const char *pin = v->block_sched[h] ? "block_sched" : "its queue lock";
    v->block_sched[h] = 0;
    p->block_sched_debt = BLOCK_SCHED_MAX_TICKS;
    p->block_sched_ignored_until = timer_now_ns() + BLOCK_SCHED_PENALTY_NS;
    trace(TR_PREEMPT, t->tid, tf->sepc);
    if (!p->block_sched_warned) {
        p->block_sched_warned = true;
        kprintf("[pid %d %s] held %s on hart %lu while the kernel wanted the "
                "hart, %d timer ticks more than it may: preempting it anyway (pc 0x%lx)\n",
                p->pid, p->name, pin, h,
                BLOCK_SCHED_MAX_TICKS, tf->sepc);
    }
    return false;
}

static void kill_liar(struct proc *p, uint64_t h, uint32_t claimed, const char *why)
{
    if (p->killed)
        return;                 /* said once; its threads are on their way out */
    kprintf("[pid %d %s] killed: its shared region says hart %lu runs task %u, %s\n",
            p->pid, p->name, h, claimed, why);
    proc_kill(p, STATUS_TERMINATED(TERM_FAULT));
}

/* Leaves the hart with no thread and runs its idle thread (the process
 * lied, or the thread it named never showed up).  The hart leaves p's page
 * table first, then drops its reference: p may be freed at once.
 * sched_lock held. */
static void give_up_hart(struct cpu *c, struct proc *p) __attribute__((noreturn));
static void give_up_hart(struct cpu *c, struct proc *p)
{
    static struct context scrap[MAX_HARTS];
    c->awaiting_tid = 0;
    c->carrying = NULL;
    c->current = c->idle;
    c->published = NULL;
    c->idle->state = THREAD_RUNNING;
    tlb_load_satp(kernel_satp);
    proc_put(p);
    context_switch(&scrap[c->hartid], &c->idle->ctx);   /* the idle thread unlocks */
    panic("reconcile: came back to an abandoned stack");
}

/* Does current[] of a hart other than h name prev, running or parking
 * there (a hint the process writes: read only to decide whether to write
 * another hint)? */
static bool named_elsewhere(const struct thread *prev, uint64_t h)
{
    const VDSO_DATA *v = shared_vdso(&prev->proc->shared);
    for (uint64_t i = 0; v && i < SCHED_MAX_HARTS; i++)
        if (i != h && (__atomic_load_n(&v->current[i], __ATOMIC_RELAXED) &
                       ~CURRENT_PARKING) == (uint32_t)prev->stack_slot)
            return true;
    return false;
}

/* Does the process's queue lock name prev (its slot + 1)? */
static bool holds_lock(const struct thread *prev)
{
    const VDSO_DATA *v = shared_vdso(&prev->proc->shared);
    return v && __atomic_load_n(&v->queue_lock, __ATOMIC_RELAXED) ==
                    (uint32_t)prev->stack_slot + 1;
}

/* Leaves prev, which left this hart through a user-mode switch: its
 * registers are in its record and nothing of it is on its kernel stack any
 * more.  Releases never wait, so two harts that swapped threads cannot
 * deadlock. */
static void release_prev(struct cpu *c, struct thread *prev)
{
    spin_lock(&sched_lock);
    trace(TR_RELEASE, prev->tid,
          shared_task(&prev->proc->shared, (uint32_t)prev->stack_slot)->state);
    tstate_park(prev);
    /* prev still holding the lock (the tail of the switch that took it
     * away, see in_switch_tail) is off its hart: its waiters must not rest
     * their harts for a holder that runs nowhere.  Unless another hart
     * names it in current[]: the process took it there already, or it is
     * parking there (the kernel releases its lock as it finishes the park;
     * marked off, every waiter yielded to the kernel meanwhile: t_pingpong
     * on 8 harts made 170,000 such yields instead of 240).  Other released
     * threads are left as the runtime marked them. */
    if (holds_lock(prev) && !named_elsewhere(prev, c->hartid))
        shared_set_off_hart(prev, &prev->proc->shared);
    c->carrying = prev->proc;       /* until the next one is current here */
    c->current = c->idle;
    c->published = NULL;
    spin_unlock(&sched_lock);
}

/* Waits until the kernel holds task `slot` of p as parked in user mode (it
 * may still be the thread of another hart that has not trapped since it
 * switched away from it) and returns it, sched_lock held.  If it never
 * comes, the process lied: it is killed and this hart given up. */
static struct thread *await_parked(struct cpu *c, struct proc *p, uint32_t slot)
{
    uint64_t h = c->hartid;
    uint64_t deadline = timer_now_ns() + RECONCILE_WAIT_NS;
    uint64_t next_ipi = 0;
    for (;;) {
        /* Looked up afresh each time: the thread may exit meanwhile. */
        spin_lock(&p->lock);
        struct thread *t = proc_slot_thread(p, (int)slot);
        spin_lock(&sched_lock);
        spin_unlock(&p->lock);
        if (!t) {
            spin_unlock(&sched_lock);
            kill_liar(p, h, slot, "which is not one of its threads");
            spin_lock(&sched_lock);
            give_up_hart(c, p);
        }
        if (t->state == THREAD_PARKED || t->state == THREAD_DEFERRED) {
            c->awaiting_tid = 0;
            return t;
        }
        c->awaiting_tid = t->tid;
        bool elsewhere = t->state == THREAD_RUNNING && t->hart != (int)h;
        if (!elsewhere || p->killed || timer_now_ns() > deadline) {
            spin_unlock(&sched_lock);
            if (!p->killed)
                kill_liar(p, h, slot,
                          elsewhere ? "which another hart keeps running"
                                    : "which is not parked in user mode");
            spin_lock(&sched_lock);
            give_up_hart(c, p);
        }
        /* It left the other hart in user mode, where the kernel has not
         * looked since: make that hart trap (now and then: it may be in the
         * middle of a switch), and wait for it to let go, away from the
         * scheduler lock. */
        uint64_t now = timer_now_ns();
        if (now >= next_ipi) {
            cpus[t->hart].need_resched = true;
            ipi_send((uint64_t)t->hart, IPI_WAKE);
            next_ipi = now + 1000 * 1000;          /* 1 ms */
        }
        spin_unlock(&sched_lock);
        intr_on();
        for (uint64_t until = now + 20 * 1000; timer_now_ns() < until; )
            cpu_relax();
    }
}

/* On the hart's own stack: the process switched threads in user mode.
 * Release the thread the kernel thought was here, wait for the named one,
 * take it over and return its trap frame, now holding the trap's registers. */
static struct trapframe *switch_identity(struct cpu *c)
{
    struct thread *prev = c->current;
    struct proc *p = prev->proc;
    uint64_t h = c->hartid;

    /* Once prev is released, nothing of p runs here: p could exit and be
     * reaped while this hart waits.  The reference keeps it. */
    proc_get(p);
    /* Read now: once released, prev may run elsewhere and exit. */
    uint32_t prev_lock = (uint32_t)prev->stack_slot + 1;
    release_prev(c, prev);
    struct thread *next = await_parked(c, p, carried[h].slot);
    tstate_acquire(next);
    carried[h].tail_thread = next;          /* see in_switch_tail */
    carried[h].tail_lock = prev_lock;
    c->current = next;
    c->carrying = NULL;
    c->kstack_top = (uint64_t)next->kstack + KSTACK_SIZE;
    p->stat_user_switches_seen++;
    trace(TR_ACQUIRE, next->tid, shared_task(&p->shared, (uint32_t)next->stack_slot)->state);
    timeline_run(next, (int)h, false);  /* the kernel's view catches up */
    spin_unlock(&sched_lock);
    proc_put(p);            /* next, a live thread of p, runs here now */

    memcpy(next->tf, &carried[h].tf, sizeof(*next->tf));
    return next->tf;
}

/* On the hart's own stack: the thread the kernel thought was here left it
 * (a user-mode switch), and the one that followed has parked itself: no
 * thread of the process runs here.  Release the first, finish the second's
 * park once the kernel holds it as parked, run something else. */
static void leave_parked_hart(struct cpu *c) __attribute__((noreturn));
static void leave_parked_hart(struct cpu *c)
{
    struct thread *prev = c->current;
    struct proc *p = prev->proc;
    uint64_t h = c->hartid;
    uint32_t slot = carried[h].slot;

    proc_get(p);                        /* as in switch_identity */
    release_prev(c, prev);
    struct thread *parker = await_parked(c, p, slot);
    p->stat_user_switches_seen++;
    trace(TR_PARK_OTHER, parker->tid, (uint64_t)prev->tid);
    if (!shared_finish_park(&p->shared, slot, (int)h)) {
        spin_unlock(&sched_lock);
        kill_liar(p, h, slot, "parking, but its record does not say it was running");
        spin_lock(&sched_lock);
    }
    /* Its record is READY only now: if the kernel failed to claim it
     * meanwhile, it may now. */
    sched_offer_deferred(p);
    give_up_hart(c, p);
}

uint64_t reconcile_stack_top(void)
{
    return (uint64_t)&reconcile_stacks[this_hartid()][sizeof(reconcile_stacks[0])];
}

struct trapframe *reconcile_switch(void)
{
    struct cpu *c = this_cpu();
    if (carried[c->hartid].parked)
        leave_parked_hart(c);
    return switch_identity(c);
}

bool reconcile_claimed(struct trapframe *tf, uint32_t claimed)
{
    struct cpu *c = this_cpu();
    struct thread *t = c->current;
    struct proc *p = t->proc;
    uint64_t h = c->hartid;
    /* current[hart] is not what the kernel published: the next return
     * rewrites everything (shared_publish). */
    c->published = NULL;
    bool parked = claimed & CURRENT_PARKING;
    uint32_t slot = claimed & ~CURRENT_PARKING;
    /* Parking: the thread on this hart parked itself and asks the kernel
     * for the next one.  Its registers are in its record: this trap frame
     * is nobody's.  If it is the thread the kernel knows is here, the
     * yield call (or the handling of the interrupt) parks it; if not, the
     * one the kernel knew left earlier: release it and move on. */
    if (slot == (uint32_t)t->stack_slot)
        return true;
    if (slot >= USER_STACK_SLOTS) {
        kill_liar(p, h, slot, "which does not exist");
        return true;                /* it ends at trap_return */
    }
    /* The trap frame belongs to the named thread (or to none, if it
     * parked): carry it over, off this thread's stack. */
    if (!parked)
        memcpy(&carried[h].tf, tf, sizeof(*tf));
    carried[h].slot = slot;
    carried[h].parked = parked;
    return false;
}
