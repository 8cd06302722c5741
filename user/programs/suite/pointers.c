/*
 * Every system call that takes a pointer, with every class of pointer a
 * process has no right to hand the kernel (and every huge length where the
 * call takes one): a table, targets x classes (the classes are in
 * ptr_classes.h, shared with h_fuzz).  Each must fail with -EFAULT (futex
 * calls: -EINVAL for an unaligned address, which they check first), never
 * write anything, never kill the caller, never panic.
 */
#include <stdbool.h>
#include <string.h>
#include <thread.h>
#include "suite.h"
#include "ptr_classes.h"
#include "coro.h"               /* sched_abi: struct co_io */
#include "timeline.h"           /* uapi: TL_OP_* */
#include "vdso.h"               /* SHARED_BASE_ADDR */

/* A good buffer: what a class that keeps the address but breaks something
 * else starts from.  Holds a program name for the calls that read a path. */
static char good[64] = "h_suite";

static long bad_pointer(enum ptr_class cls)
{
    return ptr_class_address(cls, good);
}

static long length_of(enum ptr_class cls)
{
    return ptr_class_length(cls);
}

/* A pipe with bytes in it: a read from it never waits. */
static int data_pipe(int p[2])
{
    if (pipe(p) < 0 || write(p[1], "0123456789abcdef0123", 20) != 20) {
        printf("# pipe: %s\n", strerror(errno));
        return -1;
    }
    return 0;
}

/* The executor, so that an io with cid 0 passes the cid check and the
 * asynchronous calls go on to check the other pointer. */
static struct co_io good_io;
static int with_executor(void)
{
    long r = syscall_raw(SYS_co_setup, 16, 0, 0);
    if (r < 16) {
        printf("# co_setup: %ld\n", r);
        return -1;
    }
    good_io = (struct co_io){ .cid = 0 };
    return 0;
}

#define NO_SETUP 0x7fffffffffffL    /* a result no call gives: the setup failed */

static long t_read_buf(long ptr, long len)
{
    int p[2];
    if (data_pipe(p) < 0)
        return NO_SETUP;
    long r = syscall_raw(SYS_read, p[0], ptr, len);
    /* Nothing consumed by the failed call. */
    char back[20];
    if (read(p[0], back, 20) != 20 || memcmp(back, "0123456789abcdef0123", 20) != 0) {
        printf("# the failed read took bytes from the pipe\n");
        return NO_SETUP;
    }
    return r;
}

static long t_write_buf(long ptr, long len)
{
    int p[2];
    if (pipe(p) < 0)
        return NO_SETUP;
    long r = syscall_raw(SYS_write, p[1], ptr, len);
    /* Nothing added by the failed call: the pipe is empty. */
    close(p[1]);
    char c;
    if (r < 0 && read(p[0], &c, 1) != 0) {
        printf("# the failed write put bytes into the pipe\n");
        return NO_SETUP;
    }
    return r;
}

static long t_pipe_fds(long ptr, long len)
{
    (void)len;
    long r = syscall_raw(SYS_pipe, ptr, 0, 0);
    /* Nothing opened: the lowest free descriptor is still 3. */
    int d = dup(0);
    if (r < 0 && d != 3) {
        printf("# the failed pipe left descriptors open (dup gave %d)\n", d);
        return NO_SETUP;
    }
    return r;
}

/* A path or argv the kernel should have refused is h_suite again, with
 * an option it refuses: exit status 2, which fails the case. */
static char *echo_argv[] = { "h_suite", "-exec-should-have-failed", NULL };

/* Which argument of exec or spawn gets the bad pointer. */
enum program_arg { BAD_PATH, BAD_ARGV, BAD_ARGV1 };

/* exec or spawn (nr) of h_suite, with the bad pointer ptr as its path, as
 * its argv, or as argv[1]. */
static long start_program(long nr, enum program_arg bad, long ptr)
{
    char *argv1[] = { "h_suite", (char *)ptr, NULL };
    switch (bad) {
    case BAD_PATH:
        return syscall_raw(nr, ptr, (long)echo_argv, 0);
    case BAD_ARGV:
        return syscall_raw(nr, (long)"h_suite", ptr, 0);
    default:
        return syscall_raw(nr, (long)"h_suite", (long)argv1, 0);
    }
}

/* A target (long ptr, long len) for start_program. */
#define PROGRAM_TARGET(name, nr, bad) \
    static long name(long ptr, long len) { (void)len; return start_program(nr, bad, ptr); }

PROGRAM_TARGET(t_exec_path, SYS_exec, BAD_PATH)
PROGRAM_TARGET(t_exec_argv, SYS_exec, BAD_ARGV)
PROGRAM_TARGET(t_exec_arg1, SYS_exec, BAD_ARGV1)
PROGRAM_TARGET(t_spawn_path, SYS_spawn, BAD_PATH)
PROGRAM_TARGET(t_spawn_argv, SYS_spawn, BAD_ARGV)
PROGRAM_TARGET(t_spawn_arg1, SYS_spawn, BAD_ARGV1)

static long t_waitpid_status(long ptr, long len)
{
    (void)len;
    int pid = fork();
    if (pid == 0)
        exit(0);
    if (pid < 0)
        return NO_SETUP;
    return syscall_raw(SYS_waitpid, pid, ptr, 0);
}

static void *returns(void *arg)
{
    return arg;
}

/* Started before the bad pointer is made: thread_create's allocations
 * would move the heap's end past the "unaligned" object. */
static int joinable = -1;
static void start_joinable(void)
{
    joinable = thread_create(returns, 0);
}

static long t_join_retval(long ptr, long len)
{
    (void)len;
    if (joinable < 0)
        return NO_SETUP;
    return syscall_raw(SYS_thread_join, joinable, ptr, 0);
}

static long t_futex_wait(long ptr, long len)
{
    (void)len;
    return syscall_raw(SYS_futex_wait, ptr, 0, 1);     /* 1 ms: never hangs */
}

static long t_futex_wake(long ptr, long len)
{
    (void)len;
    return syscall_raw(SYS_futex_wake, ptr, 1, 0);
}

static long t_readdir(long ptr, long len)
{
    (void)len;
    return syscall_raw(SYS_readdir, 0, ptr, 0);
}

static long t_sysinfo(long ptr, long len)
{
    (void)len;
    return syscall_raw(SYS_sysinfo, ptr, 0, 0);
}

static long t_schedstat(long ptr, long len)
{
    (void)len;
    return syscall_raw(SYS_schedstat, -1, ptr, 0);
}

/* read_async from a pipe with data in it, or write_async into an empty
 * one, with buf, len and io as given (one of them bad). */
static long async_transfer(bool reading, long buf, long len, long io)
{
    int p[2];
    if ((reading ? data_pipe(p) : pipe(p)) < 0 || with_executor() < 0)
        return NO_SETUP;
    return syscall_raw4(reading ? SYS_read_async : SYS_write_async, p[reading ? 0 : 1],
                        buf, len, io);
}

static long t_read_async_buf(long ptr, long len)
{
    return async_transfer(true, ptr, len, (long)&good_io);
}

static long t_read_async_io(long ptr, long len)
{
    (void)len;
    return async_transfer(true, (long)good, 16, ptr);
}

static long t_write_async_buf(long ptr, long len)
{
    return async_transfer(false, ptr, len, (long)&good_io);
}

static long t_write_async_io(long ptr, long len)
{
    (void)len;
    return async_transfer(false, (long)good, 16, ptr);
}

static long t_sleep_async_io(long ptr, long len)
{
    (void)len;
    if (with_executor() < 0)
        return NO_SETUP;
    return syscall_raw(SYS_sleep_async, 10, ptr, 0);
}

static long t_cancel_io(long ptr, long len)
{
    (void)len;
    if (with_executor() < 0)
        return NO_SETUP;
    return syscall_raw(SYS_co_cancel_io, ptr, 0, 0);
}

static long t_trace_status(long ptr, long len)
{
    (void)len;
    return syscall_raw4(SYS_trace, TL_OP_STATUS, ptr, 0, 0);
}

static long t_trace_read(long ptr, long len)
{
    (void)len;
    return syscall_raw4(SYS_trace, TL_OP_READ, ptr, 0, 2);
}

/* What each target expects of a bad pointer, besides -EFAULT. */
enum target_kind {
    TK_PLAIN,           /* -EFAULT for every class */
    TK_LENGTH,          /* a buffer with a length: the length classes apply */
    TK_FUTEX,           /* an unaligned address: -EINVAL, checked first */
    TK_OPTIONAL,        /* NULL means "none" (no status, no return value,
                           the end of argv): the null class does not apply */
    TK_KEY,             /* the pointer only names a pending operation, never
                           read or written: -ENOENT for all (no such op) */
};

struct target {
    const char *name;
    long (*call)(long ptr, long len);
    enum target_kind kind;
    void (*prepare)(void);      /* run before the bad pointer is made */
};

static const struct target targets[] = {
    { "read.buf", t_read_buf, TK_LENGTH, 0 },
    { "write.buf", t_write_buf, TK_LENGTH, 0 },
    { "pipe.fds", t_pipe_fds, TK_PLAIN, 0 },
    { "exec.path", t_exec_path, TK_PLAIN, 0 },
    { "exec.argv", t_exec_argv, TK_PLAIN, 0 },
    { "exec.argv1", t_exec_arg1, TK_OPTIONAL, 0 },
    { "spawn.path", t_spawn_path, TK_PLAIN, 0 },
    { "spawn.argv", t_spawn_argv, TK_PLAIN, 0 },
    { "spawn.argv1", t_spawn_arg1, TK_OPTIONAL, 0 },
    { "waitpid.status", t_waitpid_status, TK_OPTIONAL, 0 },
    { "thread_join.retval", t_join_retval, TK_OPTIONAL, start_joinable },
    { "futex_wait.addr", t_futex_wait, TK_FUTEX, 0 },
    { "futex_wake.addr", t_futex_wake, TK_FUTEX, 0 },
    { "readdir.out", t_readdir, TK_PLAIN, 0 },
    { "sysinfo.out", t_sysinfo, TK_PLAIN, 0 },
    { "schedstat.out", t_schedstat, TK_PLAIN, 0 },
    { "read_async.buf", t_read_async_buf, TK_LENGTH, 0 },
    { "read_async.io", t_read_async_io, TK_PLAIN, 0 },
    { "write_async.buf", t_write_async_buf, TK_LENGTH, 0 },
    { "write_async.io", t_write_async_io, TK_PLAIN, 0 },
    { "sleep_async.io", t_sleep_async_io, TK_PLAIN, 0 },
    { "co_cancel_io.io", t_cancel_io, TK_KEY, 0 },
    { "trace.status", t_trace_status, TK_PLAIN, 0 },
    { "trace.read", t_trace_read, TK_PLAIN, 0 },
};
#define NTARGETS (sizeof targets / sizeof targets[0])

static int run_pointer_case(const struct suite_case *c)
{
    const struct target *t = &targets[c->arg];
    enum ptr_class cls = (enum ptr_class)c->arg2;
    if (t->prepare)
        t->prepare();
    long r = t->call(bad_pointer(cls), length_of(cls));
    if (r == NO_SETUP)
        return 1;
    int expected = t->kind == TK_KEY ? ENOENT :
                   t->kind == TK_FUTEX && cls == PC_UNALIGNED ? EINVAL : EFAULT;
    return EXPECT_ERR(r, expected);
}

void suite_pointer_cases(void)
{
    for (unsigned i = 0; i < NTARGETS; i++) {
        for (int cls = 0; cls < PC_COUNT; cls++) {
            if ((cls == PC_HUGELEN || cls == PC_LENWRAP) && targets[i].kind != TK_LENGTH)
                continue;
            if (cls == PC_NULL && targets[i].kind == TK_OPTIONAL)
                continue;
            char name[SUITE_NAME_MAX];
            snprintf(name, sizeof name, "ptr/%s/%s", targets[i].name, ptr_class_names[cls]);
            suite_add(name, run_pointer_case, END_EXIT0, i, cls);
        }
    }
}
