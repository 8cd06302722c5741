/* Which kernel locks harts waited for: SYS_lockstat (os/uapi/lockstat.h,
 * kernel/lockstat.h). */
#include "syscall/syscall.h"
#include "kernel/lockstat.h"
#include "mm/kmalloc.h"
#include "mm/uvm.h"
#include "proc/proc.h"
#include "proc/thread.h"
#include "uapi/errno.h"

long sys_lockstat(uint64_t buf, uint64_t n, uint64_t flags)
{
    if ((int64_t)n < 1 || n > LOCKSTAT_MAX || (flags & ~(uint64_t)LOCKSTAT_RESET))
        return -EINVAL;
    struct uspace *us = &thread_current()->proc->vm;
    /* The whole buffer first: a bad one fails before the counts are reset. */
    if (!uvm_range_ok(us, buf, n * sizeof(struct lockstat_entry), true))
        return -EFAULT;
    struct lockstat_entry *all = kmalloc(LOCKSTAT_MAX * sizeof *all);
    if (!all)
        return -ENOMEM;
    int got = lockstat_read(all, flags & LOCKSTAT_RESET);
    long copied = got < (int)n ? got : (long)n;
    long result = copy_to_user(us, buf, all, copied * sizeof *all) < 0 ? -EFAULT : copied;
    kfree(all);
    return result;
}
