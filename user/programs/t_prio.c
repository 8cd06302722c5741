// help: test: priorities decide who runs (one hart; needs ceiling 20)
/*
 * t_prio: priorities decide who runs.  Meant for a machine with one hart.
 *
 * main raises itself to 20, creates a low (3) and a high (18) thread - they
 * start at main's 20, so main lowers them with set_priority - and opens the
 * gate they wait behind.  Both are now ready, low first in line (created
 * first), while main still runs at 20.  Then main blocks in thread_join: a
 * priority scheduler runs high, which finishes before low ever runs, so the
 * shared log reads "high,low".  FIFO order would give "low,high".
 *
 * The gate guards against a timer tick running a new thread at priority 20
 * before main has lowered it: such a thread only waits at the gate.
 *
 * Also: get_priority reads back what was set, and set_priority refuses 0
 * and 21 with EINVAL.  Then the ceiling (docs/scheduler.md): lowering its
 * own brings main down to it, set_priority above it fails with EPERM, and
 * it cannot be raised again.
 *
 * Needs priority ceiling 20: the shell grants it with `ceiling 20 t_prio`.
 */
#include <errno.h>
#include <futex.h>
#include <mutex.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <thread.h>
#include <unistd.h>

static int failures;
static uint32_t gate;                   /* 0 closed, 1 open */
static mutex_t log_lock = MUTEX_INITIALIZER;
static char order[32];

static void check(bool ok, const char *what)
{
    if (!ok) {
        printf("t_prio: FAILED: %s\n", what);
        failures++;
    }
}

static void *run(void *arg)
{
    while (__atomic_load_n(&gate, __ATOMIC_ACQUIRE) == 0)
        futex_wait(&gate, 0, 0);
    /* A little work, so a wrong order has time to show. */
    for (volatile int i = 0; i < 100000; i++)
        ;
    mutex_lock(&log_lock);
    if (order[0])
        strlcat(order, ",", sizeof order);
    strlcat(order, arg, sizeof order);
    mutex_unlock(&log_lock);
    return NULL;
}

/* What a call returned, and errno after it. */
struct outcome { int result, err; };

static struct outcome try_call(int (*call)(int, int), int a, int b)
{
    struct outcome o;
    errno = 0;
    o.result = call(a, b);
    o.err = errno;
    return o;
}

static const char *said(struct outcome o)
{
    return o.result < 0 ? errname(o.err) : "accepted";
}

static bool refused(struct outcome o, int err)
{
    return o.result == -1 && o.err == err;
}

int main(void)
{
    struct sysinfo si;
    int harts = sysinfo(&si) == 0 ? (int)si.harts : 0;

    if (get_ceiling(0) < MAX_PRIORITY) {
        printf("t_prio: FAIL (ceiling %d: run it as 'ceiling 20 t_prio')\n", get_ceiling(0));
        return 1;
    }
    check(set_priority(0, 20) == 0, "set_priority(self, 20)");
    check(get_priority(0) == 20, "get_priority(self) is 20");

    int low = thread_create(run, "low");
    int high = thread_create(run, "high");
    if (low < 0 || high < 0) {
        printf("t_prio: FAIL (thread_create: %s)\n", strerror(errno));
        return 1;
    }
    check(get_priority(low) == 20, "a new thread starts at its creator's priority");
    check(set_priority(low, 3) == 0, "set_priority(low, 3)");
    check(set_priority(high, 18) == 0, "set_priority(high, 18)");
    int lp = get_priority(low), hp = get_priority(high);
    printf("t_prio: priorities main %d, low %d, high %d\n", get_priority(0),
           lp, hp);
    check(lp == 3 && hp == 18, "get_priority reads back 3 and 18");

    __atomic_store_n(&gate, 1, __ATOMIC_RELEASE);
    futex_wake(&gate, 2);
    thread_join(high, NULL);
    thread_join(low, NULL);

    /* The order is a promise only of a policy with SCHED_FLAG_PRIORITY, and
     * only on one hart.  A policy without the flag may still weigh
     * priorities (a proportional share, aging): it just does not promise
     * that the most urgent thread always runs first. */
    bool strict = si.sched_flags & SCHED_FLAG_PRIORITY;
    if (harts == 1 && strict) {
        printf("t_prio: order %s\n", order);
        check(strcmp(order, "high,low") == 0, "high runs before low");
    } else if (!strict) {
        printf("t_prio: order %s (not checked: policy %s does not promise strict "
               "priority order)\n", order, si.sched_name);
    } else {
        printf("t_prio: order %s (not checked: on %d harts both threads may run at once)\n",
               order, harts);
    }

    struct outcome p0 = try_call(set_priority, 0, 0), p21 = try_call(set_priority, 0, 21);
    printf("t_prio: set_priority(0) -> %s, set_priority(21) -> %s\n", said(p0), said(p21));
    check(refused(p0, EINVAL), "priority 0 is refused with EINVAL");
    check(refused(p21, EINVAL), "priority 21 is refused with EINVAL");
    check(get_priority(0) == 20, "a refused change leaves the priority alone");

    check(set_ceiling(0, 15) == 0, "set_ceiling(self, 15)");
    check(get_ceiling(0) == 15 && get_priority(0) == 15,
          "lowering the ceiling brings the thread down to it");
    struct outcome p16 = try_call(set_priority, 0, 16), c20 = try_call(set_ceiling, 0, 20);
    printf("t_prio: at ceiling 15, set_priority(16) -> %s, set_ceiling(20) -> %s\n",
           said(p16), said(c20));
    check(refused(p16, EPERM), "a priority above the ceiling is refused with EPERM");
    check(refused(c20, EPERM), "a process cannot raise its own ceiling");
    check(set_priority(0, 15) == 0 && set_priority(0, 1) == 0, "below it, anything goes");

    if (failures) {
        printf("t_prio: FAIL (%d checks failed)\n", failures);
        return 1;
    }
    printf("t_prio: PASS\n");
    return 0;
}
