/*
 * Coroutines: stackless tasks with priorities, run by the process's
 * executor in its shared pages (docs/coroutines.md).
 *
 * A coroutine is a frame (a struct that begins with `struct co`, holding
 * its locals) and a poll function that takes the frame and runs it up to
 * its next suspension.  The macros below let the poll function read like
 * ordinary code:
 *
 *     struct counter { struct co co; int i; struct co_event *go; };
 *
 *     static int counter(struct co *c)
 *     {
 *         struct counter *f = (struct counter *)c;
 *         co_begin(c);
 *         co_await_event(c, f->go);               // sleeps until set
 *         for (f->i = 0; f->i < 3; f->i++) {
 *             printf("tick %d\n", f->i);
 *             co_sleep(c, 10);                    // asynchronous sleep
 *         }
 *         co_return(c, f->i);
 *         co_end(c);
 *     }
 *
 *     struct counter *f = co_alloc(sizeof *f);   // freed when it ends
 *     f->go = &go;
 *     cid_t id = co_spawn(counter, &f->co, 15);
 *
 * Rules of the macros (switch-based, so):
 *   - locals that must survive a suspension live in the frame, not on the
 *     C stack; a suspension point may not sit inside a `switch` of yours;
 *   - at most one suspension point per source line.
 *
 * Priorities are 1 (lowest) .. 20 (highest); equal priorities run in
 * FIFO order.  The program's threads are the workers: by default four
 * (co_workers changes it before the first spawn), the main thread being
 * one once main returns (or while it waits in co_join).  The process
 * exits when main has returned and every coroutine has finished.
 */
#ifndef USER_COROUTINE_H
#define USER_COROUTINE_H

#include <stddef.h>
#include <stdint.h>
#include <mutex.h>
#include "coro.h"            /* sched_abi/coro.h: struct co, CO_* */

typedef uint32_t cid_t;

/* --- Spawning, joining, cancelling (from a thread or a coroutine) --- */

/* Starts poll(frame) at priority prio; the frame is the caller's and must
 * live until the coroutine ends.  CO_NONE and errno on error (EINVAL: a
 * bad priority; ENOMEM: no room for another). */
cid_t co_spawn(co_poll_fn poll, struct co *frame, int prio);
/* The same, for a coroutine nobody will join: its record is freed as soon
 * as it ends. */
cid_t co_spawn_detached(co_poll_fn poll, struct co *frame, int prio);
/* A zeroed frame of `size` bytes (>= sizeof(struct co)) that the runtime
 * frees when its coroutine ends.  NULL if out of memory. */
void *co_alloc(size_t size);
/* Blocks the calling thread until `cid` has finished (polling coroutines
 * meanwhile, as a worker) and gives its result: 0, or -1 with errno
 * ESRCH (no such coroutine, or one already joined or detached). */
int co_join(cid_t cid, int64_t *result);
/* Cancels: the coroutine is never polled again; its asynchronous
 * operation is cancelled, it leaves the events it waited on, its frame is
 * freed if co_alloc made it, and its result is CO_RESULT_CANCELLED.
 * 0, or -1 with errno ESRCH. */
int co_cancel(cid_t cid);
/* Changes its priority (1..20).  0, or -1 with errno EINVAL / ESRCH. */
int co_set_priority(cid_t cid, int prio);
/* Worker threads for this process (1..64), before the first spawn.  0, or
 * -1 with errno EINVAL (bad number) or EBUSY (workers already run). */
int co_workers(int n);

/* The executor's statistics. */
struct co_stats {
    uint64_t polls, wakes, spawns, bells, sleeps;
    uint32_t live, capacity;
    /* The executor lock's slow path (CO_EXEC.lock_waits ..): lock calls
     * that found it held, tries spun while its holder ran, futex sleeps. */
    uint64_t lock_waits, lock_spins, lock_sleeps;
    /* Rung coroutines a worker left, once, to the thread whose write woke
     * them (CO_EXEC.bells_left; docs/coroutines.md, "Affinity"). */
    uint64_t bells_left;
    /* Lowerings of a worker's own priority that the kernel refused, seq
     * having moved (CO_EXEC.lowers_refused; docs/coroutines.md, "A worker
     * that lowers itself is seen low, or sees the ring"). */
    uint64_t lowers_refused;
};
void co_stats(struct co_stats *out);
/* Times `cid` has been polled (for tests); -1 if no such coroutine. */
long co_polls(cid_t cid);
/* One of the executor's operations (CO_OP_*, sched_abi/coro.h) on this
 * process's executor, as the library makes them: for hostile tests that
 * hand it forged arguments. */
int64_t co_raw_call(uint32_t op, uint64_t a, uint64_t b, uint64_t c, uint64_t d);

/* --- Inside a poll function --- */

/* (A resume point is a case label the code before it falls into.) */
#define CO__FALLTHROUGH __attribute__((fallthrough))
#define co_begin(c)     switch ((c)->line) { case 0:
#define co_end(c)       } (c)->line = -1; return CO_READY
/* Ends the coroutine with `value` as its result. */
#define co_return(c, value) \
    do { (c)->result = (int64_t)(value); (c)->line = -1; return CO_READY; } while (0)
/* Suspends until `cond` holds; `cond` is evaluated now and each time the
 * coroutine is woken.  It must arrange the wake itself (the co_* waits
 * below do): a coroutine that is Pending is polled again only once woken. */
#define co_await(c, cond) \
    do { (c)->line = __LINE__; CO__FALLTHROUGH; case __LINE__: \
         if (!(cond)) return CO_PENDING; } while (0)
/* Lets every ready coroutine of at least this priority run first. */
#define co_yield(c) \
    do { (c)->line = __LINE__; return CO_YIELD; case __LINE__:; } while (0)

/* Waits for `cid` to finish; its result goes to *(out). */
#define co_await_join(c, cid, out)  co_await(c, co__join(c, (cid), (out)))

/* Events: set wakes every waiter; an event stays set until reset. */
struct co_event {
    mutex_t lock;
    uint32_t set;
    struct co_waiter *head, *tail;
};
#define CO_EVENT_INIT { MUTEX_INITIALIZER, 0, 0, 0 }
void co_event_init(struct co_event *ev);
void co_event_set(struct co_event *ev);      /* from a thread or a coroutine */
void co_event_reset(struct co_event *ev);
int co_event_is_set(struct co_event *ev);
/* A place in an event's list of waiters.  co_await_event uses one inside
 * `struct co`; co_await_any needs one per event, in the frame. */
struct co_waiter {
    struct co_waiter *next, *prev;           /* in the event's list */
    struct co_event *ev;
    struct co *co;
    struct co_waiter *next_of_co;            /* the coroutine's waits */
    uint32_t linked;
};
#define co_await_event(c, ev)  co_await(c, co__event_wait(c, (ev)))
/* Waits until one of evs[0..n-1] is set; *(which) is its index. */
#define co_await_any(c, evs, n, waiters, which) \
    co_await(c, co__event_any(c, (evs), (n), (waiters), (which)))

/* Asynchronous system calls: the same calls as read(), write() and
 * sleep_ms(), the coroutine suspended (not the thread) while they wait.
 * `out` receives what the synchronous call would return (bytes, or a
 * negative errno). */
#define co_read(c, out, fd, buf, n) \
    co__io(c, out, co__submit(c, CO__READ, (fd), (uint64_t)(uintptr_t)(buf), (n)))
#define co_write(c, out, fd, buf, n) \
    co__io(c, out, co__submit(c, CO__WRITE, (fd), (uint64_t)(uintptr_t)(buf), (n)))
#define co_sleep(c, ms) \
    do { long co__ignored; co__io(c, co__ignored, co__submit(c, CO__SLEEP, 0, 0, (ms))); \
         (void)co__ignored; } while (0)

/* --- The library's, used by the macros --- */
enum { CO__READ, CO__WRITE, CO__SLEEP };
long co__submit(struct co *c, int kind, int fd, uint64_t buf, uint64_t n);
int co__io_done(struct co *c);
int co__join(struct co *c, cid_t cid, int64_t *out);
int co__event_wait(struct co *c, struct co_event *ev);
int co__event_any(struct co *c, struct co_event **evs, int n, struct co_waiter *waiters,
                  int *which);
/* The result is kept in a local until the operation is known to be in
 * flight: from then on only the kernel writes io.result (it may complete
 * the operation before the submitting call has even returned). */
#define co__io(c, out, start) \
    do { \
        long co__r = (start); \
        if (co__r == -EINPROGRESS) { \
            (c)->line = __LINE__; CO__FALLTHROUGH; case __LINE__: \
            if (!co__io_done(c)) return CO_PENDING; \
            co__r = (long)(c)->io.result; \
        } \
        (out) = co__r; \
    } while (0)
#ifndef EINPROGRESS
#include <errno.h>
#endif

#endif
