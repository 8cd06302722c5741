/* System calls for coroutines: the executor region, asynchronous I/O
 * (uapi/syscall.h documents each). */
#include "syscall/syscall.h"
#include "proc/proc.h"
#include "sched/coexec.h"
#include "sched/coio_timer.h"
#include "fs/coio.h"
#include "fs/file.h"
#include "mm/uvm.h"
#include "trap/timer.h"
#include "uapi/errno.h"

long sys_co_setup(uint64_t capacity, uint64_t u1, uint64_t u2)
{
    (void)u1; (void)u2;
    if (capacity > CO_MAX)
        return -EINVAL;
    return coexec_setup(proc_current(), (uint32_t)capacity);
}

static long submit_file(uint64_t fd, uint64_t buf, uint64_t n, uint64_t io, bool reading)
{
    struct proc *p = proc_current();
    /* On the stack: most submissions complete in the call, and only one
     * that has to wait is copied to the kernel heap (pipe_submit_async). */
    struct coio_op op;
    int err = coio_prepare(&op, reading ? COIO_READ : COIO_WRITE, io);
    if (err)
        return err;
    /* Without the descriptor table's lock or a reference in a process of
     * several threads too (fs/file.h, "A borrow"): neither line moves
     * between the harts of its workers. */
    enum fd_hold hold;
    struct file *f = fd_borrow_submit(fd, &hold);
    /* A pipe's transfer from or to a buffer within one page leaves the
     * buffer's check to pipe_submit_async: the copy of a transfer that
     * goes at once walks that page anyway, under the address space's
     * lock; any other outcome checks it first (as sys_write does for a
     * pipe).  Every other buffer is checked here, first: a bad one is
     * -EFAULT whatever fd is (uapi/syscall.h's order). */
    bool check_in_copy = f && n != 0 && uvm_one_page(buf, n) &&
                         f->kind == (reading ? FILE_PIPE_READ : FILE_PIPE_WRITE);
    if (!check_in_copy && !uvm_range_ok(&p->vm, buf, n, reading)) {
        fd_let_go(f, hold);
        return -EFAULT;
    }
    if (!f)
        return -EBADF;
    op.buf = buf;
    op.n = n;
    long r;
    if (f->kind == FILE_CONSOLE || n == 0) {
        /* The console completes synchronously (a read may block until a
         * line is typed: no borrow across that); so does a transfer of
         * nothing. */
        if (!fd_hold_across_sleep(f, &hold))
            return -EBADF;
        r = reading ? file_read(f, &p->vm, buf, n) : file_write(f, &p->vm, buf, n);
    } else if (f->kind != (reading ? FILE_PIPE_READ : FILE_PIPE_WRITE)) {
        r = -EBADF;
    } else {
        /* It lets a borrow go itself, before finishing what it completed;
         * a pending op took a reference of its own. */
        r = pipe_submit_async(f, &op, check_in_copy);
    }
    fd_let_go(f, hold);
    return r;
}

long sys_read_async(uint64_t fd, uint64_t buf, uint64_t n, uint64_t io)
{
    return submit_file(fd, buf, n, io, true);
}

long sys_write_async(uint64_t fd, uint64_t buf, uint64_t n, uint64_t io)
{
    return submit_file(fd, buf, n, io, false);
}

long sys_sleep_async(uint64_t ms, uint64_t io, uint64_t u2)
{
    (void)u2;
    if (ms > 1000ULL * 1000 * 1000)
        return -EINVAL;
    int err;
    struct coio_op *op = coio_new(COIO_SLEEP, io, &err);
    if (!op)
        return err;
    if (ms == 0) {
        coio_discard(op);
        return 0;                   /* due already: completes now */
    }
    op->deadline_ns = timer_now_ns() + ms * 1000000ULL;
    long r = coio_timer_submit(op);
    if (r != -EINPROGRESS)
        coio_discard(op);
    return r;
}

long sys_co_cancel_io(uint64_t io, uint64_t u1, uint64_t u2)
{
    (void)u1; (void)u2;
    return coio_cancel(proc_current(), io);
}
