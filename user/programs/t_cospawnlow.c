// help: test: coroutine workers started from a low-priority thread are not left there
/*
 * t_cospawnlow: the executor's workers are threads, and a thread starts at
 * its creator's priority.  The first co_spawn starts them, from whatever
 * thread spawns: here main, lowered to priority 1, spawns a setter
 * coroutine at priority 10 (which sets a flag).  Then main raises itself
 * back to 10 and yields the hart (yield()) until the flag is set, without
 * waiting in co_join: only a worker can run the setter.
 *
 * Were the new workers left at main's priority 1, on one hart none of them
 * would ever run: main, at 10, yields only to threads at 10 or above (the
 * rule of yield, docs/scheduler.md), and the setter would wait for ever.
 * That is what was found beside h_coforge: t_coro's worker at 10 yielded
 * for 240 s while three workers just started at priority 1 never ran
 * their first instruction.  The executor starts a worker as it wakes a
 * sleeping one: at the top of what the process may take
 * (user/lib/coro.c, start_workers); it then takes the priority of what
 * it polls.
 *
 * Then main joins a coroutine at priority 1 and must come back at its own
 * priority: a worker's follows what it polls, main's only while it works
 * in co_join.
 *
 * Fails if the flag is not set within BOUND_S seconds (a bound that only
 * turns the starvation into a failure) or main's priority changed.  Prints "t_cospawnlow: PASS" or
 * "t_cospawnlow: FAIL".
 */
#include <coroutine.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

#define BOUND_S 30

struct flag_setter {
    struct co co;
    volatile int *flag;
};

static int set_flag(struct co *c)
{
    *((struct flag_setter *)c)->flag = 1;
    return CO_READY;
}

int main(void)
{
    int prio = get_priority(0);
    if (set_priority(0, 1) < 0) {
        printf("t_cospawnlow: set_priority(0, 1) failed\n");
        return 1;
    }
    volatile int flag = 0;
    struct flag_setter setter = { .flag = &flag };
    cid_t id = co_spawn(set_flag, &setter.co, 10);
    if (id == CO_NONE || set_priority(0, prio < 10 ? 10 : prio) < 0) {
        printf("t_cospawnlow: co_spawn or set_priority failed\n");
        return 1;
    }
    uint64_t t0 = time(), yields = 0;
    while (!flag && time() - t0 < BOUND_S * 1000000000ULL) {
        yield();
        yields++;
    }
    bool ran = flag != 0;
    printf("t_cospawnlow: setter %s after %lu yields at priority %d, %lu ms\n",
           ran ? "ran" : "never ran", (unsigned long)yields, get_priority(0),
           (unsigned long)((time() - t0) / 1000000));
    co_join(id, 0);

    /* co_join makes main a worker until the coroutine is done, at the
     * priority of what it polls (1 here): back from it, main has its own
     * again (it once kept its last coroutine's, and t_coro's next spawner
     * ran at 1). */
    int before = get_priority(0);
    struct flag_setter low = { .flag = &flag };
    cid_t l = co_spawn(set_flag, &low.co, 1);
    bool joined = l != CO_NONE && co_join(l, 0) == 0;
    int after = get_priority(0);
    printf("t_cospawnlow: co_join of a coroutine at 1: priority %d before, %d after\n",
           before, after);
    bool ok = ran && joined && after == before;
    printf("t_cospawnlow: %s\n", ok ? "PASS" : "FAIL");
    return ok ? 0 : 1;
}
