#include "syscall/syscall.h"
#include "uapi/syscall.h"
#include "uapi/errno.h"

const syscall_fn syscall_table[NSYSCALLS] = {
    [SYS_read] = sys_read,           [SYS_write] = sys_write,
    [SYS_close] = sys_close,         [SYS_pipe] = sys_pipe,
    [SYS_dup] = sys_dup,             [SYS_fork] = sys_fork,
    [SYS_exec] = sys_exec,           [SYS_spawn] = sys_spawn,
    [SYS_waitpid] = sys_waitpid,     [SYS_exit] = sys_exit,
    [SYS_kill] = sys_kill,           [SYS_getpid] = sys_getpid,
    [SYS_getppid] = sys_getppid,     [SYS_thread_create] = sys_thread_create,
    [SYS_thread_join] = sys_thread_join, [SYS_thread_exit] = sys_thread_exit,
    [SYS_gettid] = sys_gettid,       [SYS_yield] = sys_yield,
    [SYS_sleep] = sys_sleep,         [SYS_time] = sys_time,
    [SYS_sbrk] = sys_sbrk,           [SYS_set_priority] = sys_set_priority,
    [SYS_get_priority] = sys_get_priority, [SYS_futex_wait] = sys_futex_wait,
    [SYS_futex_wake] = sys_futex_wake, [SYS_shutdown] = sys_shutdown,
    [SYS_readdir] = sys_readdir,     [SYS_sysinfo] = sys_sysinfo,
    [SYS_getcpu] = sys_getcpu,       [SYS_schedstat] = sys_schedstat,
    [SYS_set_ceiling] = sys_set_ceiling, [SYS_get_ceiling] = sys_get_ceiling,
    [SYS_co_setup] = sys_co_setup,   [SYS_sleep_async] = sys_sleep_async,
    [SYS_co_cancel_io] = sys_co_cancel_io,
    [SYS_set_foreground] = sys_set_foreground,
    [SYS_lockstat] = sys_lockstat,
};
const syscall4_fn syscall4_table[NSYSCALLS] = {
    [SYS_read_async] = sys_read_async, [SYS_write_async] = sys_write_async,
    [SYS_trace] = sys_trace,
};
_Static_assert(NSYSCALLS == 40, "a new system call needs a table entry");
