// help: test: a run bounded by its count that ends with a coroutine put back gets it a worker
/*
 * t_corunbound: a run of the executor as a worker (CO_OP_RUN with no
 * coroutine to wait for) bounded to one poll: the poll yields, the run
 * puts the coroutine back as a yield (which wakes nobody: the run fetches
 * the next itself) and, its bound spent, ends.  Its end said so to the
 * workers asleep (notify_all) and raised nobody: a worker awake but left
 * below the work, at LOW, never polled it beside a thread at HIGH that
 * yields.
 *
 * One worker W (co_workers(2)); the process's ceiling lowered to HIGH, so
 * that W, woken from its sleep (at the ceiling), does not take the hart
 * from main.  X, at HIGH, and L, at LOW, are spawned; main's run of one
 * poll takes X, whose first poll sleeps SLEEP_MS (W then picks L and
 * lowers itself to LOW) and yields.  Main, its run over, yields at HIGH
 * (with a thread per other hart) until X has been polled again, BOUND_S
 * at most; L spins until then (or until main yields and SPIN_MS more).
 *
 * The line says whether the order was reached ("W picked L while main
 * polled X: yes"), certain on one hart.  Prints "t_corunbound: PASS" or
 * "t_corunbound: FAIL".
 */
#include <coroutine.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>
#include <yielders.h>

#define HIGH     10
#define LOW      1
#define SLEEP_MS 50
#define SPIN_MS  300
#define BOUND_S  10
#define MS       1000000ULL

#define EXEC ((const CO_EXEC *)SHARED_EXEC_ADDR)

static volatile int x_polls, x_again, l_started, l_go, l_during_x;

static bool before(uint64_t deadline)
{
    return (uint64_t)time() < deadline;
}

static int nothing(struct co *c)
{
    (void)c;
    return CO_READY;
}

/* X: its first poll (main's) sleeps, then yields; its second ends it. */
static int sleeps_then_yields(struct co *c)
{
    (void)c;
    if (x_polls++) {
        x_again = 1;
        return CO_READY;
    }
    sleep(SLEEP_MS);
    l_during_x = l_started;
    return CO_YIELD;
}

/* L: keeps W busy at LOW until X has run again, or main yields and
 * SPIN_MS more. */
static int low(struct co *c)
{
    (void)c;
    l_started = 1;
    uint64_t end = (uint64_t)time() + BOUND_S * 1000 * MS;
    while (!l_go && !x_again && before(end))
        ;
    end = (uint64_t)time() + SPIN_MS * MS;
    while (!x_again && before(end))
        ;
    return CO_READY;
}

int main(void)
{
    if (set_priority(0, HIGH) < 0 || set_ceiling(0, HIGH) < 0 || co_workers(2) < 0) {
        printf("t_corunbound: setup calls failed\n");
        return 1;
    }
    /* W started, and asleep. */
    static struct co z, x, l;
    cid_t zid = co_spawn(nothing, &z, HIGH);
    if (zid == CO_NONE || co_join(zid, 0) < 0) {
        printf("t_corunbound: setup failed\n");
        return 1;
    }
    for (int i = 0; i < BOUND_S * 1000 && EXEC->sleepers != 1; i++)
        sleep(1);
    cid_t xid = co_spawn(sleeps_then_yields, &x, HIGH);
    cid_t lid = co_spawn(low, &l, LOW);
    if (xid == CO_NONE || lid == CO_NONE) {
        printf("t_corunbound: setup failed\n");
        return 1;
    }
    long polls = (long)co_raw_call(CO_OP_RUN, CO_NONE, 1, 0, 0);
    struct yielders y;
    yielders_start(&y);
    l_go = 1;
    uint64_t yields = yield_until(&x_again, BOUND_S * 1000 * MS);
    bool again = x_again != 0;
    yielders_stop(&y);
    printf("t_corunbound: the run of one poll made %ld, X %s after %lu yields "
           "(W picked L while main polled X: %s)\n",
           polls, again ? "polled again" : "never polled again", (unsigned long)yields,
           l_during_x ? "yes" : "no");
    co_join(xid, 0);
    co_join(lid, 0);
    bool ok = again && polls == 1;
    printf("t_corunbound: %s\n", ok ? "PASS" : "FAIL");
    return ok ? 0 : 1;
}
