/* System calls on processes and the machine. */
#include "syscall/syscall.h"
#include "proc/proc.h"
#include "proc/exec.h"
#include "proc/priority.h"
#include "sched/policy.h"
#include "sched/sched.h"
#include "mm/frame.h"
#include "mm/kmalloc.h"
#include "mm/uvm.h"
#include "kernel/cpu.h"
#include "kernel/power.h"
#include "kernel/printf.h"
#include "lib/string.h"
#include "trap/timer.h"
#include "uapi/errno.h"

long sys_fork(uint64_t u0, uint64_t u1, uint64_t u2)
{
    (void)u0; (void)u1; (void)u2;
    return proc_fork();
}

long sys_exec(uint64_t path, uint64_t argv, uint64_t u2)
{
    (void)u2;
    return sys_exec_impl(path, argv);
}

long sys_spawn(uint64_t path, uint64_t argv, uint64_t prio)
{
    struct prio_start start;
    int err = prio_spawn_start(prio, &start);
    return err ? err : sys_spawn_impl(path, argv, &start);
}

long sys_waitpid(uint64_t pid, uint64_t status, uint64_t options)
{
    int id = (int)pid;
    if (id < -1 || id == 0)
        return -EINVAL;
    return proc_waitpid(id, status, (int)options);
}

long sys_exit(uint64_t status, uint64_t u1, uint64_t u2)
{
    (void)u1; (void)u2;
    proc_exit((int)status);
}

long sys_kill(uint64_t pid, uint64_t u1, uint64_t u2)
{
    (void)u1; (void)u2;
    spin_lock(&proc_lock);
    /* Whole width: a pid cut to an int would let 2^32 + 1 name init, or
     * 2^32 + N any process N. */
    struct proc *p = pid > INT32_MAX ? NULL : proc_find((int)pid);
    long result = !p ? -ESRCH :
                  p->state != PROC_ALIVE || p->pid == 1 ? -EPERM :   /* dead, or init */
                  0;
    /* Under proc_lock: once dropped, p may exit and be reaped (freed). */
    if (result == 0)
        proc_kill(p, STATUS_TERMINATED(TERM_KILLED));
    spin_unlock(&proc_lock);
    return result;
}

long sys_getpid(uint64_t u0, uint64_t u1, uint64_t u2)
{
    (void)u0; (void)u1; (void)u2;
    return proc_current()->pid;
}

long sys_getppid(uint64_t u0, uint64_t u1, uint64_t u2)
{
    (void)u0; (void)u1; (void)u2;
    spin_lock(&proc_lock);
    int ppid = proc_current()->parent ? proc_current()->parent->pid : 0;
    spin_unlock(&proc_lock);
    return ppid;
}

long sys_shutdown(uint64_t status, uint64_t u1, uint64_t u2)
{
    (void)u1; (void)u2;
    kprintf("shutdown requested by pid %d, status %lu\n", proc_current()->pid, status & 0xff);
    power_off((int)(status & 0xff));
}

long sys_sysinfo(uint64_t out, uint64_t u1, uint64_t u2)
{
    (void)u1; (void)u2;
    struct sysinfo info;
    struct kmalloc_stats st;
    memset(&info, 0, sizeof(info));
    kmalloc_stats(&st);
    info.free_frames = frame_free_count() + st.empty_slab_frames;
    info.total_frames = frame_total_count();
    info.nprocs = (uint64_t)proc_count();
    info.nthreads = (uint64_t)thread_count();
    info.harts = (uint64_t)cpu_online_count();
    info.uptime_ns = timer_now_ns();
    strlcpy(info.sched_name, policy_name(), sizeof(info.sched_name));
    info.sched_flags = policy_flags();
    info.heap_bytes = st.bytes_in_use;
    info.heap_frames = st.slab_frames - st.empty_slab_frames + st.large_frames;
    return copy_to_user(&proc_current()->vm, out, &info, sizeof(info));
}

long sys_getcpu(uint64_t u0, uint64_t u1, uint64_t u2)
{
    (void)u0; (void)u1; (void)u2;
    return (long)this_hartid();
}

long sys_sbrk(uint64_t increment, uint64_t u1, uint64_t u2)
{
    (void)u1; (void)u2;
    struct proc *p = proc_current();
    int64_t inc = (int64_t)increment;
    spin_lock(&p->lock);
    uint64_t old = p->brk;
    uint64_t limit = USER_STACK_TOP - USER_STACK_SLOTS * (USER_THREAD_STACK + PAGE_SIZE);
    long result = (long)old;
    if (inc > 0) {
        if ((uint64_t)inc > limit - old) {
            result = -ENOMEM;
        } else {
            uint64_t from = (old + PAGE_SIZE - 1) & ~(uint64_t)(PAGE_SIZE - 1);
            uint64_t to = (old + (uint64_t)inc + PAGE_SIZE - 1) & ~(uint64_t)(PAGE_SIZE - 1);
            hart_rwlock_lock(&p->vm.lock);
            int err = to > from ? uvm_alloc(p->vm.pt, from, to - from, PTE_R | PTE_W) : 0;
            hart_rwlock_unlock(&p->vm.lock);
            if (err)
                result = -ENOMEM;
            else
                p->brk = old + (uint64_t)inc;
        }
    } else if (inc < 0) {
        uint64_t dec = (uint64_t)(-inc);
        if (dec > old - p->image_end) {
            result = -EINVAL;
        } else {
            uint64_t nbrk = old - dec;
            uint64_t from = (nbrk + PAGE_SIZE - 1) & ~(uint64_t)(PAGE_SIZE - 1);
            uint64_t to = (old + PAGE_SIZE - 1) & ~(uint64_t)(PAGE_SIZE - 1);
            /* Other threads may be using these pages on other harts: the
             * frames are freed only after their TLBs are shot down. */
            hart_rwlock_lock(&p->vm.lock);
            if (to > from)
                uvm_free(p->vm.pt, from, to - from);
            hart_rwlock_unlock(&p->vm.lock);
            p->brk = nbrk;
        }
    }
    spin_unlock(&p->lock);
    return result;
}

long sys_schedstat(uint64_t pid, uint64_t out, uint64_t u2)
{
    (void)u2;
    struct schedstat st;
    int64_t id = (int64_t)pid;
    if (id == -1) {
        sched_stat_of(proc_current(), &st);
    } else if (id == 0) {
        /* Every process that ever ran: the exited ones' totals, plus the
         * living ones (zombies are already in the totals). */
        sched_stat_exited(&st);
        spin_lock(&proc_lock);
        for (int i = 0; i < MAX_PROCS; i++) {
            struct proc *p = proc_at(i);
            if (!p || p->state != PROC_ALIVE)
                continue;
            struct schedstat one;
            sched_stat_of(p, &one);
            sched_stat_add(&st, &one);
        }
        spin_unlock(&proc_lock);
        st.pid = 0;
    } else {
        spin_lock(&proc_lock);
        struct proc *p = proc_find((int)id);
        bool alive = p && p->state == PROC_ALIVE;
        if (alive)
            sched_stat_of(p, &st);
        spin_unlock(&proc_lock);
        if (!alive)
            return -ESRCH;
    }
    return copy_to_user(&proc_current()->vm, out, &st, sizeof(st));
}
