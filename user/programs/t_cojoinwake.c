// help: test: a coroutine a run puts back in the queue as it ends gets a worker
/*
 * t_cojoinwake: a coroutine that a run of the executor puts back into the
 * queue on its way out (the run is over: co_join's coroutine ended, or a
 * bounded run's count is spent) must get a worker.  The run puts it back
 * as a yield (user/runtime/coro_exec.c, run_after_poll), and a yield wakes
 * nobody, as the caller goes on to fetch the next coroutine itself: not so
 * when the run ends there.  The other worker, asleep by then, slept on.
 *
 * One worker thread W (co_workers(2)); main at HIGH.  Three checks:
 *   1. "yield": main joins U (HIGH), which W polls; main, working meanwhile,
 *      polls X (HIGH).  X's poll waits until W sleeps (U, let go by X's
 *      first poll, ended on W, and W found nothing to run), then yields:
 *      main's run is over (U is done), X goes back into the queue.  X must
 *      be polled again (by W) while main sleeps.
 *   2. "put back": main joins U again; the coroutine main picks, X, is at
 *      LOW, so main lowers itself to poll it, and is switched out on the
 *      way back (on one hart W, at HIGH, takes the hart; on more, a thread
 *      at MID per other hart).  U, on W, ends once it sees main at LOW:
 *      seq moved since main's pick, so main puts X back unpolled (co_run's
 *      second look at seq), and its run is over.  X must run, on W.
 *   3. "bounded": as 2, but main's run is CO_OP_RUN with a bound of one
 *      poll (and U, which nobody joins, spawns Y at LOW as it ends, which
 *      moves seq): the pick put back unpolled is no poll, so the run makes
 *      one poll and says 1.
 * Checks 2 and 3 reach their order on one hart under a priority policy
 * (and on more where a thread at MID takes main's hart): each line says
 * whether it did ("picks put back: 1", from the executor's count of
 * polls, made at each pick, against the polls made).  Each wait is
 * bounded (BOUND_S).
 *
 * Prints one line per check and "t_cojoinwake: PASS" or "t_cojoinwake: FAIL".
 */
#include <coroutine.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <thread.h>
#include <unistd.h>

#define HIGH     10
#define MID      5
#define LOW      1
#define BOUND_S  5
#define HOGS_MAX 7
#define SEC      1000000000ULL

#define EXEC ((const CO_EXEC *)SHARED_EXEC_ADDR)

static volatile int u_started, x_started, x_again, x_ran, main_tid;
static volatile uint64_t real_polls;    /* checks 2 and 3: polls made of U and X */
static volatile int hogs_ready, hogs_stop;

static bool before(uint64_t deadline)
{
    return (uint64_t)time() < deadline;
}

/* Check 1's U: ends once X's first poll has begun (on main). */
static int u_until_x(struct co *c)
{
    (void)c;
    u_started = 1;
    uint64_t end = (uint64_t)time() + BOUND_S * SEC;
    while (!x_started && before(end))
        ;
    return CO_READY;
}

/* Check 1's X: its first poll yields once W sleeps; its second ends it. */
static int x_yield_after_sleep(struct co *c)
{
    (void)c;
    if (x_started) {
        x_again = 1;
        return CO_READY;
    }
    x_started = 1;
    uint64_t end = (uint64_t)time() + BOUND_S * SEC;
    while (!__atomic_load_n(&EXEC->sleepers, __ATOMIC_SEQ_CST) && before(end))
        ;
    return CO_YIELD;
}

static int x_once(struct co *c)
{
    (void)c;
    x_ran = 1;
    real_polls++;
    return CO_READY;
}

static int y_once(struct co *c)
{
    (void)c;
    real_polls++;
    return CO_READY;
}

/* Checks 2 and 3's U: ends once main is at LOW (it picked X).  In check
 * 3 nobody joins U, so its end moves no seq: it spawns Y first, which
 * does. */
static volatile int u_spawns;
static struct co y;

static int u_until_main_low(struct co *c)
{
    (void)c;
    u_started = 1;
    real_polls++;
    uint64_t end = (uint64_t)time() + BOUND_S * SEC;
    while (get_priority(main_tid) != LOW && before(end))
        ;
    if (u_spawns)
        co_spawn_detached(y_once, &y, LOW);
    return CO_READY;
}

/* A thread at MID: takes main's hart once main lowers itself to LOW. */
static void *hog(void *arg)
{
    (void)arg;
    set_priority(0, MID);
    __atomic_add_fetch(&hogs_ready, 1, __ATOMIC_SEQ_CST);
    uint64_t end = (uint64_t)time() + BOUND_S * SEC;
    while (!hogs_stop && before(end))
        ;
    return 0;
}

static void wait_for(volatile int *flag)
{
    for (int i = 0; i < BOUND_S * 1000 && !*flag; i++)
        sleep(1);
}

static bool check_yield(void)
{
    u_started = x_started = x_again = 0;
    static struct co u, x;
    memset(&u, 0, sizeof u);
    memset(&x, 0, sizeof x);
    cid_t uid = co_spawn(u_until_x, &u, HIGH);
    wait_for(&u_started);
    cid_t xid = co_spawn(x_yield_after_sleep, &x, HIGH);
    if (uid == CO_NONE || xid == CO_NONE || !u_started) {
        printf("t_cojoinwake: yield: setup failed\n");
        return false;
    }
    co_join(uid, 0);
    bool by_main = x_started != 0;     /* else W polled X, after U */
    wait_for(&x_again);                /* asleep: W must poll it */
    bool ok = x_again != 0;
    printf("t_cojoinwake: yield: X %s (first poll on main: %s)\n",
           ok ? "polled again" : "never polled again", by_main ? "yes" : "no");
    co_join(xid, 0);                   /* (main polls it, if nobody did) */
    return ok;
}

/* Checks 2 (bounded false) and 3 (true). */
static bool check_put_back(const char *name, bool bounded, int harts)
{
    u_started = x_ran = 0;
    u_spawns = bounded;
    memset(&y, 0, sizeof y);
    hogs_ready = hogs_stop = 0;
    real_polls = 0;
    struct co_stats before_run, after_run;
    co_stats(&before_run);
    static struct co u, x;
    memset(&u, 0, sizeof u);
    memset(&x, 0, sizeof x);
    cid_t uid = co_spawn(u_until_main_low, &u, HIGH);
    wait_for(&u_started);
    int hogs = harts - 1 < HOGS_MAX ? harts - 1 : HOGS_MAX, tids[HOGS_MAX];
    for (int i = 0; i < hogs; i++)
        tids[i] = thread_create(hog, 0);
    for (int i = 0; i < BOUND_S * 1000 && hogs_ready < hogs; i++)
        sleep(1);
    cid_t xid = co_spawn(x_once, &x, LOW);
    if (uid == CO_NONE || xid == CO_NONE || !u_started || hogs_ready < hogs) {
        printf("t_cojoinwake: %s: setup failed\n", name);
        return false;
    }
    long polls = 0;
    if (bounded)
        polls = (long)co_raw_call(CO_OP_RUN, CO_NONE, 1, 0, 0);
    else
        co_join(uid, 0);
    set_priority(0, HIGH);
    hogs_stop = 1;
    for (int i = 0; i < hogs; i++)
        if (tids[i] >= 0)
            thread_join(tids[i], 0);
    wait_for(&x_ran);
    /* The executor counts a poll at the pick (CO_EXEC.polls): a pick put
     * back unpolled is one more there than the polls made. */
    co_stats(&after_run);
    uint64_t put_back = after_run.polls - before_run.polls - real_polls;
    bool ok = x_ran != 0 && (!bounded || polls == 1);
    if (bounded)
        printf("t_cojoinwake: %s: the run of one poll made %ld, X %s (picks put back: %lu)\n",
               name, polls, x_ran ? "ran" : "never ran", (unsigned long)put_back);
    else
        printf("t_cojoinwake: %s: X %s (picks put back: %lu)\n", name,
               x_ran ? "ran" : "never ran", (unsigned long)put_back);
    co_join(uid, 0);
    co_join(xid, 0);
    return ok;
}

int main(void)
{
    main_tid = gettid();
    const VDSO_DATA *v = (const VDSO_DATA *)SHARED_BASE_ADDR;
    int harts = v->nharts ? (int)v->nharts : 1;
    if (set_priority(0, HIGH) < 0 || co_workers(2) < 0) {
        printf("t_cojoinwake: set_priority or co_workers failed\n");
        return 1;
    }
    bool ok = check_yield();
    ok = check_put_back("put back", false, harts) && ok;
    ok = check_put_back("bounded", true, harts) && ok;
    printf("t_cojoinwake: %s\n", ok ? "PASS" : "FAIL");
    return ok ? 0 : 1;
}
