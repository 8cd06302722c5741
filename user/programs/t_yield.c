// help: test: the yield system call, alone (returns at once) and with a thread ready (it runs)
/*
 * t_yield: the kernel's yield (the system call itself, SYS_yield with
 * parked = 0; not the runtime's yield_(), which may switch in user mode).
 * The kernel takes one of two ways (os/sched/sched.c, sched_yield): with
 * nothing else queued anywhere it returns at once, without its lock or the
 * policy; otherwise it queues the caller and asks the policy in one call.
 * Each part checks what one of them guarantees:
 *   1. alone: LONE yields each return 0, the thread goes on, and the
 *      kernel counts every one (schedstat's yield_syscalls grows by
 *      exactly LONE: each was a system call, none was lost);
 *   2. a thread ready: a yield lets it run.  On one hart, under a policy
 *      that promises priority order (SCHED_FLAG_PRIORITY: FIFO among
 *      equals), one yield is enough: the caller is queued behind it.  On
 *      more harts it may run elsewhere, and under any other policy the
 *      order is the policy's: the caller yields until it has run (a bound
 *      of BOUND yields makes a lost thread a failure, not a hang);
 *   3. ping-pong: two threads pass a turn TURNS times, each waiting for
 *      its turn with kernel yields only; every turn is taken once, in
 *      order (a switch at every yield on one hart; on more, both ways);
 *   4. the same between two priorities (UNEQUAL), under a policy that does
 *      not promise priority order (fifo): each yield then hands the hart to
 *      a thread of another priority, so the kernel's counts of its queue's
 *      levels change at every switch (a count gone wrong stops the kernel
 *      on an assertion, count_queued; the debug kernel checks every count
 *      at every tick).  Under
 *      a priority policy the more urgent one would never let the other run
 *      on one hart: skipped.
 *   5. the same with three players in a round (TRIO: two equals and one
 *      more urgent), under fifo on one hart only.  Each yield then takes
 *      one of the kernel's three ways of counting a yield
 *      (policy_yield_fetch): to an equal while the level has others queued
 *      (the counts wait for the answer and stay), from that level to
 *      another (they wait, then change), and from a level the yielder fills
 *      alone (counted at once).  On more harts the players mostly run at
 *      once and yield alone, and their turns wait for the host to run the
 *      right virtual hart: slow on a loaded host, and no test of the counts.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <thread.h>
#include <unistd.h>

#define LONE  2000
#define BOUND 10000000UL
#define TURNS 2000

static int failures;

static void check(bool ok, const char *what)
{
    if (!ok) {
        printf("t_yield: FAIL: %s\n", what);
        failures++;
    }
}

static long kyield(void)
{
    return syscall_raw(SYS_yield, 0, 0, 0);
}

static uint64_t yield_syscalls(void)
{
    struct schedstat s;
    return schedstat(-1, &s) == 0 ? s.yield_syscalls : 0;
}

static void part_alone(void)
{
    uint64_t before = yield_syscalls();
    int bad = 0;
    for (int i = 0; i < LONE; i++)
        bad += kyield() != 0;
    uint64_t counted = yield_syscalls() - before;
    printf("t_yield: alone: %d yields, %d returned non-zero, %lu counted\n", LONE, bad,
           (unsigned long)counted);
    check(bad == 0, "a lone yield returned non-zero");
    check(counted == LONE, "the kernel did not count every lone yield");
}

static volatile int ran;

static void *set_ran(void *arg)
{
    (void)arg;
    __atomic_store_n(&ran, 1, __ATOMIC_RELEASE);
    return NULL;
}

static void part_ready(bool one_is_enough)
{
    ran = 0;
    int tid = thread_create(set_ran, NULL);
    check(tid > 0, "thread_create");
    if (tid <= 0)
        return;
    unsigned long yields = 0;
    do {
        check(kyield() == 0, "a yield with a thread ready returned non-zero");
        yields++;
    } while (!__atomic_load_n(&ran, __ATOMIC_ACQUIRE) && yields < BOUND);
    printf("t_yield: ready: the other thread ran after %lu yield(s)%s\n", yields,
           one_is_enough ? " (one expected)" : "");
    check(__atomic_load_n(&ran, __ATOMIC_ACQUIRE), "the ready thread never ran");
    if (one_is_enough)
        check(yields == 1, "one yield did not run the thread queued before it");
    check(thread_join(tid, NULL) == 0, "thread_join");
}

#define MAX_PLAYERS 3
static volatile uint32_t turn;
static uint32_t players;            /* taking turns round: 2 or 3 */
static uint32_t taken[MAX_PLAYERS];
static int player_prio[MAX_PLAYERS];            /* 0: keep the creator's */
static const int UNEQUAL[2] = { 4, 8 };         /* lowered: no ceiling needed */
static const int TRIO[3] = { 4, 4, 8 };
#define GIVE_IN 100000UL            /* yields without the turn coming round */

static void *player(void *arg)
{
    uint32_t me = (uint32_t)(uintptr_t)arg;
    if (player_prio[me] && set_priority(0, player_prio[me]) != 0) {
        printf("t_yield: FAIL: set_priority(%d)\n", player_prio[me]);
        __atomic_store_n(&turn, TURNS, __ATOMIC_RELEASE);    /* stop them all */
        return NULL;
    }
    for (;;) {
        uint32_t t;
        unsigned long waited = 0;
        while ((t = __atomic_load_n(&turn, __ATOMIC_ACQUIRE)) % players != me && t < TURNS) {
            kyield();
            /* The policy may have become one that keeps priority order
             * since main looked (a misbehaving one replaced by heap): then
             * the less urgent would never run again on one hart.  The
             * more urgent gives in and becomes its equal. */
            if (++waited == GIVE_IN && player_prio[me] > UNEQUAL[0])
                set_priority(0, UNEQUAL[0]);
        }
        if (t >= TURNS)
            return NULL;
        taken[me]++;
        __atomic_store_n(&turn, t + 1, __ATOMIC_RELEASE);
    }
}

/* `n` players (2 or 3) take TURNS turns round, at priorities prio[] (NULL:
 * the creator's); `what` names the part. */
static void part_pingpong(uint32_t n, const int *prio, const char *what)
{
    int tid[MAX_PLAYERS];
    turn = 0;
    players = n;
    for (uint32_t i = 0; i < n; i++) {
        taken[i] = 0;
        player_prio[i] = prio ? prio[i] : 0;
    }
    for (uint32_t i = 0; i < n; i++) {
        tid[i] = thread_create(player, (void *)(uintptr_t)i);
        check(tid[i] > 0, "thread_create");
    }
    bool fair = true;
    for (uint32_t i = 0; i < n; i++) {
        if (tid[i] > 0)
            thread_join(tid[i], NULL);
        /* TURNS is not a multiple of 3: the first TURNS % n take one more. */
        fair = fair && taken[i] == TURNS / n + (i < TURNS % n);
    }
    printf("t_yield: %s: %u turns, %u and %u", what, turn, taken[0], taken[1]);
    if (n > 2)
        printf(" and %u", taken[2]);
    printf(" taken\n");
    check(turn == TURNS && fair, "a turn was lost or taken twice");
}

int main(void)
{
    struct sysinfo si;
    if (sysinfo(&si) < 0) {
        printf("t_yield: FAIL: sysinfo\n");
        return 1;
    }
    part_alone();
    part_ready(si.harts == 1 && (si.sched_flags & SCHED_FLAG_PRIORITY));
    part_pingpong(2, NULL, "ping-pong");
    if (!(si.sched_flags & SCHED_FLAG_PRIORITY)) {
        part_pingpong(2, UNEQUAL, "ping-pong between two priorities");
        if (si.harts == 1)
            part_pingpong(3, TRIO, "a round of three, two of them equals");
    }
    printf("t_yield: %s\n", failures ? "FAIL" : "PASS");
    return failures ? 1 : 0;
}
