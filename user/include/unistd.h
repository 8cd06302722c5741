/*
 * System call wrappers, one per call of uapi/syscall.h (which this includes,
 * so SYS_*, the limits, the wait macros, struct dirent and struct sysinfo
 * are all visible).  A failing call returns -1 and sets errno, unless noted.
 * Thread calls are in <thread.h>, futexes in <futex.h>.
 */
#ifndef USER_UNISTD_H
#define USER_UNISTD_H

#include <stddef.h>
#include <stdint.h>
#include "syscall.h"        /* os/uapi/syscall.h */

typedef long ssize_t;

ssize_t read(int fd, void *buf, size_t n);
ssize_t write(int fd, const void *buf, size_t n);
int     close(int fd);
int     pipe(int fds[2]);
int     dup(int fd);

int     fork(void);
/* path is a program name of the initrd ("echo"); argv ends with NULL. */
int     exec(const char *path, char *const argv[]);
int     spawn(const char *path, char *const argv[]);
/* spawn, choosing the child's priority and priority ceiling (0 for either:
 * the caller's; a ceiling above the caller's fails with EPERM). */
int     spawn_prio(const char *path, char *const argv[], int prio, int ceiling);
int     waitpid(int pid, int *status, int options);
/* waitpid for a child that may hang: polls until timeout_s seconds have
 * passed, then kills it and reaps it.  1 if it ended by itself, 0 if it
 * had to be killed (user/lib/wait_deadline.c). */
int     waitpid_deadline(int pid, int *status, unsigned long timeout_s);
void    exit(int status) __attribute__((noreturn));
int     kill(int pid);
/* Names the console's foreground job (Ctrl-C ends it): pids, and with
 * FG_NEW_CHILDREN the children the caller starts next; (NULL, 0, 0) clears
 * it.  Only the shell that init started may (EPERM otherwise). */
int     set_foreground(const int *pids, int n, int flags);
int     getpid(void);
int     getppid(void);

int     yield(void);
/* Yields through the shared runtime: switches to another thread of this
 * process in user mode (returns 1) when the policy picks one and nothing
 * more urgent waits elsewhere, else asks the kernel (returns 0). */
int     yield_(void);
/* yield_() for a caller that need not keep s3..s11 across it: the same
 * yield, whose switch saves and loads six registers (ra, sp, tp, s0..s2)
 * instead of fifteen, and the compiler keeps what the caller has live in
 * s3..s11 itself (in a loop, once for the whole loop: the function's own
 * prologue saves them).  For loops that yield often; yield_() is the plain
 * call.  docs/user-mode-switching.md, "A light yield". */
static inline int yield_light(void)
{
    register long ret __asm__("a0");
    __asm__ volatile("call yield_light_call"
                     : "=r"(ret)
                     :
                     : "ra", "t0", "t1", "t2", "t3", "t4", "t5", "t6",
                       "a1", "a2", "a3", "a4", "a5", "a6", "a7",
                       "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "memory");
    return (int)ret;
}
int     sleep(uint64_t ms);
uint64_t time(void);                /* ns since boot; cannot fail */
void   *sbrk(intptr_t increment);   /* (void *)-1 on failure */

int     set_priority(int tid, int prio);   /* tid 0 = the caller */
int     get_priority(int tid);
/* The highest priority a process's threads may take (pid 0 = the caller's):
 * set_priority above it fails with EPERM.  One's own may only be lowered, a
 * child's only raised, up to one's own (docs/scheduler.md). */
int     set_ceiling(int pid, int ceiling);
int     get_ceiling(int pid);

void    shutdown(int status) __attribute__((noreturn));
int     readdir(int index, struct dirent *out);  /* -1/ENOENT past the end */
/* 1 if the initrd has a program or file of that name (readdir lists it). */
int     program_exists(const char *name);
int     sysinfo(struct sysinfo *out);
int     getcpu(void);
/* Switch counts of a process (pid), the caller (-1) or everyone (0). */
int     schedstat(int pid, struct schedstat *out);
/* The scheduling timeline (uapi/timeline.h): op TL_OP_*; TL_OP_READ
 * returns the number of events copied. */
long    trace_ctl(int op, void *buf, uint64_t from, uint64_t count);
/* The kinds of kernel lock harts waited for (uapi/lockstat.h): up to n
 * entries, the longest spin first; the number copied.  flags
 * LOCKSTAT_RESET: the counts start again from zero. */
struct lockstat_entry;
int     lockstat(struct lockstat_entry *buf, int n, unsigned flags);

/* Any system call, result returned as the kernel gave it (-errno on
 * failure, errno untouched): for tests of the system-call layer. */
long    syscall_raw(long n, long a0, long a1, long a2);
long    syscall_raw4(long n, long a0, long a1, long a2, long a3);

#endif
