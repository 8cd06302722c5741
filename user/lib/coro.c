/*
 * The user library's side of coroutines (<coroutine.h>): it sets the
 * executor up, starts the worker threads, and wraps the executor's
 * operations, which live in the shared runtime (co_call, RT_CO_CALL).
 *
 * The executor is the process's, in its shared pages; this file keeps only
 * what the library needs to find it again: whether it was set up by this
 * process (a forked child has none until it spawns), and how many workers
 * run.
 */
#include <coroutine.h>
#include <errno.h>
#include <mutex.h>
#include <stdlib.h>
#include <string.h>
#include <thread.h>
#include "sys.h"
#include "uthread.h"

#define FIRST_CAPACITY 64
#define WORKERS_MAX    64

/* co->lib[], the library's part of every frame. */
struct co_lib {
    struct co_waiter *waits;        /* events it is registered on */
    uint32_t flags;                 /* LIB_* */
    uint32_t unused;
    struct co_waiter self_wait;     /* co_await_event's */
};
#define LIB_FREE_FRAME 0x1          /* co_alloc made the frame */
#define LIB_IO_IN_FLIGHT 0x2        /* its asynchronous operation is pending */
_Static_assert(sizeof(struct co_lib) <= sizeof(((struct co *)0)->lib), "co_lib fits");

static struct co_lib *lib_of(struct co *c)
{
    return (struct co_lib *)c->lib;
}

#define V     ((const VDSO_DATA *)SHARED_BASE_ADDR)
#define EXEC  ((CO_EXEC *)SHARED_EXEC_ADDR)
#define RECS  ((TaskSched *)CO_RECORDS_ADDR)

static mutex_t setup_lock = MUTEX_INITIALIZER;
static uint32_t setup_pid;          /* the process that set the executor up */
static int workers_wanted = 4;
static int workers_running;         /* threads other than main, under setup_lock */

typedef int64_t (*co_call_fn)(uint32_t, const struct co_env *, uint64_t, uint64_t, uint64_t,
                              uint64_t);

static int64_t call(uint32_t op, uint64_t a, uint64_t b, uint64_t c, uint64_t d)
{
    const struct sched_blob_header *rt = (const void *)SHARED_RUNTIME_ADDR;
    co_call_fn fn = (co_call_fn)(SHARED_RUNTIME_ADDR + rt->op_offset[RT_CO_CALL]);
    struct sched_ops ops;
    struct co_env env;
    co_user_env(&env, &ops, uthread_self()->task);
    return fn(op, &env, a, b, c, d);
}

int64_t co_raw_call(uint32_t op, uint64_t a, uint64_t b, uint64_t c, uint64_t d)
{
    return call(op, a, b, c, d);
}

static bool ready_here(void)
{
    return V->exec_capacity && setup_pid == V->pid;
}

/* Maps the executor (or more records for it).  setup_lock held. */
static int grow(uint32_t want)
{
    long cap = sys_call1(SYS_co_setup, want);
    if (cap < 0) {
        errno = (int)-cap;
        return -1;
    }
    if (setup_pid != V->pid) {      /* first time in this process */
        setup_pid = V->pid;
        workers_running = 0;
        call(CO_OP_INIT, 0, 0, 0, 0);
    }
    return 0;
}

static void *worker_main(void *arg)
{
    (void)arg;
    for (;;) {
        call(CO_OP_RUN, CO_NONE, 0, 0, 0);
        /* Counted gone first, then a look for work, under the lock a
         * spawner takes to start workers.  A spawner that skips the lock
         * (start_workers, this one still counted) made its coroutine
         * live before it looked at the count, so this look sees it: the
         * two fences order each side's write before its read.  (Looking
         * first, then counted gone, could leave a spawn made in between
         * with every worker counted but leaving, and none started.) */
        mutex_lock(&setup_lock);
        __atomic_sub_fetch(&workers_running, 1, __ATOMIC_SEQ_CST);
        if (__atomic_load_n(&EXEC->live, __ATOMIC_SEQ_CST) == 0 ||
            (EXEC->flags & CO_EXEC_WRECKED)) {
            mutex_unlock(&setup_lock);
            return 0;
        }
        __atomic_add_fetch(&workers_running, 1, __ATOMIC_SEQ_CST);
        mutex_unlock(&setup_lock);
    }
}

/*
 * A new thread starts at its creator's priority, but a new worker is
 * started for work, of any priority: it starts where a sleeping worker
 * is woken, at the top of what the process may take (its ceiling), and
 * takes the priority of what it polls once it polls.  Left at the
 * spawner's, it could never run: spawned from a thread at priority 1, on
 * one hart, while another worker polls a coroutine at 10 that yields until
 * a sibling coroutine has run, the yields go to nobody below 10 (the rule
 * of yield, docs/scheduler.md), and the sibling waits for a worker for
 * ever (t_cospawnlow; found beside h_coforge).  A failure leaves the
 * worker at the spawner's priority: still correct where nothing more
 * urgent spins.
 */
static void raise_new_worker(long tid)
{
    long ceiling = sys_call3(SYS_get_ceiling, 0, 0, 0);
    if (ceiling > 0)
        sys_call3(SYS_set_priority, tid, ceiling, 0);
}

/* Tops the workers up to workers_wanted - 1 (main is the last one). */
static void start_workers(void)
{
    /* The spawn's `live` before the count (worker_main says why). */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (__atomic_load_n(&workers_running, __ATOMIC_SEQ_CST) >= workers_wanted - 1)
        return;
    mutex_lock(&setup_lock);
    while (workers_running < workers_wanted - 1) {
        int tid = thread_create(worker_main, 0);
        if (tid < 0)
            break;          /* fewer workers: still correct, only slower */
        raise_new_worker(tid);
        __atomic_add_fetch(&workers_running, 1, __ATOMIC_SEQ_CST);
    }
    mutex_unlock(&setup_lock);
}

/* Takes w off its event's list of waiters, if it is still on it. */
static void leave_event(struct co_waiter *w)
{
    struct co_event *ev = w->ev;
    mutex_lock(&ev->lock);
    if (w->linked) {
        *(w->prev ? &w->prev->next : &ev->head) = w->next;
        *(w->next ? &w->next->prev : &ev->tail) = w->prev;
        w->linked = 0;
    }
    mutex_unlock(&ev->lock);
}

/* The library's drop hook for every coroutine: what cancel must release. */
static void lib_drop(struct co *c)
{
    struct co_lib *l = lib_of(c);
    if ((l->flags & LIB_IO_IN_FLIGHT) && !__atomic_load_n(&c->io.done, __ATOMIC_ACQUIRE))
        sys_call1(SYS_co_cancel_io, &c->io);    /* after it, the kernel leaves io alone */
    l->flags &= ~LIB_IO_IN_FLIGHT;
    for (struct co_waiter *w = l->waits, *next; w; w = next) {
        next = w->next_of_co;
        leave_event(w);
    }
    l->waits = 0;
    if (l->flags & LIB_FREE_FRAME)
        free(c);
}

static cid_t spawn(co_poll_fn poll, struct co *frame, int prio, bool detached)
{
    if (!poll || !frame || prio < SCHED_PRIO_MIN || prio > SCHED_PRIO_MAX) {
        errno = EINVAL;
        return CO_NONE;
    }
    if (!ready_here()) {
        mutex_lock(&setup_lock);
        int err = ready_here() ? 0 : grow(FIRST_CAPACITY);
        mutex_unlock(&setup_lock);
        if (err)
            return CO_NONE;
    }
    frame->line = 0;
    frame->io = (struct co_io){ 0, CO_NONE, 0 };
    struct co_lib *l = lib_of(frame);
    uint32_t keep = l->flags;
    memset(l, 0, sizeof *l);
    l->flags = keep;
    for (;;) {
        int64_t cid = call(CO_OP_SPAWN, (uint64_t)(uintptr_t)poll, (uint64_t)(uintptr_t)frame,
                           (uint64_t)prio, (uint64_t)(uintptr_t)lib_drop);
        if (cid != CO_NONE) {
            if (detached)
                call(CO_OP_DETACH, (uint64_t)cid, 0, 0, 0);
            start_workers();    /* (the spawn woke or raised one already) */
            return (cid_t)cid;
        }
        mutex_lock(&setup_lock);
        uint32_t cap = V->exec_capacity;
        int err = cap >= CO_MAX ? (errno = ENOMEM, -1) : grow(cap * 2 > CO_MAX ? CO_MAX : cap * 2);
        mutex_unlock(&setup_lock);
        if (err)
            return CO_NONE;
    }
}

cid_t co_spawn(co_poll_fn poll, struct co *frame, int prio)
{
    return spawn(poll, frame, prio, false);
}

cid_t co_spawn_detached(co_poll_fn poll, struct co *frame, int prio)
{
    return spawn(poll, frame, prio, true);
}

void *co_alloc(size_t size)
{
    if (size < sizeof(struct co))
        size = sizeof(struct co);
    struct co *c = calloc(1, size);
    if (c)
        lib_of(c)->flags = LIB_FREE_FRAME;
    return c;
}

int co_join(cid_t cid, int64_t *result)
{
    if (!ready_here()) {
        errno = ESRCH;
        return -1;
    }
    int64_t r = 0;
    int64_t j = call(CO_OP_JOIN, cid, CO_NONE, 0, (uint64_t)(uintptr_t)&r);
    if (j == 0) {
        /* This thread works meanwhile, as a worker, whose priority follows
         * what it polls; back from it, the caller gets its own again.  Left
         * at its last coroutine's, t_coro's main came back at priority 1
         * from one check, spawned the next's spinner at 10 and, on one hart,
         * never got the hart from the spinner's worker to spawn the setter
         * the spinner waited for (the rule of yield: docs/scheduler.md).
         * The kernel's view of this thread's priority (kprio) is current:
         * the thread runs. */
        uint32_t task = uthread_self()->task;
        uint8_t own = task < SCHED_MAX_TASKS ? V->kprio[task] : 0;
        call(CO_OP_RUN, cid, 0, 0, 0);
        if (own && V->kprio[task] != own)
            sys_call3(SYS_set_priority, 0, own, 0);
        j = call(CO_OP_JOIN, cid, CO_NONE, 0, (uint64_t)(uintptr_t)&r);
    }
    if (j != 1) {
        errno = ESRCH;
        return -1;
    }
    if (result)
        *result = r;
    return 0;
}

int co_cancel(cid_t cid)
{
    if (!ready_here()) {
        errno = ESRCH;
        return -1;
    }
    int64_t k = call(CO_OP_CANCEL, cid, 0, 0, 0);
    if (k < 0) {
        errno = ESRCH;
        return -1;
    }
    if (k == 1) {           /* it was idle: ours to finish now */
        TaskSched *r = &RECS[CO_INDEX(cid)];
        co_drop_fn drop = (co_drop_fn)(uintptr_t)r->ctx[CO_CTX_DROP];
        if (drop)
            drop((struct co *)(uintptr_t)r->ctx[CO_CTX_FRAME]);
        call(CO_OP_FINISH, cid, (uint64_t)CO_RESULT_CANCELLED, 0, 0);
    }
    return 0;
}

int co_set_priority(cid_t cid, int prio)
{
    if (prio < SCHED_PRIO_MIN || prio > SCHED_PRIO_MAX) {
        errno = EINVAL;
        return -1;
    }
    if (!ready_here() || call(CO_OP_SET_PRIO, cid, (uint64_t)prio, 0, 0) < 0) {
        errno = ESRCH;
        return -1;
    }
    return 0;
}

int co_workers(int n)
{
    if (n < 1 || n > WORKERS_MAX) {
        errno = EINVAL;
        return -1;
    }
    mutex_lock(&setup_lock);
    int busy = ready_here() && workers_running > 0;
    if (!busy)
        workers_wanted = n;
    mutex_unlock(&setup_lock);
    if (busy) {
        errno = EBUSY;
        return -1;
    }
    return 0;
}

void co_stats(struct co_stats *out)
{
    memset(out, 0, sizeof *out);
    if (!ready_here())
        return;
    out->polls = EXEC->polls;
    out->wakes = EXEC->wakes;
    out->spawns = EXEC->spawns;
    out->bells = EXEC->bells;
    out->sleeps = EXEC->sleeps;
    out->live = EXEC->live;
    out->capacity = V->exec_capacity;
    out->lock_waits = EXEC->lock_waits;
    out->lock_spins = EXEC->lock_spins;
    out->lock_sleeps = EXEC->lock_sleeps;
    out->bells_left = EXEC->bells_left;
    out->lowers_refused = EXEC->lowers_refused;
}

long co_polls(cid_t cid)
{
    if (!ready_here() || call(CO_OP_STATE, cid, 0, 0, 0) < 0)
        return -1;
    return (long)RECS[CO_INDEX(cid)].ctx[CO_CTX_POLLS];
}

/* --- Used by the macros --- */

int co__join(struct co *c, cid_t cid, int64_t *out)
{
    int64_t r = 0;
    int64_t j = call(CO_OP_JOIN, cid, c->cid, 0, (uint64_t)(uintptr_t)&r);
    if (j == 0)
        return 0;
    *out = j == 1 ? r : -ESRCH;
    return 1;
}

long co__submit(struct co *c, int kind, int fd, uint64_t buf, uint64_t n)
{
    c->io.cid = c->cid;
    c->io.done = 0;
    c->io.result = 0;
    long r;
    if (kind == CO__READ)
        r = sys_call4(SYS_read_async, fd, (long)buf, (long)n, (long)&c->io);
    else if (kind == CO__WRITE)
        r = sys_call4(SYS_write_async, fd, (long)buf, (long)n, (long)&c->io);
    else
        r = sys_call2(SYS_sleep_async, n, &c->io);
    if (r == -EINPROGRESS)
        lib_of(c)->flags |= LIB_IO_IN_FLIGHT;
    return r;
}

int co__io_done(struct co *c)
{
    if (!__atomic_load_n(&c->io.done, __ATOMIC_ACQUIRE))
        return 0;
    lib_of(c)->flags &= ~LIB_IO_IN_FLIGHT;
    return 1;
}

/* Events. */

void co_event_init(struct co_event *ev)
{
    memset(ev, 0, sizeof *ev);
}

int co_event_is_set(struct co_event *ev)
{
    return __atomic_load_n(&ev->set, __ATOMIC_ACQUIRE) != 0;
}

void co_event_reset(struct co_event *ev)
{
    mutex_lock(&ev->lock);
    ev->set = 0;
    mutex_unlock(&ev->lock);
}

void co_event_set(struct co_event *ev)
{
    mutex_lock(&ev->lock);
    ev->set = 1;
    for (struct co_waiter *w = ev->head, *next; w; w = next) {
        next = w->next;
        w->linked = 0;
        w->next = w->prev = 0;
        call(CO_OP_WAKE, w->co->cid, 0, 0, 0);
    }
    ev->head = ev->tail = 0;
    mutex_unlock(&ev->lock);
}

/* Takes w off its event (if still on it) and off c's list of waits. */
static void unregister(struct co *c, struct co_waiter *w)
{
    leave_event(w);
    for (struct co_waiter **pp = &lib_of(c)->waits; *pp; pp = &(*pp)->next_of_co) {
        if (*pp == w) {
            *pp = w->next_of_co;
            break;
        }
    }
}

/* Is ev set?  If not, w is on its list (registered under its lock, so a
 * set that follows wakes c: no lost wake-up). */
static int wait_on(struct co *c, struct co_event *ev, struct co_waiter *w)
{
    mutex_lock(&ev->lock);
    if (ev->set) {
        mutex_unlock(&ev->lock);
        return 1;
    }
    if (!w->linked) {
        bool known = false;
        for (struct co_waiter *k = lib_of(c)->waits; k; k = k->next_of_co)
            known |= k == w;
        if (!known) {
            w->next_of_co = lib_of(c)->waits;
            lib_of(c)->waits = w;
        }
        w->ev = ev;
        w->co = c;
        w->next = 0;
        w->prev = ev->tail;
        *(ev->tail ? &ev->tail->next : &ev->head) = w;
        ev->tail = w;
        w->linked = 1;
    }
    mutex_unlock(&ev->lock);
    return 0;
}

int co__event_wait(struct co *c, struct co_event *ev)
{
    struct co_waiter *w = &lib_of(c)->self_wait;
    if (!wait_on(c, ev, w))
        return 0;
    if (w->ev)
        unregister(c, w);
    w->ev = 0;
    return 1;
}

int co__event_any(struct co *c, struct co_event **evs, int n, struct co_waiter *waiters,
                  int *which)
{
    int found = -1;
    for (int i = 0; i < n && found < 0; i++)
        if (co_event_is_set(evs[i]))
            found = i;
    for (int i = 0; i < n && found < 0; i++)
        if (wait_on(c, evs[i], &waiters[i]))
            found = i;
    if (found < 0)
        return 0;
    for (int i = 0; i < n; i++)
        if (waiters[i].ev)
            unregister(c, &waiters[i]);
    memset(waiters, 0, sizeof(*waiters) * (size_t)n);
    *which = found;
    return 1;
}
