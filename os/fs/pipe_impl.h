/*
 * Inside a pipe: shared by the synchronous side (fs/pipe.c) and the
 * asynchronous one (fs/pipe_async.c).
 *
 * Readers wait in one line (`readers_line`), writers in another, each in
 * FIFO order whatever their kind: a thread in read() or write() waits there
 * as a COIO_SYNC entry on its stack, an asynchronous operation as its
 * struct coio_op.  Only the head of a line is served; whoever changes the
 * pipe (data in or out, an end closed, a waiter leaving) kicks the lines:
 * the waiting threads are woken to look, and the asynchronous operations
 * that now head the lines and may go are completed there and then, under
 * the same hold of the pipe's lock, up to a batch (their doorbells rung
 * once the lock is released: pipe_finish).  Only what is left past the
 * batch goes to the pipe's kernel coroutine (fs/pipe_async.c), which
 * exists only while it has such work.
 */
#ifndef FS_PIPE_IMPL_H
#define FS_PIPE_IMPL_H

#include <stdbool.h>
#include <stdint.h>
#include "fs/coio.h"
#include "proc/waitq.h"
#include "kernel/spinlock.h"
#include "mm/uvm.h"
#include "uapi/syscall.h"
#include "coro.h"

struct pipe {
    struct spinlock lock;
    char *buf;                     /* PIPE_BUF_SIZE bytes: a frame of its own,
                                      so the struct fits a 256-byte slab */
    uint64_t head, tail;           /* read at head, write at tail; grow forever */
    int readers, writers;          /* open ends */
    struct waitq can_read, can_write;
    uint32_t asleep_reading;       /* threads asleep on can_read, and on */
    uint32_t asleep_writing;       /* can_write (wait_turn; under lock) */
    struct list_node readers_line, writers_line;   /* struct coio_op, FIFO */
    struct coio_queue rq, wq;      /* the lines, for fs/coio.c */
    uint32_t nasync;               /* asynchronous ops in the lines */
    uint32_t kco;                  /* CID of its kernel coroutine (more
                                      completions than a batch were due),
                                      CO_NONE: none; the pipe is freed only
                                      without */
};

/* Lock held: let the heads of the lines look again: the threads are
 * woken, the asynchronous operations that may go are completed onto *done
 * (pipe_serve_locked).  The caller passes *done to pipe_finish once it has
 * released the lock, before it sleeps or returns. */
void pipe_kick(struct pipe *p, struct list_node *done);
/* The same for the threads only. */
void pipe_kick_threads(struct pipe *p);
/* Lock held, p->nasync > 0: completes what heads the lines while the pipe
 * allows, up to a batch, moving each completed op onto *done; if more could
 * go past the batch, the pipe's coroutine completes the rest (spawned if
 * need be; if it cannot be, the rest is completed here too). */
void pipe_serve_locked(struct pipe *p, struct list_node *done);
/* No lock held: rings the doorbells of what was completed onto done and
 * lets the ops go.  waker: the thread whose system call completed them
 * (named to its process's executor, docs/coroutines.md "Affinity"), or
 * NULL.  Afterwards the pipe may be gone unless the caller holds an end. */
void pipe_finish_ops(struct list_node *done, const struct thread *waker);
static inline void pipe_finish(struct list_node *done, const struct thread *waker)
{
    if (!list_empty(done))
        pipe_finish_ops(done, waker);
}
/* Ring <-> user memory at uaddr of `us`; -EFAULT: nothing moved, as long
 * as the caller moves the ring's head or tail only on success (part of
 * the bytes may have been copied: into the user's buffer, or past tail). */
int pipe_ring_copy(struct pipe *p, struct uspace *us, uint64_t uaddr, uint64_t pos,
                   size_t n, bool to_user);
/* Lock held: may the head of the readers' line take something now (data,
 * or end of file)?  And how much room would a write of n need now? */
static inline bool pipe_readable(const struct pipe *p)
{
    return p->head != p->tail || p->writers == 0;
}
static inline bool pipe_writable(const struct pipe *p, size_t n)
{
    size_t space = PIPE_BUF_SIZE - (p->tail - p->head);
    return p->readers == 0 || (n <= PIPE_BUF_SIZE ? space >= n : space > 0);
}
/* Lock held: is op the first in its line? */
static inline bool pipe_first(const struct list_node *line, const struct coio_op *op)
{
    return line->next == &op->qnode;
}
/* Frees a pipe that is gone (below): its ring and itself. */
void pipe_free(struct pipe *p);
/* Lock held: both ends closed and no coroutine: the caller frees it. */
static inline bool pipe_gone(const struct pipe *p)
{
    return p->readers == 0 && p->writers == 0 && p->kco == CO_NONE;
}

#endif
