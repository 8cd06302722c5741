/* Thread life cycle: creation with a kernel stack and a user stack slot,
 * exit, join. */
#include "proc/proc.h"
#include "sched/sched.h"
#include "sched/policy.h"
#include "sched/thread_state.h"
#include "mm/frame.h"
#include "mm/kmalloc.h"
#include "mm/uvm.h"
#include "kernel/cpu.h"
#include "kernel/panic.h"
#include "lib/string.h"
#include "uapi/errno.h"
#include "arch/riscv.h"
#include "memlayout.h"

#define STACK_STRIDE (USER_THREAD_STACK + PAGE_SIZE)   /* stack + guard page */

static int next_tid = 1;          /* under sched_lock */
static int nthreads;              /* live thread structs, under sched_lock */

static uint64_t slot_top(int slot)
{
    return USER_STACK_TOP - (uint64_t)slot * STACK_STRIDE;
}

/* First code a new thread runs, entered from context_switch's `ret` (and
 * a parked thread resumed by the kernel, see sched.c). */
void thread_first_run(void)
{
    sched_finish_first_switch();
    trap_return(thread_current()->tf);
}

/* A new thread, not yet runnable; NULL with *err = -ENOMEM, or -EAGAIN
 * when the scheduler's task table is full. */
static struct thread *thread_alloc(struct proc *p, int priority, int *err)
{
    *err = -ENOMEM;
    struct thread *t = kmalloc(sizeof(*t));
    if (!t)
        return NULL;
    memset(t, 0, sizeof(*t));
    t->exit_rec = kmalloc(sizeof(*t->exit_rec));
    t->kstack = frame_alloc_contig(KSTACK_SIZE / PAGE_SIZE);
    if (!t->kstack || !t->exit_rec) {
        if (t->kstack)
            frame_free_contig(t->kstack, KSTACK_SIZE / PAGE_SIZE);
        kfree(t->exit_rec);
        kfree(t);
        return NULL;
    }
    *(uint64_t *)t->kstack = KSTACK_CANARY;
    t->tf = (struct trapframe *)((char *)t->kstack + KSTACK_SIZE) - 1;
    t->ctx.ra = (uint64_t)thread_first_run;
    t->ctx.sp = (uint64_t)t->tf;
    t->proc = p;
    t->priority = priority;
    t->state = THREAD_NEW;           /* not runnable until its creator says */
    t->hart = (int)this_hartid();
    list_init(&t->wait_node);
    list_init(&t->timer_node);
    list_init(&t->proc_node);
    list_init(&t->deferred_node);
    spin_lock(&sched_lock);
    *err = policy_attach(t);
    if (!*err) {
        t->tid = next_tid++;
        nthreads++;
    }
    spin_unlock(&sched_lock);
    if (*err) {
        frame_free_contig(t->kstack, KSTACK_SIZE / PAGE_SIZE);
        kfree(t->exit_rec);
        kfree(t);
        return NULL;
    }
    proc_get(p);                     /* p outlives its threads' structs */
    return t;
}

void thread_free_locked(struct thread *t)
{
    KASSERT(spin_holding(&sched_lock));
    KASSERT(t->state == THREAD_NEW || t->state == THREAD_ZOMBIE);
    policy_detach(t);
    nthreads--;
    frame_free_contig(t->kstack, KSTACK_SIZE / PAGE_SIZE);
    kfree(t->exit_rec);              /* NULL once handed to the process */
    struct proc *p = t->proc;
    kfree(t);
    proc_put(p);                     /* may free p: this hart is off it */
}

void thread_free(struct thread *t)
{
    spin_lock(&sched_lock);
    thread_free_locked(t);
    spin_unlock(&sched_lock);
}

int thread_count(void)
{
    return nthreads;
}

/* Takes a free stack slot of p and makes sure its stack is mapped (a slot
 * keeps its pages after its thread exits, and a forked child inherits the
 * parent's, so only a never-used slot needs frames).  p->lock held. */
static int take_stack_slot(struct proc *p)
{
    for (int slot = 0; slot < USER_STACK_SLOTS; slot++) {
        if (p->stack_slots & (1UL << slot))
            continue;
        uint64_t bottom = slot_top(slot) - USER_THREAD_STACK;
        uint64_t pa, flags;
        spin_lock(&p->vm.lock);
        int err = vm_translate(p->vm.pt, bottom, &pa, &flags) ? 0 :
                  uvm_alloc(p->vm.pt, bottom, USER_THREAD_STACK, PTE_R | PTE_W);
        spin_unlock(&p->vm.lock);
        if (err)
            return err;
        p->stack_slots |= 1UL << slot;
        return slot;
    }
    return -EAGAIN;
}

struct thread *thread_create_user(struct proc *p, uint64_t pc, uint64_t a0,
                                  uint64_t a1, int priority, int *err)
{
    struct thread *t = thread_alloc(p, priority, err);
    if (!t)
        return NULL;
    spin_lock(&p->lock);
    int slot = p->killed ? -EINTR :
               p->nexit_records >= MAX_EXIT_RECORDS ? -EAGAIN : take_stack_slot(p);
    if (slot < 0) {
        spin_unlock(&p->lock);
        thread_free(t);
        *err = slot;
        return NULL;
    }
    t->stack_slot = slot;
    memset(t->tf, 0, sizeof(*t->tf));
    t->tf->sepc = pc;
    t->tf->regs[REG_A0] = a0;
    t->tf->regs[REG_A0 + 1] = a1;
    t->tf->regs[REG_SP] = slot_top(slot);
    t->tf->regs[REG_A0 + 2] = (uint64_t)slot;   /* its TaskSched record, for the runtime */
    p->slot_thread[slot] = t;
    list_push_back(&p->threads, &t->proc_node);
    p->live_threads++;
    spin_unlock(&p->lock);
    *err = 0;
    return t;
}

struct thread *thread_find(struct proc *p, int tid)
{
    list_for_each(pos, &p->threads) {
        struct thread *t = list_entry(pos, struct thread, proc_node);
        if (t->tid == tid)
            return t;
    }
    return NULL;
}

void thread_wait_siblings_off_cpu(struct thread *self)
{
    /* Each thread holds a reference to its process until its struct is
     * freed, off its hart; so do harts reconciling it.  Left: the process
     * table's and self's. */
    struct proc *p = self->proc;
    KASSERT(p->live_threads == 1);
    proc_wait_refs(p, 2);
}

static struct exit_record *take_exit_record(struct proc *p, int tid, int joiner)
{
    list_for_each(pos, &p->exit_records) {
        struct exit_record *r = list_entry(pos, struct exit_record, node);
        if (r->tid != tid)
            continue;
        if (r->joiner && r->joiner != joiner)
            return NULL;             /* another thread claimed it */
        list_remove(&r->node);
        p->nexit_records--;
        return r;
    }
    return NULL;
}

void thread_free_exit_records(struct proc *p)
{
    spin_lock(&p->lock);
    list_for_each_safe(pos, &p->exit_records) {
        struct exit_record *r = list_entry(pos, struct exit_record, node);
        list_remove(&r->node);
        kfree(r);
    }
    p->nexit_records = 0;
    spin_unlock(&p->lock);
}

void thread_exit(uint64_t retval)
{
    struct thread *t = thread_current();
    struct proc *p = t->proc;

    spin_lock(&p->lock);
    p->stack_slots &= ~(1UL << t->stack_slot);
    p->slot_thread[t->stack_slot] = NULL;
    bool last = --p->live_threads == 0;
    spin_unlock(&p->lock);
    if (last)
        proc_teardown(p, t);      /* frees everything but t's struct */

    spin_lock(&p->lock);
    t->exited = true;
    list_remove(&t->proc_node);
    if (!last) {
        /* What a joiner needs stays; the rest goes as t leaves the hart. */
        struct exit_record *r = t->exit_rec;
        t->exit_rec = NULL;
        r->tid = t->tid;
        r->joiner = t->joiner;
        r->retval = retval;
        list_push_back(&p->exit_records, &r->node);
        p->nexit_records++;
        /* Wake joiners while holding p->lock: a joiner looks for the
         * record under it, so it either finds it or is already asleep. */
        waitq_wake(&p->thread_exited, -1);
    }
    spin_unlock(&p->lock);

    spin_lock(&sched_lock);
    tstate_exit(t);
    sched_reap_after_switch(t);
    schedule();
    panic("thread_exit: a zombie ran again");
}

int thread_join(int tid, uint64_t retval_uaddr)
{
    struct thread *self = thread_current();
    struct proc *p = self->proc;
    if (tid == self->tid)
        return -EDEADLK;
    if (retval_uaddr && !uvm_range_ok(&p->vm, retval_uaddr, 8, true))
        return -EFAULT;

    spin_lock(&p->lock);
    struct exit_record *r;
    while (!(r = take_exit_record(p, tid, self->tid))) {
        /* Not exited yet (or not ours to join): claim it and wait.  The
         * thread may be gone after the sleep: looked up again each time. */
        struct thread *t = thread_find(p, tid);
        if (!t || (t->joiner && t->joiner != self->tid)) {
            spin_unlock(&p->lock);
            return -ESRCH;
        }
        t->joiner = self->tid;
        if (waitq_sleep(&p->thread_exited, &p->lock, 0) == -EINTR) {
            t = thread_find(p, tid);
            if (t && t->joiner == self->tid)
                t->joiner = 0;
            spin_unlock(&p->lock);
            return -EINTR;
        }
    }
    spin_unlock(&p->lock);
    uint64_t retval = r->retval;
    kfree(r);
    if (retval_uaddr)
        copy_to_user(&p->vm, retval_uaddr, &retval, sizeof(retval));
    return 0;
}
