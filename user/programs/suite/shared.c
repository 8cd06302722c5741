/*
 * The shared pages a process can write (VDSO_DATA, its TaskSched records,
 * its coroutine executor): garbage over them, block_sched left set or
 * toggled for ever, forged records and a forged queue lock, priorities
 * forged to the top.  The kernel must not trust any of it: the process
 * may hurt itself (exit or fault, whichever), never the kernel or
 * another process, and a process that holds block_sched or claims the top
 * priority must not keep others off the harts.
 */
#include <garbage.h>
#include <string.h>
#include <thread.h>
#include "suite.h"
#include <coroutine.h>
#include "coro.h"
#include "vdso.h"
#include "syscall.h"
#include "../../lib/rdtime.h"
#include "../../lib/shared_records.h"

#define VDSO ((VDSO_DATA *)SHARED_BASE_ADDR)

static uint64_t rng = GARBAGE_SEED;       /* plus the case's seed */

static void scribble(void *at, size_t bytes)
{
    garbage_fill(at, bytes, &rng);
}

static void *busy(void *arg)
{
    (void)arg;
    for (int i = 0; i < 200; i++)
        yield_();
    return (void *)1;
}

/* After the garbage: system calls, yields, a thread.  Whatever they do the
 * process may end up killed; the kernel must be unharmed (the cases that
 * follow, and the test's shell, check that). */
static int live_with_it(void)
{
    for (int i = 0; i < 50; i++)
        yield_();
    sleep(5);
    int tid = thread_create(busy, 0);
    if (tid > 0)
        thread_join(tid, 0);
    return getpid() > 0 ? 0 : 1;
}

static int scribble_vdso(const struct suite_case *c)
{
    rng += (uint64_t)c->arg;
    int tid = thread_create(busy, 0);       /* a second thread in the records */
    scribble((void *)SHARED_BASE_ADDR, SHARED_VDSO_PAGES * 4096);
    (void)tid;
    return live_with_it();
}

static int scribble_records(const struct suite_case *c)
{
    rng += (uint64_t)c->arg;
    int tid = thread_create(busy, 0);
    uint32_t n = VDSO->nrecords;
    scribble((void *)SHARED_TASKS_ADDR, n * sizeof(TaskSched));
    (void)tid;
    return live_with_it();
}

static int scribble_executor(const struct suite_case *c)
{
    rng += (uint64_t)c->arg;
    long cap = syscall_raw(SYS_co_setup, 64, 0, 0);
    if (cap < 64)
        return EXPECT(0, "co_setup: %ld", cap);
    static struct co_io io = { .cid = 3 };
    syscall_raw(SYS_sleep_async, 10, (long)&io, 0);
    /* Everything mapped from SHARED_EXEC_ADDR: the CO_EXEC page, the
     * queue, the records. */
    scribble((void *)SHARED_EXEC_ADDR, 4096);
    scribble((void *)CO_QUEUE_ADDR, CO_QUEUE_WORDS * 4);
    sleep(30);                              /* the sleep completes into it */
    io.cid = (uint32_t)garbage_next(&rng);
    int bad = EXPECT_ERR(syscall_raw(SYS_sleep_async, 10, (long)&io, 0), EINVAL);
    return bad | live_with_it();
}

static volatile int stop;                /* never set: the spinners are killed */

/* The library's executor at work (worker threads, coroutines sleeping and
 * yielding) when its region turns to garbage under it: the workers may
 * hang or fault; the process exits without waiting for them. */
struct napper { struct co co; int n; };
static int nap_poll(struct co *c)
{
    struct napper *f = (struct napper *)c;
    co_begin(c);
    for (f->n = 0; f->n < 1000; f->n++) {
        co_sleep(c, 10);
        co_yield(c);
    }
    co_end(c);
}

static int scribble_live_executor(const struct suite_case *c)
{
    rng += (uint64_t)c->arg;
    static struct napper nappers[16];
    for (int i = 0; i < 16; i++)
        if (co_spawn(nap_poll, &nappers[i].co, 1 + i % 20) == CO_NONE)
            return EXPECT(0, "co_spawn: %s", strerror(errno));
    sleep(30);
    scribble((void *)SHARED_EXEC_ADDR, 4096);
    scribble((void *)CO_QUEUE_ADDR, CO_QUEUE_WORDS * 4);
    sleep(50);
    exit(0);
}

/* A process that holds block_sched on every hart and spins (arg 0), or
 * renews it with a new odd number every few hundred iterations (arg 1). */
static int block_spinner(long renew)
{
    uint32_t seq = 1;
    for (long i = 0; !stop; i++) {
        if (i % 256 == 0 || !renew) {
            for (int h = 0; h < SCHED_MAX_HARTS; h++)
                VDSO->block_sched[h] = renew ? (seq += 2) : 1;
        }
    }
    return 0;
}

/* While a hostile process spins at this one's priority, this one must get
 * the hart back again and again (a sleep returns: on one hart, only if the
 * spinner is preempted), and a kill must end the spinner. */
static int beside_spinner(int (*spinner)(long), long arg)
{
    int pid = fork();
    if (pid == 0)
        exit(spinner(arg));
    if (pid < 0)
        return EXPECT(0, "fork: %s", strerror(errno));
    sleep(20);
    int bad = 0;
    for (int i = 0; i < 10; i++)
        bad |= EXPECT(sleep(10) == 0, "sleep: %s", strerror(errno));
    bad |= EXPECT(kill(pid) == 0, "kill: %s", strerror(errno));
    int status = -1;
    bad |= EXPECT(waitpid(pid, &status, 0) == pid && WIFSIGNALED(status) &&
                  WTERMSIG(status) == TERM_KILLED, "the spinner ended %#x", status);
    return bad;
}

static int block_sched_case(const struct suite_case *c)
{
    return beside_spinner(block_spinner, c->arg);
}

/* Priority forged to the top: kprio[] and every record's prio say 20,
 * set_priority goes as high as the ceiling lets it, and it spins. */
static int top_spinner(long unused)
{
    (void)unused;
    int ceiling = get_ceiling(0);
    if (set_priority(0, MAX_PRIORITY) == 0 && ceiling < MAX_PRIORITY)
        return 50;                           /* above its ceiling: a bug */
    set_priority(0, ceiling);
    while (!stop) {
        for (int t = 0; t < 16; t++) {
            VDSO->kprio[t] = MAX_PRIORITY;
            ((TaskSched *)SHARED_TASKS_ADDR)[t].prio = MAX_PRIORITY;
        }
    }
    return 0;
}

static int top_priority_spinner(const struct suite_case *c)
{
    (void)c;
    return beside_spinner(top_spinner, 0);
}

/* Records and `current` forged: other slots claimed running here, states
 * flipped, the queue lock held by a slot with no thread. */
static int forge_records(const struct suite_case *c)
{
    int tid = thread_create(busy, 0);
    TaskSched *rec = (TaskSched *)SHARED_TASKS_ADDR;
    uint32_t n = VDSO->nrecords;
    for (int round = 0; round < 100; round++) {
        switch (c->arg) {
        case 0:                              /* current: slots that are not */
            for (int h = 0; h < SCHED_MAX_HARTS; h++)
                VDSO->current[h] = (uint32_t)garbage_next(&rng) % (SCHED_MAX_TASKS + 8);
            break;
        case 1:                              /* states and flags of every record */
            for (uint32_t t = 0; t < n; t++) {
                rec[t].state = (uint8_t)garbage_next(&rng);
                rec[t].flags = (uint8_t)garbage_next(&rng);
            }
            break;
        default:                             /* the queue lock: held by no thread */
            VDSO->queue_lock = 4000;
            break;
        }
        yield_();
    }
    if (tid > 0)
        thread_join(tid, 0);
    return 0;
}

/* A thread parked in user mode whose record a sibling then marks not
 * READY.  The kernel claims a parked thread by its record (READY ->
 * RUNNING), so it could not claim this one, and the join below waited for
 * ever.  With no other thread of the process on a hart, nobody can be
 * running it under another name: the kernel claims it anyway (sched.c,
 * claim_parked) and the join returns.  On one hart the thread is surely
 * parked when its record is forged; on more it may be running elsewhere,
 * and then the forgery is a lie the kernel catches at its next trap. */
static int forge_parked_state(const struct suite_case *c)
{
    (void)c;
    int tid = thread_create(busy, 0);
    if (tid <= 0)
        return EXPECT(0, "thread_create: %d", tid);
    for (int i = 0; i < 3; i++)
        yield_();                   /* it ran, and parked in user mode */
    TaskSched *rec = (TaskSched *)SHARED_TASKS_ADDR;
    uint32_t n = VDSO->nrecords;
    for (uint32_t t = 0; t < n && t < SCHED_MAX_TASKS; t++)
        if (rec[t].tid == (uint32_t)tid)
            rec[t].state = 233;     /* no state at all */
    thread_join(tid, 0);
    return 0;
}

/* forge_parked_state again, after the kernel has once preempted this
 * process's lock holder "anyway" (the pin's budget spent).  The kernel
 * then remembers the queue lock's value (main's slot + 1): while the lock
 * still holds it, a switch may be unfinished, and claim_parked defers a
 * thread whose record is not READY instead of claiming it.  Here the lock
 * is released (the "switch" is over), ticks pass, and only then does main
 * name itself in the lock again and forge the parked thread's record.
 * The remembered value is stale by then: the kernel must claim the thread
 * as in forge_parked_state.  With the value never forgotten, it deferred
 * the thread for as long as the lock held main's name (the thread never
 * ran: an EXPECT below).  One hart only: there the spinner runs only if
 * main was preempted, and the parker is surely parked when its record is
 * forged (on more, it may be running elsewhere, and the forgery is then
 * another lie, forge_parked_state's). */
static volatile int stale_spin_stop, stale_parker_stop;
static volatile uint64_t stale_spins, stale_parker_turns;

static void *stale_spinner(void *arg)      /* never yields: queued by the kernel */
{
    (void)arg;
    while (!stale_spin_stop)
        stale_spins++;
    return 0;
}

static void *stale_parker(void *arg)       /* parks in user mode between turns */
{
    (void)arg;
    while (!stale_parker_stop) {
        stale_parker_turns++;
        yield_();
    }
    return 0;
}

static int forge_parked_after_forced_preemption(const struct suite_case *c)
{
    (void)c;
    struct sysinfo si;
    if (sysinfo(&si) != 0 || si.harts != 1) {
        printf("# one hart only: on more, the parked thread may be running elsewhere "
               "when its record is forged\n");
        return 0;
    }
    /* WAIT_MS is generous: the wait ends as soon as the parker runs, and
     * the bug it catches defers it for ever; 2 s failed once on a host
     * with a load of 20, where a 1-hart guest gets a tenth of a core. */
    enum { PIN_MS = 5000, UNPINNED_MS = 100, WAIT_MS = 15000, NAP_MS = 20, PARK_TRIES = 10000 };
    int me = shared_slot_of(gettid());
    if (me < 0)
        return EXPECT(0, "main has no record");
    uint32_t my_lock = (uint32_t)me + 1;
    int spinner = thread_create(stale_spinner, 0);
    int parker = thread_create(stale_parker, 0);
    if (spinner <= 0 || parker <= 0)
        return EXPECT(0, "thread_create: %d %d", spinner, parker);
    int p = -1;
    for (int i = 0; i < PARK_TRIES && p < 0; i++) {
        yield_();                   /* the parker runs: its record names it */
        p = shared_slot_of(parker);
    }
    if (p < 0)
        return EXPECT(0, "the parker's record never named it");

    /* Hold the lock in main's name past the pin's budget: the spinner,
     * queued in the kernel, makes the kernel want the hart.  On one hart
     * the spinner moves only once main has been preempted anyway. */
    uint32_t free_lock = 0;
    if (!__atomic_compare_exchange_n(&SHARED_VDSO->queue_lock, &free_lock, my_lock, false,
                                     __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
        return EXPECT(0, "the queue lock was held (%u)", free_lock);
    uint64_t spins = stale_spins;
    for (uint64_t end = rdtime_deadline_ms(PIN_MS); rdtime() < end && stale_spins == spins; )
        ;
    __atomic_store_n(&SHARED_VDSO->queue_lock, 0, __ATOMIC_RELEASE);
    stale_spin_stop = 1;
    thread_join(spinner, 0);
    /* Unpinned for a few ticks: the "switch" the kernel saw preempted is
     * over, and the kernel has had its chance to see so.  (The parker may
     * have been resumed by the kernel meanwhile, and then yielded through
     * it: it is parked again below before its record is forged.) */
    for (uint64_t end = rdtime_deadline_ms(UNPINNED_MS); rdtime() < end; )
        ;

    /* The lock names main again; the parker's record lies.  main sleeps,
     * so no thread of the process is on a hart: the kernel must claim
     * the parker and run it. */
    int tries = 0;
    while (SHARED_RECORDS[p].state != TASK_READY && ++tries < PARK_TRIES)
        yield_();                   /* until the parker is parked in user mode */
    if (tries == PARK_TRIES) {
        stale_parker_stop = 1;
        thread_join(parker, 0);
        return EXPECT(0, "the parker never stayed parked");
    }
    getcpu();                       /* a system call: the kernel sees it parked */
    uint64_t turns = stale_parker_turns;
    SHARED_VDSO->queue_lock = my_lock;
    SHARED_RECORDS[p].state = 233;  /* no state at all */
    for (int waited = 0; waited < WAIT_MS && stale_parker_turns == turns; waited += NAP_MS)
        sleep(NAP_MS);
    int bad = EXPECT(stale_parker_turns != turns,
                     "the parked thread never ran in %d ms (the kernel deferred it for a "
                     "lock value it remembered from an earlier preemption)", WAIT_MS);
    SHARED_VDSO->queue_lock = 0;
    if (bad)
        SHARED_RECORDS[p].state = TASK_READY;   /* let it be claimed, to end */
    stale_parker_stop = 1;
    thread_join(parker, 0);
    return bad;
}

/* The plain yield's fast way in (os/trap/trapentry.S, trap_user_yield:
 * s1-s11 never reach the trap frame) attacked from the sides: siblings
 * sit in it while this thread names them in `current` for every hart and
 * holds the queue lock in their name, forks (a copy of a process whose
 * other threads are in the kernel on that way), and, with arg 1, exits
 * the process while they are still in it (arg 2: an exec, which must be
 * refused with EBUSY while they live).  The kernel may kill the liar;
 * it must not take a sibling's half-saved frame for a whole one, and the
 * child and the machine go on. */
static volatile int fast_stop;

static long fast_yield(void)
{
    return syscall_raw(SYS_yield, 0, 0, 0);
}

static void *fast_yielder(void *arg)
{
    long rounds = (long)arg;
    /* A user-mode switch (yield_) before each plain yield: the plain
     * yield is then often another thread's than the kernel last saw on
     * the hart, which only the full way may take (reconcile). */
    for (long i = 0; (rounds < 0 || i < rounds) && !fast_stop; i++) {
        yield_();
        if (fast_yield() != 0)
            return (void *)0;
    }
    return (void *)1;
}

static int fast_yield_forged(const struct suite_case *c)
{
    enum { WORKERS = 3 };
    long rounds = c->arg == 1 ? -1 : 3000;  /* arg 1: until the exit */
    int tids[WORKERS];
    for (int i = 0; i < WORKERS; i++)
        tids[i] = thread_create(fast_yielder, (void *)rounds);
    TaskSched *rec = (TaskSched *)SHARED_TASKS_ADDR;
    for (int round = 0; round < 200; round++) {
        uint32_t n = VDSO->nrecords;
        uint32_t slot = n ? (uint32_t)garbage_next(&rng) % n : 0;
        for (int h = 0; h < SCHED_MAX_HARTS; h++)
            VDSO->current[h] = slot;
        VDSO->queue_lock = slot + 1;
        if (slot < n && round % 7 == 0)
            rec[slot].state = (uint8_t)garbage_next(&rng);
        fast_yield();
        if (round == 100) {
            int pid = fork();
            if (pid == 0) {
                for (int i = 0; i < 100; i++)
                    fast_yield();
                exit(0);
            }
            /* The child may be killed for its copy of the lies: only
             * its end is asked for. */
            int status = -1;
            if (pid > 0 && waitpid(pid, &status, 0) != pid)
                return EXPECT(0, "waitpid for the forked child %d failed", pid);
        }
    }
    VDSO->queue_lock = 0;
    if (c->arg == 1)
        exit(0);                /* the workers are still in their yields */
    int bad = 0;
    if (c->arg == 2) {
        char *argv[] = { "echo", "# h_suite: exec should have been refused", NULL };
        bad = EXPECT_ERR(syscall_raw(SYS_exec, (long)"echo", (long)argv, 0), EBUSY);
    }
    fast_stop = 1;
    for (int i = 0; i < WORKERS; i++) {
        void *made = 0;
        if (tids[i] > 0 && thread_join(tids[i], &made) == 0)
            bad |= EXPECT(made == (void *)1, "worker %d: a plain yield returned not 0", i);
    }
    return bad;
}

void suite_shared_cases(void)
{
    static const struct {
        const char *name;
        int (*run)(const struct suite_case *);
    } scribblers[] = {
        { "scribble_vdso", scribble_vdso },
        { "scribble_records", scribble_records },
        { "scribble_executor", scribble_executor },
        { "scribble_live_executor", scribble_live_executor },
    };
    for (int seed = 1; seed <= 3; seed++) {
        for (size_t i = 0; i < sizeof scribblers / sizeof scribblers[0]; i++) {
            char name[SUITE_NAME_MAX];
            snprintf(name, sizeof name, "shared/%s/%d", scribblers[i].name, seed);
            suite_add(name, scribblers[i].run, END_EXIT0_OR_FAULT, seed, 0);
        }
    }
    suite_add("shared/block_sched_left_set", block_sched_case, END_EXIT0, 0, 0);
    suite_add("shared/block_sched_toggled", block_sched_case, END_EXIT0, 1, 0);
    suite_add("shared/top_priority_spinner", top_priority_spinner, END_EXIT0, 0, 0);
    suite_add("shared/forge_current", forge_records, END_EXIT0_OR_FAULT, 0, 0);
    suite_add("shared/forge_record_states", forge_records, END_EXIT0_OR_FAULT, 1, 0);
    suite_add("shared/forge_queue_lock", forge_records, END_EXIT0, 2, 0);
    suite_add("shared/forge_parked_state", forge_parked_state, END_EXIT0_OR_FAULT, 0, 0);
    suite_add("shared/forge_parked_after_forced_preemption",
              forge_parked_after_forced_preemption, END_EXIT0_OR_FAULT, 0, 0);
    suite_add("shared/fast_yield_forged", fast_yield_forged, END_EXIT0_OR_FAULT, 0, 0);
    suite_add("shared/fast_yield_forged_exit", fast_yield_forged, END_EXIT0_OR_FAULT, 1, 0);
    suite_add("shared/fast_yield_forged_exec", fast_yield_forged, END_EXIT0_OR_FAULT, 2, 0);
}
