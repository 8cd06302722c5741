/*
 * Asynchronous reads and writes on pipes (SYS_read_async, SYS_write_async).
 *
 * An operation that can complete at once does so in the system call, like
 * read() or write().  Otherwise it joins the pipe's line (fs/pipe_impl.h)
 * as a pending struct coio_op, and is completed once it heads the line
 * and the pipe allows: by whoever made the pipe allow it (a read, write,
 * close, cancel or exit, synchronous or not), there and then, under the
 * same hold of the pipe's lock (pipe_serve_locked), its doorbell rung
 * once the lock is released (pipe_finish).  Either copies the data from
 * or to the submitter's memory, writes io, rings its doorbell.
 *
 * Up to a batch of completions per change: the rest (a close that ends
 * hundreds of reads, a write that feeds hundreds of one-byte reads) goes
 * to the pipe's kernel coroutine, spawned for it and ended once nothing
 * more can go.  Before, every operation that had to wait spawned the
 * coroutine (a frame from the kernel heap, the kernel executor's lock)
 * and woke it to end, and whichever hart polled next ran it: the frame
 * allocated on one hart and freed on another, the executor's lines moved
 * between harts at every pending read (docs/performance.md, "Scaling
 * over harts").
 */
#include "fs/file.h"
#include "fs/pipe_impl.h"
#include "fs/coio.h"
#include "proc/proc.h"
#include "sched/kcoro.h"
#include "kernel/panic.h"
#include "mm/kmalloc.h"
#include "mm/uvm.h"
#include "uapi/errno.h"

#define PIPE_CO_PRIO   10       /* the kernel's coroutines: pipes ... */
#define PIPE_CO_BATCH  16       /* completions per change, or per poll of the
                                   coroutine: bounded, as both run with the
                                   pipe's lock held */

struct pipe_co {
    struct co co;               /* first: the executor's view */
    struct pipe *pipe;
};

/* Moves the data of op now (lock held, the pipe allows it): bytes, or
 * -errno with nothing moved. */
static int64_t transfer(struct pipe *p, struct coio_op *op)
{
    struct uspace *us = &op->proc->vm;
    if (op->kind == COIO_READ) {
        size_t avail = p->tail - p->head;
        size_t got = op->n < avail ? op->n : avail;
        if (pipe_ring_copy(p, us, op->buf, p->head, got, true))
            return -EFAULT;
        p->head += got;
        return (int64_t)got;
    }
    if (p->readers == 0)
        return -EPIPE;
    size_t space = PIPE_BUF_SIZE - (p->tail - p->head);
    size_t chunk = op->n < space ? op->n : space;
    if (pipe_ring_copy(p, us, op->buf, p->tail, chunk, false))
        return -EFAULT;
    p->tail += chunk;
    return (int64_t)chunk;
}

static bool can_go(struct pipe *p, struct coio_op *op)
{
    return op->kind == COIO_READ ? pipe_readable(p) : pipe_writable(p, op->n);
}

/* The first of a line if it is an asynchronous operation (a thread at the
 * head serves itself). */
static struct coio_op *head_async(struct list_node *line)
{
    if (list_empty(line))
        return NULL;
    struct coio_op *op = list_entry(line->next, struct coio_op, qnode);
    return op->kind == COIO_SYNC ? NULL : op;
}

/* Lock held: the asynchronous operation that heads a line and may go now,
 * the readers' first, or NULL. */
static struct coio_op *next_to_serve(struct pipe *p)
{
    struct coio_op *op = head_async(&p->readers_line);
    if (!op || !can_go(p, op))
        op = head_async(&p->writers_line);
    return op && can_go(p, op) ? op : NULL;
}

static void pipe_co_drop(struct co *self)
{
    kfree(self);
}

/* Completes what heads the lines while the pipe allows, up to a batch,
 * moving each completed op onto *done (coio_finish_by for each once the
 * lock is released: the doorbell takes co.lock).  Lock held.  How many. */
static int serve_lines(struct pipe *p, struct list_node *done)
{
    int served = 0;
    while (served < PIPE_CO_BATCH) {
        struct coio_op *op = next_to_serve(p);
        if (!op)
            break;
        coio_complete(op, transfer(p, op));
        KASSERT(p->nasync > 0);
        p->nasync--;
        list_push_back(done, &op->qnode);
        served++;
    }
    if (served)
        pipe_kick_threads(p);
    return served;
}

/* The doorbells of what serve_lines completed; `waker`: the thread whose
 * system call completed them, or NULL (the pipe's coroutine). */
void pipe_finish_ops(struct list_node *done, const struct thread *waker)
{
    list_for_each_safe(pos, done) {
        struct coio_op *op = list_entry(pos, struct coio_op, qnode);
        list_remove(&op->qnode);
        coio_finish_by(op, waker);
    }
}

/* The pipe's coroutine: completes what heads the lines, a batch a poll,
 * and ends once nothing more can go (what goes later is completed by
 * whoever lets it go). */
static int pipe_co_poll(struct co *self)
{
    struct pipe_co *f = (struct pipe_co *)self;
    struct pipe *p = f->pipe;
    struct list_node done = LIST_INIT(done);
    switch (self->line) {
    case 0:
        for (;;) {
            spin_lock(&p->lock);
            KASSERT(p->kco == self->cid);
            int served = serve_lines(p, &done);
            bool end = served < PIPE_CO_BATCH || !next_to_serve(p), gone = false;
            if (end) {
                p->kco = CO_NONE;        /* the next batch past a batch spawns one */
                gone = pipe_gone(p);
            }
            spin_unlock(&p->lock);
            /* Doorbells outside the pipe's lock (they take co.lock).  The
             * coroutine keeps p alive until it ends (pipe_gone): their
             * releases may close its ends. */
            pipe_finish(&done, NULL);
            if (end) {
                f->pipe = NULL;
                if (gone)
                    pipe_free(p);
                return CO_READY;
            }
            kcoro_wake(self->cid);       /* more, at the next poll */
            self->line = 1;
            return CO_PENDING;
    case 1:;
        }
    }
    return CO_READY;
}

/* Lock held: the pipe's coroutine exists (0), or -EAGAIN, -ENOMEM. */
static int ensure_coroutine(struct pipe *p)
{
    if (p->kco != CO_NONE)
        return 0;
    struct pipe_co *f = kmalloc(sizeof(*f));
    if (!f)
        return -ENOMEM;
    f->pipe = p;
    uint32_t cid = kcoro_spawn(pipe_co_poll, &f->co, PIPE_CO_PRIO, pipe_co_drop);
    if (cid == CO_NONE) {
        kfree(f);
        return -EAGAIN;             /* the kernel's executor is full */
    }
    /* Polled at once somewhere, it waits for the pipe's lock (ours): it
     * sees the lines as this hold leaves them. */
    p->kco = cid;
    kcoro_detach(cid);
    return 0;
}

void pipe_serve_locked(struct pipe *p, struct list_node *done)
{
    KASSERT(spin_holding(&p->lock) && p->nasync > 0);
    if (serve_lines(p, done) < PIPE_CO_BATCH || !next_to_serve(p))
        return;                     /* all that may go has gone */
    /* More than a batch may go: the rest at the coroutine's polls, which
     * run a batch at a time with other work between. */
    if (ensure_coroutine(p) == 0) {
        kcoro_wake(p->kco);
        return;
    }
    /* No coroutine to be had (the kernel's executor is full, or no
     * memory): all of it here, or it would wait for the pipe's next
     * change.  Finite: nothing joins the lines while the lock is held. */
    while (serve_lines(p, done) == PIPE_CO_BATCH)
        ;
}

/* Lock held: the transfer may go now, as read() or write() would (nothing
 * waits in line before it). */
static bool goes_now(struct pipe *p, struct coio_op *op, struct list_node *line)
{
    return list_empty(line) && can_go(p, op);
}

/* Lock held, after a transfer in the submitter's system call: what it
 * made possible is completed here and now, on this hart (pipe_kick), as
 * after any change of the pipe.  In a ring of coroutines (b_prings) the
 * token a write puts in the pipe is copied out to the waiting reader
 * while its lines are still in this hart's cache, and the reader's
 * doorbell names the writer's thread, whose worker then runs the reader
 * next (co_note_waker_locked; docs/coroutines.md, "Affinity"). */
static void transferred_here(struct pipe *p, struct list_node *done)
{
    pipe_kick(p, done);
}

/* Is op's buffer good?  For a submission whose check was left to its
 * copy (check_in_copy) when the outcome is not that copy's. */
static bool buffer_ok(struct coio_op *op)
{
    return uvm_range_ok(&op->proc->vm, op->buf, op->n, op->kind == COIO_READ);
}

/* Did a transfer that returned r walk op's buffer's page (one page)?  A
 * copy moved bytes or failed on it; a read at end of file (0) and a write
 * with no reader (-EPIPE) touched no user memory. */
static bool copy_walked_buffer(long r)
{
    return r > 0 || r == -EFAULT;
}

long pipe_submit_async(struct file *f, struct coio_op *op, bool check_in_copy)
{
    struct proc *cur = op->proc;
    struct pipe *p = f->pipe;
    bool reading = op->kind == COIO_READ;
    struct list_node *line = reading ? &p->readers_line : &p->writers_line;
    struct list_node done = LIST_INIT(done);
    long r;
    /* At once, under the pipe's lock alone: a transfer that completes in
     * the call touches none of the process's pending operations, so it
     * needs no co.lock.  Holding co.lock across the copy (up to a page)
     * made every worker of a process wait for each other's copies, and,
     * on a loaded host, for a holder the host had descheduled (b_prings:
     * most of the time two harts spun; docs/performance.md, "Scaling over
     * harts"). */
    spin_lock(&p->lock);
    if (goes_now(p, op, line)) {
        r = transfer(p, op);
        transferred_here(p, &done);
        spin_unlock(&p->lock);
        /* Neither f nor p is used again here: a borrow of f goes before
         * the releases of what this completed (fs/file.h, "A borrow"). */
        file_borrow_end();
        pipe_finish(&done, thread_current());
        /* A transfer that moved nothing left the pipe as it was: the
         * buffer's check, left to the copy, comes now, as if first. */
        if (check_in_copy && !copy_walked_buffer(r) && !buffer_ok(op))
            return -EFAULT;
        return r;
    }
    spin_unlock(&p->lock);
    /* Before it can wait: a bad buffer is -EFAULT at once. */
    if (check_in_copy && !buffer_ok(op))
        return -EFAULT;
    /* To wait: co.lock first, then the pipe's (their order).  The pipe may
     * have changed in between, so the same test again. */
    spin_lock(&cur->co.lock);
    spin_lock(&p->lock);
    if (goes_now(p, op, line)) {
        r = transfer(p, op);
        transferred_here(p, &done);
    } else if ((r = coio_admit(cur, op)) == 0) {
        /* In line under the lock that whoever changes the pipe takes:
         * no lost completion.  No coroutine: the change completes it.
         * The op waits in the kernel heap (the caller's is on its stack);
         * coio_admit's reservation in the index needs no undoing. */
        struct coio_op *kept = coio_keep(op);
        if (!kept) {
            r = -ENOMEM;
        } else if (!file_dup_borrowed(f)) {
            /* A borrowed f whose last close (a sibling's) is under way:
             * the descriptor was closed before this submission. */
            coio_discard(kept);
            r = -EBADF;
        } else {
            kept->file = f;                 /* its own reference: the
                                               caller's hold ends */
            list_push_back(line, &kept->qnode);
            p->nasync++;
            coio_pend(cur, kept, reading ? &p->rq : &p->wq);
            r = -EINPROGRESS;
        }
    }
    spin_unlock(&p->lock);
    spin_unlock(&cur->co.lock);
    file_borrow_end();                  /* as above */
    pipe_finish(&done, thread_current());
    return r;
}
