/* Processes: the table, the tree, fork, exit, kill and waitpid. */
#include "proc/proc.h"
#include "kernel/cacheline.h"
#include "kernel/timeline.h"
#include "kernel/trace.h"
#include "proc/exec.h"
#include "sched/sched.h"
#include "sched/thread_state.h"
#include "fs/file.h"
#include "fs/coio.h"
#include "mm/kmalloc.h"
#include "mm/uvm.h"
#include "mm/ustack.h"
#include "kernel/cpu.h"
#include "kernel/panic.h"
#include "kernel/printf.h"
#include "lib/string.h"
#include "trap/ipi.h"
#include "uapi/errno.h"
#include "arch/riscv.h"

struct spinlock proc_lock LINE_ALIGNED = SPINLOCK_INIT("proc");   /* starts a line: apart from the other hot locks */
static struct proc *procs[MAX_PROCS];     /* under proc_lock */
static int next_pid = 1;
static struct proc *init_proc;

int proc_count(void)
{
    int n = 0;
    spin_lock(&proc_lock);
    for (int i = 0; i < MAX_PROCS; i++)
        n += procs[i] != NULL;
    spin_unlock(&proc_lock);
    return n;
}

struct proc *proc_at(int index)
{
    return index >= 0 && index < MAX_PROCS ? procs[index] : NULL;
}

struct proc *proc_find(int pid)
{
    for (int i = 0; i < MAX_PROCS; i++)
        if (procs[i] && procs[i]->pid == pid)
            return procs[i];
    return NULL;
}

void proc_get(struct proc *p)
{
    KASSERT(__atomic_load_n(&p->refs, __ATOMIC_RELAXED) > 0);
    __atomic_fetch_add(&p->refs, 1, __ATOMIC_RELAXED);
}

void proc_put(struct proc *p)
{
    if (__atomic_sub_fetch(&p->refs, 1, __ATOMIC_ACQ_REL) != 0)
        return;
    KASSERT(p->state == PROC_ZOMBIE);
    vm_destroy(p->vm.pt);
    proc_free_slot_threads(p);
    kfree(p);
}

void proc_wait_refs(struct proc *p, int n)
{
    while (__atomic_load_n(&p->refs, __ATOMIC_ACQUIRE) > n)
        cpu_relax();
}

/* A new, empty process (no threads, no parent yet), in the table. */
struct proc *proc_alloc(const char *name, int *err)
{
    struct proc *p = kmalloc(sizeof(*p));
    if (!p) {
        *err = -ENOMEM;
        return NULL;
    }
    /* Its lines are laid out by who writes them (co.lock's, sched/coexec.h):
     * the heap's slots of its size start lines. */
    KASSERT((uintptr_t)p % _Alignof(struct proc) == 0);
    p->vm.pt = vm_create();
    if (!p->vm.pt) {
        kfree(p);
        *err = -ENOMEM;
        return NULL;
    }
    p->satp = MAKE_SATP(VA2PA(p->vm.pt));
    p->refs = 1;
    strlcpy(p->name, name, sizeof(p->name));
    spin_init(&p->lock, "proc");
    uspace_lock_init(&p->vm);
    list_init(&p->children);
    list_init(&p->sibling);
    list_init(&p->threads);
    list_init(&p->deferred);
    list_init(&p->exit_records);
    waitq_init(&p->child_exited);
    waitq_init(&p->thread_exited);
    p->prio_ceiling = DEFAULT_PRIORITY;  /* fork and spawn set it (priority.c) */
    coexec_init(p);                     /* no executor: a forked child neither */

    spin_lock(&proc_lock);
    int slot = -1;
    for (int i = 0; i < MAX_PROCS && slot < 0; i++)
        if (!procs[i])
            slot = i;
    if (slot < 0) {
        spin_unlock(&proc_lock);
        vm_destroy(p->vm.pt);
        kfree(p);
        *err = -EAGAIN;
        return NULL;
    }
    p->pid = next_pid++;
    procs[slot] = p;
    spin_unlock(&proc_lock);
    *err = shared_map(p->vm.pt, &p->shared, p->pid);
    if (*err) {
        proc_discard(p);
        return NULL;
    }
    return p;
}

/* Undoes proc_alloc for a process that never ran. */
void proc_discard(struct proc *p)
{
    fdtable_close_all(&p->files);       /* nobody else sees p yet */
    uvm_free_all(p->vm.pt);
    shared_unmap(p->vm.pt, &p->shared);
    vm_destroy(p->vm.pt);
    spin_lock(&proc_lock);
    for (int i = 0; i < MAX_PROCS; i++)
        if (procs[i] == p)
            procs[i] = NULL;
    if (list_linked(&p->sibling))
        list_remove(&p->sibling);
    spin_unlock(&proc_lock);
    proc_free_slot_threads(p);
    kfree(p);
}

void proc_adopt(struct proc *parent, struct proc *child)
{
    spin_lock(&proc_lock);
    child->parent = parent;
    list_push_back(&parent->children, &child->sibling);
    spin_unlock(&proc_lock);
}

void proc_start_init(void)
{
    static char *const argv[] = { "init", NULL };
    int err;
    struct proc *p = proc_alloc("init", &err);
    if (!p)
        panic("cannot create init: error %d", err);
    err = exec_into(p, "init", argv, 1, NULL);
    if (err)
        panic("cannot start /init from the initrd: error %d", err);
    for (uint32_t fd = 0; fd < 3; fd++)
        if (fdtable_set(&p->files, fd, file_console()))
            panic("cannot give init its console");
    p->prio_ceiling = MAX_PRIORITY;     /* it grants the rest (priority.c) */
    init_proc = p;
    proc_start_main_thread(p);
}

void proc_kill(struct proc *p, int status)
{
    spin_lock(&p->lock);
    if (!p->killed)                     /* the first word on its end stands */
        p->exit_status = status;
    p->killed = true;
    spin_lock(&sched_lock);
    sched_offer_deferred(p);            /* parked threads must run to exit */
    list_for_each(pos, &p->threads) {
        struct thread *t = list_entry(pos, struct thread, proc_node);
        /* Every thread must now run to its end, however low its priority
         * was: a more urgent process would otherwise keep a waitpid for
         * this one waiting for as long as it runs (a killer at priority
         * 20 waited for good on a victim's thread at 14, queued behind
         * other victims at 15).  It returns to user mode no more. */
        sched_boost_dying(t);
        /* (A NEW thread is left to its creator, which queues it next:
         * it sees the kill at its first return to user mode.) */
        if (t->state == THREAD_BLOCKED)
            sched_wake(t, -EINTR);
        else if (t->state == THREAD_RUNNING && t != thread_current()) {
            cpus[t->hart].need_resched = true;     /* trap soon, see killed */
            ipi_send((uint64_t)t->hart, IPI_WAKE);
        }
    }
    spin_unlock(&sched_lock);
    spin_unlock(&p->lock);
}

void proc_exit(int status)
{
    struct thread *t = thread_current();
    proc_kill(t->proc, STATUS_EXITED(status));
    thread_exit(0);
}

void proc_teardown(struct proc *p, struct thread *last)
{
    if (p == init_proc)
        panic("init exited (status %#x)", p->exit_status);

    /* Every other thread has exited; wait until they have left their
     * harts too (each holds a reference until its struct is freed, off
     * its hart): then nothing runs on p's memory or shared region but t.
     * Left: the process table's reference and t's.  Its asynchronous
     * operations go first (none can start now, no other thread lives),
     * and those their completers took are waited for: each holds p
     * until it is released (fs/coio.h). */
    coio_drop_all(p);
    coio_wait_released(p);
    proc_wait_refs(p, 2);
    coio_index_release(&p->co.by_io);   /* every op is released now */
    spin_lock(&p->lock);
    KASSERT(p->live_threads == 0 && p->threads.next == &last->proc_node &&
            last->proc_node.next == &p->threads);
    if (!p->killed)
        p->exit_status = STATUS_EXITED(0);
    p->killed = true;
    struct fdtable files;               /* closed outside the lock */
    fdtable_take(&p->files, &files);
    spin_unlock(&p->lock);
    thread_free_exit_records(p);

    fdtable_close_all(&files);
    /* This hart still runs on p's root table (the kernel half is intact);
     * the user half and the shared region can go now. */
    sched_account_exit(p);              /* reads the shared page: first */
    timeline_harvest(p);                /* the process's own events, while
                                           its memory is there */
    hart_rwlock_lock(&p->vm.lock);
    uvm_free_all(p->vm.pt);
    hart_rwlock_unlock(&p->vm.lock);
    /* Others read the shared region under p->lock: take it away under it. */
    spin_lock(&p->lock);
    struct shared_region shared = p->shared;
    memset(&p->shared, 0, sizeof(p->shared));
    spin_unlock(&p->lock);
    /* No doorbell rings once detached; then the pages can go. */
    coexec_unmap(p->vm.pt, coexec_detach(p));
    shared_unmap(p->vm.pt, &shared);

    spin_lock(&proc_lock);
    bool orphan_zombies = false;
    list_for_each_safe(pos, &p->children) {
        struct proc *c = list_entry(pos, struct proc, sibling);
        list_remove(&c->sibling);
        c->parent = init_proc;
        list_push_back(&init_proc->children, &c->sibling);
        orphan_zombies |= c->state == PROC_ZOMBIE;
    }
    p->state = PROC_ZOMBIE;
    if (orphan_zombies)
        waitq_wake(&init_proc->child_exited, -1);
    waitq_wake(&p->parent->child_exited, -1);
    spin_unlock(&proc_lock);
}

/* Frees a zombie found by waitpid (out of the table already; proc_lock
 * is not held).  Its last thread may still be leaving its hart, holding a
 * reference: waited for, so that when waitpid returns, every frame of the
 * child is back (tests count them).  It is already a zombie switching
 * away, with nothing left to wait for. */
static void proc_reap(struct proc *p)
{
    proc_wait_refs(p, 1);
    proc_put(p);
}

int proc_waitpid(int pid, uint64_t status_uaddr, int options)
{
    struct proc *self = thread_current()->proc;
    if (options & ~WNOHANG)
        return -EINVAL;
    if (status_uaddr && !uvm_range_ok(&self->vm, status_uaddr, 4, true))
        return -EFAULT;

    spin_lock(&proc_lock);
    for (;;) {
        bool have_child = false;
        list_for_each(pos, &self->children) {
            struct proc *c = list_entry(pos, struct proc, sibling);
            if (pid != -1 && c->pid != pid)
                continue;
            have_child = true;
            if (c->state != PROC_ZOMBIE)
                continue;
            list_remove(&c->sibling);
            for (int i = 0; i < MAX_PROCS; i++)
                if (procs[i] == c)
                    procs[i] = NULL;
            spin_unlock(&proc_lock);
            int found = c->pid, status = c->exit_status;
            proc_reap(c);
            if (status_uaddr)
                copy_to_user(&self->vm, status_uaddr, &status, sizeof(status));
            return found;
        }
        if (!have_child) {
            spin_unlock(&proc_lock);
            return -ECHILD;
        }
        if (options & WNOHANG) {
            spin_unlock(&proc_lock);
            return 0;
        }
        if (waitq_sleep(&self->child_exited, &proc_lock, 0) == -EINTR) {
            spin_unlock(&proc_lock);
            return -EINTR;
        }
    }
}

int proc_fork(void)
{
    struct thread *t = thread_current();
    struct proc *p = t->proc;
    int err;
    struct proc *c = proc_alloc(p->name, &err);
    if (!c)
        return err;
    /* The copy, the break and the files at one instant: no sibling thread
     * can sbrk or take a stack slot meanwhile. */
    spin_lock(&p->lock);
    err = uvm_copy(&p->vm, c->vm.pt);
    if (err) {
        spin_unlock(&p->lock);
        proc_discard(c);
        return err;
    }
    c->image_end = p->image_end;
    c->brk = p->brk;
    c->prio_ceiling = p->prio_ceiling;
    err = fdtable_copy(&c->files, &p->files);
    spin_unlock(&p->lock);
    if (err) {
        proc_discard(c);
        return err;
    }

    /* The child's only thread continues from the same trap frame, with
     * fork returning 0, on the same stack (same slot, copied). */
    ustack_claim(&c->vm, t->stack_slot);
    struct thread *ct = thread_create_user(c, 0, 0, 0, t->priority, t->stack_slot, &err);
    if (!ct) {
        proc_discard(c);
        return err;
    }
    spin_lock(&c->lock);
    *ct->tf = *t->tf;
    ct->tf->regs[REG_A0] = 0;
    spin_unlock(&c->lock);

    proc_adopt(p, c);
    int pid = c->pid;
    spin_lock(&sched_lock);
    sched_make_runnable(ct);
    spin_unlock(&sched_lock);
    return pid;
}

void proc_start_main_thread(struct proc *p)
{
    spin_lock(&sched_lock);
    sched_make_runnable(list_entry(p->threads.next, struct thread, proc_node));
    spin_unlock(&sched_lock);
}

void proc_dump(void)
{
    /* For debugging a hang (Ctrl-T on the console): reads without locks,
     * because whoever holds them may be the problem. */
    kprintf("\n--- processes and threads ---\n");
    for (int i = 0; i < MAX_PROCS; i++) {
        struct proc *p = procs[i];
        if (!p)
            continue;
        kprintf("pid %d %s: %s, parent %d, %d live threads%s\n", p->pid, p->name,
                p->state == PROC_ZOMBIE ? "zombie" : "alive",
                p->parent ? p->parent->pid : 0, p->live_threads,
                p->killed ? ", killed" : "");
        VDSO_DATA *v = shared_vdso(&p->shared);
        if (v) {
            /* What the process says of itself (it may be lying). */
            kprintf("  shared region: %lu user-mode switches, queue lock %u, current/block_sched per hart:",
                    v->user_switches, v->queue_lock);
            for (uint64_t h = 0; h < hart_count && h < SCHED_MAX_HARTS; h++)
                kprintf(" %x/%x", v->current[h], v->block_sched[h]);
            kprintf("\n");
        }
        list_for_each(pos, &p->threads) {
            struct thread *t = list_entry(pos, struct thread, proc_node);
            kprintf("  tid %d: %s, prio %d, hart %d%s%s", t->tid, tstate_name(t),
                    t->priority, t->hart, t->waiting_on ? ", on a wait queue" : "",
                    t->wake_at ? ", with a deadline" : "");
            if (v) {
                const TaskSched *rec = shared_task(&p->shared, (uint32_t)t->stack_slot);
                kprintf(", slot %d (record: state %u, hart %u%s)", t->stack_slot,
                        rec->state, rec->hart,
                        rec->flags & TASK_FLAG_IN_QUEUE ? ", queued" : "");
            }
            kprintf("\n");
        }
    }
    for (uint64_t i = 0; i < hart_count; i++) {
        struct cpu *c = &cpus[hart_ids[i]];
        kprintf("hart %lu: running tid %d%s, %lu switches", c->hartid,
                c->current ? c->current->tid : 0,
                c->need_resched ? ", resched pending" : "", c->switches);
        if (c->awaiting_tid)
            kprintf(", waiting for tid %d to be released", c->awaiting_tid);
        kprintf("\n");
    }
    kprintf("sched_lock %s (hart %d), proc_lock %s (hart %d)\n",
            sched_lock.locked ? "held" : "free", sched_lock.owner,
            proc_lock.locked ? "held" : "free", proc_lock.owner);
}
