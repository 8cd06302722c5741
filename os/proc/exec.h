/* Starting programs from the initrd: exec (replace the caller's image) and
 * spawn (a new child process running a program). */
#ifndef PROC_EXEC_H
#define PROC_EXEC_H

#include <stdint.h>
#include "proc/proc.h"

/* Arguments, copied into the kernel before anything else happens. */
struct exec_args {
    int argc;
    size_t bytes;                    /* used in buf */
    char *argv[MAX_ARGS + 1];        /* point into buf */
    char buf[MAX_ARG_BYTES];
};

/* Copies path and argv from user memory.  0, -EFAULT, -E2BIG or
 * -ENAMETOOLONG. */
int exec_args_from_user(struct uspace *us, uint64_t upath, uint64_t uargv,
                        char path[MAX_PATH], struct exec_args *args);

/* Loads `path` into the fresh process p and creates its main thread (not
 * yet runnable).  argv are kernel strings. */
int exec_into(struct proc *p, const char *path, char *const argv[], int argc,
              struct thread **main_thread);

/* The system calls. */
struct prio_start;
int sys_spawn_impl(uint64_t upath, uint64_t uargv, const struct prio_start *start);
int sys_exec_impl(uint64_t upath, uint64_t uargv);

#endif
