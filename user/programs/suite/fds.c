/*
 * Bad file descriptors: every call that takes one, with every kind of
 * descriptor that names no open file of the caller.  Each must fail with
 * -EBADF and leave the caller's real descriptors alone.
 *
 *   negative   -1
 *   unopened   99 (inside the table's first size, never opened)
 *   max        MAX_FDS, one past the last descriptor there can be
 *   closed     a descriptor just closed
 *   intmax     2^31 - 1
 *   high32     2^32 + 1: the low 32 bits name stdout, so a kernel that
 *              cut the argument to an int would write to the console
 *
 * fd_threaded/ has read and write again, from a process with a second
 * thread: the kernel takes their descriptor another way then.
 */
#include <futex.h>
#include <stdbool.h>
#include <string.h>
#include <thread.h>
#include "suite.h"
#include "coro.h"

enum fd_class { FC_NEGATIVE, FC_UNOPENED, FC_MAX, FC_CLOSED, FC_INTMAX, FC_HIGH32,
                FC_COUNT };
static const char *const fd_class_names[FC_COUNT] = {
    "negative", "unopened", "max", "closed", "intmax", "high32",
};

static long bad_fd(enum fd_class cls)
{
    switch (cls) {
    case FC_NEGATIVE: return -1;
    case FC_UNOPENED: return 99;
    case FC_MAX:      return MAX_FDS;
    case FC_CLOSED: {
        int d = dup(1);
        close(d);
        return d;
    }
    case FC_INTMAX:   return 0x7fffffffL;
    default:          return (1L << 32) + 1;
    }
}

static char buf[16] = "h_suite: WRONG\n";
static struct co_io io;

static long executor(void)
{
    io = (struct co_io){ .cid = 0 };
    return syscall_raw(SYS_co_setup, 16, 0, 0);
}

static long f_read(long fd)  { return syscall_raw(SYS_read, fd, (long)buf, 1); }
static long f_write(long fd) { return syscall_raw(SYS_write, fd, (long)buf, sizeof buf - 1); }
static long f_close(long fd) { return syscall_raw(SYS_close, fd, 0, 0); }
static long f_dup(long fd)   { return syscall_raw(SYS_dup, fd, 0, 0); }
static long f_read_async(long fd)
{
    executor();
    return syscall_raw4(SYS_read_async, fd, (long)buf, 1, (long)&io);
}
static long f_write_async(long fd)
{
    executor();
    return syscall_raw4(SYS_write_async, fd, (long)buf, sizeof buf - 1, (long)&io);
}

static const struct {
    const char *name;
    long (*call)(long fd);
} fd_calls[] = {
    { "read", f_read }, { "write", f_write }, { "close", f_close }, { "dup", f_dup },
    { "read_async", f_read_async }, { "write_async", f_write_async },
};
#define NFDCALLS (sizeof fd_calls / sizeof fd_calls[0])

/* A sibling thread that waits for ever (the child's exit ends it): with
 * it, the process has two live threads, and read and write take the
 * descriptor with a reference under the process's lock instead of the
 * one-thread fast path (os/syscall/sys_file.c, fd_borrow). */
static volatile uint32_t never;
static void *idle_sibling(void *arg)
{
    while (!never)
        futex_wait((uint32_t *)&never, 0, 0);
    return arg;
}

static int run_fd_case(const struct suite_case *c)
{
    bool threaded = c->arg2 >= FC_COUNT;
    if (threaded && thread_create(idle_sibling, 0) < 0)
        return EXPECT(0, "thread_create: %s", strerror(errno));
    long r = fd_calls[c->arg].call(bad_fd((enum fd_class)(c->arg2 % FC_COUNT)));
    int bad = EXPECT_ERR(r, EBADF);
    /* The real descriptors are untouched: stdout still writes. */
    bad |= EXPECT(write(1, "", 0) == 0, "stdout gone: %s", strerror(errno));
    return bad;
}

void suite_fd_cases(void)
{
    for (unsigned i = 0; i < NFDCALLS; i++) {
        for (int cls = 0; cls < FC_COUNT; cls++) {
            char name[SUITE_NAME_MAX];
            snprintf(name, sizeof name, "fd/%s/%s", fd_calls[i].name, fd_class_names[cls]);
            suite_add(name, run_fd_case, END_EXIT0, i, cls);
        }
    }
    /* read and write again with a sibling thread: their other path. */
    for (unsigned i = 0; i < NFDCALLS; i++) {
        if (fd_calls[i].call != f_read && fd_calls[i].call != f_write)
            continue;
        for (int cls = 0; cls < FC_COUNT; cls++) {
            char name[SUITE_NAME_MAX];
            snprintf(name, sizeof name, "fd_threaded/%s/%s", fd_calls[i].name,
                     fd_class_names[cls]);
            suite_add(name, run_fd_case, END_EXIT0, i, FC_COUNT + cls);
        }
    }
}
