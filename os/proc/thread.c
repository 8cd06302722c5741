/* Thread life cycle: creation with a kernel stack and a user stack slot,
 * exit, join. */
#include "proc/proc.h"
#include "sched/sched.h"
#include "sched/policy.h"
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
    t->kstack = frame_alloc_contig(KSTACK_SIZE / PAGE_SIZE);
    if (!t->kstack) {
        kfree(t);
        return NULL;
    }
    *(uint64_t *)t->kstack = KSTACK_CANARY;
    t->tf = (struct trapframe *)((char *)t->kstack + KSTACK_SIZE) - 1;
    t->ctx.ra = (uint64_t)thread_first_run;
    t->ctx.sp = (uint64_t)t->tf;
    t->proc = p;
    t->priority = priority;
    t->state = THREAD_BLOCKED;       /* not runnable until made so */
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
        kfree(t);
        return NULL;
    }
    return t;
}

void thread_free(struct thread *t)
{
    frame_free_contig(t->kstack, KSTACK_SIZE / PAGE_SIZE);
    spin_lock(&sched_lock);
    policy_detach(t);
    nthreads--;
    spin_unlock(&sched_lock);
    kfree(t);
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
    int slot = p->killed ? -EINTR : take_stack_slot(p);
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

/* Waits until t (already marked exited) is off its hart for good. */
static void wait_off_cpu(struct thread *t)
{
    for (;;) {
        spin_lock(&sched_lock);
        bool gone = t->state == THREAD_ZOMBIE;
        spin_unlock(&sched_lock);
        if (gone)
            return;
        cpu_relax();
    }
}

void thread_wait_siblings_off_cpu(struct thread *self)
{
    struct proc *p = self->proc;
    for (;;) {
        bool all_gone = true;
        spin_lock(&p->lock);
        spin_lock(&sched_lock);
        list_for_each(pos, &p->threads) {
            struct thread *t = list_entry(pos, struct thread, proc_node);
            all_gone &= t == self || t->state == THREAD_ZOMBIE;
        }
        spin_unlock(&sched_lock);
        spin_unlock(&p->lock);
        if (all_gone)
            return;
        cpu_relax();
    }
}

void thread_exit(uint64_t retval)
{
    struct thread *t = thread_current();
    struct proc *p = t->proc;

    spin_lock(&p->lock);
    t->retval = retval;
    p->stack_slots &= ~(1UL << t->stack_slot);
    p->slot_thread[t->stack_slot] = NULL;
    bool last = --p->live_threads == 0;
    spin_unlock(&p->lock);
    if (last)
        proc_teardown(p, t);      /* frees everything but t and the root */

    spin_lock(&p->lock);
    t->exited = true;
    /* Wake joiners while holding p->lock: a joiner checks `exited` under
     * it, so it either sees the flag or is already asleep. */
    waitq_wake(&p->thread_exited, -1);
    spin_unlock(&p->lock);

    spin_lock(&sched_lock);
    t->state = THREAD_ZOMBIE;
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
    struct thread *t = thread_find(p, tid);
    if (!t || t->joined) {
        spin_unlock(&p->lock);
        return -ESRCH;
    }
    t->joined = true;
    while (!t->exited) {
        int r = waitq_sleep(&p->thread_exited, &p->lock, 0);
        if (r == -EINTR) {
            t->joined = false;
            spin_unlock(&p->lock);
            return -EINTR;
        }
    }
    list_remove(&t->proc_node);
    uint64_t retval = t->retval;
    spin_unlock(&p->lock);

    wait_off_cpu(t);
    thread_free(t);
    if (retval_uaddr)
        copy_to_user(&p->vm, retval_uaddr, &retval, sizeof(retval));
    return 0;
}

void thread_reap_off_cpu(struct thread *t)
{
    wait_off_cpu(t);
    thread_free(t);
}
