/* System calls on file descriptors. */
#include "syscall/syscall.h"
#include "proc/proc.h"
#include "fs/file.h"
#include "fs/initrd.h"
#include "mm/uvm.h"
#include "lib/string.h"
#include "uapi/errno.h"

/* The file behind fd with a reference taken, or NULL.  fd is the
 * process's word, unchecked: the table looks only below its size. */
static struct file *fd_get(uint64_t fd)
{
    struct proc *p = proc_current();
    spin_lock(&p->lock);
    struct file *f = fdtable_get(&p->files, fd);
    if (f)
        file_dup(f);
    spin_unlock(&p->lock);
    return f;
}

/* Is the calling thread the only live thread of p?  Then nothing can
 * take a file out of p's table while it looks: only the process's own
 * threads close, replace or install its descriptors (sys_close, sys_dup,
 * sys_pipe, exec; fork only reads the table, and teardown waits for the
 * last thread), and only they create its threads (spawn creates the first
 * one before any runs): live_threads cannot rise to 2 while its only
 * thread is here.  Read without p->lock: a stale value is a sibling that
 * is exiting, 2 for 1, which takes the slow path.
 *
 * An acquire, paired with thread_exit's release: the 1 read here may be
 * the one a sibling's exit stored, and what that sibling did before it
 * (a close: the entry taken out, the file freed; a grow: a new array)
 * must be seen by the table's reads that follow.  Relaxed, nothing
 * ordered them after this load (RISC-V's RVWMO lets a hart perform two
 * loads out of order unless a fence, an acquire or a dependency joins
 * them, and a branch does not): the table's old entry could be read with
 * the new count, and the file the sibling had closed and freed used
 * without a reference or a borrow. */
static inline __attribute__((always_inline)) bool alone_in_process(struct proc *p)
{
    return __atomic_load_n(&p->live_threads, __ATOMIC_ACQUIRE) == 1;
}

/* The file behind fd for the length of one system call of the calling
 * thread, or NULL; *ref says whether a reference was taken (to drop with
 * file_close).  The fast path, for a process with one live thread (the
 * caller, alone_in_process): nothing can take the file out of its table
 * meanwhile, so neither the lock nor a reference is needed. */
static inline __attribute__((always_inline)) struct file *fd_borrow(uint64_t fd, bool *ref)
{
    struct proc *p = proc_current();
    if (alone_in_process(p)) {
        *ref = false;
        return fdtable_get(&p->files, fd);
    }
    *ref = true;
    return fd_get(fd);
}

/* fs/file.h.  Several threads: a borrow, unless the table's entry
 * changed between the peek and the check (a sibling closed, replaced or
 * installed it just then): then the locked way, with a reference, which
 * also bounds the tries to one.  Under the hart's borrow the file stays
 * whole whoever closes the descriptor meanwhile, as a reference keeps it
 * for a read or write; an operation that goes pending takes a reference
 * of its own (pipe_submit_async). */
struct file *fd_borrow_submit(uint64_t fd, enum fd_hold *hold)
{
    struct proc *p = proc_current();
    if (alone_in_process(p)) {
        *hold = FD_ALONE;                         /* as fd_borrow */
        return fdtable_get(&p->files, fd);
    }
    struct file *f = fdtable_peek(&p->files, fd);
    *hold = FD_ALONE;                             /* NULL: nothing held */
    if (!f)
        return NULL;                              /* closed at that moment */
    file_borrow_begin(f);
    if (fdtable_peek(&p->files, fd) == f) {
        *hold = FD_BORROWED;
        return f;
    }
    file_borrow_end();
    *hold = FD_REF;
    return fd_get(fd);
}

bool fd_hold_across_sleep(struct file *f, enum fd_hold *hold)
{
    if (*hold != FD_BORROWED)
        return true;                /* a reference, or nobody can close it */
    bool kept = file_dup_borrowed(f);
    file_borrow_end();
    *hold = kept ? FD_REF : FD_ALONE;
    return kept;
}

/* Installs f at the lowest free descriptor: it, or -EMFILE (MAX_FDS
 * open), -ENOMEM (the table could not grow); then f is still the caller's. */
static int fd_install(struct proc *p, struct file *f)
{
    spin_lock(&p->lock);
    int fd = fdtable_install(&p->files, f);
    spin_unlock(&p->lock);
    return fd;
}

long sys_read(uint64_t fd, uint64_t buf, uint64_t n)
{
    if (!uvm_range_ok(&proc_current()->vm, buf, n, true))
        return -EFAULT;
    bool ref;
    struct file *f = fd_borrow(fd, &ref);
    if (!f)
        return -EBADF;
    /* A pipe's read straight to it: the ping-pong's path (file_read would
     * only add a call around the same switch). */
    struct uspace *us = &proc_current()->vm;
    long r = f->kind == FILE_PIPE_READ ? pipe_read(f->pipe, us, buf, n)
                                       : file_read(f, us, buf, n);
    if (ref)
        file_close(f);
    return r;
}

long sys_write(uint64_t fd, uint64_t buf, uint64_t n)
{
    struct uspace *us = &proc_current()->vm;
    bool ref;
    struct file *f = fd_borrow(fd, &ref);
    /* A write into a pipe from a buffer within one page leaves the check
     * of the buffer to pipe_write: its copy checks the page anyway, under
     * the address space's lock, and the write does the check first itself
     * if it cannot go in at once (pipe_write_checked_in_copy).  Every other
     * write has its buffer checked here, first: a bad buffer is -EFAULT
     * whatever fd is. */
    bool check_in_copy = f && f->kind == FILE_PIPE_WRITE && uvm_one_page(buf, n);
    long r;
    if (!check_in_copy && !uvm_range_ok(us, buf, n, false))
        r = -EFAULT;
    else if (!f)
        r = -EBADF;
    else if (check_in_copy)
        r = pipe_write_checked_in_copy(f->pipe, us, buf, n);
    else
        r = file_write(f, us, buf, n);
    if (f && ref)
        file_close(f);
    return r;
}

long sys_close(uint64_t fd, uint64_t u1, uint64_t u2)
{
    (void)u1; (void)u2;
    struct proc *p = proc_current();
    spin_lock(&p->lock);
    struct file *f = fdtable_remove(&p->files, fd);
    spin_unlock(&p->lock);
    if (!f)
        return -EBADF;
    file_close(f);
    return 0;
}

long sys_dup(uint64_t fd, uint64_t u1, uint64_t u2)
{
    (void)u1; (void)u2;
    struct file *f = fd_get(fd);
    if (!f)
        return -EBADF;
    int nfd = fd_install(proc_current(), f);       /* the reference moves in */
    if (nfd < 0)
        file_close(f);
    return nfd;
}

long sys_pipe(uint64_t ufds, uint64_t u1, uint64_t u2)
{
    (void)u1; (void)u2;
    struct proc *p = proc_current();
    if (!uvm_range_ok(&p->vm, ufds, 2 * sizeof(int), true))
        return -EFAULT;
    struct file *r, *w;
    int err = pipe_create(&r, &w);
    if (err)
        return err;
    int fds[2] = { fd_install(p, r), -1 };
    if (fds[0] >= 0)
        fds[1] = fd_install(p, w);
    if (fds[1] < 0) {
        int why = fds[0] < 0 ? fds[0] : fds[1];   /* -EMFILE or -ENOMEM */
        if (fds[0] >= 0)
            sys_close((uint64_t)fds[0], 0, 0);
        else
            file_close(r);
        file_close(w);
        return why;
    }
    if (copy_to_user(&p->vm, ufds, fds, sizeof(fds))) {   /* unmapped meanwhile */
        sys_close((uint64_t)fds[0], 0, 0);
        sys_close((uint64_t)fds[1], 0, 0);
        return -EFAULT;
    }
    return 0;
}

long sys_readdir(uint64_t index, uint64_t out, uint64_t u2)
{
    (void)u2;
    struct dirent d;
    const char *name;
    size_t size;
    if (!uvm_range_ok(&proc_current()->vm, out, sizeof(d), true))
        return -EFAULT;
    if (index > (uint64_t)INT32_MAX || !initrd_entry((int)index, &name, &size))
        return -ENOENT;
    memset(&d, 0, sizeof(d));
    if (strlcpy(d.name, name, sizeof(d.name)) >= sizeof(d.name))
        return -ENAMETOOLONG;
    d.size = size;
    return copy_to_user(&proc_current()->vm, out, &d, sizeof(d));
}
