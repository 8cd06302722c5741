// help: test: a program busy until Ctrl-C stops it (t_intr MODE)
/*
 * t_intr MODE: a program that never ends by itself, for the Ctrl-C tests
 * (testsuite/test_shell.py).  Each mode is one way a program can be busy
 * when the user presses Ctrl-C:
 *
 *   spin        spins in user mode, never entering the kernel
 *   threads N   N more threads (default 4) spin beside main
 *   sleep       sleeps, a second at a time, forever
 *   read        blocks reading standard input; prints each line it gets
 *   coro        coroutines: some yield forever, some sleep forever
 *   fork        forks a child; both spin (Ctrl-C must end the child too)
 *   nap MS      sleeps MS milliseconds, then exits 0 (reading nothing
 *               meanwhile: for the type-ahead tests)
 *   steal       tries to take the console's foreground job for itself
 *               (clear it, name itself, name its parent the shell): each
 *               must fail with EPERM; then spins
 *
 * Once set up it prints "t_intr: MODE: running (pid N)" (one line per
 * process), so a test knows when to press Ctrl-C and whose end to check.
 */
#include <coroutine.h>
#include <errno.h>
#include <readline.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <thread.h>
#include <unistd.h>

static volatile unsigned long spins;

static void spin_forever(void)
{
    for (;;)
        spins++;
}

static void *spinner(void *arg)
{
    (void)arg;
    spin_forever();
    return NULL;
}

static void running(const char *mode)
{
    printf("t_intr: %s: running (pid %d)\n", mode, getpid());
}

struct busy { struct co co; };

static int yield_forever(struct co *c)
{
    co_begin(c);
    for (;;)
        co_yield(c);
    co_end(c);
}

static int sleep_forever(struct co *c)
{
    co_begin(c);
    for (;;)
        co_sleep(c, 1000);
    co_end(c);
}

static int run_coroutines(void)
{
    cid_t first = CO_NONE;
    for (int i = 0; i < 8; i++) {
        struct busy *f = co_alloc(sizeof *f);
        cid_t id = f ? co_spawn(i % 2 ? sleep_forever : yield_forever, &f->co, 10) : CO_NONE;
        if (id == CO_NONE) {
            perror("t_intr: co_spawn");
            return 1;
        }
        if (first == CO_NONE)
            first = id;
    }
    running("coro");
    co_join(first, NULL);               /* never: it yields forever */
    return 1;
}

/* A program the shell runs is not the console's controller: it may not
 * leave the foreground job, nor aim Ctrl-C at the shell. */
static void try_to_steal(void)
{
    int me = getpid(), parent = getppid();
    struct { const char *what; const int *pids; int n; } tries[] = {
        { "clear", NULL, 0 }, { "self", &me, 1 }, { "parent", &parent, 1 },
    };
    for (unsigned i = 0; i < sizeof tries / sizeof tries[0]; i++) {
        int r = set_foreground(tries[i].pids, tries[i].n, 0);
        printf("t_intr: steal %s: %s\n", tries[i].what,
               r == 0 ? "ALLOWED" : errno == EPERM ? "EPERM ok" : strerror(errno));
    }
    /* Bad arguments are refused before anything else is looked at. */
    int many[FOREGROUND_MAX + 1] = { 0 };
    bool ok = set_foreground(many, FOREGROUND_MAX + 1, 0) < 0 && errno == EINVAL &&
              set_foreground(NULL, 0, 0x80) < 0 && errno == EINVAL &&
              set_foreground((const int *)8, 1, 0) < 0 && errno == EFAULT;
    printf("t_intr: steal bad arguments: %s\n", ok ? "refused ok" : "FAIL");
}

static int usage(void)
{
    dprintf(2, "usage: t_intr spin|threads [N]|sleep|read|coro|fork|nap MS|steal\n");
    return 2;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "";
    if (strcmp(mode, "spin") == 0 && argc == 2) {
        running(mode);
        spin_forever();
    } else if (strcmp(mode, "threads") == 0 && argc <= 3) {
        int n = argc == 3 ? atoi(argv[2]) : 4;
        if (n < 1 || n > 64)
            return usage();
        for (int i = 0; i < n; i++) {
            if (thread_create(spinner, NULL) < 0) {
                perror("t_intr: thread_create");
                return 1;
            }
        }
        running(mode);
        spin_forever();
    } else if (strcmp(mode, "sleep") == 0 && argc == 2) {
        running(mode);
        for (;;)
            sleep(1000);
    } else if (strcmp(mode, "read") == 0 && argc == 2) {
        static char line[256];
        running(mode);
        while (read_line(0, line, sizeof line) != READ_LINE_EOF)
            printf("t_intr: got: %s\n", line);
        printf("t_intr: end of input\n");
        return 0;
    } else if (strcmp(mode, "coro") == 0 && argc == 2) {
        return run_coroutines();
    } else if (strcmp(mode, "nap") == 0 && argc == 3) {
        int ms = atoi(argv[2]);
        if (ms < 1 || ms > 60000)
            return usage();
        running(mode);
        sleep((uint64_t)ms);
        return 0;
    } else if (strcmp(mode, "steal") == 0 && argc == 2) {
        try_to_steal();
        running(mode);
        spin_forever();
    } else if (strcmp(mode, "fork") == 0 && argc == 2) {
        if (fork() < 0) {
            perror("t_intr: fork");
            return 1;
        }
        running(mode);                  /* parent and child */
        spin_forever();
    }
    return usage();
}
