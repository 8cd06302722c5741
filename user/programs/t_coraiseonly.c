// help: test: the raise of a worker below the work never lowers it
/*
 * t_coraiseonly: "No worker left below the work" (docs/coroutines.md):
 * a waker in the process that makes a coroutine ready at P while no
 * worker sleeps raises the least urgent worker below P, by the kernel's
 * word of each worker's priority (VDSO_DATA.kprio), with set_priority
 * (raise_a_worker, user/runtime/coro_exec.c).  The word is read first,
 * the call made after: a worker that raised itself above P meanwhile, for
 * a more urgent pick, was set to P by that call, lowered below the
 * coroutine it polls, and its runtime, believing itself above, did not
 * ask again while its picks stayed there.  Now the raise is a raise only
 * (set_priority's CO_RAISE_ONLY, sched_abi/coro.h): a thread at P or
 * above keeps its priority.
 *
 * "raise": one worker W (co_workers(2)) polls B, at HIGH, which spins
 * until main lets it go.  Main writes kprio[W] = LOW (the process's own
 * page: the word as the waker read it before W raised itself), then
 * spawns C at MID: nobody sleeps, so the spawn raises W.  W must still be
 * at HIGH.  Before: at MID.
 *
 * "abi": set_priority(tid, p, CO_RAISE_ONLY) raises a thread below p,
 * leaves one at p or above as it is, and is refused above the ceiling
 * (EPERM) as without the tag.
 *
 * Prints a line per check and "t_coraiseonly: PASS" or "FAIL".
 */
#include <coroutine.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <thread.h>
#include <unistd.h>

#define HIGH     10
#define MID      5
#define LOW      1
#define BOUND_S  10
#define SEC      1000000000ULL

#define EXEC  ((CO_EXEC *)SHARED_EXEC_ADDR)
#define VDSO  ((VDSO_DATA *)SHARED_BASE_ADDR)
#define TASKS ((const TaskSched *)SHARED_TASKS_ADDR)

static volatile int b_running, let_go;

/* B: one poll, spinning until main lets it go (BOUND_S at most). */
static int spins(struct co *c)
{
    (void)c;
    b_running = 1;
    uint64_t end = (uint64_t)time() + BOUND_S * SEC;
    while (!let_go && (uint64_t)time() < end)
        ;
    return CO_READY;
}

static int returns(struct co *c)
{
    (void)c;
    return CO_READY;
}

/* set_priority with its third argument, the kernel's result as it is. */
static long set_priority3(long tid, long prio, uint64_t third)
{
    return syscall_raw(SYS_set_priority, tid, prio, (long)third);
}

/* The worker's TaskSched index: the one entry of worker_task (main's
 * join is not a worker's run). */
static uint32_t worker_task(void)
{
    uint32_t end = EXEC->workers_end < CO_WORKER_SLOTS ? EXEC->workers_end : CO_WORKER_SLOTS;
    for (uint32_t k = 0; k < end; k++) {
        uint32_t task = EXEC->worker_task[k] - 1;
        if (task < SCHED_MAX_TASKS)
            return task;
    }
    return SCHED_MAX_TASKS;
}

static void *napper(void *arg)
{
    (void)arg;
    sleep(200);
    return 0;
}

static bool check_abi(void)
{
    int tid = thread_create(napper, 0);
    if (tid < 0)
        return false;
    long ceiling = get_ceiling(0);
    set_priority(tid, HIGH);
    long kept = set_priority3(tid, MID, CO_RAISE_ONLY);
    int kept_at = get_priority(tid);
    set_priority(tid, LOW);
    long raised = set_priority3(tid, MID, CO_RAISE_ONLY);
    int raised_at = get_priority(tid);
    long above = ceiling < SCHED_PRIO_MAX ? set_priority3(tid, ceiling + 1, CO_RAISE_ONLY) : -EPERM;
    int above_at = get_priority(tid);
    thread_join(tid, 0);
    printf("t_coraiseonly: abi: at %d to %d: %ld at %d; at %d to %d: %ld at %d; above the "
           "ceiling: %ld at %d\n", HIGH, MID, kept, kept_at, LOW, MID, raised, raised_at,
           above, above_at);
    return kept == 0 && kept_at == HIGH && raised == 0 && raised_at == MID &&
           above == -EPERM && above_at == MID;
}

int main(void)
{
    if (set_priority(0, HIGH) < 0 || co_workers(2) < 0) {
        printf("t_coraiseonly: set_priority or co_workers failed\n");
        return 1;
    }
    static struct co b, c;
    memset(&b, 0, sizeof b);
    memset(&c, 0, sizeof c);
    cid_t bid = co_spawn(spins, &b, HIGH);
    for (int i = 0; i < BOUND_S * 1000 && bid != CO_NONE && !b_running; i++)
        sleep(1);
    uint32_t task = worker_task();
    int wtid = task < SCHED_MAX_TASKS ? (int)TASKS[task].tid : -1;
    int before = wtid > 0 ? get_priority(wtid) : -1;
    if (!b_running || wtid <= 0 || before != HIGH) {
        printf("t_coraiseonly: setup failed (B running %d, worker %d at %d)\n", b_running,
               wtid, before);
        let_go = 1;
        return 1;
    }
    VDSO->kprio[task] = LOW;
    cid_t cid = co_spawn(returns, &c, MID);
    int after = get_priority(wtid);
    let_go = 1;
    co_join(bid, 0);
    if (cid != CO_NONE)
        co_join(cid, 0);
    printf("t_coraiseonly: raise: the busy worker at %d after a raise to %d (was %d)\n", after,
           MID, before);
    bool ok = cid != CO_NONE && after == HIGH;
    ok = check_abi() && ok;
    printf("t_coraiseonly: %s\n", ok ? "PASS" : "FAIL");
    return ok ? 0 : 1;
}
