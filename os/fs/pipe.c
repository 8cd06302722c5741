/*
 * Pipes: a ring buffer of PIPE_BUF_SIZE bytes between a read end and a
 * write end.  Readers block while it is empty and a writer exists (then read
 * returns 0: end of file); writers block while it is full and a reader
 * exists (with no reader, write fails with -EPIPE).  A write of at most
 * PIPE_BUF_SIZE bytes goes in whole, never interleaved with another.
 * Readers are served in the order they came, and so are writers, whether
 * they wait in a system call or asynchronously (fs/pipe_impl.h).
 */
#include "fs/file.h"
#include "fs/pipe_impl.h"
#include "proc/proc.h"
#include "kernel/panic.h"
#include "mm/frame.h"
#include "mm/kmalloc.h"
#include "uapi/errno.h"
#include "memlayout.h"

static void line_removed(struct coio_queue *q);
static void line_after_removed(struct coio_queue *q);

int pipe_create(struct file **read_end, struct file **write_end)
{
    /* What a pipe costs: the frame of its ring, the struct (a slab slot)
     * and its two ends (slab slots): PIPE_BUF_SIZE plus a few hundred
     * bytes, and no contiguous frames. */
    _Static_assert(PIPE_BUF_SIZE == PAGE_SIZE, "the ring is one frame");
    _Static_assert(sizeof(struct pipe) <= 256, "struct pipe: a 256-byte slot");
    struct pipe *p = kmalloc(sizeof(*p));
    char *buf = frame_alloc();
    struct file *r = kmalloc(sizeof(*r));
    struct file *w = kmalloc(sizeof(*w));
    if (!p || !buf || !r || !w) {
        if (buf)
            frame_free(buf);
        kfree(p);
        kfree(r);
        kfree(w);
        return -ENOMEM;
    }
    p->buf = buf;
    spin_init(&p->lock, "pipe");
    waitq_init(&p->can_read);
    waitq_init(&p->can_write);
    p->asleep_reading = p->asleep_writing = 0;
    list_init(&p->readers_line);
    list_init(&p->writers_line);
    p->rq = (struct coio_queue){ &p->lock, line_removed, line_after_removed };
    p->wq = (struct coio_queue){ &p->lock, line_removed, line_after_removed };
    p->kco = CO_NONE;
    p->readers = p->writers = 1;
    *r = (struct file){ .kind = FILE_PIPE_READ, .refs = 1, .pipe = p };
    *w = (struct file){ .kind = FILE_PIPE_WRITE, .refs = 1, .pipe = p };
    *read_end = r;
    *write_end = w;
    return 0;
}

/* Inline in kick: it ends every read and write.  Only a thread asleep in
 * wait_turn needs waking: a line that holds only asynchronous operations
 * (a coroutine's read waiting there) has nobody on the waitq, and
 * waitq_wake takes the global sched_lock to find that out (b_prings on 2
 * harts: sched_lock's line moved at nearly every hop).  The counts change
 * under the pipe's lock, which a sleeper gives up only inside waitq_sleep,
 * with sched_lock held: a waker that sees one then waits for sched_lock
 * and finds the sleeper on the waitq. */
static inline void kick_threads(struct pipe *p)
{
    KASSERT(spin_holding(&p->lock));
    if (p->asleep_reading)
        waitq_wake(&p->can_read, -1);
    if (p->asleep_writing)
        waitq_wake(&p->can_write, -1);
}

void pipe_kick_threads(struct pipe *p)
{
    kick_threads(p);
}

/* Inline in pipe_read and pipe_write, which end with it: two calls a
 * round trip.  Asynchronous operations are completed here, by whoever
 * changed the pipe, on its hart (pipe_serve_locked): no kernel coroutine
 * is spawned, woken or polled elsewhere for them. */
static inline __attribute__((always_inline)) void kick(struct pipe *p, struct list_node *done)
{
    kick_threads(p);
    if (p->nasync)
        pipe_serve_locked(p, done);
}

void pipe_kick(struct pipe *p, struct list_node *done)
{
    kick(p, done);
}

/* kick for a caller that kicks once, with *done not yet set up: it is
 * set up only when an asynchronous operation waits, so that a read or
 * write on a pipe without one (nearly every) pays no stores for it.  True
 * if *done is to be passed to pipe_finish. */
static inline __attribute__((always_inline)) bool kick_once(struct pipe *p,
                                                           struct list_node *done)
{
    kick_threads(p);
    if (!p->nasync)
        return false;
    list_init(done);
    pipe_serve_locked(p, done);
    return true;
}

static struct pipe *pipe_of_queue(struct coio_queue *q)
{
    return (struct pipe *)((char *)q->lock - __builtin_offsetof(struct pipe, lock));
}

/* A waiter left a line without being served (cancelled, or dropped at
 * exit or exec).  Under the canceller's co.lock: only the count and the
 * threads here; the next in line is completed by line_after_removed. */
static void line_removed(struct coio_queue *q)
{
    struct pipe *p = pipe_of_queue(q);
    KASSERT(p->nasync > 0);
    p->nasync--;
    kick_threads(p);
}

/* Then, no lock held (the removed op still holds its end: p lives). */
static void line_after_removed(struct coio_queue *q)
{
    struct pipe *p = pipe_of_queue(q);
    struct list_node done = LIST_INIT(done);
    spin_lock(&p->lock);
    kick(p, &done);
    spin_unlock(&p->lock);
    pipe_finish(&done, NULL);
}

void pipe_close_end(struct pipe *p, int writer)
{
    struct list_node done = LIST_INIT(done);
    spin_lock(&p->lock);
    if (writer)
        p->writers--;
    else
        p->readers--;
    /* The other side: readers see EOF, writers see EPIPE. */
    kick(p, &done);
    bool gone = pipe_gone(p);
    spin_unlock(&p->lock);
    if (gone) {
        /* Nothing was completed: an op in line holds its end open. */
        KASSERT(list_empty(&done));
        pipe_free(p);
        return;
    }
    /* Their releases may close the other end and free p: nothing of p
     * after this. */
    pipe_finish(&done, NULL);
}

void pipe_free(struct pipe *p)
{
    KASSERT(pipe_gone(p) && p->nasync == 0 && !p->asleep_reading && !p->asleep_writing);
    frame_free(p->buf);
    kfree(p);
}

/* pipe_ring_copy across the ring's end: a page-sized chunk at a time. */
static __attribute__((noinline)) int ring_copy_chunks(struct pipe *p, struct uspace *us,
                                                      uint64_t uaddr, uint64_t pos, size_t n,
                                                      bool to_user)
{
    while (n) {
        size_t at = pos % PIPE_BUF_SIZE;
        size_t chunk = PIPE_BUF_SIZE - at < n ? PIPE_BUF_SIZE - at : n;
        int err = to_user ? copy_to_user_partial(us, uaddr, p->buf + at, chunk)
                          : copy_from_user_partial(us, p->buf + at, uaddr, chunk);
        if (err)
            return err;
        uaddr += chunk;
        pos += chunk;
        n -= chunk;
    }
    return 0;
}

/* Inline in pipe_read and pipe_write: a copy that does not reach the
 * ring's end (nearly every one) is a single call. */
static inline __attribute__((always_inline)) int ring_copy(struct pipe *p, struct uspace *us,
                                                          uint64_t uaddr, uint64_t pos, size_t n,
                                                          bool to_user)
{
    /* A copy that fails moves nothing, though it may have copied part of
     * the bytes: the caller moves the ring's head or tail only when it
     * succeeded, so what went into the user's buffer is not taken from
     * the ring, and what came into the ring lies past its tail, unread.
     * So no check of the whole range first: one page-table walk per page. */
    size_t at = pos % PIPE_BUF_SIZE;
    if (n > PIPE_BUF_SIZE - at)
        return ring_copy_chunks(p, us, uaddr, pos, n, to_user);
    return to_user ? copy_to_user_partial(us, uaddr, p->buf + at, n)
                   : copy_from_user_partial(us, p->buf + at, uaddr, n);
}

int pipe_ring_copy(struct pipe *p, struct uspace *us, uint64_t uaddr, uint64_t pos,
                   size_t n, bool to_user)
{
    return ring_copy(p, us, uaddr, pos, n, to_user);
}

/* A thread's place in a line, on its stack.  Of a COIO_SYNC entry only
 * qnode (set as it joins the line) and kind are ever read (fs/coio.h,
 * pipe_async.c's heads), so only kind is written here: zeroing the whole
 * struct cost 14 stores a read or write. */
static inline void sync_entry(struct coio_op *me)
{
    me->kind = COIO_SYNC;
}

/* Waits (lock held) until `me` heads `line` and ready(p, n) holds.
 * -EINTR if the process is being killed: then `me` has left the line, and
 * *done (set up here) holds what that let go, for pipe_finish. */
static inline __attribute__((always_inline)) int wait_turn(struct pipe *p, struct list_node *line, struct coio_op *me,
                     struct waitq *wq, bool reading, size_t n, struct list_node *done)
{
    while (!pipe_first(line, me) || !(reading ? pipe_readable(p) : pipe_writable(p, n))) {
        uint32_t *asleep = reading ? &p->asleep_reading : &p->asleep_writing;
        (*asleep)++;
        int slept = waitq_sleep(wq, &p->lock, 0);
        KASSERT(*asleep > 0);
        (*asleep)--;
        if (slept == -EINTR) {
            list_remove(&me->qnode);
            list_init(done);
            kick(p, done);
            return -EINTR;
        }
    }
    return 0;
}

long pipe_read(struct pipe *p, struct uspace *us, uint64_t uaddr, size_t n)
{
    if (n == 0)
        return 0;
    struct coio_op me;
    struct list_node done;           /* set up if used (kick_once) */
    sync_entry(&me);
    spin_lock(&p->lock);
    list_push_back(&p->readers_line, &me.qnode);
    if (wait_turn(p, &p->readers_line, &me, &p->can_read, true, n, &done)) {
        spin_unlock(&p->lock);
        pipe_finish(&done, NULL);
        return -EINTR;
    }
    size_t avail = p->tail - p->head;
    size_t got = n < avail ? n : avail;
    long r = (long)got;
    if (ring_copy(p, us, uaddr, p->head, got, true))
        r = -EFAULT;                 /* unmapped meanwhile: nothing taken */
    else
        p->head += got;
    list_remove(&me.qnode);
    bool served = kick_once(p, &done);   /* the next reader, and the writers */
    spin_unlock(&p->lock);
    if (served)
        pipe_finish(&done, thread_current());
    return r;
}

/* write_pipe's way for a write that does not go in at once: it joins the
 * writers' line and waits.  Out of line, so that the usual write (in at
 * once) does not save the registers of this loop.  p->lock held; released
 * on return. */
static __attribute__((noinline)) long write_pipe_in_line(struct pipe *p, struct uspace *us,
                                                         uint64_t uaddr, size_t n,
                                                         bool check_in_copy)
{
    /* Under the pipe's lock, as the copy would be (the address space's
     * lock nests inside it). */
    if (check_in_copy && !uvm_range_ok(us, uaddr, n, false)) {
        spin_unlock(&p->lock);
        return -EFAULT;
    }
    size_t done = 0;
    long r = 0;
    struct coio_op me;
    struct list_node served = LIST_INIT(served);
    sync_entry(&me);
    list_push_back(&p->writers_line, &me.qnode);
    while (done < n) {
        /* Small writes go in whole: wait for room for all of it (the rest
         * of a large one goes in as room appears, still first in line). */
        if (wait_turn(p, &p->writers_line, &me, &p->can_write, false,
                      n <= PIPE_BUF_SIZE ? n : 1, &served)) {
            spin_unlock(&p->lock);
            pipe_finish(&served, NULL);
            return done ? (long)done : -EINTR;
        }
        if (p->readers == 0) {
            r = -EPIPE;
            break;
        }
        size_t space = PIPE_BUF_SIZE - (p->tail - p->head);
        size_t want = n - done;
        size_t chunk = want < space ? want : space;
        if (ring_copy(p, us, uaddr + done, p->tail, chunk, false)) {
            r = -EFAULT;
            break;
        }
        p->tail += chunk;
        done += chunk;
        if (done < n) {
            kick(p, &served);        /* the readers: room for the rest */
            if (!list_empty(&served)) {
                /* Their doorbells before this thread waits for room:
                 * the readers it fed are what makes that room.  Still
                 * first in line: wait_turn looks at the pipe again. */
                spin_unlock(&p->lock);
                pipe_finish(&served, thread_current());
                spin_lock(&p->lock);
            }
        }                            /* (all in: the kick below, same hold) */
    }
    list_remove(&me.qnode);
    kick(p, &served);
    spin_unlock(&p->lock);
    pipe_finish(&served, thread_current());
    return done ? (long)done : r;
}

/* pipe_write, and pipe_write_checked_in_copy when check_in_copy: then
 * the buffer (within one page) has not been checked yet.  Its copy checks
 * it; any other outcome (a wait, -EPIPE) comes only after the check, so
 * that a bad buffer is -EFAULT at once, as if it had been checked first. */
static inline __attribute__((always_inline)) long write_pipe(struct pipe *p, struct uspace *us,
                                                            uint64_t uaddr, size_t n,
                                                            bool check_in_copy)
{
    KASSERT(!check_in_copy || (uvm_one_page(uaddr, n) && n <= PIPE_BUF_SIZE));
    spin_lock(&p->lock);
    /* A write that goes in whole at once (a reader, no writer ahead of it
     * in line, room for all of it): nobody could be served before it, so
     * it need not join the line.  The copy checks the buffer. */
    if (!(n <= PIPE_BUF_SIZE && list_empty(&p->writers_line) && p->readers &&
          pipe_writable(p, n)))
        return write_pipe_in_line(p, us, uaddr, n, check_in_copy);
    long r = (long)n;
    struct list_node done;               /* set up if used (kick_once) */
    if (ring_copy(p, us, uaddr, p->tail, n, false))
        r = -EFAULT;                     /* nothing went in */
    else
        p->tail += n;
    bool served = kick_once(p, &done);
    spin_unlock(&p->lock);
    if (served)
        pipe_finish(&done, thread_current());
    return r;
}

long pipe_write(struct pipe *p, struct uspace *us, uint64_t uaddr, size_t n)
{
    return write_pipe(p, us, uaddr, n, false);
}

long pipe_write_checked_in_copy(struct pipe *p, struct uspace *us, uint64_t uaddr, size_t n)
{
    return write_pipe(p, us, uaddr, n, true);
}
