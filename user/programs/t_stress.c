// help: grading stress: many threads, priority changes, kills and user-mode switches on every hart
/*
 * t_stress [ROUNDS]: every scheduling operation at once, for `make grade`.
 *
 * Four worker threads per hart (at most MAX_WORKERS) each do ROUNDS rounds
 * (default 300): a little work, then one of
 *   - yield_(), the runtime's user-mode switch (the policy runs on the
 *     process's own queue, in user mode);
 *   - set_priority of a random other worker (a queued one is taken out and
 *     queued again: remove + add);
 *   - sleep(1) (block, then wake);
 *   - yield(), the kernel's (yield).
 * Meanwhile a killer process (`t_stress killer`, spawned first, at the
 * ceiling) spawns victim processes (`t_stress victim`: four threads that
 * only yield, forever) at random priorities below its own and kills them
 * while their threads wait in the queue (remove), NKILLS in all, at most
 * MAX_VICTIMS alive.  The killer must outrank every victim: under a strict
 * priority policy, victims at its priority or above would keep it, and
 * everything below them, off the harts for good.
 *
 * It checks that every worker finished all its rounds (a lost thread never
 * does: main names the ones that did not, at the deadline), that the
 * counts add up (each worker's rounds, their sum, the shared counter), that
 * every kill was reported as a kill, that priorities were changed, and
 * that the runtime's user-mode switching is still on (a policy that faults
 * in user mode turns it off).  How many yield_() calls switched in user
 * mode is printed, not checked: the runtime asks the kernel instead when a
 * thread of another process is as urgent, and with victims at every
 * priority that may be every time (t_pingpong checks that it switches).
 * Ends with "t_stress: PASS", or a FAIL line per check that failed.
 *
 * Run it with ceiling 20 (`ceiling 20 t_stress`) to use every priority; it
 * uses 1 .. its ceiling, whatever that is.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <thread.h>
#include <unistd.h>
#include "vdso.h"
#include <workload.h>

#define MAX_WORKERS     32
#define WORKERS_PER_HART 4
#define DEFAULT_ROUNDS  300
#define NKILLS          12
#define MAX_VICTIMS     2
#define VICTIM_THREADS  4
#define DEADLINE_S      120     /* a correct policy needs a few seconds */
#define NS_PER_S        1000000000ull

static uint32_t nworkers, rounds, ceiling;
static int tids[MAX_WORKERS];
static volatile uint32_t started;            /* workers may look up tids[] */
static uint32_t done_rounds[MAX_WORKERS];    /* written by its worker only */
static uint32_t finished[MAX_WORKERS];
static uint32_t total_rounds, nfinished;
static uint64_t user_switches, prio_changes, prio_change_errors, sleeps;

static void *worker(void *arg)
{
    uint32_t me = (uint32_t)(uintptr_t)arg, rng = 0x9e3779b9u ^ (me * 0x85ebca6bu);
    while (!__atomic_load_n(&started, __ATOMIC_ACQUIRE))
        yield();
    for (uint32_t r = 0; r < rounds; r++) {
        spin(500 + next_random(&rng) % 2000);
        done_rounds[me]++;
        __atomic_fetch_add(&total_rounds, 1, __ATOMIC_RELAXED);
        uint32_t what = next_random(&rng) % 100;
        if (what < 50) {
            if (yield_())
                __atomic_fetch_add(&user_switches, 1, __ATOMIC_RELAXED);
        } else if (what < 70) {
            uint32_t peer = next_random(&rng) % nworkers;
            int prio = 1 + (int)(next_random(&rng) % ceiling);
            if (set_priority(tids[peer], prio) == 0)
                __atomic_fetch_add(&prio_changes, 1, __ATOMIC_RELAXED);
            else if (errno != ESRCH)       /* (a peer that has ended) */
                __atomic_fetch_add(&prio_change_errors, 1, __ATOMIC_RELAXED);
        } else if (what < 80) {
            sleep(1);
            __atomic_fetch_add(&sleeps, 1, __ATOMIC_RELAXED);
        } else {
            yield();
        }
    }
    __atomic_store_n(&finished[me], 1, __ATOMIC_RELEASE);
    __atomic_fetch_add(&nfinished, 1, __ATOMIC_RELEASE);
    return NULL;
}

/* Waits (sleeping) until *count reaches n or the deadline passes. */
static bool wait_for(uint32_t *count, uint32_t n, uint64_t deadline)
{
    while (__atomic_load_n(count, __ATOMIC_ACQUIRE) < n)
        if (time() >= deadline)
            return false;
        else
            sleep(10);
    return true;
}

/* `t_stress killer`: spawns victims and kills them; exit status 0 if every
 * kill was reported as one. */
static int killer(uint32_t ceil)
{
    uint32_t rng = 0x1234567u, spawned = 0, kills = 0, bad = 0;
    int victims[MAX_VICTIMS], alive = 0;
    char *vargv[] = { "t_stress", "victim", NULL };
    while (kills < NKILLS) {
        if (spawned < NKILLS && alive < MAX_VICTIMS) {
            int prio = 1 + (int)(next_random(&rng) % (ceil - 1));     /* below ours */
            int pid = spawn_prio("t_stress", vargv, prio, 0);
            spawned++;
            if (pid < 0) {
                printf("t_stress: killer: spawn: %s\n", strerror(errno));
                bad++;
                kills++;            /* (counted, so that the loop ends) */
                continue;
            }
            victims[alive++] = pid;
        }
        sleep(5 + next_random(&rng) % 15);
        if (alive && (alive == MAX_VICTIMS || spawned == NKILLS)) {
            int pid = victims[0], status = 0;
            memmove(victims, victims + 1, (size_t)--alive * sizeof victims[0]);
            if (kill(pid) != 0 || waitpid(pid, &status, 0) != pid ||
                !WIFSIGNALED(status) || WTERMSIG(status) != TERM_KILLED) {
                printf("t_stress: killer: victim %d: kill or waitpid failed (status %#x)\n",
                       pid, status);
                bad++;
            }
            kills++;
        }
    }
    printf("t_stress: killer: %u victims killed, %u failed\n", kills, bad);
    return bad ? 1 : 0;
}

static void *victim_thread(void *arg)
{
    (void)arg;
    for (;;) {
        spin(1000);
        yield_();
    }
    return NULL;        /* not reached: it runs until killed */
}

/* `t_stress victim`: runnable threads for main to kill. */
static int victim(void)
{
    for (int i = 1; i < VICTIM_THREADS; i++)
        thread_create(victim_thread, NULL);
    victim_thread(NULL);
    return 0;
}

static int failures;

static void check(bool ok, const char *what)
{
    if (!ok) {
        printf("t_stress: FAIL: %s\n", what);
        failures++;
    }
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "victim"))
        return victim();
    if (argc > 1 && !strcmp(argv[1], "killer")) {
        set_priority(0, get_ceiling(0));
        return killer((uint32_t)get_ceiling(0));
    }
    struct sysinfo si;
    if (sysinfo(&si) != 0) {
        printf("t_stress: FAIL: sysinfo\n");
        return 1;
    }
    nworkers = WORKERS_PER_HART * (uint32_t)si.harts;
    if (nworkers > MAX_WORKERS)
        nworkers = MAX_WORKERS;
    rounds = argc > 1 ? (uint32_t)atoi(argv[1]) : DEFAULT_ROUNDS;
    if (argc > 2 || rounds < 1 || rounds > 100000) {
        printf("usage: t_stress [ROUNDS 1..100000]\n");
        return 2;
    }
    ceiling = (uint32_t)get_ceiling(0);
    if (ceiling < 2) {
        printf("t_stress: FAIL: ceiling %u: it needs 2 or more (run it as "
               "'ceiling 20 t_stress')\n", ceiling);
        return 1;
    }
    printf("t_stress: %u workers x %u rounds on %u harts, priorities 1..%u, policy %s\n",
           nworkers, rounds, (unsigned)si.harts, ceiling, si.sched_name);
    /* Main at the top, so that the kills come on time. */
    set_priority(0, (int)ceiling);
    char *kargv[] = { "t_stress", "killer", NULL };
    int killer_pid = spawn_prio("t_stress", kargv, (int)ceiling, (int)ceiling);
    if (killer_pid < 0) {
        printf("t_stress: FAIL: spawn: %s\n", strerror(errno));
        return 1;
    }

    for (uint32_t i = 0; i < nworkers; i++) {
        tids[i] = thread_create(worker, (void *)(uintptr_t)i);
        if (tids[i] < 0) {
            printf("t_stress: FAIL: thread_create: %s\n", strerror(errno));
            return 1;
        }
    }
    __atomic_store_n(&started, 1, __ATOMIC_RELEASE);

    uint64_t t0 = time(), deadline = t0 + DEADLINE_S * NS_PER_S;
    bool workers_done = wait_for(&nfinished, nworkers, deadline);
    uint64_t ms = (time() - t0) / 1000000;

    uint32_t sum = 0, short_workers = 0;
    for (uint32_t i = 0; i < nworkers; i++) {
        sum += done_rounds[i];
        if (!__atomic_load_n(&finished[i], __ATOMIC_ACQUIRE) || done_rounds[i] != rounds) {
            printf("t_stress: worker %u (tid %d) did %u of %u rounds%s\n", i, tids[i],
                   done_rounds[i], rounds, finished[i] ? "" : " and never finished");
            short_workers++;
        }
    }
    printf("t_stress: %u ms: %u rounds, %lu user-mode switches, %lu priority changes, "
           "%lu sleeps\n", (unsigned)ms, total_rounds, (unsigned long)user_switches,
           (unsigned long)prio_changes, (unsigned long)sleeps);
    const VDSO_DATA *v = (const VDSO_DATA *)SHARED_BASE_ADDR;
    if (short_workers || !workers_done) {
        printf("t_stress: FAIL: %u of %u workers did not finish within %d s\n",
               short_workers, nworkers, DEADLINE_S);
        failures++;
        /* Their threads may be lost for good: do not wait for them. */
        exit(1);
    }
    for (uint32_t i = 0; i < nworkers; i++)
        thread_join(tids[i], NULL);

    int kstatus = 0;
    bool killer_ok = waitpid(killer_pid, &kstatus, 0) == killer_pid &&
                     WIFEXITED(kstatus) && WEXITSTATUS(kstatus) == 0;

    check(sum == nworkers * rounds && total_rounds == sum,
          "the rounds do not add up (workers' counts, their sum, the shared counter)");
    check(killer_ok, "not every victim was killed and reaped (see the killer's line)");
    check(prio_change_errors == 0, "set_priority on a worker failed");
    check(prio_changes > 0, "no priority was changed");
    check(v->rt_off == 0, "user-mode switching was turned off (the policy failed in user mode)");
    if (failures) {
        printf("t_stress: FAIL (%d checks failed)\n", failures);
        return 1;
    }
    printf("t_stress: PASS\n");
    return 0;
}
