// help: test: a worker that lowers itself still polls while a sibling bumps seq for ever
/*
 * t_colowerlive: a worker that lowers itself for its next poll asks the
 * kernel to do it only if the executor's seq has not moved since its last
 * look (set_priority's CO_LOWER_UNLESS_MOVED, sched_abi/coro.h); moved,
 * the call fails with EAGAIN, the worker keeps its priority, puts its
 * pick back unpolled and takes the doorbell in (co_run,
 * user/runtime/coro_exec.c).  A thread of the process that moves seq
 * within every such round trip (rings as often; here a thread that bumps
 * seq in a loop, as a process may, the page being its own) had the worker
 * pick, put back and ask again for as long as it did, polling nothing.
 * Refused once, the worker now polls its pick at the priority it kept:
 * at most one refusal per poll (docs/coroutines.md, "A worker that lowers
 * itself is seen low, or sees the ring").
 *
 * Main, at HIGH and the only worker (co_workers(1)), joins A, a
 * coroutine that starts at LOW and yields POLLS times, setting its own
 * priority at each poll to HIGH and to LOW by turns: the join's run
 * lowers main for A's first pick and after each poll that set A LOW,
 * POLLS / 2 + 1 times at most, and so may be refused as often
 * (CO_EXEC.lowers_refused, co_stats).  A thread at LOW bumps seq until A
 * is done, BOUND_S at most (at LOW: on one hart it gets the hart only
 * while main is lowered; at HIGH it would keep main, lowered, off the
 * hart for good), and takes the executor's lock by turns with its own
 * token, bumping while it holds it: a worker that looked at seq and then
 * waits for the lock finds it moved (the window widened as a preempted
 * lock holder widens it).  Before: 5,763 to 36,610 refusals for A's 100
 * polls (heap 2 harts, bitmap 4: six runs).
 *
 * Prints one line and "t_colowerlive: PASS" or "t_colowerlive: FAIL".
 */
#include <coroutine.h>
#include <futex.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <thread.h>
#include <unistd.h>

#define HIGH     10
#define LOW      1
#define POLLS    100
#define BOUND_S  10
#define SEC      1000000000ULL
#define HOLD_BUMPS 256
#define REFUSALS_MAX (POLLS / 2 + 1)

#define EXEC ((CO_EXEC *)SHARED_EXEC_ADDR)

static volatile int bumping, a_done, gave_up;
static volatile uint64_t bumps;

struct yielder {
    struct co co;
    int i;
};

static int yields_often(struct co *c)
{
    struct yielder *f = (struct yielder *)c;
    co_begin(c);
    for (f->i = 0; f->i < POLLS; f->i++) {
        co_set_priority(c->cid, f->i % 2 ? LOW : HIGH);
        co_yield(c);
    }
    co_return(c, f->i);
    co_end(c);
}

/* The bumper's own lock token, as the runtime's (its TaskSched index + 1):
 * a waiter spins while it runs, as behind any worker holding the lock. */
static uint32_t my_token(void)
{
    const VDSO_DATA *v = (const VDSO_DATA *)SHARED_BASE_ADDR;
    const TaskSched *tasks = (const TaskSched *)SHARED_TASKS_ADDR;
    uint32_t me = (uint32_t)gettid();
    for (uint32_t i = 0; i < v->nrecords && i < SCHED_MAX_TASKS; i++)
        if (tasks[i].tid == me)
            return i + 1;
    return 0;
}

/* Moves seq until A is done, BOUND_S at most, taking the executor's lock
 * by turns and bumping seq while it holds it too: a worker that looked
 * at seq and then waits for the lock finds it moved, and one that took
 * it first finds it bumped the moment it lets go (the window widened as
 * a lock holder's preemption would widen it). */
static void *bumper(void *arg)
{
    (void)arg;
    set_priority(0, LOW);
    uint32_t token = my_token();
    uint64_t end = (uint64_t)time() + BOUND_S * SEC;
    bumping = token != 0;
    for (uint64_t round = 0; token && !a_done; round++) {
        __atomic_add_fetch(&EXEC->seq, 1, __ATOMIC_SEQ_CST);
        bumps++;
        uint32_t free_word = 0;
        if (__atomic_compare_exchange_n(&EXEC->lock, &free_word, token, 0, __ATOMIC_ACQUIRE,
                                        __ATOMIC_RELAXED)) {
            for (int k = 0; k < HOLD_BUMPS; k++)
                __atomic_add_fetch(&EXEC->seq, 1, __ATOMIC_SEQ_CST);
            bumps += HOLD_BUMPS;
            if (__atomic_exchange_n(&EXEC->lock, 0, __ATOMIC_RELEASE) & CO_LOCK_SLEEPERS)
                futex_wake((uint32_t *)&EXEC->lock, 1);
        }
        if (round % 1024 == 0 && (uint64_t)time() >= end) {
            gave_up = 1;
            break;
        }
    }
    return 0;
}

int main(void)
{
    if (set_priority(0, HIGH) < 0 || co_workers(1) < 0) {
        printf("t_colowerlive: set_priority or co_workers failed\n");
        return 1;
    }
    /* A first: the spawn maps the executor's region the bumper writes.
     * Main is the only worker: nobody polls A before the join. */
    static struct yielder a;
    memset(&a, 0, sizeof a);
    cid_t aid = co_spawn(yields_often, &a.co, LOW);
    int tid = aid == CO_NONE ? -1 : thread_create(bumper, 0);
    for (int i = 0; i < BOUND_S * 1000 && tid >= 0 && !bumping; i++)
        sleep(1);
    if (aid == CO_NONE || tid < 0 || !bumping) {
        printf("t_colowerlive: setup failed\n");
        return 1;
    }
    struct co_stats before, after;
    co_stats(&before);
    int64_t result = -1;
    int joined = co_join(aid, &result);
    co_stats(&after);
    bool late = gave_up != 0;       /* read before the bumper is told */
    a_done = 1;
    thread_join(tid, 0);
    unsigned long refused = (unsigned long)(after.lowers_refused - before.lowers_refused);
    printf("t_colowerlive: A %s with seq bumped %s (%d polls, %lu bumps, %lu lowerings "
           "refused)\n", joined == 0 && result == POLLS ? "finished" : "failed",
           late ? "only after the bumper gave up" : "throughout", (int)result,
           (unsigned long)bumps, refused);
    bool ok = joined == 0 && result == POLLS && !late && refused <= REFUSALS_MAX;
    printf("t_colowerlive: %s\n", ok ? "PASS" : "FAIL");
    return ok ? 0 : 1;
}
