#include "sched/sched.h"
#include "sched/policy.h"
#include "sched/policy_call.h"    /* policy_yield_fetch, inline in the yield */
#include "sched/shared.h"
#include "sched/thread_state.h"
#include "proc/proc.h"
#include "proc/waitq.h"
#include "kernel/cpu.h"
#include "kernel/panic.h"
#include "kernel/printf.h"
#include "kernel/rwlock.h"
#include "kernel/trace.h"
#include "kernel/timeline.h"
#include "kernel/invariants.h"
#include "kernel/smp.h"
#include "mm/vm.h"
#include "mm/tlb.h"
#include "trap/ipi.h"
#include "sched/hart_time.h"
#include "sched/nudge.h"
#include "trap/timer.h"
#include "trap/trap.h"
#include "trap/trap_return.h"
#include "sched/kcoro.h"
#include "proc/switch_in_frame.h"
#include "uapi/errno.h"
#include "arch/riscv.h"
#include "lib/string.h"
#include "kernel/cacheline.h"
#include "kernel/ordered_store.h"

struct spinlock sched_lock LINE_ALIGNED = SPINLOCK_INIT("sched");   /* starts a line: apart from the other hot locks */

/* Each hart switches from and to its own idle thread all the time: lines of
 * its own (kernel/cacheline.h). */
static struct idle_thread {
    struct thread t;
} LINE_ALIGNED idle_threads[MAX_HARTS];
static struct list_node deadlines = LIST_INIT(deadlines);   /* by wake_at */

void context_switch(struct context *from, struct context *to);
void thread_first_run(void);

void sched_init(void)
{
    policy_init();
}

void sched_init_this_hart(void)
{
    struct cpu *c = this_cpu();
    struct thread *idle = &idle_threads[c->hartid].t;
    idle->tid = -(int)c->hartid - 1;         /* idle threads: negative ids */
    idle->state = THREAD_RUNNING;
    idle->priority = 0;
    idle->hart = (int)c->hartid;
    list_init(&idle->wait_node);
    list_init(&idle->timer_node);
    idle->task = -1;
    c->idle = c->current = idle;
    tlb_init_this_hart();
}

static bool is_idle(const struct thread *t)
{
    return t->proc == NULL;
}

static void make_runnable(struct thread *t, enum policy_enqueue_reason why)
{
    tstate_enqueue(t, why);
    nudge_a_hart(t->priority);
}

void sched_make_runnable(struct thread *t)
{
    make_runnable(t, ENQUEUE_NEW);
}

static void deadline_insert(struct thread *t)
{
    /* From the latest: a new deadline is usually the latest, and with
     * thousands of sleeping threads a walk from the front would pass
     * them all.  Equal deadlines keep their order. */
    struct list_node *pos = deadlines.prev;
    while (pos != &deadlines &&
           list_entry(pos, struct thread, timer_node)->wake_at > t->wake_at)
        pos = pos->prev;
    list_insert_between(&t->timer_node, pos, pos->next);
}

/* sched_wake, for a caller that took sched_lock a few lines before (the
 * wait queues' wake-up: every pipe's).  One call a wake-up: make_runnable's
 * steps for it (BLOCKED -> QUEUED, the nudge) are inline here. */
static __attribute__((noinline)) void wake_locked(struct thread *t, int reason)
{
    if (t->state != THREAD_BLOCKED)
        return;
    if (list_linked(&t->wait_node))
        list_remove(&t->wait_node);
    if (list_linked(&t->timer_node))
        list_remove(&t->timer_node);
    t->waiting_on = NULL;
    t->wake_at = 0;
    t->wake_reason = reason;
    tstate_wake(t);
    nudge_a_hart(t->priority);
}

void sched_wake(struct thread *t, int reason)
{
    KASSERT(spin_holding(&sched_lock));
    wake_locked(t, reason);
}

static void stack_overflowed(const struct thread *t) __attribute__((noinline, cold, noreturn));
static void stack_overflowed(const struct thread *t)
{
    panic("kernel stack overflow in thread %d", t->tid);
}

/* Inline on every decision; the report out of line, so that nothing of
 * it (the tid) is read before the test. */
static inline void check_stack_canary(const struct thread *t)
{
    if (t->kstack && __builtin_expect(*(uint64_t *)t->kstack != KSTACK_CANARY, 0))
        stack_overflowed(t);
}

/* Builds a parked thread's way back to user mode: through the runtime's
 * resume_parked, on its own user stack (as saved in its record), which
 * restores its registers (it leaves the process's queue at its next
 * yield). */
static void prepare_parked_resume(struct thread *t, const TaskSched *rec)
{
    memset(t->tf, 0, sizeof(*t->tf));
    t->tf->sepc = shared_resume_parked_entry();
    t->tf->regs[REG_SP] = rec->ctx[TASK_CTX_SP];
    t->tf->regs[REG_TP] = rec->ctx[TASK_CTX_TP];
    t->tf->regs[REG_A0] = (uint64_t)t->stack_slot;
    t->ctx.ra = (uint64_t)thread_first_run;
    t->ctx.sp = (uint64_t)t->tf;
}

/* Is a thread of p on another hart now (running, in a trap, or carried
 * by a reconcile there: cpu.carrying)?  This hart's thread is in the
 * kernel, deciding, its name reconciled at its trap.  Under an exclusive
 * sched_lock hold, so no hart changes either meanwhile. */
static bool proc_on_another_hart(const struct proc *p)
{
    KASSERT(spin_holding(&sched_lock));
    uint64_t self = this_hartid();
    for (uint64_t h = 0; h < MAX_HARTS; h++) {
        if (h == self)
            continue;
        const struct thread *cur = __atomic_load_n(&cpus[h].current, __ATOMIC_RELAXED);
        if (cpus[h].online && ((cur && cur->proc == p) || cpus[h].carrying == p))
            return true;
    }
    return false;
}

/* Is the switch of a thread of p that the kernel preempted in the middle
 * of it still unfinished (the queue lock still as it was then:
 * reconcile.c, remember_preempted_lock; forgotten once the lock changes,
 * forget_finished_switch)?  Then a record saying RUNNING
 * may be that switch's doing, not a lie.  The lock is the process's to
 * write: faking this only keeps its own parked threads waiting. */
static bool switch_preempted_midway(const struct proc *p)
{
    uint32_t lock = __atomic_load_n(&p->block_sched_preempted_lock, __ATOMIC_RELAXED);
    const VDSO_DATA *v = shared_vdso(&p->shared);
    return lock != 0 && v && __atomic_load_n(&v->queue_lock, __ATOMIC_RELAXED) == lock;
}

/* May the kernel run parked thread t?  Only if it can claim t's record
 * (READY -> RUNNING): else the process is running it already, under
 * another thread's name, and the next trap from that hart will say so. */
static bool claim_parked(struct thread *t, TaskSched *rec)
{
    if (t->proc->killed)
        return true;            /* it only has to run far enough to exit */
    if (task_state_cas(rec, TASK_READY, TASK_RUNNING))
        return true;
    /* The record says t is not READY.  Only a thread of the same process,
     * running on a hart, can be running t under its own name (a user-mode
     * switch happens in user mode, and every trap reconciles the names).
     * With none of them on another hart the record is lying (the process wrote
     * over it), and trusting it would leave t parked for ever: a thread
     * joining t would wait for ever (h_suite shared/forge_parked_state).
     * So the kernel claims t and sets the record straight.  Unless a
     * thread of the process was preempted in the middle of a switch that
     * claimed t (switch_preempted_midway): t waits, deferred, until that
     * thread runs again, finishes the switch and traps in t's name (the
     * kernel then takes t over: reconcile.c, await_parked). */
    if (proc_on_another_hart(t->proc) || switch_preempted_midway(t->proc))
        return false;
    store_release(&rec->state, TASK_RUNNING);
    return true;
}

/* Parked threads the kernel could not claim are offered to the policy
 * again whenever the process may need them: when one of its threads leaves
 * a hart, or when it is killed. */
void sched_offer_deferred(struct proc *p)
{
    tstate_undefer_all(p);
}

/* pick_next's way for a thread that was parked in user mode: claimed and
 * resumed from its record, or set aside and the policy asked again, until
 * the answer is one the kernel can run (or none). */
static struct thread *claim_parked_or_next(struct thread *next)
{
    for (;;) {
        if (!next || next->state == THREAD_PICKED)
            return next;
        TaskSched *rec = shared_task(&next->proc->shared, (uint32_t)next->stack_slot);
        if (claim_parked(next, rec)) {
            trace(TR_CLAIM, next->tid, 0);
            tstate_claim(next);
            next->proc->stat_parked_resumes++;
            prepare_parked_resume(next, rec);
            return next;
        }
        trace(TR_CLAIM_FAIL, next->tid, rec->state);
        tstate_defer(next);
        next = policy_fetch((int)this_hartid());
    }
}

/* The next thread to run here, parked ones claimed, starting from what
 * the policy gave out (`next`, maybe NULL).  Inline for the usual answer:
 * a thread the kernel ran last (PICKED), or none. */
static inline struct thread *pick_next(struct thread *next)
{
    if (!next || next->state == THREAD_PICKED)
        return next;
    return claim_parked_or_next(next);
}

void sched_reap_after_switch(struct thread *t)
{
    KASSERT(spin_holding(&sched_lock) && t == thread_current() &&
            t->state == THREAD_ZOMBIE);
    this_cpu()->zombie = t;
}

/* Right after a switch, on the new thread's stack: the zombie that left
 * is off this hart for good (and off its page table: schedule loaded the
 * next one's first). */
static void reap_zombie(void)
{
    struct cpu *c = this_cpu();
    struct thread *z = c->zombie;
    if (__builtin_expect(z != NULL, 0)) {     /* after every switch, a zombie seldom */
        c->zombie = NULL;
        thread_free_locked(z);
    }
}

/* begin_decision's checks but the lock's, for a caller that has taken
 * sched_lock itself a few lines before (the kernel yield). */
static inline void begin_decision_locked(struct cpu *c)
{
    KASSERT(c->irq_depth == 1);
    check_stack_canary(c->current);
    c->need_resched = false;
}

/* What every decision starts with: sched_lock held, from a thread that
 * has not overrun its stack.  Whatever asked for the decision is answered
 * by it, even when the answer is to keep running (else trap_return would
 * ask forever). */
static inline struct cpu *begin_decision(void)
{
    struct cpu *c = this_cpu();
    KASSERT(spin_holding(&sched_lock));
    begin_decision_locked(c);
    return c;
}

/* Puts `next` (picked, or NULL: the idle thread) on this hart in place of
 * prev, whose state already says why it stops.  Inlined into the kernel
 * yield (a call's saves and restores less on every switch by a yield);
 * the other decisions call switch_to.  `in_frame` (a constant): the caller
 * has every callee-saved register in its own frame already (the plain
 * yield's trap_user_yield), so the switch saves only sp, s0 and where to
 * resume (proc/switch_in_frame.h). */
static inline __attribute__((always_inline)) void switch_here(struct cpu *c, struct thread *prev,
                                                              struct thread *next, bool in_frame)
{
    if (!next)
        next = c->idle;
    if (next == prev) {
        if (next != c->idle)
            tstate_run(prev);          /* fetched back at once */
        return;
    }
    inv_check_switch();                /* debug builds: kernel/invariants.h */
    /* Read once: the atomic add below would make the compiler read
     * next->proc again after it. */
    struct proc *from = prev->proc, *to = next->proc;
    if (from && from != to && !list_empty(&from->deferred))
        sched_offer_deferred(from);
    if (from)
        shared_set_off_hart(prev, &from->shared);

    if (next != c->idle)
        tstate_run(next);
    c->current = next;
    c->switches++;
    trace(TR_SWITCH, next->tid, (uint64_t)prev->tid);
    timeline_run(next, (int)c->hartid, next == c->idle);
    if (to)              /* (atomic: two harts may switch under shared holds) */
        __atomic_fetch_add(&to->stat_kernel_switches, 1, __ATOMIC_RELAXED);

    /* Only a switch to another address space writes satp.  Idle threads
     * run on the kernel's table, so an exited process's table can go. */
    uint64_t satp = to ? to->satp : kernel_satp;
    if (satp != tlb_loaded_satp())
        tlb_load_satp(satp);
    if (next->kstack)
        c->kstack_top = (uint64_t)next->kstack + KSTACK_SIZE;

    /* Whether interrupts were on before this hold (what its release
     * goes back to) is prev's, kept across the switch.  Not the plain
     * yield's (in_frame): its hold set it false and its release
     * (spin_unlock_irqs_off_outermost) never reads it. */
    bool were_on = c->irq_were_on;
    if (in_frame)
        context_switch_in_frame(&prev->ctx, &next->ctx);
    else
        context_switch(&prev->ctx, &next->ctx);
    /* Back in prev, maybe on another hart. */
    if (!in_frame)
        this_cpu()->irq_were_on = were_on;
    reap_zombie();
}

static void switch_to(struct cpu *c, struct thread *prev, struct thread *next)
{
    switch_here(c, prev, next, false);
}

/* schedule once its decision has begun (begin_decision). */
static inline __attribute__((always_inline)) void decide_and_switch(struct cpu *c)
{
    /* A resting hart runs its idle thread until its next tick. */
    switch_to(c, c->current, c->resting ? NULL : pick_next(policy_fetch((int)c->hartid)));
}

void schedule(void)
{
    decide_and_switch(begin_decision());
}

void sched_finish_first_switch(void)
{
    reap_zombie();
    /* Taken by the schedule() that switched here. */
    spin_unlock(&sched_lock);
}

/* A yield with nobody to yield to changes nothing, whatever the policy:
 * the thread would be queued, fetched back at once, and run on.  So the
 * kernel does not ask (a process's runtime does the same).  Read without
 * sched_lock: a thread queued a moment later could as well have been
 * queued a moment after the yield; if it is more urgent, whoever queued it
 * has set need_resched here, and that takes the full way.  Parked threads
 * set aside on the process (deferred) go back to the policy at a yield
 * (below): then too, the full way. */
static inline bool nobody_to_yield_to(const struct cpu *c, const struct thread *t)
{
    return policy_nqueued_hint() == 0 && !c->need_resched && !is_idle(t) &&
           __atomic_load_n(&t->proc->deferred.next, __ATOMIC_RELAXED) == &t->proc->deferred;
}

/* This hart idles until its next tick, whatever is queued (the idle loop;
 * wake-ups go to other harts meanwhile: nudge_a_hart).  sched_lock held. */
static void start_rest(struct cpu *c)
{
    c->rest_tick = c->timer_ticks;
    c->resting = true;
}

/* A kernel yield while other harts make theirs (SCHED_FLAG_HART_LOCAL):
 * sched_lock held shared, so that per-hart queues are worked on by their
 * harts at once.  Only where nothing but t and the thread fetched changes:
 * no deferred parked threads to offer, none parked in the queue at all
 * (a parked answer would need claiming), not resting.  False if it did
 * not yield, or the policy's answer could not be taken (then replaced, if
 * no other hart has done it): the caller yields the exclusive way. */
static __attribute__((noinline)) bool yield_shared(struct cpu *c, struct thread *t)
{
    spin_lock_shared(&sched_lock);
    /* Read under the hold: each changes only under an exclusive one. */
    if (!policy_hart_local() || c->resting || !list_empty(&t->proc->deferred) ||
        !policy_none_parked()) {
        spin_unlock_shared(&sched_lock);
        return false;
    }
    KASSERT(c->current == t);
    begin_decision_locked(c);
    struct thread *next = policy_yield_fetch_shared(t, (int)c->hartid);
    if (!next) {
        spin_unlock_shared(&sched_lock);
        spin_lock(&sched_lock);
        policy_settle();
        spin_unlock(&sched_lock);
        return false;
    }
    __atomic_fetch_add(&t->proc->stat_shared_yields, 1, __ATOMIC_RELAXED);
    switch_to(c, t, next);
    /* Whatever hold this hart has now: the thread switched to may have
     * stopped under either kind (spin_unlock would find out too, a call
     * later). */
    if (spin_holding_shared(&sched_lock))
        spin_unlock_shared(&sched_lock);
    else
        spin_unlock(&sched_lock);
    return true;
}

static inline __attribute__((always_inline)) void offer_deferred_if_rt_off(struct thread *t)
{
    /* A thread that yields through the kernel may be waiting for a parked
     * thread of its own process that the kernel could not claim: with
     * user-mode switching off (rt_off), no user-mode switch or trap would
     * ever bring it back, and the process would yield for ever.  Only
     * then: offering them at every yield made ping-pong on four harts
     * storm the kernel.  (rt_off is the process's to write: a process that
     * sets it only gets its own threads offered more often.) */
    if (!list_empty(&t->proc->deferred)) {
        /* The region looked up only then: most yields defer nothing. */
        const VDSO_DATA *v = shared_vdso(&t->proc->shared);
        if (v && __atomic_load_n(&v->rt_off, __ATOMIC_RELAXED))
            sched_offer_deferred(t->proc);
    }
}

/* A yield that will run on, from its thread's side, under sched_lock:
 * queued and the next fetched in one call into the policy (never on a
 * resting hart: only its idle thread runs there), and switched to
 * (`in_frame`: switch_here's). */
static inline __attribute__((always_inline)) void yield_locked(struct cpu *c, struct thread *t,
                                                               bool in_frame)
{
    offer_deferred_if_rt_off(t);
    KASSERT(!c->resting);
    /* begin_decision_locked (sched_lock: the caller took it), with what a
     * yield knows: t is c->current, and the plain yield's way (in_frame)
     * set the nesting to 1 itself, a few lines before, with interrupts
     * off since (the compiler reads both again after the lock's atomic). */
    if (!in_frame)
        KASSERT(c->irq_depth == 1);
    check_stack_canary(t);
    c->need_resched = false;
    tstate_yield(t);
    switch_here(c, t, pick_next(policy_yield_fetch(t, (int)c->hartid)), in_frame);
}

/* The ways a yield ends without the exclusive lock: nobody to yield to, or
 * a shared yield (SCHED_FLAG_HART_LOCAL) made.  False: take the lock. */
static inline __attribute__((always_inline)) bool yield_without_lock(struct cpu *c,
                                                                     struct thread *t)
{
    return nobody_to_yield_to(c, t) ||
           (policy_hart_local() && !is_idle(t) && yield_shared(c, t));
}

static inline __attribute__((always_inline)) void yield_here(bool rest)
{
    struct cpu *c = this_cpu();
    struct thread *t = c->current;
    if (!rest && yield_without_lock(c, t))
        return;
    spin_lock(&sched_lock);
    if (is_idle(t)) {
        schedule();
    } else if (rest) {
        offer_deferred_if_rt_off(t);
        tstate_enqueue(t, ENQUEUE_YIELD);
        start_rest(c);
        schedule();
    } else {
        yield_locked(c, t, false);
    }
    spin_unlock(&sched_lock);
}

void sched_yield(void)
{
    yield_here(false);
}

void sched_yield_rest(void)
{
    yield_here(true);
}

/*
 * A plain yield, the fast way (trapentry.S: an ecall with a7 = SYS_yield
 * and a0 = 0).  Here, not in trap.c, so that the yield (yield_here) with
 * its switch (switch_here) and the way back (trap_prepare_return) are
 * inline in this one function: one frame from the trap entry to the way
 * back, where trap_user_yield called sched_yield had two (their
 * prologues, epilogues and the call).  The thread is at a system call:
 * its kernel stack holds nothing but tf and this frame.
 *
 * Only the registers a C call may change are in tf, with sepc; s1-s11 are
 * still the user's, and stay so: every function on this way, the switch
 * to another thread and back included, keeps them for its caller as C
 * does, and trapentry.S restores the rest.  So this way must return
 * (true) or end the thread; it never leaves through user_return, which
 * would load s1-s11 from tf.  What it skips of trap_user's way: nothing a
 * yield needs (shared_restart_commit and the other checks of
 * trap_user_handle concern interrupts and faults; the dispatch and
 * sys_yield's tests of a0 are trapentry.S's).
 */
bool trap_user_yield(struct trapframe *tf)
{
    KASSERT(!intr_enabled());
    struct thread *t = thread_current();
    VDSO_DATA *v = shared_vdso(&t->proc->shared);
    /* The process switched threads in user mode since the kernel last
     * looked: the trap is another thread's, which reconcile_user_trap
     * settles on the full way, with every register in tf.  Only the test
     * here (reconcile_user_trap's first). */
    if (v && __atomic_load_n(&v->current[this_hartid()], __ATOMIC_ACQUIRE) !=
                 (uint32_t)t->stack_slot)
        return false;
    (void)tf;
    /* Nothing of tf is written on this way: trapentry.S returns past
     * the ecall itself, and the yield returns 0, which tf's a0 holds
     * already (trapentry.S takes this way only for a0 = 0). */
    __atomic_fetch_add(&t->proc->stat_yield_syscalls, 1, __ATOMIC_RELAXED);
    /* As every system call: an interrupt that came meanwhile (a tick) is
     * taken here, before the decision, not inside the policy's call (the
     * blob guard would hold it back until after the switch). */
    intr_on();
    /* The rest with interrupts off: the way back needs them off before
     * it looks for work (and finds them so), and the sret turns them on.  (Whatever
     * comes meanwhile is taken in user mode at once, and the trap that
     * takes it sees need_resched as the way back would have.)  So the one
     * hold needs no nesting count of interrupts: set, not counted. */
    intr_off();
    struct cpu *c = this_cpu();
    if (!yield_without_lock(c, t)) {
        spin_lock_irqs_off_outermost(&sched_lock);
        yield_locked(c, t, true);     /* in_frame: the prologue saved s0-s11 */
        spin_unlock_irqs_off_outermost(&sched_lock);
    }
    /* Back as t, maybe on another hart: the way back reads the hart's
     * state afresh.  Nothing of tf is written (above), so nothing is kept
     * across the switch (context_switch_in_frame keeps no register). */
    trap_prepare_return_but_sstatus();
    return true;
}

long sched_yield_parked(bool rest)
{
    struct thread *t = thread_current();
    struct proc *p = t->proc;
    spin_lock(&sched_lock);
    /* READY in the record and in the kernel's queue, both under sched_lock:
     * a hart that finds it there can claim it at once (a thread of the
     * process may even take it in user mode before this hart leaves it:
     * its registers are saved, and the kernel does not run it here). */
    if (!shared_finish_park(&p->shared, (uint32_t)t->stack_slot, (int)this_hartid())) {
        spin_unlock(&sched_lock);
        kprintf("[pid %d %s] killed: thread %d parked itself, but its record "
                "does not say it was running\n", p->pid, p->name, t->tid);
        proc_kill(p, STATUS_TERMINATED(TERM_FAULT));
        return -1;
    }
    trace(TR_PARK, t->tid, 0);
    tstate_park(t);
    /* The process gives the hart back (its threads here only waited for
     * one running elsewhere): schedule() leaves it idle, and the idle loop
     * sleeps until the next interrupt.  A tick at most: the hint cannot
     * keep a hart from anyone for long, and the thread is READY in both
     * queues meanwhile, for any hart to take. */
    struct cpu *c = this_cpu();
    uint64_t switches = c->switches;
    if (rest)
        start_rest(c);
    schedule();
    /* Still here: the policy chose this thread again and pick_next claimed
     * it, so it returns through resume_parked like any parked thread (its
     * trap frame is set for that; a0 must be its record).  If it never
     * left this hart, the process learns that asking the kernel here gets
     * nothing else until something new is queued (SCHED_KINFO.futile_at:
     * under a per-hart policy, what made it ask may wait on another
     * hart's queue). */
    if (!rest && this_cpu() == c && c->switches == switches)
        shared_note_futile_yield((int)c->hartid, t->priority);
    spin_unlock(&sched_lock);
    return t->stack_slot;
}

/* A queued thread is taken out and queued again at its new priority. */
static void set_priority_locked(struct thread *t, int priority)
{
    KASSERT(spin_holding(&sched_lock));
    if (tstate_in_queue(t)) {
        tstate_dequeue(t);
        t->priority = priority;
        make_runnable(t, ENQUEUE_NEW);
    } else {
        t->priority = priority;
    }
}

void sched_boost_dying(struct thread *t)
{
    set_priority_locked(t, MAX_PRIORITY);
}

void sched_set_priority(struct thread *t, int priority)
{
    spin_lock(&sched_lock);
    int old = t->priority;
    set_priority_locked(t, priority);
    /* Lowered below a queued thread: let it run. */
    if (t == thread_current() && priority < old &&
        policy_top_priority((int)this_hartid()) > priority)
        this_cpu()->need_resched = true;
    spin_unlock(&sched_lock);
}

int waitq_sleep(struct waitq *wq, struct spinlock *lock, uint64_t wake_at_ns)
{
    struct thread *t = thread_current();
    KASSERT(!is_idle(t));
    spin_lock(&sched_lock);
    if (lock)
        spin_unlock(lock);
    if (proc_killed(t->proc)) {
        spin_unlock(&sched_lock);
        if (lock)
            spin_lock(lock);
        return -EINTR;
    }
    tstate_block(t);
    t->wake_reason = 0;
    t->waiting_on = wq;
    if (wq)
        list_push_back(&wq->threads, &t->wait_node);
    t->wake_at = wake_at_ns;
    if (wake_at_ns)
        deadline_insert(t);
    /* schedule(), without its call and its second look at the lock. */
    struct cpu *c = this_cpu();
    begin_decision_locked(c);            /* sched_lock: taken above */
    decide_and_switch(c);
    int reason = t->wake_reason;
    spin_unlock(&sched_lock);
    if (lock)
        spin_lock(lock);
    return reason;
}

void waitq_init(struct waitq *wq)
{
    list_init(&wq->threads);
}

/* Inline in both: waitq_wake is every pipe's wake-up. */
static inline int wake_waiters(struct waitq *wq, uint64_t key, int max)
{
    int woken = 0;
    spin_lock(&sched_lock);
    list_for_each_safe(pos, &wq->threads) {
        if (max >= 0 && woken >= max)
            break;
        struct thread *t = list_entry(pos, struct thread, wait_node);
        if (key && t->futex_key != key)
            continue;
        wake_locked(t, 0);               /* sched_lock: taken above */
        woken++;
    }
    spin_unlock(&sched_lock);
    return woken;
}

int waitq_wake_key(struct waitq *wq, uint64_t key, int max)
{
    return wake_waiters(wq, key, max);
}

int waitq_wake(struct waitq *wq, int max)
{
    return wake_waiters(wq, 0, max);
}

/*
 * The tick does not spin for sched_lock.  When another hart holds it, that
 * hart may be stopped inside its hold (a host thread descheduled, or QEMU's
 * round-robin under -icount, which switches harts at a timer deadline: at
 * this very tick), and a tick that spins then spins for as long as the
 * holder stays stopped, interrupts off, doing nothing for anyone: on 4
 * harts under -icount, most of a b_prings run (docs/performance.md).  So a
 * tick that finds the lock taken leaves its work to this hart's next tick.
 * Not for ever: the work (wake-ups at deadlines, the policy's tick and its
 * watchdog, the end of a time slice) may wait for TICK_DEFER_MAX ticks at
 * most; the tick after those waits for the lock like any other holder.
 * The tick that does the work counts the ticks it covers into the slice.
 */
void sched_tick(void)
{
    struct cpu *c = this_cpu();
    inv_check_frames();                 /* debug builds: kernel/invariants.h */
    /* A tick inside this hart's own hold cannot come (interrupts are off
     * while it holds; a tick during a policy call goes to the blob guard):
     * spin_lock would report it, the try below would only defer. */
    KASSERT(!spin_holding(&sched_lock));
    if (c->ticks_owed < TICK_DEFER_MAX) {
        if (!spin_trylock(&sched_lock)) {
            c->ticks_owed++;
            c->ticks_deferred++;
            return;
        }
    } else {
        c->tick_must_wait = true;       /* seen by ktest tick */
        spin_lock(&sched_lock);
        c->tick_must_wait = false;
    }
    KASSERT(c->ticks_owed <= TICK_DEFER_MAX);
    int ticks = (int)c->ticks_owed + 1;  /* this one and those it covers */
    c->ticks_owed = 0;
    c->ticks_worked++;
    uint64_t now = timer_now_ns();
    inv_check_sched();
    while (!list_empty(&deadlines)) {
        struct thread *t = list_entry(deadlines.next, struct thread, timer_node);
        if (t->wake_at > now)
            break;
        sched_wake(t, -ETIMEDOUT);
    }
    struct thread *cur = c->current;
    if (policy_tick((int)c->hartid, is_idle(cur) ? NULL : cur))
        c->need_resched = true;
    int top = policy_top_priority((int)c->hartid);
    if (is_idle(cur)) {
        if (top)
            c->need_resched = true;
    } else if ((cur->ticks_left -= ticks) <= 0 && top >= cur->priority) {
        c->need_resched = true;          /* slice over, an equal one waits */
    } else if (top > cur->priority) {
        c->need_resched = true;          /* something more urgent waits */
    }
    if (cur->ticks_left <= 0)
        cur->ticks_left = TIMESLICE_TICKS;
    spin_unlock(&sched_lock);
}

/* The idle loop's sleep, timed (SCHED_KINFO.idle_us). */
static void idle_wfi(void)
{
    uint64_t from = read_time();
    hart_time_idle_begin(from);
    wfi();
    hart_time_idle(read_time() - from);
}

/*
 * The idle loop's sched_lock, interrupts off: true once held.  A hart that
 * finds the lock held and has no sign of work does not spin for it: it
 * sleeps until its next interrupt and returns false (the loop starts
 * over).  The holder may be a hart the host has stopped in its hold (a
 * QEMU hart is a host thread; on a loaded host it is descheduled for
 * milliseconds), and a spin for it here is a hart with nothing to do
 * burning a host core that the holder needs (b_prings on two harts with
 * one worker: the other hart spun for 5 to 15 ms at a time, up to half
 * the run).  Nothing is lost by not looking at the queue now: a thread
 * queued while this hart runs its idle thread unmarked nudges it
 * (nudge_least_urgent finds an idle thread by its priority, 0) or another
 * idle hart, by an IPI that stays pending and ends the wfi.  Work already
 * announced shows as need_resched (a nudge, or the tick's own look) with
 * a thread still queued (the kernel's count: a nudge whose thread another
 * hart took meanwhile, most often the holder, leaves need_resched behind
 * and nothing to run), or as a call; then the hart waits for the lock as
 * before.  So does the end of a rest, whose clear must go with a look at
 * the queue (below), once the rest has been stretched by TICK_DEFER_MAX
 * ticks.  Kernel coroutine work is no reason to wait: this lap polled
 * what this hart flagged, and work another hart flags is polled by that
 * hart on its way out of the kernel (kcoro_has_own_work).
 */
static bool idle_lock_or_sleep(struct cpu *c, bool rest_over)
{
    if (spin_trylock(&sched_lock))
        return true;
    bool must_wait = (c->need_resched && policy_nqueued_hint() != 0) || smp_call_pending() ||
                     (rest_over && c->timer_ticks - c->rest_tick > TICK_DEFER_MAX);
    if (must_wait) {
        spin_lock(&sched_lock);
        return true;
    }
    idle_wfi();
    intr_on();
    return false;
}

void sched_idle_loop(void)
{
    struct cpu *c = this_cpu();
    for (;;) {
        smp_run_pending_call();
        /* The kernel's coroutines first: what this hart flagged (a tick's
         * timer, a wake in a call); what others flag, they poll. */
        if (kcoro_has_own_work())
            kcoro_poll();
        intr_off();
        bool rest_over = false;
        if (c->resting) {
            /* Given back by a process (sched_yield_parked): sleep until the
             * next tick, whatever is queued (wake-ups go to other harts
             * meanwhile: nudge_a_hart), but not past work for the kernel. */
            if (c->timer_ticks == c->rest_tick && !smp_call_pending() &&
                !kcoro_has_own_work()) {
                idle_wfi();
                intr_on();
                continue;
            }
            rest_over = true;
        }
        if (!idle_lock_or_sleep(c, rest_over))
            continue;
        /* The rest ends in the same hold as the look at the queue: the
         * watchdog (policy.c), which does not blame the policy for a
         * resting hart, never finds this one idle between the two. */
        if (rest_over)
            c->resting = false;
        /* Decide to sleep under the lock (the policy is only ever asked
         * with it held); asked again only if schedule() ran meanwhile. */
        bool nothing = policy_top_priority((int)c->hartid) == 0;
        if (!nothing) {
            schedule();
            nothing = policy_top_priority((int)c->hartid) == 0;
        }
        /* Asleep for wake-ups from here (sched/nudge.h): marked
         * under the lock, after the look that found nothing. */
        if (nothing)
            idle_harts_mark(c->hartid);
        spin_unlock(&sched_lock);
        /* Interrupts are still off: a wake-up IPI arriving now stays
         * pending and ends the wfi at once. */
        if (nothing && !smp_call_pending() && !kcoro_has_own_work())
            idle_wfi();
        /* Before interrupts come on: a trap taken here may switch away
         * from the idle thread, and a marked hart must be one that looks
         * at the queue before it sleeps again. */
        idle_harts_clear(c->hartid);
        intr_on();
    }
}

void sched_switch_address_space(uint64_t satp)
{
    push_off();
    tlb_load_satp(satp);
    pop_off();
}

/* Totals of processes that have exited (SYS_schedstat, pid 0). */
static struct schedstat exited_totals;

void sched_stat_add(struct schedstat *sum, const struct schedstat *one)
{
    sum->yield_syscalls += one->yield_syscalls;
    sum->kernel_switches += one->kernel_switches;
    sum->user_switches_seen += one->user_switches_seen;
    sum->parked_resumes += one->parked_resumes;
    sum->user_switches_reported += one->user_switches_reported;
    sum->yields_to_kernel_reported += one->yields_to_kernel_reported;
    sum->shared_yields += one->shared_yields;
    sum->commit_restarts += one->commit_restarts;
    sum->tail_interrupts += one->tail_interrupts;
    sum->tail_spared += one->tail_spared;
}

void sched_account_exit(struct proc *p)
{
    struct schedstat s;
    sched_stat_of(p, &s);
    spin_lock(&sched_lock);
    sched_stat_add(&exited_totals, &s);
    spin_unlock(&sched_lock);
}

void sched_stat_of(struct proc *p, struct schedstat *out)
{
    memset(out, 0, sizeof(*out));
    out->pid = p->pid;
    spin_lock(&sched_lock);
    out->yield_syscalls = p->stat_yield_syscalls;
    out->kernel_switches = p->stat_kernel_switches;
    out->user_switches_seen = p->stat_user_switches_seen;
    out->parked_resumes = p->stat_parked_resumes;
    out->shared_yields = p->stat_shared_yields;
    spin_unlock(&sched_lock);
    out->commit_restarts = __atomic_load_n(&p->stat_commit_restarts, __ATOMIC_RELAXED);
    out->tail_interrupts = __atomic_load_n(&p->stat_tail_interrupts, __ATOMIC_RELAXED);
    out->tail_spared = __atomic_load_n(&p->stat_tail_spared, __ATOMIC_RELAXED);
    out->sched_lock_waits = __atomic_load_n(&sched_lock.waits, __ATOMIC_RELAXED);
    /* What the process says about itself: reported, not vouched for.
     * Under p->lock: exec replaces the region and teardown frees it. */
    spin_lock(&p->lock);
    const VDSO_DATA *v = shared_vdso(&p->shared);
    if (v) {
        out->user_switches_reported = v->user_switches;
        out->yields_to_kernel_reported = v->yields_to_kernel;
    }
    spin_unlock(&p->lock);
}

void sched_stat_exited(struct schedstat *out)
{
    spin_lock(&sched_lock);
    *out = exited_totals;
    spin_unlock(&sched_lock);
    out->sched_lock_waits = __atomic_load_n(&sched_lock.waits, __ATOMIC_RELAXED);
}
