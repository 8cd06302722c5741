/*
 * Priority ceilings (issue 9, item 7): who may take which priority.
 *
 * Every process has a ceiling, the highest priority its threads may take
 * (like RLIMIT_RTPRIO).  set_priority above it fails with EPERM; below it
 * a program orders its own threads as it likes.  The ceiling is inherited
 * (fork; spawn unless the caller asks for less), a process may lower its
 * own but never raise it, and only its parent may raise it, no higher than
 * the parent's own.  /init starts at MAX_PRIORITY; the shell gives the
 * programs it runs DEFAULT_PRIORITY, background jobs one less
 * (docs/scheduler.md, "Who may take which priority").
 */
#ifndef PROC_PRIORITY_H
#define PROC_PRIORITY_H

#include <stdint.h>

struct proc;
struct thread;

/* What a spawned child starts with: its main thread's priority and its
 * process's ceiling (priority <= ceiling). */
struct prio_start {
    int priority;
    int ceiling;
};

/* Decodes spawn's third argument (SPAWN_PRIO in uapi/syscall.h; 0: the
 * caller's priority and ceiling) for the calling thread.  0, -EINVAL for
 * an out-of-range or unknown field, -EPERM for a ceiling above the
 * caller's. */
int prio_spawn_start(uint64_t spawn_prio, struct prio_start *out);

/* May a thread of p take `priority`?  0, -EINVAL, or -EPERM above p's
 * ceiling.  p->lock held. */
int prio_allowed(const struct proc *p, int priority);

/* The system calls set_ceiling and get_ceiling are here too (declared in
 * syscall/syscall.h with the other handlers). */

#endif
