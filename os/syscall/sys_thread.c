/* System calls on threads, time and synchronization. */
#include "syscall/syscall.h"
#include "proc/proc.h"
#include "sched/shared.h"
#include "sched/coexec.h"
#include "proc/priority.h"
#include "sched/sched.h"
#include "mm/uvm.h"
#include "kernel/cpu.h"
#include "trap/timer.h"
#include "uapi/errno.h"

long sys_thread_create(uint64_t start, uint64_t a0, uint64_t a1)
{
    struct thread *me = thread_current();
    if (start >= USER_TOP)
        return -EFAULT;      /* would only fault in the new thread anyway */
    int err;
    struct thread *t = thread_create_user(me->proc, start, a0, a1, me->priority, -1, &err);
    if (!t)
        return err;
    int tid = t->tid;
    spin_lock(&sched_lock);
    sched_make_runnable(t);
    spin_unlock(&sched_lock);
    return tid;
}

long sys_thread_join(uint64_t tid, uint64_t retval, uint64_t u2)
{
    (void)u2;
    return thread_join((int)tid, retval);
}

long sys_thread_exit(uint64_t retval, uint64_t u1, uint64_t u2)
{
    (void)u1; (void)u2;
    thread_exit(retval);
}

long sys_gettid(uint64_t u0, uint64_t u1, uint64_t u2)
{
    (void)u0; (void)u1; (void)u2;
    return thread_current()->tid;
}

long sys_yield(uint64_t parked, uint64_t u1, uint64_t u2)
{
    (void)u1; (void)u2;
    struct thread *t = thread_current();
    __atomic_fetch_add(&t->proc->stat_yield_syscalls, 1, __ATOMIC_RELAXED);
    if (parked == 1 || parked == 2)
        return sched_yield_parked(parked == 2);
    if (parked == 3)
        sched_yield_rest();
    else
        sched_yield();
    return 0;
}

long sys_sleep(uint64_t ms, uint64_t u1, uint64_t u2)
{
    (void)u1; (void)u2;
    if (ms == 0) {
        sched_yield();
        return 0;
    }
    if (ms > 1000ULL * 1000 * 1000)
        return -EINVAL;                       /* over 11 days: a bug */
    uint64_t until = timer_now_ns() + ms * 1000000ULL;
    int r;
    do {
        r = waitq_sleep(NULL, NULL, until);
    } while (r == 0 && timer_now_ns() < until);
    return r == -EINTR ? -EINTR : 0;
}

long sys_time(uint64_t u0, uint64_t u1, uint64_t u2)
{
    (void)u0; (void)u1; (void)u2;
    return (long)timer_now_ns();
}

/* A thread of the caller's process by tid (0 = the caller).  p->lock held. */
static struct thread *same_process_thread(uint64_t tid)
{
    struct thread *me = thread_current();
    if (tid == 0 || (int)tid == me->tid)
        return me;
    struct thread *t = thread_find(me->proc, (int)tid);
    return t && !t->exited ? t : NULL;
}

/* set_priority with CO_LOWER_UNLESS_MOVED (sched_abi/coro.h): the caller
 * t was lowered from `was` to `prio` and its kprio published; if its
 * executor's seq moved from `seen` meanwhile, a ring may have read t's
 * old kprio and raised nobody, and t, switched out on its way back
 * below a thread that yields above it, would never run again to see the
 * ring (t_colowerring; docs/coroutines.md, "A worker that lowers itself
 * is seen low, or sees the ring").  Then t gets `was` back, unless
 * someone raised it meanwhile, and the call fails: t stays on its hart to
 * take the doorbell in.  Nothing here trusts seq: a forged one only makes
 * p's own worker stay or lower. */
static long lower_unless_moved(struct proc *p, struct thread *t, int was, int prio,
                               uint32_t seen)
{
    if (!coexec_seq_moved(p, seen))
        return 0;
    spin_lock(&p->lock);
    if (t->priority == prio) {
        /* Never above the ceiling, which may have come down meanwhile
         * (set_ceiling by another thread: no thread is ever above it). */
        int back = prio_allowed(p, was) == 0 ? was : p->prio_ceiling;
        KASSERT(back >= prio && back <= p->prio_ceiling);
        sched_set_priority(t, back);
        shared_publish_prio_of(p, t);
    }
    spin_unlock(&p->lock);
    return -EAGAIN;
}

long sys_set_priority(uint64_t tid, uint64_t prio, uint64_t how)
{
    if (prio < MIN_PRIORITY || prio > MAX_PRIORITY)
        return -EINVAL;
    uint64_t tag = how & ~0xffffffffULL;
    struct thread *me = thread_current();
    struct proc *p = me->proc;
    spin_lock(&p->lock);
    struct thread *t = same_process_thread(tid);
    int err = !t ? -ESRCH : prio_allowed(p, (int)prio);     /* the ceiling */
    int was = t ? t->priority : 0;
    if (!err) {
        /* CO_RAISE_ONLY: the caller read t's priority before this call
         * (kprio) and t may have raised itself since; decided here, under
         * p->lock, as the kernel's own raise does (coexec_wake_or_raise).
         * Its kprio is written again either way: the caller's read was
         * stale, or the process wrote over it. */
        if (tag != CO_RAISE_ONLY || was < (int)prio)
            sched_set_priority(t, (int)prio);
        /* The kernel's word (VDSO_DATA.kprio) now, not when t next goes
         * back to user mode: a worker that lowers itself to poll its pick
         * may be switched out on the way back (a more urgent thread
         * queued) and stay off its hart for long, and every doorbell
         * meanwhile read its old, higher priority and raised nobody
         * (docs/coroutines.md, "No worker left below the work"). */
        shared_publish_prio_of(p, t);
    }
    spin_unlock(&p->lock);
    /* (The caller itself only: t stays valid without p->lock.) */
    if (!err && t == me && (int)prio < was && tag == CO_LOWER_UNLESS_MOVED)
        return lower_unless_moved(p, me, was, (int)prio, (uint32_t)how);
    return err;
}

long sys_get_priority(uint64_t tid, uint64_t u1, uint64_t u2)
{
    (void)u1; (void)u2;
    struct proc *p = thread_current()->proc;
    spin_lock(&p->lock);
    struct thread *t = same_process_thread(tid);
    int prio = t ? t->priority : -ESRCH;
    spin_unlock(&p->lock);
    return prio;
}
