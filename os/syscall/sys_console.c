/* System calls on the console (drivers/foreground.h). */
#include "syscall/syscall.h"
#include "drivers/foreground.h"
#include "proc/proc.h"
#include "uapi/errno.h"

long sys_set_foreground(uint64_t upids, uint64_t n, uint64_t flags)
{
    int pids[FOREGROUND_MAX];
    if (n > FOREGROUND_MAX || (flags & ~(uint64_t)FG_NEW_CHILDREN))
        return -EINVAL;
    struct proc *me = proc_current();
    if (n > 0 && copy_from_user(&me->vm, pids, upids, n * sizeof pids[0]) < 0)
        return -EFAULT;
    return foreground_set(me, pids, (int)n, flags & FG_NEW_CHILDREN);
}
