/* System-call dispatch.  Numbers and conventions: uapi/syscall.h. */
#ifndef SYSCALL_SYSCALL_H
#define SYSCALL_SYSCALL_H

#include <stdint.h>
#include "trap/trap.h"
#include "uapi/syscall.h"
#include "uapi/errno.h"

/* Sets up the futex wait queues (once, at boot). */
void futex_init(void);
/* Wakes at most max (all if < 0) threads of p waiting on the futex word at
 * addr (user memory or p's executor pages); how many. */
struct proc;
int futex_wake(struct proc *p, uint64_t addr, int max);

/* The handlers: arguments as raw 64-bit values, result as a long. */
typedef long (*syscall_fn)(uint64_t a0, uint64_t a1, uint64_t a2);

long sys_read(uint64_t fd, uint64_t buf, uint64_t n);
long sys_write(uint64_t fd, uint64_t buf, uint64_t n);
long sys_close(uint64_t fd, uint64_t, uint64_t);
long sys_pipe(uint64_t fds, uint64_t, uint64_t);
long sys_dup(uint64_t fd, uint64_t, uint64_t);
long sys_readdir(uint64_t index, uint64_t out, uint64_t);
long sys_fork(uint64_t, uint64_t, uint64_t);
long sys_exec(uint64_t path, uint64_t argv, uint64_t);
long sys_spawn(uint64_t path, uint64_t argv, uint64_t);
long sys_waitpid(uint64_t pid, uint64_t status, uint64_t options);
long sys_exit(uint64_t status, uint64_t, uint64_t);
long sys_kill(uint64_t pid, uint64_t, uint64_t);
long sys_getpid(uint64_t, uint64_t, uint64_t);
long sys_getppid(uint64_t, uint64_t, uint64_t);
long sys_shutdown(uint64_t status, uint64_t, uint64_t);
long sys_sysinfo(uint64_t out, uint64_t, uint64_t);
long sys_getcpu(uint64_t, uint64_t, uint64_t);
long sys_schedstat(uint64_t pid, uint64_t out, uint64_t);
long sys_set_ceiling(uint64_t pid, uint64_t ceiling, uint64_t);
long sys_get_ceiling(uint64_t pid, uint64_t, uint64_t);
long sys_sbrk(uint64_t increment, uint64_t, uint64_t);
long sys_thread_create(uint64_t start, uint64_t a0, uint64_t a1);
long sys_thread_join(uint64_t tid, uint64_t retval, uint64_t);
long sys_thread_exit(uint64_t retval, uint64_t, uint64_t);
long sys_gettid(uint64_t, uint64_t, uint64_t);
long sys_yield(uint64_t, uint64_t, uint64_t);
long sys_sleep(uint64_t ms, uint64_t, uint64_t);
long sys_time(uint64_t, uint64_t, uint64_t);
long sys_set_priority(uint64_t tid, uint64_t prio, uint64_t);
long sys_get_priority(uint64_t tid, uint64_t, uint64_t);
long sys_futex_wait(uint64_t addr, uint64_t expected, uint64_t timeout_ms);
long sys_futex_wake(uint64_t addr, uint64_t max, uint64_t);
long sys_co_setup(uint64_t capacity, uint64_t, uint64_t);
long sys_sleep_async(uint64_t ms, uint64_t io, uint64_t);
long sys_co_cancel_io(uint64_t io, uint64_t, uint64_t);
long sys_set_foreground(uint64_t pids, uint64_t n, uint64_t flags);
long sys_lockstat(uint64_t buf, uint64_t n, uint64_t flags);
/* The calls with four arguments. */
typedef long (*syscall4_fn)(uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3);
long sys_read_async(uint64_t fd, uint64_t buf, uint64_t n, uint64_t io);
long sys_write_async(uint64_t fd, uint64_t buf, uint64_t n, uint64_t io);
long sys_trace(uint64_t op, uint64_t buf, uint64_t from, uint64_t count);

/* The handlers by number (syscall.c): NULL where the other table has the
 * call, or none has. */
extern const syscall_fn syscall_table[NSYSCALLS];
extern const syscall4_fn syscall4_table[NSYSCALLS];

/* Runs the call in tf (a7 = number, a0..a5 = arguments) and returns its
 * result, for tf's a0 (-ENOSYS for a number no table has).  Inline in
 * trap.c's system_call: every system call comes this way. */
static inline long syscall_dispatch(const struct trapframe *tf)
{
    uint64_t nr = tf->regs[17];                  /* a7 */
    if (nr >= NSYSCALLS)
        return -ENOSYS;
    if (syscall_table[nr])
        return syscall_table[nr](tf->regs[REG_A0], tf->regs[REG_A0 + 1], tf->regs[REG_A0 + 2]);
    if (syscall4_table[nr])
        return syscall4_table[nr](tf->regs[REG_A0], tf->regs[REG_A0 + 1], tf->regs[REG_A0 + 2],
                                  tf->regs[REG_A0 + 3]);
    return -ENOSYS;
}

#endif
