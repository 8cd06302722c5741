/*
 * Priority ceilings: the rule that keeps an unprivileged program from
 * taking the machine with priority 20 (proc/priority.h has it in short,
 * docs/scheduler.md in full).
 *
 * A ceiling only ever moves down on its own process's say and up on its
 * parent's, so a program cannot climb above what whoever started it
 * granted, and whatever it starts is bounded by it in turn.
 */
#include "proc/priority.h"
#include "proc/proc.h"
#include "sched/sched.h"
#include "syscall/syscall.h"
#include "kernel/panic.h"
#include "uapi/errno.h"
#include "uapi/syscall.h"

static bool in_range(int priority)
{
    return priority >= MIN_PRIORITY && priority <= MAX_PRIORITY;
}

int prio_allowed(const struct proc *p, int priority)
{
    if (!in_range(priority))
        return -EINVAL;
    return priority > p->prio_ceiling ? -EPERM : 0;
}

int prio_spawn_start(uint64_t spawn_prio, struct prio_start *out)
{
    struct thread *self = thread_current();
    struct proc *p = self->proc;
    if (spawn_prio >> 16)
        return -EINVAL;                       /* no such field */
    int priority = (int)(spawn_prio & 0xff), ceiling = (int)(spawn_prio >> 8 & 0xff);
    spin_lock(&p->lock);
    int mine = p->prio_ceiling, my_priority = self->priority;
    spin_unlock(&p->lock);
    if (ceiling == 0)
        ceiling = mine;
    if (!in_range(ceiling) || (priority != 0 && !in_range(priority)))
        return -EINVAL;
    if (ceiling > mine)
        return -EPERM;                        /* nobody grants more than it has */
    if (priority == 0)
        priority = my_priority < ceiling ? my_priority : ceiling;
    if (priority > ceiling)
        return -EPERM;
    out->priority = priority;
    out->ceiling = ceiling;
    KASSERT(in_range(out->priority) && out->priority <= out->ceiling);
    return 0;
}

/* Lowers p's own ceiling; its threads above it come down to it, so that no
 * thread is ever above its process's ceiling.  (A thread the process
 * creates at this very moment may keep the old priority: the process's own
 * doing, and never above what it was granted.)  p->lock held. */
static void lower_own_ceiling(struct proc *p, int ceiling)
{
    KASSERT(ceiling <= p->prio_ceiling);
    p->prio_ceiling = ceiling;
    list_for_each(pos, &p->threads) {
        struct thread *t = list_entry(pos, struct thread, proc_node);
        if (!t->exited && t->priority > ceiling)
            sched_set_priority(t, ceiling);
    }
}

/* Raises a child's ceiling up to the caller's own: a parent may grant what
 * it has.  Lowering someone else's would take priorities from threads that
 * are running; that is not offered.  proc_lock held. */
static long raise_child_ceiling(struct proc *me, struct proc *c, int ceiling)
{
    if (c->parent != me || c->state != PROC_ALIVE)
        return -EPERM;                        /* not ours to change */
    spin_lock(&me->lock);
    int mine = me->prio_ceiling;
    spin_unlock(&me->lock);
    spin_lock(&c->lock);
    long r = ceiling > mine || ceiling < c->prio_ceiling ? -EPERM : 0;
    if (r == 0)
        c->prio_ceiling = ceiling;
    spin_unlock(&c->lock);
    return r;
}

long sys_set_ceiling(uint64_t pid, uint64_t ceiling, uint64_t u2)
{
    (void)u2;
    if (ceiling < MIN_PRIORITY || ceiling > MAX_PRIORITY)
        return -EINVAL;
    struct proc *me = proc_current();
    if (pid == 0 || (int)pid == me->pid) {
        spin_lock(&me->lock);
        long r = (int)ceiling > me->prio_ceiling ? -EPERM : 0;   /* never one's own up */
        if (r == 0)
            lower_own_ceiling(me, (int)ceiling);
        spin_unlock(&me->lock);
        return r;
    }
    spin_lock(&proc_lock);
    struct proc *c = proc_find((int)pid);
    long r = c ? raise_child_ceiling(me, c, (int)ceiling) : -ESRCH;
    spin_unlock(&proc_lock);
    return r;
}

long sys_get_ceiling(uint64_t pid, uint64_t u1, uint64_t u2)
{
    (void)u1; (void)u2;
    struct proc *me = proc_current();
    if (pid == 0 || (int)pid == me->pid)
        return me->prio_ceiling;
    spin_lock(&proc_lock);
    struct proc *c = proc_find((int)pid);
    long r = c ? c->prio_ceiling : -ESRCH;
    spin_unlock(&proc_lock);
    return r;
}
