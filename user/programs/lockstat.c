// help: which kernel locks harts waited for, and how long (lockstat [-r] [CMD [ARGS...]])
/*
 * lockstat                 the waits since boot (or the last -r)
 * lockstat -r              the same, then the counts start again from zero
 * lockstat CMD [ARGS...]   the waits while CMD ran (the counts are zeroed
 *                          first, so lockstat then shows CMD's and whatever
 *                          else ran meanwhile)
 *
 * One line per kind of kernel lock (every pipe's lock is "pipe"): how
 * often a hart found it held and waited, how long those waits spun in
 * all and the longest.  A lock no hart waited for is not listed; with one
 * hart no lock ever waits (a hart holds a kernel lock with interrupts
 * off).  The counts are the machine's: kernel/lockstat.h says what is
 * counted, docs/performance.md ("Scaling over harts") how they are used.
 * Exits with CMD's status (128 + the reason if the kernel ended it, as the
 * shell reports it), 127 if CMD is not a program, 2 on bad usage.
 */
#include <errno.h>
#include "lockstat.h"             /* uapi: struct lockstat_entry, LOCKSTAT_* */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void usage(void)
{
    dprintf(2, "usage: lockstat [-r] [CMD [ARGS...]]\n"
               "  without CMD: the kernel's lock waits since boot or the last -r\n"
               "  -r: then zero the counts\n"
               "  CMD: zero the counts, run CMD, show the waits while it ran\n");
}

static int show(unsigned flags)
{
    static struct lockstat_entry e[LOCKSTAT_MAX];
    int n = lockstat(e, LOCKSTAT_MAX, flags);
    if (n < 0) {
        dprintf(2, "lockstat: %s\n", strerror(errno));
        return 1;
    }
    if (n == 0) {
        printf("no hart waited for a kernel lock\n");
        return 0;
    }
    printf("%-24s %10s %12s %10s\n", "lock", "waits", "spin_us", "max_us");
    for (int i = 0; i < n; i++)
        printf("%-24s %10lu %12lu %10lu\n", e[i].name, (unsigned long)e[i].waits,
               (unsigned long)e[i].spin_us, (unsigned long)e[i].max_us);
    return 0;
}

static int run(char **argv)
{
    if (!program_exists(argv[0])) {
        dprintf(2, "lockstat: %s: no such program (ls lists them)\n", argv[0]);
        return 127;
    }
    static struct lockstat_entry discard[LOCKSTAT_MAX];
    if (lockstat(discard, LOCKSTAT_MAX, LOCKSTAT_RESET) < 0) {
        dprintf(2, "lockstat: %s\n", strerror(errno));
        return 1;
    }
    int pid = spawn(argv[0], argv);
    if (pid < 0) {
        dprintf(2, "lockstat: %s: %s\n", argv[0], strerror(errno));
        return 127;
    }
    int status = 0;
    if (waitpid(pid, &status, 0) < 0) {
        dprintf(2, "lockstat: waitpid: %s\n", strerror(errno));
        return 1;
    }
    if (show(0) != 0)
        return 1;
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    dprintf(2, "lockstat: %s was ended by the kernel (reason %d)\n", argv[0], WTERMSIG(status));
    return 128 + WTERMSIG(status);
}

int main(int argc, char **argv)
{
    if (argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
        usage();
        return 0;
    }
    if (argc >= 2 && strcmp(argv[1], "-r") == 0) {
        if (argc > 2) {
            usage();
            return 2;
        }
        return show(LOCKSTAT_RESET);
    }
    if (argc >= 2 && argv[1][0] == '-') {
        dprintf(2, "lockstat: unknown option '%s'\n", argv[1]);
        usage();
        return 2;
    }
    return argc >= 2 ? run(argv + 1) : show(0);
}
