// help: test: system calls with bad arguments fail cleanly
/*
 * t_badarg: system calls with bad arguments fail with the right error and
 * nothing else happens (no crash, no kill).  Most checks use syscall_raw,
 * which returns the kernel's -errno untouched; a few go through the
 * wrappers to check that errno is set too.
 *
 * Reads use a pipe that already holds data, never the console, so a kernel
 * that checked the buffer only after waiting for input could not hang the
 * test.
 */
#include <errno.h>
#include <futex.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <thread.h>
#include <unistd.h>
#include "vdso.h"               /* SHARED_BASE_ADDR */
#include "timeline.h"           /* uapi: SYS_trace's operations */
#include "lockstat.h"           /* uapi: struct lockstat_entry, LOCKSTAT_MAX */

#define KADDR   0xffffffe080200000L     /* the kernel image: never user */
#define HUGE    (1L << 32)              /* far past any user mapping */

static int passed, total;

/* One check: the raw result must be -expected. */
static void expect(const char *what, long got, int expected)
{
    total++;
    bool ok = got == -expected;
    if (ok)
        passed++;
    if (got < 0)
        printf("t_badarg: %-44s -> %-12s %s\n", what, errname((int)-got),
               ok ? "ok" : "WRONG");
    else
        printf("t_badarg: %-44s -> %-12ld WRONG (expected %s)\n", what, got,
               errname(expected));
}

static long raw(long n, long a0, long a1, long a2)
{
    return syscall_raw(n, a0, a1, a2);
}

/* A pipe holding "data", something to read; false (and counted) if none. */
static bool pipe_with_data(int p[2])
{
    if (pipe(p) < 0) {
        printf("t_badarg: pipe: %s\n", strerror(errno));
        total++;
        return false;
    }
    write(p[1], "data", 4);
    return true;
}

static void io_checks(void)
{
    char small[16] = "0123456789abcde";
    int p[2];
    if (!pipe_with_data(p))
        return;             /* something to read */

    expect("write(1, NULL, 5)", raw(SYS_write, 1, 0, 5), EFAULT);
    expect("write(1, kernel address, 5)", raw(SYS_write, 1, KADDR, 5), EFAULT);
    expect("write(1, small buffer, 4 GiB)", raw(SYS_write, 1, (long)small, HUGE),
           EFAULT);
    expect("read(pipe, NULL, 5)", raw(SYS_read, p[0], 0, 5), EFAULT);
    expect("read(pipe, kernel address, 5)", raw(SYS_read, p[0], KADDR, 5),
           EFAULT);
    expect("read(pipe, small buffer, 4 GiB)",
           raw(SYS_read, p[0], (long)small, HUGE), EFAULT);

    int closed = dup(p[0]);
    close(closed);
    expect("write(-1, buf, 1)", raw(SYS_write, -1, (long)small, 1), EBADF);
    expect("write(99, buf, 1)", raw(SYS_write, 99, (long)small, 1), EBADF);
    expect("write(closed fd, buf, 1)", raw(SYS_write, closed, (long)small, 1),
           EBADF);
    expect("read(-1, buf, 1)", raw(SYS_read, -1, (long)small, 1), EBADF);
    expect("read(99, buf, 1)", raw(SYS_read, 99, (long)small, 1), EBADF);
    expect("read(closed fd, buf, 1)", raw(SYS_read, closed, (long)small, 1),
           EBADF);
    expect("close(99)", raw(SYS_close, 99, 0, 0), EBADF);
    expect("dup(-1)", raw(SYS_dup, -1, 0, 0), EBADF);
    expect("pipe(NULL)", raw(SYS_pipe, 0, 0, 0), EFAULT);
    expect("pipe(kernel address)", raw(SYS_pipe, KADDR, 0, 0), EFAULT);

    /* The same through the wrapper: -1 and errno. */
    errno = 0;
    long r = write(99, small, 1);
    expect("write(99) wrapper returns -1, errno EBADF",
           r == -1 ? -(long)errno : r, EBADF);

    /* The pipe must still work: nothing was consumed by the failed reads. */
    char got[8] = { 0 };
    total++;
    if (read(p[0], got, sizeof got) == 4 && memcmp(got, "data", 4) == 0) {
        passed++;
        printf("t_badarg: %-44s -> ok\n", "pipe intact after the failed reads");
    } else {
        printf("t_badarg: %-44s -> WRONG\n", "pipe intact after the failed reads");
    }
    close(p[0]);
    close(p[1]);
}

/* One check of something that must hold. */
static void check(const char *what, bool ok)
{
    total++;
    if (ok)
        passed++;
    printf("t_badarg: %-44s -> %s\n", what, ok ? "ok" : "WRONG");
}

/* A write into a pipe from a buffer within one page leaves the buffer's
 * check to its copy when it can go in at once (sys_write): a bad buffer
 * must still be -EFAULT, and add nothing to the pipe, on that path and on
 * the others (a full pipe: at once, not after a wait that would never end;
 * no reader: EFAULT before EPIPE; a bad fd: EFAULT before EBADF). */
static void pipe_write_checks(void)
{
    static char fill[PIPE_BUF_SIZE];
    char small[16] = "0123456789abcde";
    int p[2];
    if (!pipe_with_data(p))
        return;
    expect("write(pipe, NULL, 1)", raw(SYS_write, p[1], 0, 1), EFAULT);
    expect("write(pipe, kernel address, 1)", raw(SYS_write, p[1], KADDR, 1), EFAULT);
    expect("write(pipe, noncanonical, 1)", raw(SYS_write, p[1], 1L << 62, 1), EFAULT);
    expect("write(pipe, small buffer, 4 GiB)", raw(SYS_write, p[1], (long)small, HUGE),
           EFAULT);
    expect("write(99, NULL, 1)", raw(SYS_write, 99, 0, 1), EFAULT);
    char got[8] = { 0 };
    check("pipe holds only what was written",
          read(p[0], got, sizeof got) == 4 && memcmp(got, "data", 4) == 0);
    /* Full: the write would wait for room. */
    check("write(pipe, 4096 bytes) fills it", write(p[1], fill, sizeof fill) == PIPE_BUF_SIZE);
    expect("write(full pipe, NULL, 1)", raw(SYS_write, p[1], 0, 1), EFAULT);
    expect("write(full pipe, kernel address, 1)", raw(SYS_write, p[1], KADDR, 1), EFAULT);
    check("full pipe: 4096 bytes to read", read(p[0], fill, sizeof fill) == PIPE_BUF_SIZE);
    /* No reader: a good buffer is EPIPE, a bad one EFAULT. */
    close(p[0]);
    expect("write(pipe with no reader, NULL, 1)", raw(SYS_write, p[1], 0, 1), EFAULT);
    expect("write(pipe with no reader, buf, 1)", raw(SYS_write, p[1], (long)small, 1), EPIPE);
    close(p[1]);
}

static void exec_checks(void)
{
    char *argv[] = { "echo", "never", NULL };
    expect("spawn(NULL path)", raw(SYS_spawn, 0, (long)argv, 0), EFAULT);
    expect("spawn(kernel address path)", raw(SYS_spawn, KADDR, (long)argv, 0),
           EFAULT);
    expect("exec(NULL path)", raw(SYS_exec, 0, (long)argv, 0), EFAULT);
    expect("exec(kernel address path)", raw(SYS_exec, KADDR, (long)argv, 0),
           EFAULT);
    expect("spawn(\"no_such_program\")",
           raw(SYS_spawn, (long)"no_such_program", (long)argv, 0), ENOENT);
    expect("exec(\"no_such_program\")",
           raw(SYS_exec, (long)"no_such_program", (long)argv, 0), ENOENT);
    expect("spawn(echo, argv = kernel address)",
           raw(SYS_spawn, (long)"echo", KADDR, 0), EFAULT);
    char *bad_entry[] = { "echo", (char *)KADDR, NULL };
    expect("spawn(echo, argv[1] = kernel address)",
           raw(SYS_spawn, (long)"echo", (long)bad_entry, 0), EFAULT);

    /* Addresses only the checks of every other call refuse: a pointer
     * with its high bits set (not an Sv39 address: the page walk would
     * drop those bits and find "echo") and strings in the process's own
     * shared region, which it can write but which is not user memory. */
    long noncanonical = (long)((uint64_t)"echo" | (1UL << 63));
    expect("spawn(non-canonical path)", raw(SYS_spawn, noncanonical, (long)argv, 0),
           EFAULT);
    expect("exec(non-canonical path)", raw(SYS_exec, noncanonical, (long)argv, 0),
           EFAULT);
    char *nc_entry[] = { "echo", (char *)((uint64_t)"never" | (1UL << 39)), NULL };
    expect("spawn(echo, argv[1] non-canonical)",
           raw(SYS_spawn, (long)"echo", (long)nc_entry, 0), EFAULT);
    expect("spawn(echo, argv non-canonical)",
           raw(SYS_spawn, (long)"echo", (long)((uint64_t)argv | (1UL << 62)), 0), EFAULT);
    char *in_shared = (char *)(SHARED_BASE_ADDR + SHARED_VDSO_PAGES * 4096ULL - 8);
    strcpy(in_shared, "echo");          /* the last bytes of its VDSO_DATA */
    expect("spawn(path in the shared region)", raw(SYS_spawn, (long)in_shared,
           (long)argv, 0), EFAULT);
    char *shared_entry[] = { "echo", in_shared, NULL };
    expect("spawn(echo, argv[1] in the shared region)",
           raw(SYS_spawn, (long)"echo", (long)shared_entry, 0), EFAULT);
    expect("write(1, non-canonical buffer, 4)",
           raw(SYS_write, 1, noncanonical, 4), EFAULT);

    static char *many[MAX_ARGS + 10];
    for (int i = 0; i < MAX_ARGS + 9; i++)
        many[i] = "x";
    many[MAX_ARGS + 9] = NULL;
    expect("spawn(echo, MAX_ARGS + 9 arguments)",
           raw(SYS_spawn, (long)"echo", (long)many, 0), E2BIG);
    expect("exec(echo, MAX_ARGS + 9 arguments)",
           raw(SYS_exec, (long)"echo", (long)many, 0), E2BIG);

    static char big[MAX_ARG_BYTES];
    memset(big, 'y', sizeof big - 1);
    char *long_args[] = { "echo", big, NULL };
    expect("spawn(echo, MAX_ARG_BYTES of arguments)",
           raw(SYS_spawn, (long)"echo", (long)long_args, 0), E2BIG);

    static char long_path[MAX_PATH + 8];
    memset(long_path, 'p', sizeof long_path - 1);
    expect("spawn(path longer than MAX_PATH)",
           raw(SYS_spawn, (long)long_path, (long)argv, 0), ENAMETOOLONG);

    errno = 0;
    int r = spawn("no_such_program", argv);
    expect("spawn wrapper returns -1, errno ENOENT",
           r == -1 ? -(long)errno : r, ENOENT);

    /* After all that, a good spawn still works. */
    char *good[] = { "echo", "t_badarg: a good spawn still works", NULL };
    int pid = spawn("echo", good), status = -1;
    total++;
    if (pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
        WEXITSTATUS(status) == 0)
        passed++;
    else
        printf("t_badarg: a good spawn failed: %s\n", strerror(errno));
}

/* waitpid with a bad status pointer, on a child of its own: a kernel may
 * check the pointer before or after collecting the child, so a second
 * waitpid finds either the child or ECHILD (reported, not counted). */
static void bad_status_pointer(const char *what, long status_ptr)
{
    int pid = fork();
    if (pid == 0)
        exit(5);
    if (pid < 0) {
        printf("t_badarg: fork: %s\n", strerror(errno));
        total++;
        return;
    }
    expect(what, raw(SYS_waitpid, pid, status_ptr, 0), EFAULT);
    int status = 0;
    if (waitpid(pid, &status, 0) == pid)
        printf("t_badarg: %-44s -> exit status %d\n", "  then a good waitpid",
               WEXITSTATUS(status));
    else
        printf("t_badarg: %-44s -> %s (reaped by the failed call)\n",
               "  then a good waitpid", errname(errno));
}

static void wait_checks(void)
{
    bad_status_pointer("waitpid(child, kernel address, 0)", KADDR);
    bad_status_pointer("waitpid(child, 0x8, 0)", 8);
    expect("waitpid(-1) without children", raw(SYS_waitpid, -1, 0, 0), ECHILD);
    expect("kill(99999)", raw(SYS_kill, 99999, 0, 0), ESRCH);
}

static void misc_checks(void)
{
    expect("syscall 999", raw(999, 0, 0, 0), ENOSYS);
    expect("syscall NSYSCALLS", raw(NSYSCALLS, 0, 0, 0), ENOSYS);
    expect("syscall -1", raw(-1, 0, 0, 0), ENOSYS);

    expect("thread_join(self)", raw(SYS_thread_join, gettid(), 0, 0), EDEADLK);
    expect("thread_join(99999)", raw(SYS_thread_join, 99999, 0, 0), ESRCH);

    uint32_t word = 5;
    expect("futex_wait(&5, expected 6)",
           raw(SYS_futex_wait, (long)&word, 6, 0), EAGAIN);
    expect("futex_wait(NULL)", raw(SYS_futex_wait, 0, 0, 0), EFAULT);
    expect("futex_wait(kernel address)", raw(SYS_futex_wait, KADDR, 0, 0),
           EFAULT);
    errno = 0;
    int r = futex_wait(&word, 6, 0);
    expect("futex_wait wrapper returns -1, errno EAGAIN",
           r == -1 ? -(long)errno : r, EAGAIN);

    expect("set_priority(self, 0)", raw(SYS_set_priority, 0, 0, 0), EINVAL);
    expect("set_priority(self, 21)", raw(SYS_set_priority, 0, 21, 0), EINVAL);
    expect("set_priority(self, -5)", raw(SYS_set_priority, 0, -5, 0), EINVAL);
    expect("set_priority(99999, 10)", raw(SYS_set_priority, 99999, 10, 0),
           ESRCH);
    expect("get_priority(99999)", raw(SYS_get_priority, 99999, 0, 0), ESRCH);

    expect("readdir(0, NULL)", raw(SYS_readdir, 0, 0, 0), EFAULT);
    struct dirent d;
    expect("readdir(100000, &d)", raw(SYS_readdir, 100000, (long)&d, 0),
           ENOENT);
    expect("sysinfo(NULL)", raw(SYS_sysinfo, 0, 0, 0), EFAULT);
    expect("sysinfo(kernel address)", raw(SYS_sysinfo, KADDR, 0, 0), EFAULT);

    /* The timeline: only calls that change nothing (no on, off, clear). */
    expect("trace(op 99)", syscall_raw4(SYS_trace, 99, 0, 0, 0), EINVAL);
    expect("trace(STATUS, NULL)", syscall_raw4(SYS_trace, TL_OP_STATUS, 0, 0, 0), EFAULT);
    expect("trace(STATUS, kernel address)",
           syscall_raw4(SYS_trace, TL_OP_STATUS, KADDR, 0, 0), EFAULT);
    static struct tl_event events[2];
    expect("trace(READ, count 0)",
           syscall_raw4(SYS_trace, TL_OP_READ, (long)events, 0, 0), EINVAL);
    expect("trace(READ, count TL_READ_MAX + 1)",
           syscall_raw4(SYS_trace, TL_OP_READ, (long)events, 0, TL_READ_MAX + 1), EINVAL);
    expect("trace(READ, kernel address)",
           syscall_raw4(SYS_trace, TL_OP_READ, KADDR, 0, 2), EFAULT);
    expect("trace(READ, past the end of a buffer)",
           syscall_raw4(SYS_trace, TL_OP_READ, HUGE, 0, TL_READ_MAX), EFAULT);

    /* Lock statistics: without LOCKSTAT_RESET, so nothing changes. */
    static struct lockstat_entry kinds[2];
    expect("lockstat(n 0)", raw(SYS_lockstat, (long)kinds, 0, 0), EINVAL);
    expect("lockstat(n -1)", raw(SYS_lockstat, (long)kinds, -1, 0), EINVAL);
    expect("lockstat(n LOCKSTAT_MAX + 1)",
           raw(SYS_lockstat, (long)kinds, LOCKSTAT_MAX + 1, 0), EINVAL);
    expect("lockstat(flags 2)", raw(SYS_lockstat, (long)kinds, 2, 2), EINVAL);
    expect("lockstat(NULL)", raw(SYS_lockstat, 0, 2, 0), EFAULT);
    expect("lockstat(kernel address)", raw(SYS_lockstat, KADDR, 2, 0), EFAULT);
    expect("lockstat(past the end of a buffer)",
           raw(SYS_lockstat, HUGE, LOCKSTAT_MAX, 0), EFAULT);
}

int main(void)
{
    io_checks();
    pipe_write_checks();
    exec_checks();
    wait_checks();
    misc_checks();
    printf("t_badarg: %d of %d checks passed\n", passed, total);
    if (passed != total) {
        printf("t_badarg: FAIL (%d checks wrong)\n", total - passed);
        return 1;
    }
    printf("t_badarg: PASS\n");
    return 0;
}
