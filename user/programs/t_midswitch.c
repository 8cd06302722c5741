// help: test: a ping-pong the kernel preempts in the middle of its switches survives (one hart)
/*
 * t_midswitch: a well-behaved ping-pong that the kernel preempts in the
 * middle of its user-mode switches must not be killed for it.  Run on one
 * hart.
 *
 * 1. A child process spins: the kernel wants the hart for it.
 * 2. Meanwhile this process sets block_sched and waits for the kernel to
 *    spend the pin's budget, preempt it anyway and clear the flag; from
 *    then on it ignores the process's pins for a second
 *    (docs/user-mode-switching.md, "The pin").  The child is killed.
 * 3. Within that second two threads ping-pong with yield_(): the end of
 *    each slice preempts one of them, often in the middle of a switch (the
 *    queue lock held, the next thread's record claimed, not yet named in
 *    current[]).  The kernel must wait for that switch to finish, not take
 *    the claimed record for a lie and run the thread itself (sched.c,
 *    claim_parked): then the switch ran it a second time and the process
 *    was killed.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <thread.h>
#include <unistd.h>
#include "../lib/uthread.h"
#include "../lib/rdtime.h"
#include "vdso.h"

/* Generous bounds (guest time): a loaded host runs the virtual hart a
 * fraction of the time, and the budget counts ticks the kernel saw. */
#define CHILD_MS 60000
#define PIN_WAIT_MS 30000
/* As t_cross: enough switches to outlast the second in which the pins
 * are ignored (without the fix, 300,000 turns were killed in no run of
 * 6 under multiqueue, 1,000,000 in 3 of 6). */
#define TURNS 1000000

static volatile uint32_t counter;

/* Sets block_sched on this hart and waits for the kernel to clear it
 * (the forced preemption).  False if it never did. */
static bool pin_until_preempted(void)
{
    VDSO_DATA *v = (VDSO_DATA *)SHARED_BASE_ADDR;
    TaskSched *tasks = (TaskSched *)SHARED_TASKS_ADDR;
    uint32_t hart = tasks[uthread_self()->task].hart;
    if (hart >= SCHED_MAX_HARTS)
        return false;
    __atomic_store_n(&v->block_sched[hart], 1, __ATOMIC_RELAXED);
    for (uint64_t end = rdtime_deadline_ms(PIN_WAIT_MS); rdtime() < end; )
        if (__atomic_load_n(&v->block_sched[hart], __ATOMIC_RELAXED) == 0)
            return true;
    __atomic_store_n(&v->block_sched[hart], 0, __ATOMIC_RELAXED);
    return false;
}

static void *player(void *arg)
{
    yield_turns(&counter, (uint32_t)(uintptr_t)arg, TURNS);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "child") == 0) {
        for (uint64_t end = rdtime_deadline_ms(CHILD_MS); rdtime() < end; )
            ;
        return 0;
    }
    char *cargv[] = { "t_midswitch", "child", NULL };
    int pid = spawn("t_midswitch", cargv);
    if (pid <= 0) {
        printf("t_midswitch: FAIL (spawn: %d)\n", pid);
        return 1;
    }
    bool preempted = pin_until_preempted();
    kill(pid);
    int status = 0;
    waitpid(pid, &status, 0);
    if (!preempted) {
        printf("t_midswitch: FAIL (the kernel never preempted the pin in %d ms)\n",
               PIN_WAIT_MS);
        return 1;
    }
    printf("t_midswitch: preempted anyway; ping-pong of %d turns\n", TURNS);
    int a = thread_create(player, (void *)0), b = thread_create(player, (void *)1);
    bool ok = a > 0 && b > 0 && thread_join(a, NULL) == 0 && thread_join(b, NULL) == 0 &&
              counter == 2 * TURNS;
    printf("t_midswitch: %s (counter %u)\n", ok ? "PASS" : "FAIL", counter);
    return ok ? 0 : 1;
}
