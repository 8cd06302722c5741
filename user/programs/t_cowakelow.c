// help: test: a wake that readies a coroutine above every awake worker raises one to it
/*
 * t_cowakelow: a coroutine made ready by a *wake* (not a spawn) at a
 * priority above every awake worker, while no worker sleeps, must get a
 * worker at its priority: threads of the process that yield at that
 * priority pass over less urgent threads (the rule of yield,
 * docs/scheduler.md), so a worker left below never gets a hart.
 *
 * One worker thread (co_workers(2): main is not one until it joins).  A
 * check, for each kind of wake:
 *   1. a coroutine at HIGH waits (for an event, or in co_sleep: a wake
 *      the kernel delivers through the doorbell);
 *   2. a coroutine at LOW runs on the worker, which takes LOW, and keeps
 *      it busy (its poll spins) until main lets it go (for the third
 *      kind, main then sleeps past the HIGH one's sleep, see
 *      BY_SLEEP_ON_WORKER);
 *   3. main and a second thread yield at HIGH (so that on two harts
 *      both are taken) for a few ticks, then main wakes the HIGH one
 *      (sets the event; or its sleep ends later), lets the LOW poll go,
 *      and yields on until the HIGH coroutine has run, or BOUND_S
 *      seconds.
 * With the worker left at LOW, it never gets a hart again and the HIGH
 * coroutine never runs: the wake must raise it, as a spawn does
 * (docs/coroutines.md, "No worker left below the work").
 *
 * t_cowakelow -f N: N coroutines spawned first, waiting for good (an
 * event never set), so that the checks' coroutines take records past
 * them, on a later record page: the kernel reads the rung record's
 * priority on whatever page it lies (os/sched/coexec.c, rec_frames).
 * h_coforge runs it so after an exec that dropped an executor with
 * operations in flight: the frames it reads must be the new image's.
 *
 * Prints one line per check and "t_cowakelow: PASS" or "t_cowakelow: FAIL".
 */
#include <coroutine.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <thread.h>
#include <unistd.h>

#define HIGH    10
#define LOW     1
#define BOUND_S 20
#define SETTLE_MS 50     /* main's yields before the wake: the worker off its hart */
#define SLEEP_MS 300     /* ends well after them */
#define ON_WORKER_MS 200 /* BY_SLEEP_ON_WORKER: main's sleep ends this much after it */

static volatile int busy_started, busy_go, high_ran, yielding;

/* The LOW coroutine: one long poll, until main lets it go. */
static int busy(struct co *c)
{
    (void)c;
    busy_started = 1;
    while (!busy_go)
        ;
    return CO_READY;
}

struct waiter {
    struct co co;
    struct co_event *ev;    /* 0: sleep instead */
};

static int high(struct co *c)
{
    struct waiter *f = (struct waiter *)c;
    co_begin(c);
    if (f->ev)
        co_await_event(c, f->ev);
    else
        co_sleep(c, SLEEP_MS);
    high_ran = 1;
    co_return(c, 0);
    co_end(c);
}

/* A second thread at HIGH yielding while main does, so that on two
 * harts neither is left for the worker at LOW. */
static void *yielder(void *arg)
{
    (void)arg;
    set_priority(0, HIGH);
    while (yielding)
        yield();
    return 0;
}

/* How the HIGH coroutine is made ready. */
enum wake_kind {
    BY_EVENT,           /* main sets an event */
    BY_SLEEP,           /* its co_sleep ends while main and the yielder yield */
    /* Its co_sleep ends while main is blocked, so that the thread the
     * kernel has on the hart at the ring (a tick's return to user mode
     * polls the kernel's timer coroutine) is the LOW worker itself: the
     * ring must raise it all the same (it was passed over as "the
     * caller", and never ran again once main yielded above it). */
    BY_SLEEP_ON_WORKER,
    /* Its co_sleep ends while the worker, which lowered itself to LOW to
     * poll the LOW coroutine, waits for a hart: a thread of the process
     * at MID spins past the sleep's end, so the worker is switched out on
     * its way back from that set_priority.  The ring must see it low (the
     * kernel's word of its priority was its old one until it ran again,
     * and the ring raised nobody), or the worker must see the ring when
     * it runs again (it polled the LOW coroutine for ever). */
    BY_SLEEP_WORKER_OFF_HART,
};

#define MID 5

static volatile uint64_t hog_until;

/* BY_SLEEP_WORKER_OFF_HART's thread at MID: spins until hog_until. */
static void *hog(void *arg)
{
    (void)arg;
    set_priority(0, MID);
    while (time() < hog_until)
        ;
    return 0;
}

static bool check(const char *kind, enum wake_kind how)
{
    bool by_event = how == BY_EVENT;
    static struct co_event ev;
    co_event_init(&ev);
    busy_started = busy_go = high_ran = 0;
    struct waiter w;
    memset(&w, 0, sizeof w);
    w.ev = by_event ? &ev : 0;
    struct co b;
    memset(&b, 0, sizeof b);
    int hog_tid = -1;
    if (how == BY_SLEEP_WORKER_OFF_HART) {
        /* Past the sleep's end (it starts at the spawn below); main
         * sleeps while the hog lowers itself, so that it is queued at
         * MID before the worker takes the LOW coroutine. */
        hog_until = time() + (SLEEP_MS + ON_WORKER_MS) * 1000000ULL;
        hog_tid = thread_create(hog, 0);
        if (hog_tid < 0) {
            printf("t_cowakelow: %s: thread_create failed\n", kind);
            return false;
        }
        sleep(1);
    }
    cid_t hid = co_spawn(high, &w.co, HIGH);
    if (by_event) {     /* let it register on the event first */
        for (int i = 0; i < 1000 && co_polls(hid) < 1; i++)
            sleep(1);
    }
    cid_t bid = co_spawn(busy, &b, LOW);
    if (hid == CO_NONE || bid == CO_NONE) {
        printf("t_cowakelow: %s: co_spawn failed\n", kind);
        return false;
    }
    /* Main sleeps (blocked: any thread may run) until the worker polls
     * the LOW coroutine, at LOW. */
    for (int i = 0; i < 2000 && !busy_started; i++)
        sleep(1);
    /* Blocked past the sleep's end: only the worker, busy at LOW, has the
     * hart (on one hart) when the kernel rings for it. */
    if (how == BY_SLEEP_ON_WORKER)
        sleep(SLEEP_MS + ON_WORKER_MS);
    yielding = 1;
    int ytid = thread_create(yielder, 0);
    if (!busy_started || ytid < 0) {
        printf("t_cowakelow: %s: the worker never polled the LOW coroutine\n", kind);
        yielding = 0;
        return false;
    }
    /* Yields for a few ticks first, so that the worker at LOW is off
     * its hart (on two harts, the two yielders take both) before the
     * LOW poll is let go: from then on only a worker raised to HIGH
     * runs again. */
    uint64_t t0 = time(), yields = 0;
    while (time() - t0 < SETTLE_MS * 1000000ULL)
        yield();
    if (by_event)
        co_event_set(&ev);
    busy_go = 1;
    t0 = time();
    while (!high_ran && time() - t0 < BOUND_S * 1000000000ULL) {
        yield();
        yields++;
    }
    bool ran = high_ran != 0;
    yielding = 0;
    thread_join(ytid, 0);
    if (hog_tid >= 0)
        thread_join(hog_tid, 0);
    printf("t_cowakelow: %s: the HIGH coroutine %s after %lu yields, %lu ms\n", kind,
           ran ? "ran" : "never ran", (unsigned long)yields,
           (unsigned long)((time() - t0) / 1000000));
    /* Both are done once it ran; else they finish here (main works). */
    co_join(hid, 0);
    co_join(bid, 0);
    return ran;
}

#define FILLERS_MAX 200

/* A filler: waits on an event nobody sets. */
static int filler(struct co *c)
{
    static struct co_event never = CO_EVENT_INIT;
    co_begin(c);
    co_await_event(c, &never);
    co_end(c);
}

int main(int argc, char **argv)
{
    int fillers = 0;
    if (argc == 3 && strcmp(argv[1], "-f") == 0)
        fillers = atoi(argv[2]);
    if (argc != 1 && (argc != 3 || fillers < 1 || fillers > FILLERS_MAX)) {
        printf("usage: t_cowakelow [-f N]   (N: 1..%d)\n", FILLERS_MAX);
        return 2;
    }
    if (set_priority(0, HIGH) < 0 || co_workers(2) < 0) {
        printf("t_cowakelow: set_priority or co_workers failed\n");
        return 1;
    }
    static struct co fill[FILLERS_MAX];
    static cid_t fill_id[FILLERS_MAX];
    for (int i = 0; i < fillers; i++) {
        if ((fill_id[i] = co_spawn(filler, &fill[i], LOW)) == CO_NONE) {
            printf("t_cowakelow: filler %d: co_spawn failed\n", i);
            return 1;
        }
    }
    bool ok = check("event", BY_EVENT);
    ok = check("sleep", BY_SLEEP) && ok;
    ok = check("sleep ending on the worker", BY_SLEEP_ON_WORKER) && ok;
    ok = check("sleep ending while the lowered worker waits", BY_SLEEP_WORKER_OFF_HART) && ok;
    /* Ended, or the runtime would run them after main, for good. */
    for (int i = 0; i < fillers; i++)
        co_cancel(fill_id[i]);
    printf("t_cowakelow: %s\n", ok ? "PASS" : "FAIL");
    return ok ? 0 : 1;
}
