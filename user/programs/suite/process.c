/*
 * Processes: kills that are not allowed, waits for what is not a child,
 * priorities and ceilings above what the caller may take, the console's
 * foreground from a process that is not its controller, system-call
 * numbers that name no call, and the older hostile and self-checking
 * programs run as cases of their own (each checks its own outcome and
 * exits 0 only if every check held).
 */
#include <string.h>
#include <thread.h>
#include "suite.h"
#include "coro.h"

static int kill_not_allowed(const struct suite_case *c)
{
    (void)c;
    int bad = EXPECT_ERR(syscall_raw(SYS_kill, 1, 0, 0), EPERM);        /* init */
    bad |= EXPECT_ERR(syscall_raw(SYS_kill, 0, 0, 0), ESRCH);
    bad |= EXPECT_ERR(syscall_raw(SYS_kill, -1, 0, 0), ESRCH);
    bad |= EXPECT_ERR(syscall_raw(SYS_kill, 1L << 32 | 1, 0, 0), ESRCH); /* not init */
    bad |= EXPECT_ERR(syscall_raw(SYS_kill, 99999, 0, 0), ESRCH);
    return bad;
}

/* A zombie cannot be killed again: its status stays the one it exited with. */
static int kill_zombie(const struct suite_case *c)
{
    (void)c;
    int pid = fork();
    if (pid == 0)
        exit(9);
    sleep(30);                              /* it has exited */
    int bad = EXPECT_ERR(syscall_raw(SYS_kill, pid, 0, 0), EPERM);
    int status = -1;
    bad |= EXPECT(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
                  WEXITSTATUS(status) == 9, "the zombie's status became %#x", status);
    return bad;
}

static int wait_not_child(const struct suite_case *c)
{
    (void)c;
    int bad = EXPECT_ERR(syscall_raw(SYS_waitpid, 1, 0, 0), ECHILD);
    bad |= EXPECT_ERR(syscall_raw(SYS_waitpid, getppid(), 0, 0), ECHILD);
    bad |= EXPECT_ERR(syscall_raw(SYS_waitpid, 0, 0, 0), EINVAL);
    bad |= EXPECT_ERR(syscall_raw(SYS_waitpid, -5, 0, 0), EINVAL);
    bad |= EXPECT_ERR(syscall_raw(SYS_waitpid, -1, 0, WNOHANG), ECHILD);
    return bad;
}

static int priority_above_ceiling(const struct suite_case *c)
{
    (void)c;
    int ceiling = get_ceiling(0);
    int bad = EXPECT(ceiling >= MIN_PRIORITY && ceiling <= MAX_PRIORITY, "ceiling %d",
                     ceiling);
    if (ceiling < MAX_PRIORITY) {
        bad |= EXPECT_ERR(syscall_raw(SYS_set_priority, 0, ceiling + 1, 0), EPERM);
        bad |= EXPECT_ERR(syscall_raw(SYS_set_ceiling, 0, ceiling + 1, 0), EPERM);
        char *argv[] = { "true", NULL };
        bad |= EXPECT_ERR(syscall_raw(SYS_spawn, (long)"true", (long)argv,
                                      (long)SPAWN_PRIO(ceiling, ceiling + 1)), EPERM);
    }
    bad |= EXPECT_ERR(syscall_raw(SYS_set_priority, 0, MAX_PRIORITY + 1, 0), EINVAL);
    bad |= EXPECT_ERR(syscall_raw(SYS_set_priority, 0, 1L << 32 | 5, 0), EINVAL);
    bad |= EXPECT_ERR(syscall_raw(SYS_set_ceiling, 1, MIN_PRIORITY, 0), EPERM);
    bad |= EXPECT_ERR(syscall_raw(SYS_set_ceiling, getppid(), MIN_PRIORITY, 0), EPERM);
    bad |= EXPECT(get_priority(0) <= ceiling, "priority %d above ceiling %d",
                  get_priority(0), ceiling);
    return bad;
}

static int foreground_not_controller(const struct suite_case *c)
{
    (void)c;
    int pids[1] = { getpid() };
    return EXPECT_ERR(syscall_raw(SYS_set_foreground, (long)pids, 1, 0), EPERM) |
           EXPECT_ERR(syscall_raw(SYS_set_foreground, 0, 0, 0), EPERM);
}

static int no_such_call(const struct suite_case *c)
{
    (void)c;
    return EXPECT_ERR(syscall_raw(NSYSCALLS, 0, 0, 0), ENOSYS) |
           EXPECT_ERR(syscall_raw(-1, 0, 0, 0), ENOSYS) |
           EXPECT_ERR(syscall_raw(1L << 32 | SYS_getpid, 0, 0, 0), ENOSYS) |
           EXPECT_ERR(syscall_raw(1L << 63, 0, 0, 0), ENOSYS);
}

static int bad_limits(const struct suite_case *c)
{
    (void)c;
    uint32_t word = 0;
    return EXPECT_ERR(syscall_raw(SYS_futex_wait, (long)&word, 0, 2000000000L), EINVAL) |
           EXPECT_ERR(syscall_raw(SYS_co_setup, 0, 0, 0), EINVAL) |
           EXPECT_ERR(syscall_raw(SYS_co_setup, CO_MAX + 1, 0, 0), EINVAL) |
           EXPECT_ERR(syscall_raw(SYS_thread_join, gettid(), 0, 0), EDEADLK) |
           EXPECT_ERR(syscall_raw(SYS_schedstat, 99999, 0, 0), ESRCH);
}

/* The older programs, each a case: argv in arg (a NULL-ended array). */
static int run_program(const struct suite_case *c)
{
    char *const *argv = (char *const *)c->arg;
    int status = suite_run_program(argv);
    return EXPECT(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "%s ended with status %#x", argv[0], status);
}

static char *t_badarg[] = { "t_badarg", NULL };
static char *t_badelf[] = { "t_badelf", NULL };
static char *t_fault[] = { "t_fault", NULL };
static char *h_coio[] = { "h_coio", NULL };
static char *h_threadleak[] = { "h_threadleak", "20", NULL };
static char *h_coforge[] = { "h_coforge", "1", NULL };

void suite_process_cases(void)
{
    suite_add("proc/kill_not_allowed", kill_not_allowed, END_EXIT0, 0, 0);
    suite_add("proc/kill_zombie", kill_zombie, END_EXIT0, 0, 0);
    suite_add("proc/wait_not_child", wait_not_child, END_EXIT0, 0, 0);
    suite_add("proc/priority_above_ceiling", priority_above_ceiling, END_EXIT0, 0, 0);
    suite_add("proc/foreground_not_controller", foreground_not_controller, END_EXIT0, 0, 0);
    suite_add("proc/no_such_call", no_such_call, END_EXIT0, 0, 0);
    suite_add("proc/bad_limits", bad_limits, END_EXIT0, 0, 0);
    suite_add("prog/t_badarg", run_program, END_EXIT0, (long)t_badarg, 0);
    suite_add("prog/t_badelf", run_program, END_EXIT0, (long)t_badelf, 0);
    suite_add("prog/t_fault", run_program, END_EXIT0, (long)t_fault, 0);
    suite_add("prog/h_coio", run_program, END_EXIT0, (long)h_coio, 0);
    suite_add("prog/h_threadleak", run_program, END_EXIT0, (long)h_threadleak, 0);
    /* h_coforge's own leak check wants a machine with nothing else
     * freeing frames meanwhile (test_coforge.py warms it up first); here
     * frames an earlier case's kernel coroutines free late count against
     * it (seen: 61821 -> 61823 free frames, bitmap, 2 harts). */
    suite_add("prog/h_coforge", run_program, END_EXIT0, (long)h_coforge, 0)->not_default =
        "its own frame count is upset by frames earlier cases free late";
}
