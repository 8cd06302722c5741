/*
 * exec and spawn of executables the kernel's ELF loader must refuse: the
 * badelf_* files of the initrd (scripts/make-bad-elfs.py makes them from
 * echo, each breaking one rule: garbage magic, a file cut short in its
 * header or its program headers, another machine, an entry outside the
 * text, a writable and executable segment, a segment past the file or
 * too big, one over the kernel, two overlapping).  Each must fail with
 * -ENOEXEC and the caller go on; t_badelf checks the kernel's messages,
 * and runs here as one more case (process.c).
 */
#include <string.h>
#include <thread.h>
#include "suite.h"

static const char *const bad_elfs[] = {
    "badelf_magic", "badelf_short", "badelf_trunc", "badelf_machine", "badelf_entry",
    "badelf_wx", "badelf_bounds", "badelf_kernel", "badelf_overlap",
};
#define NBAD (sizeof bad_elfs / sizeof bad_elfs[0])

static int exec_bad(const struct suite_case *c)
{
    const char *path = bad_elfs[c->arg];
    char *argv[] = { (char *)path, NULL };
    long r = c->arg2 ? syscall_raw(SYS_spawn, (long)path, (long)argv, 0)
                     : syscall_raw(SYS_exec, (long)path, (long)argv, 0);
    int bad = EXPECT_ERR(r, ENOEXEC);
    /* The process is still itself, and can still start a good program. */
    char *good[] = { "true", NULL };
    int status = suite_run_program(good);
    bad |= EXPECT(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "true after the refused exec: status %#x", status);
    return bad;
}

static void *parked(void *arg)
{
    while (arg == 0)
        sleep(1000);
    return arg;
}

/* exec must refuse while another thread of the process lives (-EBUSY). */
static int exec_with_threads(const struct suite_case *c)
{
    (void)c;
    if (thread_create(parked, 0) < 0)
        return EXPECT(0, "thread_create: %s", strerror(errno));
    char *argv[] = { "echo", "# h_suite: exec should have been refused", NULL };
    return EXPECT_ERR(syscall_raw(SYS_exec, (long)"echo", (long)argv, 0), EBUSY);
}

/* exec of a name that is no program, and of one too long for a path. */
static int exec_no_program(const struct suite_case *c)
{
    (void)c;
    char *argv[] = { "x", NULL };
    static char long_name[MAX_PATH + 40];
    memset(long_name, 'n', sizeof long_name - 1);
    return EXPECT_ERR(syscall_raw(SYS_exec, (long)"no_such_program", (long)argv, 0),
                      ENOENT) |
           EXPECT_ERR(syscall_raw(SYS_exec, (long)"", (long)argv, 0), ENOENT) |
           EXPECT_ERR(syscall_raw(SYS_exec, (long)long_name, (long)argv, 0),
                      ENAMETOOLONG);
}

void suite_exec_cases(void)
{
    for (unsigned i = 0; i < NBAD; i++) {
        char name[SUITE_NAME_MAX];
        snprintf(name, sizeof name, "elf/exec/%s", bad_elfs[i] + strlen("badelf_"));
        suite_add(name, exec_bad, END_EXIT0, i, 0);
        snprintf(name, sizeof name, "elf/spawn/%s", bad_elfs[i] + strlen("badelf_"));
        suite_add(name, exec_bad, END_EXIT0, i, 1);
    }
    suite_add("exec/with_threads", exec_with_threads, END_EXIT0, 0, 0);
    suite_add("exec/no_program", exec_no_program, END_EXIT0, 0, 0);
}
