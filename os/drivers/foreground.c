/* The console's foreground job: see foreground.h. */
#include "drivers/foreground.h"
#include "proc/proc.h"
#include "kernel/panic.h"
#include "uapi/errno.h"
#include "uapi/syscall.h"

/* All under proc_lock, so that a pid read here names the process the
 * table holds (pids are never reused: next_pid only grows). */
static int controller_pid;              /* 0: nobody has claimed the console */
static int fg_pids[FOREGROUND_MAX];
static int fg_count;
/* FG_NEW_CHILDREN: the controller's children from this pid up are in the
 * job (0: none).  Pids only grow, so every child started after the call
 * has one at least this high, and every process alive at the call (a
 * background job among them) a lower one. */
static int fg_new_from;
/* Ctrl-C came while children were still being started (FG_NEW_CHILDREN):
 * when the controller then names them, they end at once. */
static bool interrupt_pending;

static void end_job(void);

/* The controller, if it is still alive; proc_lock held. */
static struct proc *controller(void)
{
    struct proc *c = controller_pid ? proc_find(controller_pid) : NULL;
    return c && c->state == PROC_ALIVE ? c : NULL;
}

int foreground_set(struct proc *caller, const int *pids, int n, bool new_children)
{
    if (n < 0 || n > FOREGROUND_MAX)
        return -EINVAL;
    spin_lock(&proc_lock);
    struct proc *c = controller();
    int err = 0;
    if (c ? c != caller : !caller->parent || caller->parent->pid != 1)
        err = -EPERM;
    for (int i = 0; i < n && !err; i++) {
        struct proc *p = proc_find(pids[i]);
        if (!p || p->parent != caller)
            err = -ESRCH;               /* not a child of the caller */
    }
    if (!err) {
        controller_pid = caller->pid;
        for (int i = 0; i < n; i++)
            fg_pids[i] = pids[i];
        fg_count = n;
        fg_new_from = 0;
        if (interrupt_pending && n > 0)
            end_job();                  /* the stages that escaped Ctrl-C */
        interrupt_pending = false;
        if (new_children) {
            for (int i = 0; i < MAX_PROCS; i++) {
                struct proc *p = proc_at(i);
                if (p && p->pid >= fg_new_from)
                    fg_new_from = p->pid + 1;
            }
        }
    }
    spin_unlock(&proc_lock);
    return err;
}

/* Whether p heads the foreground job: named, or a new child; proc_lock. */
static bool in_foreground(const struct proc *p)
{
    if (fg_new_from && p->pid >= fg_new_from && p->parent &&
        p->parent->pid == controller_pid)
        return true;
    for (int i = 0; i < fg_count; i++)
        if (fg_pids[i] == p->pid)
            return true;
    return false;
}

/* Ends every process of the foreground job and their descendants;
 * proc_lock held. */
static void end_job(void)
{
    for (int i = 0; i < MAX_PROCS; i++) {
        struct proc *p = proc_at(i);
        if (!p || p->state != PROC_ALIVE || p->pid == 1 || p->pid == controller_pid)
            continue;
        /* p, or an ancestor of p below init, is in the foreground job.  The
         * walk ends: every chain reaches init, whose parent is NULL. */
        for (struct proc *a = p; a; a = a->parent) {
            if (in_foreground(a)) {
                proc_kill(p, STATUS_TERMINATED(TERM_INTERRUPTED));
                break;
            }
        }
    }
}

bool foreground_interrupt(void)
{
    spin_lock(&proc_lock);
    /* A dead controller's list means nothing any more. */
    if (!controller())
        fg_count = fg_new_from = 0;
    KASSERT(fg_count >= 0 && fg_count <= FOREGROUND_MAX);
    bool any = fg_count > 0 || fg_new_from;
    if (any)
        end_job();
    /* A child being started right now (not yet anyone's child) escaped:
     * the job's next naming ends it (foreground_set). */
    if (fg_new_from)
        interrupt_pending = true;
    spin_unlock(&proc_lock);
    return any;
}
