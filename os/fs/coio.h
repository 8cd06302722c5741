/*
 * Asynchronous operations (SYS_read_async, SYS_write_async,
 * SYS_sleep_async): one struct coio_op each, from submission until it is
 * completed, cancelled or dropped.
 *
 * An op is on two lists: its queue (a pipe's readers or writers, the
 * timers), under that queue's lock, and its process's (proc->co.ops, and
 * the same ops by io address in proc->co.by_io, fs/coio_index.h), under
 * proc->co.lock.  Lock order: co.lock, then the queue's lock.
 *
 *   complete (a kernel coroutine, queue lock held): writes the data and
 *       io->result, then io->done, marks op->done and takes it off the
 *       queue; after the queue lock, coio_finish rings the doorbell and
 *       frees it;
 *   cancel / drop (co.lock, then the queue lock): an op not yet done is
 *       taken off its queue: it never touches the process's memory.  One
 *       found done is being finished by its completer, which frees it.
 *
 * Each op holds a reference to its file and a hold on its process
 * (proc->co.holds, counted under co.lock where the op goes pending and
 * dropped as the last thing its release does), so the completer can
 * always reach both: exit and exec drop every pending op, then wait for
 * the holds of those their completers have taken to go
 * (coio_wait_released), before they free anything the op reaches.  The
 * user memory it writes is the process's until the op is off its queue.
 */
#ifndef FS_COIO_H
#define FS_COIO_H

#include <stdbool.h>
#include <stdint.h>
#include "lib/list.h"
#include "kernel/spinlock.h"

struct proc;
struct file;

enum coio_kind { COIO_SYNC, COIO_READ, COIO_WRITE, COIO_SLEEP };

/* Where ops wait. */
struct coio_queue {
    struct spinlock *lock;
    /* An op was taken off (cancelled or dropped): the queue's own count.
     * Lock held (and the canceller's co.lock: nothing here may take a
     * process's co.lock, so nothing is completed here). */
    void (*removed)(struct coio_queue *q);
    /* Then, with no lock held and before the op lets its references go:
     * completes what the removal let go (the next in line).  NULL: none
     * to complete (the timers: a removal delays no other sleep). */
    void (*after_removed)(struct coio_queue *q);
};

struct coio_op {
    struct list_node qnode;     /* on its queue (q->lock) */
    struct list_node pnode;     /* on proc->co.ops (co.lock) */
    struct coio_op *hnext;      /* in proc->co.by_io's chain (co.lock) */
    enum coio_kind kind;        /* COIO_SYNC: a thread waiting in a pipe's
                                   line (on its stack), nothing else used */
    bool done;                  /* completed, io written (q->lock) */
    struct proc *proc;          /* referenced */
    struct file *file;          /* referenced (pipe ops), or NULL */
    struct coio_queue *q;
    uint32_t cid;
    uint64_t io;                /* user address of its struct co_io */
    uint64_t buf, n;
    uint64_t deadline_ns;       /* COIO_SLEEP */
};

/* A new op for the calling process: io checked (user memory, writable,
 * aligned), io->cid read and checked against the executor's capacity.
 * NULL with *err: -EFAULT, -EINVAL, -ENOMEM. */
struct coio_op *coio_new(enum coio_kind kind, uint64_t io, int *err);
/* The same checks, filling the caller's *op (on its stack: a pipe
 * submission that completes in the call needs no kernel heap).  0,
 * -EFAULT, -EINVAL. */
int coio_prepare(struct coio_op *op, enum coio_kind kind, uint64_t io);
/* A copy of a prepared op in the kernel heap, for one that has to wait
 * (on no list yet), or NULL: no memory. */
struct coio_op *coio_keep(const struct coio_op *op);
/* Frees an op that never went on a list. */
void coio_discard(struct coio_op *op);
/* p->co.lock held: may p have one more op pending on io?  0, -EAGAIN past
 * COIO_MAX_PENDING, -EBUSY if io is pending already, -EINVAL if the
 * executor went away (cid no longer below its capacity), -ENOMEM.  O(1). */
int coio_admit(struct proc *p, struct coio_op *op);
/* p->co.lock and q's lock held: op goes pending on p's list (the caller
 * puts it on q). */
void coio_pend(struct proc *p, struct coio_op *op, struct coio_queue *q);

/* The completer, q's lock held: writes result into io (then done), marks
 * op done and takes it off its queue.  False if io could not be written
 * (unmapped meanwhile: the result is dropped). */
bool coio_complete(struct coio_op *op, int64_t result);
/* After the queue's lock is released: the doorbell for op->cid, then op
 * off its process's list and freed. */
void coio_finish(struct coio_op *op);
/* The same, completed in `waker`'s own system call: if waker is a thread
 * of op's process, its worker is told that its call woke op->cid
 * (co_note_waker_locked), so it may run it next, on this hart. */
struct thread;
void coio_finish_by(struct coio_op *op, const struct thread *waker);

/* SYS_co_cancel_io: 0 if a pending op on io was taken off, -ENOENT. */
int coio_cancel(struct proc *p, uint64_t io);
/* Exit and exec: every pending op of p taken off, nothing written. */
void coio_drop_all(struct proc *p);
/* Then: waits until every op of p is released (their completers are done
 * with p).  No new op can go pending: p has no other live thread. */
void coio_wait_released(struct proc *p);

#endif
