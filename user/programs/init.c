// help: the first process: starts the shell, reaps orphans, powers off
/*
 * init: the first process (pid 1).  Starts the shell, then reaps every
 * child it gets: its own, and orphans the kernel hands over when their
 * parent dies.  When the shell itself ends, init powers the machine off
 * with the shell's status, so `exit 3` in the shell makes QEMU exit with 3.
 */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

/* The shell's waitpid status as a 0..255 machine exit status: the exit
 * code, or 128 + the reason if the kernel ended it (a Unix shell's $?). */
static int exit_code(int status)
{
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    return 128 + WTERMSIG(status);
}

int main(void)
{
    char *argv[] = { "sh", NULL };
    int sh = spawn("sh", argv);
    if (sh < 0) {
        dprintf(2, "init: cannot start sh: %s\n", strerror(errno));
        shutdown(1);
    }
    for (;;) {
        int status;
        int pid = waitpid(-1, &status, 0);
        if (pid == sh)
            shutdown(exit_code(status));
        if (pid < 0) {
            /* Cannot happen while the shell lives; do not spin if it does. */
            dprintf(2, "init: waitpid: %s\n", strerror(errno));
            shutdown(1);
        }
    }
}
