/*
 * Asynchronous reads and writes on pipes (SYS_read_async, SYS_write_async).
 *
 * An operation that can complete at once does so in the system call, like
 * read() or write().  Otherwise it joins the pipe's line (fs/pipe_impl.h)
 * as a pending struct coio_op, and is completed once it heads the line
 * and the pipe allows: by the system call whose transfer allowed it
 * (transferred_here: on that hart, naming that thread to its executor),
 * else by the pipe's kernel coroutine.  Either copies the data from or
 * to the submitter's memory, writes io, rings its doorbell.
 * One coroutine per pipe while asynchronous operations wait on it; it
 * ends when none is left (a new one is spawned for the next).
 */
#include "fs/file.h"
#include "fs/pipe_impl.h"
#include "fs/coio.h"
#include "proc/proc.h"
#include "sched/kcoro.h"
#include "kernel/panic.h"
#include "mm/kmalloc.h"
#include "uapi/errno.h"

#define PIPE_CO_PRIO   10       /* the kernel's coroutines: pipes ... */
#define PIPE_CO_BATCH  16       /* operations completed per poll (bounded) */

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
        struct coio_op *op = head_async(&p->readers_line);
        if (!op || !can_go(p, op))
            op = head_async(&p->writers_line);
        if (!op || !can_go(p, op))
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
static void finish_served(struct list_node *done, const struct thread *waker)
{
    list_for_each_safe(pos, done) {
        struct coio_op *op = list_entry(pos, struct coio_op, qnode);
        list_remove(&op->qnode);
        coio_finish_by(op, waker);
    }
}

/* The pipe's coroutine: completes what heads the lines, up to a batch. */
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
            bool end = p->nasync == 0, gone = false;
            if (end) {
                p->kco = CO_NONE;        /* the next submission spawns one */
                gone = pipe_gone(p);
            }
            spin_unlock(&p->lock);
            /* Doorbells outside the pipe's lock (they take co.lock). */
            finish_served(&done, NULL);
            if (end) {
                f->pipe = NULL;
                if (gone)
                    pipe_free(p);
                return CO_READY;
            }
            if (served == PIPE_CO_BATCH)
                kcoro_wake(self->cid);   /* more, at the next poll */
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
     * cannot end before the operation is in line. */
    p->kco = cid;
    kcoro_detach(cid);
    return 0;
}

/* Lock held: the transfer may go now, as read() or write() would (nothing
 * waits in line before it). */
static bool goes_now(struct pipe *p, struct coio_op *op, struct list_node *line)
{
    return list_empty(line) && can_go(p, op);
}

/* Lock held, after a transfer in the submitter's system call: what it
 * made possible is completed here and now, on this hart, rather than by
 * the pipe's coroutine on whichever hart polls the kernel's executor
 * next.  In a ring of coroutines (b_prings) the token a write puts in
 * the pipe is copied out to the waiting reader while its lines are still
 * in this hart's cache, and the reader's doorbell names the writer's
 * thread, whose worker then runs the reader next (co_note_waker_locked;
 * docs/coroutines.md, "Affinity").  The pipe's coroutine still serves
 * what is left past the batch, and ends once nothing waits. */
static void transferred_here(struct pipe *p, struct list_node *done)
{
    serve_lines(p, done);
    pipe_kick(p);           /* threads; the coroutine if ops still wait */
    if (p->nasync == 0 && p->kco != CO_NONE)
        kcoro_wake(p->kco); /* nothing left: it ends at its next poll */
}

long pipe_submit_async(struct file *f, struct coio_op *op)
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
        finish_served(&done, thread_current());
        return r;
    }
    spin_unlock(&p->lock);
    /* To wait: co.lock first, then the pipe's (their order).  The pipe may
     * have changed in between, so the same test again. */
    spin_lock(&cur->co.lock);
    spin_lock(&p->lock);
    if (goes_now(p, op, line)) {
        r = transfer(p, op);
        transferred_here(p, &done);
    } else if ((r = coio_admit(cur, op)) == 0 && (r = ensure_coroutine(p)) == 0) {
        /* In line under the lock the coroutine takes: no lost wake-up. */
        op->file = f;
        list_push_back(line, &op->qnode);
        p->nasync++;
        coio_pend(cur, op, reading ? &p->rq : &p->wq);
        r = -EINPROGRESS;
    }
    spin_unlock(&p->lock);
    spin_unlock(&cur->co.lock);
    finish_served(&done, thread_current());
    return r;
}
