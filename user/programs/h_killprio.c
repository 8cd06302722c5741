// help: test: a killed low-priority process ends while urgent ones hog the harts (ceiling 20 h_killprio)
/*
 * h_killprio: a kill must end a process whatever its priority.  Hog
 * threads at priority 15, one per hart plus one, keep every hart busy;
 * under a strict-priority policy nothing below 15 runs while they spin.
 * A victim at priority 2, spinning (queued) or sleeping (blocked), is
 * killed from here, at priority 20, and must be reaped within
 * REAP_DEADLINE_S.  Its thread has to run to leave the kernel, so the
 * kernel raises a killed process's threads to the top priority; without
 * that the waitpid would wait for as long as the hogs run (for ever).
 * Ends with "h_killprio: PASS", or a FAIL line per case.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <thread.h>
#include <unistd.h>

#define HOG_PRIO        15
#define VICTIM_PRIO     2
#define REAP_DEADLINE_S 30
#define NS_PER_MS       1000000ull

static void *hog(void *arg)
{
    (void)arg;
    for (;;)
        ;
    return NULL;
}

/* `h_killprio hogs N`: N threads that spin until killed. */
static int hogs(int n)
{
    for (int i = 1; i < n; i++)
        thread_create(hog, NULL);
    hog(NULL);
    return 0;
}

/* `h_killprio victim spin|sleep`: runs (or sleeps) until killed. */
static int victim(bool sleeping)
{
    for (;;)
        if (sleeping)
            sleep(1000);
    return 0;
}

/* Kills pid and waits (sleeping, so the hogs keep the harts) until it is
 * reaped or the deadline passes; true if it was reaped as killed. */
static bool kill_and_reap(int pid, uint64_t *ms)
{
    uint64_t t0 = time();
    if (kill(pid) != 0)
        return false;
    int status = 0, got = 0;
    while ((got = waitpid(pid, &status, WNOHANG)) == 0 &&
           time() - t0 < REAP_DEADLINE_S * 1000 * NS_PER_MS)
        sleep(10);
    *ms = (time() - t0) / NS_PER_MS;
    return got == pid && WIFSIGNALED(status) && WTERMSIG(status) == TERM_KILLED;
}

int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "hogs"))
        return hogs(atoi(argv[2]));
    if (argc == 3 && !strcmp(argv[1], "victim"))
        return victim(!strcmp(argv[2], "sleep"));
    if (argc != 1) {
        printf("usage: ceiling 20 h_killprio\n");
        return 2;
    }
    if (get_ceiling(0) < 20) {
        printf("h_killprio: FAIL: run it as 'ceiling 20 h_killprio' (ceiling %d)\n",
               get_ceiling(0));
        return 1;
    }
    set_priority(0, 20);
    struct sysinfo si;
    sysinfo(&si);
    int failures = 0;
    static const char *const modes[] = { "spin", "sleep" };
    for (int i = 0; i < 2; i++) {
        char *vargv[] = { "h_killprio", "victim", (char *)modes[i], NULL };
        int vpid = spawn_prio("h_killprio", vargv, VICTIM_PRIO, VICTIM_PRIO);
        sleep(50);                          /* it runs (or goes to sleep) */
        char nhogs[8];
        snprintf(nhogs, sizeof nhogs, "%u", (unsigned)si.harts + 1);
        char *hargv[] = { "h_killprio", "hogs", nhogs, NULL };
        int hpid = spawn_prio("h_killprio", hargv, HOG_PRIO, HOG_PRIO);
        if (vpid < 0 || hpid < 0) {
            printf("h_killprio: FAIL: spawn\n");
            return 1;
        }
        sleep(50);                          /* the hogs have every hart */
        uint64_t ms = 0;
        bool reaped = kill_and_reap(vpid, &ms);
        printf("h_killprio: %s victim at priority %d under hogs at %d on %u hart%s: %s "
               "(%lu ms)\n", modes[i], VICTIM_PRIO, HOG_PRIO, (unsigned)si.harts,
               si.harts == 1 ? "" : "s",
               reaped ? "reaped" : "FAIL: not reaped", (unsigned long)ms);
        failures += !reaped;
        uint64_t hms = 0;
        if (!kill_and_reap(hpid, &hms)) {
            printf("h_killprio: FAIL: the hogs were not reaped\n");
            failures++;
        }
        if (!reaped) {                      /* no hog left: it ends now */
            int status;
            waitpid(vpid, &status, 0);
        }
    }
    printf(failures ? "h_killprio: FAIL\n" : "h_killprio: PASS\n");
    return failures ? 1 : 0;
}
