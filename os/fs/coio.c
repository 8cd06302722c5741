/* Asynchronous operations: their life cycle (fs/coio.h). */
#include "fs/coio.h"
#include "fs/file.h"
#include "proc/proc.h"
#include "sched/coexec.h"
#include "mm/kmalloc.h"
#include "mm/uvm.h"
#include "kernel/panic.h"
#include "arch/riscv.h"
#include "uapi/errno.h"
#include "uapi/syscall.h"
#include "coro.h"
#include "kernel/ordered_store.h"

_Static_assert(sizeof(struct co_io) == 16, "struct co_io: 16 bytes");
_Static_assert(__builtin_offsetof(struct co_io, cid) == 8, "co_io.cid");
_Static_assert(__builtin_offsetof(struct co_io, done) == 12, "co_io.done");

static bool cid_ok(struct proc *p, uint32_t cid)
{
    return cid != CO_NONE && CO_INDEX(cid) < p->co.capacity;
}

int coio_prepare(struct coio_op *op, enum coio_kind kind, uint64_t io)
{
    struct proc *p = proc_current();
    uint32_t cid;
    /* In user memory only (below USER_TOP, so never the shared region or
     * the kernel), writable, whole.  Aligned to 8, the record lies in one
     * page unless it starts in a page's last 8 bytes: then the reading of
     * its CID, which walks that one page and requires it writable, is the
     * whole check.  Before, uvm_range_ok walked the page first, and the
     * copy walked it again (four submissions a pipe_async round trip). */
    if (io % 8)
        return -EFAULT;
    if (!uvm_one_page(io, sizeof(struct co_io)) &&
        !uvm_range_ok(&p->vm, io, sizeof(struct co_io), true))
        return -EFAULT;
    if (copy_from_writable_user(&p->vm, &cid, io + __builtin_offsetof(struct co_io, cid), 4))
        return -EFAULT;
    /* The early check, without co.lock: the capacity only grows while the
     * process lives and drops to 0 at exit or exec, and a lock would not
     * keep it from changing after the look either.  Whatever uses the CID
     * later checks it again under co.lock (coio_admit, the doorbell), so
     * a transfer that completes in the call (the token of a ring's hop)
     * takes no lock of the process but its pipe's.  Before, both halves
     * of every hop took co.lock here, and its line went between the
     * workers' harts (b_prings on 2 harts). */
    uint32_t capacity = __atomic_load_n(&p->co.capacity, __ATOMIC_ACQUIRE);
    if (cid == CO_NONE || CO_INDEX(cid) >= capacity)
        return -EINVAL;
    *op = (struct coio_op){ .kind = kind, .proc = p, .cid = cid, .io = io };
    list_init(&op->qnode);
    list_init(&op->pnode);
    return 0;
}

struct coio_op *coio_keep(const struct coio_op *op)
{
    KASSERT(!list_linked(&op->qnode) && !list_linked(&op->pnode) && !op->file);
    /* Unzeroed: the copy below writes every member, so zeroing it first
     * (kmalloc) wrote the same 112 bytes twice.  Nothing reads the slot's
     * padding or its tail, and a coio_op never goes to user memory. */
    struct coio_op *kept = kmalloc_unzeroed(sizeof(*kept));
    if (!kept)
        return NULL;
    *kept = *op;
    list_init(&kept->qnode);        /* its own, not the copy's */
    list_init(&kept->pnode);
    return kept;
}

struct coio_op *coio_new(enum coio_kind kind, uint64_t io, int *err)
{
    struct coio_op op;
    *err = coio_prepare(&op, kind, io);
    if (*err)
        return NULL;
    struct coio_op *kept = coio_keep(&op);
    if (!kept)
        *err = -ENOMEM;
    return kept;
}

void coio_discard(struct coio_op *op)
{
    KASSERT(!list_linked(&op->qnode) && !list_linked(&op->pnode));
    if (op->file)
        file_close(op->file);
    kfree(op);
}

/* op has been completed: io->result written, and io->done being or been
 * written.  No lock needed: coio_complete sets op->done before it writes
 * io->done, so once the process has seen io->done, this says true. */
int coio_admit(struct proc *p, struct coio_op *op)
{
    KASSERT(spin_holding(&p->co.lock));
    if (!cid_ok(p, op->cid))
        return -EINVAL;
    if (p->co.nops >= COIO_MAX_PENDING)
        return -EAGAIN;
    /* Only a pending op makes io busy: one already completed is no longer
     * pending for the process, though its completer has yet to take it off
     * the lists (coio_finish, after a batch): the process saw io->done and
     * may reuse io at once (the co__io fast path does, on another hart).
     * Refusing it was a spurious EBUSY (b_conn, 112 connections on 2
     * harts, 2 runs in 6).  coio_index_find skips completed ops. */
    if (coio_index_find(&p->co.by_io, op->io))
        return -EBUSY;
    return coio_index_reserve(&p->co.by_io);
}

void coio_pend(struct proc *p, struct coio_op *op, struct coio_queue *q)
{
    KASSERT(spin_holding(&p->co.lock) && spin_holding(q->lock));
    op->q = q;
    op->done = false;
    /* The completer reaches p through op until it is released: exit and
     * exec wait for that (coio_wait_released).  On this line, which the
     * lock brought here, not on p->refs': no line of its own moves. */
    __atomic_add_fetch(&p->co.holds, 1, __ATOMIC_RELAXED);
    list_push_back(&p->co.ops, &op->pnode);
    coio_index_add(&p->co.by_io, op);
    p->co.nops++;
}

struct completion {
    struct coio_op *op;
    int64_t result;
};

/* uvm_write_in_page's step for a record in one page: the same three
 * stores, in the same order, as coio_complete's two copies. */
static void store_completion(void *k, void *arg)
{
    struct co_io *io = k;
    const struct completion *c = arg;
    *(volatile int64_t *)&io->result = c->result;
    __atomic_store_n(&c->op->done, true, __ATOMIC_SEQ_CST);
    store_release(&io->done, 1);   /* after the result */
}

bool coio_complete(struct coio_op *op, int64_t result)
{
    KASSERT(op->kind != COIO_SYNC && spin_holding(op->q->lock) && !op->done);
    struct uspace *us = &op->proc->vm;
    list_remove(&op->qnode);
    /* result, then op->done, then io->done: the process reads io->done
     * first, and op->done must be set before it: a process that has seen
     * io->done may submit with the same io at once, and coio_admit must
     * not find this op pending.  A record within one page (every one
     * but those in a page's last 8 bytes) in one walk and one hold of
     * the address space: two copies walked the same page twice, two
     * completions a pipe_async round trip. */
    struct completion c = { op, result };
    if (uvm_one_page(op->io, sizeof(struct co_io)) &&
        uvm_write_in_page(us, op->io, sizeof(struct co_io), store_completion, &c))
        return true;
    /* Across two pages, or its page not there (unmapped by another
     * thread since, sbrk: the result is lost, the kernel is not hurt; or
     * a thread stack's page, mapped by the copy). */
    uint32_t one = 1;
    bool ok = !copy_to_user(us, op->io, &result, sizeof(result));
    __atomic_store_n(&op->done, true, __ATOMIC_SEQ_CST);
    return ok && !copy_to_user(us, op->io + __builtin_offsetof(struct co_io, done), &one,
                               sizeof(one));
}

/* The op is off both lists: its references go, and its hold on the
 * process last: once co.holds is down, exit or exec may go on and the
 * process may be freed, so nothing of p is touched after it. */
static void release(struct coio_op *op)
{
    struct proc *p = op->proc;
    if (op->file)
        file_close(op->file);
    kfree(op);
    uint32_t was = __atomic_fetch_sub(&p->co.holds, 1, __ATOMIC_RELEASE);
    KASSERT(was > 0);                   /* no release without its pend */
}

void coio_wait_released(struct proc *p)
{
    while (__atomic_load_n(&p->co.holds, __ATOMIC_ACQUIRE) != 0)
        cpu_relax();
}

void coio_finish(struct coio_op *op)
{
    coio_finish_by(op, NULL);
}

void coio_finish_by(struct coio_op *op, const struct thread *waker)
{
    struct proc *p = op->proc;
    KASSERT(op->done && !list_linked(&op->qnode));
    bool sleepers;
    spin_lock(&p->co.lock);
    struct coexec_raise raise;
    bool rang = co_doorbell_locked(p, op->cid, &sleepers);
    if (rang && waker && waker->proc == p && waker->stack_slot >= 0)
        co_note_waker_locked(p, (uint32_t)waker->stack_slot, op->cid);
    if (rang)
        coexec_raise_pick_locked(p, &p->co, op->cid, sleepers, waker, &raise);
    list_remove(&op->pnode);
    coio_index_remove(&p->co.by_io, op);
    KASSERT(p->co.nops > 0 && p->co.nops == p->co.by_io.count + 1);
    p->co.nops--;
    spin_unlock(&p->co.lock);
    if (rang)
        coexec_after_ring(p, sleepers, &raise);
    release(op);
}

/* op was taken off its queue; no lock held: the queue completes what that
 * let go.  Before release: op's reference to its file keeps a pipe (the
 * queue) alive until then. */
static void after_removed(struct coio_op *op)
{
    if (op->q->after_removed)
        op->q->after_removed(op->q);
}

/* co.lock held: takes op off its queue unless its completer has it. */
static bool take_off(struct coio_op *op)
{
    struct coio_queue *q = op->q;
    spin_lock(q->lock);
    bool pending = !op->done;
    if (pending) {
        list_remove(&op->qnode);
        q->removed(q);
    }
    spin_unlock(q->lock);
    if (pending) {
        list_remove(&op->pnode);
        coio_index_remove(&op->proc->co.by_io, op);
        op->proc->co.nops--;
    }
    return pending;
}

int coio_cancel(struct proc *p, uint64_t io)
{
    spin_lock(&p->co.lock);
    /* The pending op on io (a completed one with the same io may still be
     * in the index: see coio_admit).  take_off waits for a completer to be
     * done with io, and fails if one took the op meanwhile. */
    struct coio_op *found = coio_index_find(&p->co.by_io, io);
    bool taken = found && take_off(found);
    spin_unlock(&p->co.lock);
    if (!taken)
        return -ENOENT;             /* none, or its completer is finishing it */
    after_removed(found);
    release(found);
    return 0;
}

void coio_drop_all(struct proc *p)
{
    struct list_node dropped = LIST_INIT(dropped);
    spin_lock(&p->co.lock);
    list_for_each_safe(pos, &p->co.ops) {
        struct coio_op *op = list_entry(pos, struct coio_op, pnode);
        if (take_off(op))
            list_push_back(&dropped, &op->pnode);
    }
    spin_unlock(&p->co.lock);
    /* Outside co.lock: releasing a file may close a pipe end. */
    list_for_each_safe(pos, &dropped) {
        struct coio_op *op = list_entry(pos, struct coio_op, pnode);
        list_remove(&op->pnode);
        after_removed(op);
        release(op);
    }
}
