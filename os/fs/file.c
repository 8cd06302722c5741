#include "fs/file.h"
#include "drivers/console.h"
#include "mm/kmalloc.h"
#include "mm/uvm.h"
#include "kernel/panic.h"
#include "arch/riscv.h"
#include "uapi/errno.h"

static struct file console_file = { .kind = FILE_CONSOLE, .refs = 1 };

struct file *file_console(void)
{
    return file_dup(&console_file);
}

struct file *file_dup(struct file *f)
{
    __atomic_fetch_add(&f->refs, 1, __ATOMIC_RELAXED);
    return f;
}

/* The last reference to f is gone: waits while another hart borrows it
 * (file.h, "A borrow").  Not ours: a hart lets its borrow go before it
 * closes anything. */
static void wait_unborrowed(struct file *f)
{
    /* The store that took f out of its last table came before the last
     * reference went (acq_rel); the fence orders both before the looks. */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    struct file *mine = __atomic_load_n(&this_cpu()->borrowed_file, __ATOMIC_RELAXED);
    KASSERT(mine != f);
    /* Nor any other: a hart that waited here while it borrowed g could
     * wait for a hart that waits in g's last close for it. */
    KASSERT(mine == NULL);
    for (int h = 0; h < MAX_HARTS; h++)
        while (__atomic_load_n(&cpus[h].borrowed_file, __ATOMIC_ACQUIRE) == f)
            cpu_relax();
}

bool file_dup_borrowed(struct file *f)
{
    int refs = __atomic_load_n(&f->refs, __ATOMIC_RELAXED);
    do {
        if (refs == 0)
            return false;           /* its last close is waiting for us */
    } while (!__atomic_compare_exchange_n(&f->refs, &refs, refs + 1, true,
                                          __ATOMIC_RELAXED, __ATOMIC_RELAXED));
    return true;
}

void file_close(struct file *f)
{
    int left = __atomic_sub_fetch(&f->refs, 1, __ATOMIC_ACQ_REL);
    KASSERT(left >= 0);
    if (left > 0 || f == &console_file)
        return;
    wait_unborrowed(f);
    if (f->kind == FILE_PIPE_READ || f->kind == FILE_PIPE_WRITE)
        pipe_close_end(f->pipe, f->kind == FILE_PIPE_WRITE);
    kfree(f);
}

#define CHUNK 256
#define ATOMIC_WRITE 4096

long file_read(struct file *f, struct uspace *us, uint64_t uaddr, size_t n)
{
    switch (f->kind) {
    case FILE_CONSOLE: {
        char buf[CHUNK];
        long got = console_read(buf, n < CHUNK ? n : CHUNK);
        if (got > 0 && copy_to_user(us, uaddr, buf, (size_t)got))
            return -EFAULT;
        return got;
    }
    case FILE_PIPE_READ:
        return pipe_read(f->pipe, us, uaddr, n);
    default:
        return -EBADF;
    }
}

long file_write(struct file *f, struct uspace *us, uint64_t uaddr, size_t n)
{
    switch (f->kind) {
    case FILE_CONSOLE: {
        /* Each ATOMIC_WRITE bytes go out as one unit, so lines written by
         * threads at the same time do not interleave.  A copy fails only if
         * another thread unmapped the buffer since it was checked: then
         * what was written is reported. */
        char buf[CHUNK];
        for (size_t done = 0; done < n; ) {
            size_t unit = n - done < ATOMIC_WRITE ? n - done : ATOMIC_WRITE;
            console_lock();
            for (size_t off = 0; off < unit; off += CHUNK) {
                size_t chunk = unit - off < CHUNK ? unit - off : CHUNK;
                if (copy_from_user(us, buf, uaddr + done + off, chunk)) {
                    console_unlock();
                    return done + off ? (long)(done + off) : -EFAULT;
                }
                console_write_locked(buf, chunk);
            }
            console_unlock();
            done += unit;
        }
        return (long)n;
    }
    case FILE_PIPE_WRITE:
        return pipe_write(f->pipe, us, uaddr, n);
    default:
        return -EBADF;
    }
}
