/*
 * Pipes: a ring buffer of PIPE_BUF_SIZE bytes between a read end and a
 * write end.  Readers block while it is empty and a writer exists (then read
 * returns 0: end of file); writers block while it is full and a reader
 * exists (with no reader, write fails with -EPIPE).  A write of at most
 * PIPE_BUF_SIZE bytes goes in whole, never interleaved with another.
 */
#include "fs/file.h"
#include "proc/waitq.h"
#include "kernel/spinlock.h"
#include "mm/kmalloc.h"
#include "mm/uvm.h"
#include "uapi/errno.h"
#include "uapi/syscall.h"
#include "memlayout.h"
#include <stdbool.h>

struct pipe {
    struct spinlock lock;
    char buf[PIPE_BUF_SIZE];
    uint64_t head, tail;           /* read at head, write at tail; grow forever */
    int readers, writers;          /* open ends */
    struct waitq can_read, can_write;
};

int pipe_create(struct file **read_end, struct file **write_end)
{
    struct pipe *p = kmalloc(sizeof(*p));
    struct file *r = kmalloc(sizeof(*r));
    struct file *w = kmalloc(sizeof(*w));
    if (!p || !r || !w) {
        kfree(p);
        kfree(r);
        kfree(w);
        return -ENOMEM;
    }
    spin_init(&p->lock, "pipe");
    waitq_init(&p->can_read);
    waitq_init(&p->can_write);
    p->readers = p->writers = 1;
    *r = (struct file){ .kind = FILE_PIPE_READ, .refs = 1, .pipe = p };
    *w = (struct file){ .kind = FILE_PIPE_WRITE, .refs = 1, .pipe = p };
    *read_end = r;
    *write_end = w;
    return 0;
}

void pipe_close_end(struct pipe *p, int writer)
{
    spin_lock(&p->lock);
    if (writer)
        p->writers--;
    else
        p->readers--;
    bool gone = p->readers == 0 && p->writers == 0;
    /* Wake the other side: readers see EOF, writers see EPIPE. */
    waitq_wake(writer ? &p->can_read : &p->can_write, -1);
    spin_unlock(&p->lock);
    if (gone)
        kfree(p);
}

/* Copies between the ring and user memory, handling the wrap-around.
 * -EFAULT if the user range went away since it was checked (another
 * thread's sbrk while this one slept): nothing is then taken or added. */
static int ring_copy(struct pipe *p, struct uspace *us, uint64_t uaddr, uint64_t pos,
                     size_t n, bool to_user)
{
    while (n) {
        size_t at = pos % PIPE_BUF_SIZE;
        size_t chunk = PIPE_BUF_SIZE - at < n ? PIPE_BUF_SIZE - at : n;
        int err = to_user ? copy_to_user(us, uaddr, p->buf + at, chunk)
                          : copy_from_user(us, p->buf + at, uaddr, chunk);
        if (err)
            return err;
        uaddr += chunk;
        pos += chunk;
        n -= chunk;
    }
    return 0;
}

long pipe_read(struct pipe *p, struct uspace *us, uint64_t uaddr, size_t n)
{
    if (n == 0)
        return 0;
    spin_lock(&p->lock);
    while (p->head == p->tail && p->writers > 0) {
        if (waitq_sleep(&p->can_read, &p->lock, 0) == -EINTR) {
            spin_unlock(&p->lock);
            return -EINTR;
        }
    }
    size_t avail = p->tail - p->head;
    size_t got = n < avail ? n : avail;
    if (ring_copy(p, us, uaddr, p->head, got, true)) {
        spin_unlock(&p->lock);
        return -EFAULT;
    }
    p->head += got;
    if (got)
        waitq_wake(&p->can_write, -1);
    spin_unlock(&p->lock);
    return (long)got;
}

long pipe_write(struct pipe *p, struct uspace *us, uint64_t uaddr, size_t n)
{
    size_t done = 0;
    spin_lock(&p->lock);
    while (done < n) {
        if (p->readers == 0) {
            spin_unlock(&p->lock);
            return done ? (long)done : -EPIPE;
        }
        size_t space = PIPE_BUF_SIZE - (p->tail - p->head);
        size_t want = n - done;
        /* Small writes go in whole: wait for room for all of it. */
        bool must_wait = n <= PIPE_BUF_SIZE ? space < want : space == 0;
        if (must_wait) {
            if (waitq_sleep(&p->can_write, &p->lock, 0) == -EINTR) {
                spin_unlock(&p->lock);
                return done ? (long)done : -EINTR;
            }
            continue;
        }
        size_t chunk = want < space ? want : space;
        if (ring_copy(p, us, uaddr + done, p->tail, chunk, false)) {
            spin_unlock(&p->lock);
            return done ? (long)done : -EFAULT;
        }
        p->tail += chunk;
        done += chunk;
        waitq_wake(&p->can_read, -1);
    }
    spin_unlock(&p->lock);
    return (long)done;
}
