/*
 * ktest=kcoro: the kernel's executor (sched/kcoro.c), i.e. the runtime
 * blob's co_call at the kernel's alias, driven with the built-in heap
 * policy.  The other harts' poll points are held off (kcoro_hold) so that
 * orders can be checked; they poll again afterwards.
 */
#include "ktest/ktest.h"
#include "sched/kcoro.h"
#include "kernel/cpu.h"

#define MAXLOG 16

static int order_log[MAXLOG];
static int nlog;

struct tco {
    struct co co;
    int tag;
    int polls;
    int mode;               /* what its poll does, below */
    int dropped;
};

enum { READY_NOW, PENDING_ONCE, WAKE_SELF_ONCE, PENDING_ALWAYS };

static int tpoll(struct co *self)
{
    struct tco *t = (struct tco *)self;
    t->polls++;
    if (nlog < MAXLOG)
        order_log[nlog++] = t->tag;
    switch (self->line) {
    case 0:
        if (t->mode == PENDING_ALWAYS) {
            return CO_PENDING;
        }
        if (t->mode == PENDING_ONCE || t->mode == WAKE_SELF_ONCE) {
            if (t->mode == WAKE_SELF_ONCE)
                kcoro_wake(self->cid);          /* a wake during its own poll */
            self->line = 1;
            return CO_PENDING;
    case 1:;
        }
        self->result = 100 + t->tag;
        return CO_READY;
    }
    return CO_READY;
}

static void tdrop(struct co *self)
{
    ((struct tco *)self)->dropped++;
}

static void drain(void)
{
    for (int i = 0; i < 8 && kcoro_poll() > 0; i++)
        ;
}

static int join_result(uint32_t cid, int64_t want)
{
    int64_t r = 0;
    if (kcoro_join(cid, &r) != 1)
        return -1;
    return r == want ? 0 : -1;
}

static int order_and_fifo(void)
{
    static struct tco t[5];
    const uint32_t prio[5] = { 5, 15, 10, 10, 10 };
    uint32_t cid[5];
    nlog = 0;
    for (int i = 0; i < 5; i++) {
        t[i] = (struct tco){ .tag = i, .mode = READY_NOW };
        cid[i] = kcoro_spawn(tpoll, &t[i].co, prio[i], tdrop);
        KT_CHECK(cid[i] != CO_NONE);
    }
    KT_CHECK(kcoro_has_work());
    drain();
    /* Priority first (15, then the 10s, then 5); FIFO among equal ones. */
    const int want[5] = { 1, 2, 3, 4, 0 };
    KT_CHECK(nlog == 5);
    for (int i = 0; i < 5; i++)
        KT_CHECK(order_log[i] == want[i]);
    for (int i = 0; i < 5; i++) {
        KT_CHECK(t[i].polls == 1 && t[i].dropped == 1);
        KT_CHECK(join_result(cid[i], 100 + i) == 0);
        KT_CHECK(kcoro_join(cid[i], NULL) == -1);     /* freed: the CID names nothing */
    }
    KT_DIAG("kcoro order: priority, then FIFO among equals\n");
    return 0;
}

static int wakes(void)
{
    static struct tco a, b;
    nlog = 0;
    /* Pending, not woken: not polled again. */
    a = (struct tco){ .tag = 1, .mode = PENDING_ONCE };
    uint32_t ca = kcoro_spawn(tpoll, &a.co, 10, tdrop);
    KT_CHECK(ca != CO_NONE);
    drain();
    KT_CHECK(a.polls == 1);
    drain();
    KT_CHECK(a.polls == 1 && kcoro_join(ca, NULL) == 0);
    kcoro_wake(ca);
    kcoro_wake(ca);                 /* twice: still one poll */
    drain();
    KT_CHECK(a.polls == 2 && a.dropped == 1);
    KT_CHECK(join_result(ca, 101) == 0);
    /* Woken during its poll: polled again, the wake is not lost. */
    b = (struct tco){ .tag = 2, .mode = WAKE_SELF_ONCE };
    uint32_t cb = kcoro_spawn(tpoll, &b.co, 10, tdrop);
    KT_CHECK(cb != CO_NONE);
    drain();
    KT_CHECK(b.polls == 2 && b.dropped == 1);
    KT_CHECK(join_result(cb, 102) == 0);
    KT_DIAG("kcoro wakes: none lost, none doubled\n");
    return 0;
}

static int cancels(void)
{
    static struct tco idle, queued;
    /* Idle (pending, nobody to wake it): the canceller finishes it. */
    idle = (struct tco){ .tag = 1, .mode = PENDING_ALWAYS };
    uint32_t ci = kcoro_spawn(tpoll, &idle.co, 10, tdrop);
    KT_CHECK(ci != CO_NONE);
    drain();
    KT_CHECK(idle.polls == 1);
    KT_CHECK(kcoro_cancel(ci) == 0);
    KT_CHECK(idle.dropped == 1);
    drain();
    KT_CHECK(idle.polls == 1);
    KT_CHECK(join_result(ci, CO_RESULT_CANCELLED) == 0);
    KT_CHECK(kcoro_cancel(ci) == -1);          /* gone */
    /* Queued, never polled: its poller finishes it without polling. */
    queued = (struct tco){ .tag = 2, .mode = READY_NOW };
    uint32_t cq = kcoro_spawn(tpoll, &queued.co, 10, tdrop);
    KT_CHECK(cq != CO_NONE);
    KT_CHECK(kcoro_cancel(cq) == 0);
    KT_CHECK(kcoro_join(cq, NULL) == 0);       /* not done until polled out */
    drain();
    KT_CHECK(queued.polls == 0 && queued.dropped == 1);
    KT_CHECK(join_result(cq, CO_RESULT_CANCELLED) == 0);
    KT_DIAG("kcoro cancel: idle and queued, never polled after\n");
    return 0;
}

static int bounded(void)
{
    static struct tco many[KCORO_POLL_MAX + 8];
    uint32_t cid[KCORO_POLL_MAX + 8];
    const int n = KCORO_POLL_MAX + 8;
    for (int i = 0; i < n; i++) {
        many[i] = (struct tco){ .tag = i, .mode = READY_NOW };
        cid[i] = kcoro_spawn(tpoll, &many[i].co, 10, NULL);
        KT_CHECK(cid[i] != CO_NONE);
    }
    int first = kcoro_poll();
    KT_CHECK(first == KCORO_POLL_MAX);
    KT_CHECK(kcoro_has_work());                /* the rest is not forgotten */
    drain();
    for (int i = 0; i < n; i++) {
        KT_CHECK(many[i].polls == 1);
        KT_CHECK(join_result(cid[i], 100 + i) == 0);
    }
    KT_DIAG("kcoro poll: at most %d per call\n", KCORO_POLL_MAX);
    return 0;
}

int ktest_kcoro(void)
{
    kcoro_hold();
    int r = order_and_fifo();
    if (!r)
        r = wakes();
    if (!r)
        r = cancels();
    if (!r)
        r = bounded();
    kcoro_release();
    return r;
}
