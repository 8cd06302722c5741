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

/* The kernel's timer ticks every TICK_MS (os/trap/timer.h: TICK_HZ 100). */
#define TICK_MS  10
/* Some of the kernel's work comes every Nth tick since boot (the policy
 * watchdog looks every tenth): a section starts on a tick whose number
 * since boot is a multiple of ALIGN_MS / TICK_MS, so that work falls at
 * the same points of every run. */
#define ALIGN_MS 1000

/*
 * Under -icount the instructions that follow a timer tick are always the
 * same, but how long the shell waited for the command line is the host's
 * real time: it leaves the next tick, and the count of ticks since boot,
 * anywhere.  Two sleeps put us back on the same grid every run: the first
 * wakes just after some tick (sleeps end at ticks), the second on the
 * first tick at or after the next whole ALIGN_MS of uptime (asking for
 * half a tick less than that, so that the rounding of the clock cannot
 * move it to a neighbour).  Costs at most ALIGN_MS of idle time.
 */
static void start_on_a_fixed_tick(void)
{
    sleep(1);
    uint64_t now_ms = time() / 1000000;
    uint64_t boundary = (now_ms / ALIGN_MS + 1) * ALIGN_MS;
    uint64_t ticks = (boundary - now_ms + TICK_MS - 1) / TICK_MS;
    sleep(ticks * TICK_MS - TICK_MS / 2);
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
    start_on_a_fixed_tick();
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
