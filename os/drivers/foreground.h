/*
 * The console's foreground job: the processes Ctrl-C ends.  The shell
 * names them (SYS_set_foreground) before it waits for them and clears the
 * list when they are done; the console asks for them to be interrupted.
 *
 * Who may name them: the console's controller, which is the first child
 * of init to call SYS_set_foreground (the shell /init starts), for as long
 * as it is alive.  A program the shell runs therefore cannot take the
 * foreground away from itself (it is not the controller), nor put the
 * shell or init in it (only the controller's own children may be named,
 * and the controller and init are never ended by Ctrl-C).
 */
#ifndef DRIVERS_FOREGROUND_H
#define DRIVERS_FOREGROUND_H

#include <stdbool.h>

struct proc;

/* SYS_set_foreground, with the pids already copied in: 0 or -errno.
 * new_children: the children caller starts from now on belong to the job
 * as well (the shell says so before starting a pipeline, then names its
 * stages once they are all started: a Ctrl-C that came in between ends
 * them then, even a stage that was being created when it came). */
int foreground_set(struct proc *caller, const int *pids, int n, bool new_children);
/* Ctrl-C: ends every foreground process and each of its descendants with
 * TERM_INTERRUPTED.  Returns false if there is no foreground job (the
 * controller is at its prompt).  Interrupt context is fine: it takes only
 * spin locks. */
bool foreground_interrupt(void);

#endif
