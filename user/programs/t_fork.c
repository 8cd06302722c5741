// help: test: fork, exec, exit statuses and waitpid
/*
 * t_fork: processes.  Forks NCHILD children in batches; each checks that it
 * is a child (fork returned 0, getppid is the parent, its memory is a copy)
 * and exits with a status of its own, which the parent collects with
 * waitpid(-1) and checks through the W* macros.  Then fork + exec of echo,
 * waitpid on a process that is not a child (ECHILD), and WNOHANG on a child
 * still running (returns 0).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <unistd.h>

#define NCHILD  40
#define BATCH   8

static int failures;
static int marker = 1234;       /* the children change their copy */

static void check(bool ok, const char *what)
{
    if (!ok) {
        printf("t_fork: FAILED: %s\n", what);
        failures++;
    }
}

/* Status child i exits with: distinct, never 0, fits in 8 bits. */
static int child_status(int i)
{
    return 100 + i;
}

static void fork_batches(void)
{
    int parent = getpid();
    int forked = 0, correct = 0;
    for (int base = 0; base < NCHILD; base += BATCH) {
        int pids[BATCH];
        int n = 0;
        for (; n < BATCH && base + n < NCHILD; n++) {
            int pid = fork();
            if (pid == 0) {
                /* The child: prove it is one, then exit with its status. */
                bool ok = getppid() == parent && getpid() != parent &&
                          marker == 1234;
                marker = -1;
                exit(ok ? child_status(base + n) : 1);
            }
            if (pid < 0) {
                printf("t_fork: fork: %s\n", strerror(errno));
                break;
            }
            pids[n] = pid;
            forked++;
        }
        /* Collect the batch in whatever order the children end. */
        for (int left = n; left > 0; left--) {
            int status;
            int pid = waitpid(-1, &status, 0);
            int i = 0;
            while (i < n && pids[i] != pid)
                i++;
            if (pid < 0 || i == n) {
                printf("t_fork: waitpid returned %d (%s)\n", pid,
                       pid < 0 ? strerror(errno) : "not a child of this batch");
                failures++;
                break;
            }
            pids[i] = -1;
            if (WIFEXITED(status) && WEXITSTATUS(status) == child_status(base + i))
                correct++;
            else
                printf("t_fork: child %d: status %#x, expected exit %d\n",
                       base + i, status, child_status(base + i));
        }
    }
    printf("t_fork: forked %d children, %d exit statuses correct\n", forked,
           correct);
    check(forked == NCHILD && correct == NCHILD, "every child's exit status");
    check(marker == 1234, "the parent's memory is its own");
}

static void fork_exec(void)
{
    int pid = fork();
    if (pid == 0) {
        char *argv[] = { "echo", "t_fork:", "exec", "of", "echo", "ok", NULL };
        exec("echo", argv);
        printf("t_fork: exec: %s\n", strerror(errno));
        exit(127);
    }
    int status = -1;
    check(pid > 0 && waitpid(pid, &status, 0) == pid, "waitpid on fork+exec");
    check(WIFEXITED(status) && WEXITSTATUS(status) == 0,
          "echo exited with status 0");
}

static void wait_errors(void)
{
    int status;
    /* init (pid 1) is nobody's child here. */
    int r = waitpid(1, &status, 0);
    printf("t_fork: waitpid(1) -> %d (%s)\n", r, r < 0 ? errname(errno) : "?");
    check(r == -1 && errno == ECHILD, "waitpid on a non-child gives ECHILD");

    r = waitpid(-1, &status, 0);
    printf("t_fork: waitpid(-1) with no children -> %d (%s)\n", r,
           r < 0 ? errname(errno) : "?");
    check(r == -1 && errno == ECHILD, "waitpid(-1) without children: ECHILD");

    int pid = fork();
    if (pid == 0) {
        sleep(200);
        exit(7);
    }
    r = waitpid(pid, &status, WNOHANG);
    printf("t_fork: WNOHANG on a running child -> %d\n", r);
    check(r == 0, "WNOHANG returns 0 while the child runs");
    r = waitpid(pid, &status, 0);
    check(r == pid && WIFEXITED(status) && WEXITSTATUS(status) == 7,
          "then waitpid collects its status 7");
}

int main(void)
{
    fork_batches();
    fork_exec();
    wait_errors();
    if (failures) {
        printf("t_fork: FAIL (%d checks failed)\n", failures);
        return 1;
    }
    printf("t_fork: PASS\n");
    return 0;
}
