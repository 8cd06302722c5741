/* Thread life cycle: creation with a kernel stack and a user stack slot,
 * exit, join. */
#include "proc/proc.h"
#include "sched/sched.h"
#include "sched/policy.h"
#include "sched/thread_state.h"
#include "mm/frame.h"
#include "mm/kmalloc.h"
#include "mm/uvm.h"
#include "mm/ustack.h"
#include "kernel/cpu.h"
#include "kernel/panic.h"
#include "lib/string.h"
#include "uapi/errno.h"
#include "arch/riscv.h"
#include "memlayout.h"
#include "kernel/ordered_store.h"

static int next_tid = 1;          /* under sched_lock */
static int nthreads;              /* live thread structs, under sched_lock */

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
    t->tid = next_tid;               /* policy_attach records it */
    *err = policy_attach(t);
    if (!*err) {
        next_tid++;
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

struct thread *proc_slot_thread(struct proc *p, int slot)
{
    KASSERT(slot >= 0 && slot < USER_STACK_SLOTS);
    struct thread **page = p->slot_threads[slot / SLOT_THREADS_PER_PAGE];
    return page ? page[slot % SLOT_THREADS_PER_PAGE] : NULL;
}

int proc_reserve_slot_thread(struct proc *p, int slot)
{
    struct thread ***page = &p->slot_threads[slot / SLOT_THREADS_PER_PAGE];
    if (!*page && !(*page = frame_alloc()))
        return -ENOMEM;
    return 0;
}

void proc_set_slot_thread(struct proc *p, int slot, struct thread *t)
{
    struct thread **page = p->slot_threads[slot / SLOT_THREADS_PER_PAGE];
    KASSERT(page);                    /* made by proc_reserve_slot_thread */
    page[slot % SLOT_THREADS_PER_PAGE] = t;
}

void proc_free_slot_threads(struct proc *p)
{
    for (size_t i = 0; i < USER_STACK_SLOTS / SLOT_THREADS_PER_PAGE; i++)
        if (p->slot_threads[i]) {
            frame_free(p->slot_threads[i]);
            p->slot_threads[i] = NULL;
        }
}

/* What a thread in `slot` needs besides its stack: the page remembering
 * the slot's thread and the page holding its TaskSched record (both stay
 * until the process goes).  p->lock held; 0 or -ENOMEM. */
static int prepare_slot(struct proc *p, int slot)
{
    int err = proc_reserve_slot_thread(p, slot);
    return err ? err : shared_map_task(&p->vm, &p->shared, (uint32_t)slot);
}

struct thread *thread_create_user(struct proc *p, uint64_t pc, uint64_t a0,
                                  uint64_t a1, int priority, int slot, int *err)
{
    struct thread *t = thread_alloc(p, priority, err);
    if (!t)
        return NULL;
    bool fresh = slot < 0;
    spin_lock(&p->lock);
    int e = p->killed ? -EINTR : p->nexit_records >= MAX_EXIT_RECORDS ? -EAGAIN : 0;
    if (!e && fresh)
        e = slot = ustack_take(&p->vm);
    if (e >= 0)
        e = prepare_slot(p, slot);
    if (e < 0) {
        if (fresh && slot >= 0)
            ustack_release(&p->vm, slot);
        spin_unlock(&p->lock);
        thread_free(t);
        *err = e;
        return NULL;
    }
    KASSERT(!proc_slot_thread(p, slot));
    t->stack_slot = slot;
    memset(t->tf, 0, sizeof(*t->tf));
    t->tf->sepc = pc;
    t->tf->regs[REG_A0] = a0;
    t->tf->regs[REG_A0 + 1] = a1;
    t->tf->regs[REG_SP] = ustack_top(slot);
    t->tf->regs[REG_A0 + 2] = (uint64_t)slot;   /* its TaskSched record, for the runtime */
    proc_set_slot_thread(p, slot, t);
    list_push_back(&p->threads, &t->proc_node);
    /* Whole, for the lock-free readers (alone_in_process): a rise only
     * sends them the locked way, so nothing needs ordering before it. */
    store_relaxed(&p->live_threads, p->live_threads + 1);
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
    /* The stack's pages go now, but the top one, kept for the slot's next
     * thread (the last thread's go with the whole space). */
    proc_set_slot_thread(p, t->stack_slot, NULL);
    /* A release: a sibling that reads the count it leaves without the
     * lock (alone_in_process, syscall/sys_file.c) sees with it all this
     * thread did before, its closes too. */
    int live = p->live_threads - 1;
    store_release(&p->live_threads, live);
    bool last = live == 0;
    if (!last)
        ustack_release(&p->vm, t->stack_slot);
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
