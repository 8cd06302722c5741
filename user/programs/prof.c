// help: run a command inside a profiled section (prof CMD [ARGS...]; make profile)
/*
 * prof CMD [ARGS...]: runs CMD with its arguments between the marks of
 * user/include/profile.h, so that `make profile` counts every instruction
 * the machine executes for it: its own, the kernel's on its behalf, the
 * policy's and the runtime's.  Without the profiling plugin it just runs
 * CMD.  Exits with CMD's status (128 + the reason if the kernel ended it,
 * as the shell reports it), 127 if CMD is not a program, 2 on bad usage.
 */
#include <errno.h>
#include <profile.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static bool program_exists(const char *name)
{
    struct dirent d;
    for (int i = 0; readdir(i, &d) == 0; i++)
        if (strncmp(d.name, name, sizeof d.name) == 0)
            return true;
    return false;
}

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        dprintf(2, "usage: prof CMD [ARGS...]  (runs CMD inside a profiled section)\n");
        return 2;
    }
    /* Checked before the section begins: a typo leaves no section behind,
     * and `make profile` says so instead of printing a table of prof's
     * own failure. */
    if (!program_exists(argv[1])) {
        dprintf(2, "prof: %s: no such program (ls lists them)\n", argv[1]);
        return 127;
    }
    /* Sleep first, so the section begins right after a timer tick wakes
     * us: under -icount the instructions from a tick on are always the
     * same, whereas the time the shell spent waiting for the command line
     * (real time, the host's) would put the next tick anywhere in the
     * section, and two runs would differ. */
    sleep(1);
    prof_begin();
    int pid = spawn(argv[1], argv + 1);
    int status = 0;
    int waited = pid < 0 ? -1 : waitpid(pid, &status, 0);
    prof_end();
    if (pid < 0) {
        dprintf(2, "prof: %s: %s\n", argv[1], strerror(errno));
        return 127;
    }
    if (waited < 0) {
        dprintf(2, "prof: waitpid: %s\n", strerror(errno));
        return 1;
    }
    if (WIFEXITED(status)) {
        if (WEXITSTATUS(status))
            dprintf(2, "prof: %s exited with status %d\n", argv[1], WEXITSTATUS(status));
        return WEXITSTATUS(status);
    }
    dprintf(2, "prof: %s was ended by the kernel (reason %d)\n", argv[1], WTERMSIG(status));
    return 128 + WTERMSIG(status);
}
