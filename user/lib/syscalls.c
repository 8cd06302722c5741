/*
 * One wrapper per system call (numbers and conventions in uapi/syscall.h).
 * The kernel returns -errno on failure; the C convention is -1 with errno
 * set, which sys_result() does.  Calls that cannot fail (getpid, time, ...)
 * return the kernel's value as is.  Thread calls are in thread.c.
 */
#include <errno.h>
#include <futex.h>
#include <unistd.h>
#include <string.h>
#include "sys.h"

long sys_result(long r)
{
    if (r < 0) {
        errno = (int)-r;
        return -1;
    }
    return r;
}

ssize_t read(int fd, void *buf, size_t n)
{
    return sys_result(sys_call3(SYS_read, fd, (long)buf, (long)n));
}

ssize_t write(int fd, const void *buf, size_t n)
{
    return sys_result(sys_call3(SYS_write, fd, (long)buf, (long)n));
}

int close(int fd)
{
    return (int)sys_result(sys_call1(SYS_close, fd));
}

int pipe(int fds[2])
{
    return (int)sys_result(sys_call1(SYS_pipe, fds));
}

int dup(int fd)
{
    return (int)sys_result(sys_call1(SYS_dup, fd));
}

int fork(void)
{
    return (int)sys_result(sys_call0(SYS_fork));
}

int exec(const char *path, char *const argv[])
{
    return (int)sys_result(sys_call2(SYS_exec, path, argv));
}

int spawn(const char *path, char *const argv[])
{
    return (int)sys_result(sys_call2(SYS_spawn, path, argv));
}

int spawn_prio(const char *path, char *const argv[], int prio, int ceiling)
{
    return (int)sys_result(sys_call3(SYS_spawn, (long)path, (long)argv,
                                     (long)SPAWN_PRIO(prio, ceiling)));
}

int waitpid(int pid, int *status, int options)
{
    return (int)sys_result(sys_call3(SYS_waitpid, pid, (long)status, options));
}

void exit(int status)
{
    sys_call1(SYS_exit, status);
    __builtin_unreachable();
}

int kill(int pid)
{
    return (int)sys_result(sys_call1(SYS_kill, pid));
}

int set_foreground(const int *pids, int n, int flags)
{
    return (int)sys_result(sys_call3(SYS_set_foreground, (long)pids, n, flags));
}

int getpid(void)
{
    return (int)sys_call0(SYS_getpid);
}

int getppid(void)
{
    return (int)sys_call0(SYS_getppid);
}

int sleep(uint64_t ms)
{
    return (int)sys_result(sys_call1(SYS_sleep, ms));
}

uint64_t time(void)
{
    return (uint64_t)sys_call0(SYS_time);
}

void *sbrk(intptr_t increment)
{
    long r = sys_call1(SYS_sbrk, increment);
    /* The break is a user address (below 2^38), never negative. */
    if (r < 0) {
        errno = (int)-r;
        return (void *)-1;
    }
    return (void *)r;
}

int set_priority(int tid, int prio)
{
    return (int)sys_result(sys_call2(SYS_set_priority, tid, prio));
}

int get_priority(int tid)
{
    return (int)sys_result(sys_call1(SYS_get_priority, tid));
}

int set_ceiling(int pid, int ceiling)
{
    return (int)sys_result(sys_call2(SYS_set_ceiling, pid, ceiling));
}

int get_ceiling(int pid)
{
    return (int)sys_result(sys_call1(SYS_get_ceiling, pid));
}

void shutdown(int status)
{
    sys_call1(SYS_shutdown, status);
    __builtin_unreachable();
}

int readdir(int index, struct dirent *out)
{
    return (int)sys_result(sys_call2(SYS_readdir, index, out));
}

int program_exists(const char *name)
{
    struct dirent d;
    for (int i = 0; readdir(i, &d) == 0; i++)
        if (strncmp(d.name, name, sizeof d.name) == 0)
            return 1;
    return 0;
}

int sysinfo(struct sysinfo *out)
{
    return (int)sys_result(sys_call1(SYS_sysinfo, out));
}

int getcpu(void)
{
    return (int)sys_call0(SYS_getcpu);
}

int futex_wait(uint32_t *addr, uint32_t expected, uint64_t timeout_ms)
{
    return (int)sys_result(sys_call3(SYS_futex_wait, (long)addr,
                                     (long)expected, (long)timeout_ms));
}

int futex_wake(uint32_t *addr, int max)
{
    return (int)sys_result(sys_call2(SYS_futex_wake, addr, max));
}

long syscall_raw(long n, long a0, long a1, long a2)
{
    return sys_call3(n, a0, a1, a2);
}

long syscall_raw4(long n, long a0, long a1, long a2, long a3)
{
    return sys_call4(n, a0, a1, a2, a3);
}

int schedstat(int pid, struct schedstat *out)
{
    return (int)sys_result(sys_call2(SYS_schedstat, pid, out));
}

int lockstat(struct lockstat_entry *buf, int n, unsigned flags)
{
    return (int)sys_result(sys_call3(SYS_lockstat, (long)(uintptr_t)buf, n, flags));
}

long trace_ctl(int op, void *buf, uint64_t from, uint64_t count)
{
    return sys_result(sys_call4(SYS_trace, op, (long)(uintptr_t)buf, (long)from, (long)count));
}
