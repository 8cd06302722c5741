// help: hostile test: 250+ cases of bad input, each in its own child (h_suite [-l] [NAME...])
/*
 * h_suite [-l] [NAME...]: the hostile-program suite (issue 14), in the
 * spirit of xv6's usertests.  Every case runs in a child of its own
 * (fork); this process waits for it and judges how it ended against what
 * the case expects (suite/suite.h): an exit status of 0 when all its
 * checks held, or an end by the kernel (TERM_FAULT) for the cases that
 * must fault.  The cases are in user/programs/suite/, one file per theme.
 *
 *   h_suite            runs the default set (every case but the checks
 *                      of the judge, judge/..., which must fail)
 *   h_suite NAME...    runs the named cases; a NAME ending in '*' names
 *                      every case that starts with what precedes it
 *   h_suite -l         lists the cases, one a line
 *
 * Output is KTAP (docs/testing.md): a plan line, "ok N NAME" or "not ok N
 * NAME" per case with "# " lines saying why before a failure, a summary
 * line; then the leak check: the free frames and kernel heap bytes
 * (sysinfo) must be what they were before the first case, once every
 * child is gone; and "h_suite: PASS" or "h_suite: FAIL".  Exit status 0
 * only if every case passed and nothing leaked; 2 on bad usage.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "suite/suite.h"

#define MAX_CASES 400

static struct suite_case cases[MAX_CASES];
static int ncases;

struct suite_case *suite_add(const char *name, int (*run)(const struct suite_case *),
                             enum suite_end expect, long arg, long arg2)
{
    if (ncases == MAX_CASES) {
        printf("h_suite: more than %d cases: raise MAX_CASES\n", MAX_CASES);
        exit(2);
    }
    struct suite_case *c = &cases[ncases++];
    if (strlcpy(c->name, name, sizeof c->name) >= sizeof c->name) {
        printf("h_suite: case name too long: %s\n", name);
        exit(2);
    }
    c->run = run;
    c->expect = expect;
    c->arg = arg;
    c->arg2 = arg2;
    c->not_default = NULL;
    return c;
}

int suite_expect_err(const char *file, int line, const char *what, long got,
                     int expected)
{
    if (got == -expected)
        return 0;
    if (got < 0 && got > -4096)
        printf("# %s:%d: %s: got %s, expected %s\n", file, line, what,
               errname((int)-got), errname(expected));
    else
        printf("# %s:%d: %s: got %ld, expected %s\n", file, line, what, got,
               errname(expected));
    return 1;
}

int suite_in_child(int (*fn)(long), long arg)
{
    int pid = fork();
    if (pid == 0)
        exit(fn(arg));
    if (pid < 0)
        return -1;
    int status = -1;
    if (waitpid(pid, &status, 0) != pid)
        return -1;
    return status;
}

int suite_run_program(char *const argv[])
{
    int pid = spawn(argv[0], argv);
    if (pid < 0) {
        printf("# spawn %s: %s\n", argv[0], strerror(errno));
        return -1;
    }
    int status = -1;
    if (waitpid(pid, &status, 0) != pid)
        return -1;
    return status;
}

static bool selected_by(const struct suite_case *c, const char *pattern)
{
    size_t n = strlen(pattern);
    if (n > 0 && pattern[n - 1] == '*')
        return strncmp(c->name, pattern, n - 1) == 0;
    return strcmp(c->name, pattern) == 0;
}

/* Why a wait status is not what the case expects, or NULL if it is. */
static const char *misjudged(const struct suite_case *c, int status, char *why,
                             size_t size)
{
    bool exited0 = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    bool faulted = WIFSIGNALED(status) && WTERMSIG(status) == TERM_FAULT;
    bool ok = c->expect == END_EXIT0 ? exited0 :
              c->expect == END_FAULT ? faulted : exited0 || faulted;
    if (ok)
        return NULL;
    const char *wanted = c->expect == END_EXIT0 ? "exit 0" :
                         c->expect == END_FAULT ? "a fault" : "exit 0 or a fault";
    if (WIFEXITED(status))
        snprintf(why, size, "exited %d, expected %s", WEXITSTATUS(status), wanted);
    else
        snprintf(why, size, "ended by the kernel (signal %d), expected %s",
                 WTERMSIG(status), wanted);
    return why;
}

/* A case that hangs is a failure (a lost wake-up, a waiter never woken),
 * not the end of the suite: it is killed after this long, which no case
 * needs on any plausible host (the slowest take a few seconds). */
#define CASE_TIMEOUT_S 120

/* Runs one case in a child of its own; true if it ended as expected. */
static bool run_case(int number, const struct suite_case *c)
{
    int pid = fork();
    if (pid == 0)
        exit(c->run(c));
    char why[96];
    const char *wrong = NULL;
    int status = -1;
    if (pid < 0) {
        snprintf(why, sizeof why, "fork: %s", strerror(errno));
        wrong = why;
    } else if (!waitpid_deadline(pid, &status, CASE_TIMEOUT_S)) {
        snprintf(why, sizeof why, "still running after %d s: killed", CASE_TIMEOUT_S);
        wrong = why;
    } else {
        wrong = misjudged(c, status, why, sizeof why);
    }
    if (wrong) {
        printf("# FAIL %s: %s\n", c->name, wrong);
        printf("not ok %d %s\n", number, c->name);
        return false;
    }
    printf("ok %d %s\n", number, c->name);
    return true;
}

/* The kernel's memory counters, once they have settled: a child's last
 * frames come back when it is reaped, but the kernel coroutines of its
 * pipes and asynchronous operations end at their next poll.  Returns
 * whether they match `before` within a few seconds. */
static bool memory_back(const struct sysinfo *before, struct sysinfo *now)
{
    for (int tries = 0; tries < 100; tries++) {
        sysinfo(now);
        /* More free frames, or less kernel heap in use, than before is no
         * leak: what ran before the suite (the shell's last job, the
         * kernel's coroutines) may give memory back during it (frames
         * 61832 -> 61834 once, clean-clone run; heap 2482976 -> 2474832
         * once, 4 harts).  A leak is memory the suite took and kept. */
        if (frames_free_or_heap(now) >= frames_free_or_heap(before) &&
            now->heap_bytes <= before->heap_bytes)
            return true;
        sleep(30);
    }
    return false;
}

/* Checks of the judge itself, out of the default set: each ends the wrong
 * way on purpose, and must be reported "not ok" with why (the test runs
 * them: a suite whose judge passed everything would pass them too). */
static int exits_zero(const struct suite_case *c)
{
    (void)c;
    return 0;
}

static int exits_one(const struct suite_case *c)
{
    return EXPECT(c->arg == 1, "the check that must fail failed");
}

static int faults(const struct suite_case *c)
{
    *(volatile long *)c->arg = 1;            /* arg: an unmapped address */
    return 0;
}

void suite_judge_cases(void)
{
    const char *why = "a check of the judge: must be reported not ok";
    suite_add("judge/exit0_expected_fault", exits_zero, END_FAULT, 0, 0)->not_default = why;
    suite_add("judge/exit1_expected_exit0", exits_one, END_EXIT0, 0, 0)->not_default = why;
    suite_add("judge/fault_expected_exit0", faults, END_EXIT0, 8, 0)->not_default = why;
}

static void usage(void)
{
    dprintf(2, "usage: h_suite [-l] [NAME...]   (NAME may end in '*')\n");
    exit(2);
}

int main(int argc, char **argv)
{
    suite_pointer_cases();
    suite_fd_cases();
    suite_exec_cases();
    suite_memory_cases();
    suite_reuse_cases();
    suite_shared_cases();
    suite_process_cases();
    suite_io_cases();
    suite_judge_cases();

    static bool chosen[MAX_CASES];
    int nchosen = 0;
    if (argc == 2 && strcmp(argv[1], "-l") == 0) {
        for (int i = 0; i < ncases; i++) {
            if (cases[i].not_default)
                printf("%s   (not in the default set: %s)\n", cases[i].name,
                       cases[i].not_default);
            else
                printf("%s\n", cases[i].name);
        }
        return 0;
    }
    if (argc == 1) {
        for (int i = 0; i < ncases; i++)
            if (!cases[i].not_default)
                chosen[i] = true, nchosen++;
    }
    for (int a = 1; a < argc; a++) {
        if (argv[a][0] == '-')
            usage();
        bool any = false;
        for (int i = 0; i < ncases; i++) {
            if (selected_by(&cases[i], argv[a])) {
                any = true;
                if (!chosen[i])
                    chosen[i] = true, nchosen++;
            }
        }
        if (!any) {
            dprintf(2, "h_suite: no case named %s (h_suite -l lists them)\n", argv[a]);
            exit(2);
        }
    }

    struct sysinfo before, after;
    sysinfo(&before);
    printf("KTAP version 1\n");
    printf("# h_suite: %d cases; frames free or in the heap %lu, kernel heap %lu bytes\n",
           nchosen, frames_free_or_heap(&before), before.heap_bytes);
    printf("1..%d\n", nchosen);
    int number = 0, passed = 0;
    for (int i = 0; i < ncases; i++)
        if (chosen[i] && run_case(++number, &cases[i]))
            passed++;
    printf("# summary: %d passed, %d failed, %d cases\n", passed, nchosen - passed, nchosen);

    bool no_leak = memory_back(&before, &after);
    printf("# h_suite: memory: frames free or in the heap %lu -> %lu, kernel heap %lu -> %lu "
           "bytes: %s\n", frames_free_or_heap(&before), frames_free_or_heap(&after),
           before.heap_bytes, after.heap_bytes,
           no_leak ? "no leak" : "LEAK");
    bool pass = passed == nchosen && no_leak;
    printf("h_suite: %s\n", pass ? "PASS" : "FAIL");
    return pass ? 0 : 1;
}
