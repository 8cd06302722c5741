/*
 * Threads.  The kernel starts a new thread at `start` with two arguments
 * and ra = 0, so the start must never return: it is thread_start below,
 * which points tp at the thread's descriptor, runs fn(arg) and passes the
 * result to thread_exit.
 *
 * Descriptors are malloc'ed by thread_create and freed by the thread_join
 * that collects the thread; a list (by tid) lets join find them.  A thread
 * never joined keeps its descriptor (a few dozen bytes) until the process
 * ends.
 */
#include <errno.h>
#include <mutex.h>
#include <stdint.h>
#include <stdlib.h>
#include <thread.h>
#include <unistd.h>
#include "sys.h"
#include "uthread.h"
#include "block.h"

static struct uthread *threads;     /* created, not yet joined */
static mutex_t threads_lock = MUTEX_INITIALIZER;

static void thread_start(uint64_t self, uint64_t unused, uint64_t task)
    __attribute__((noreturn));

/* The kernel starts the thread with a0, a1 as given and a2 = its TaskSched
 * record in the shared region. */
static void thread_start(uint64_t self, uint64_t unused, uint64_t task)
{
    (void)unused;
    struct uthread *u = (struct uthread *)self;
    u->task = (uint32_t)task;
    uthread_set_self(u);
    thread_exit(u->fn(u->arg));
}

int thread_create(void *(*fn)(void *), void *arg)
{
    struct uthread *u = calloc(1, sizeof *u);
    if (!u)
        return -1;              /* errno = ENOMEM */
    u->fn = fn;
    u->arg = arg;
    /* Hold the list lock across the call so the tid is recorded before any
     * other thread can learn it (from our return value) and try to join. */
    mutex_lock(&threads_lock);
    long tid = sys_call3(SYS_thread_create, (long)thread_start, (long)u, 0);
    if (tid < 0) {
        mutex_unlock(&threads_lock);
        free(u);
        errno = (int)-tid;
        return -1;
    }
    u->tid = (int)tid;
    u->next = threads;
    threads = u;
    mutex_unlock(&threads_lock);
    return (int)tid;
}

int thread_join(int tid, void **retval)
{
    uint64_t rv = 0;
    long r = sys_call2(SYS_thread_join, tid, &rv);
    if (r < 0) {
        errno = (int)-r;
        return -1;
    }
    if (retval)
        *retval = (void *)(uintptr_t)rv;

    mutex_lock(&threads_lock);
    for (struct uthread **pp = &threads; *pp; pp = &(*pp)->next) {
        if ((*pp)->tid == tid) {
            struct uthread *u = *pp;
            *pp = u->next;
            free(u);
            break;
        }
    }
    mutex_unlock(&threads_lock);
    return 0;
}

void thread_exit(void *retval)
{
    thread_leave_runqueue();
    sys_call1(SYS_thread_exit, (uintptr_t)retval);
    __builtin_unreachable();
}

int gettid(void)
{
    return (int)sys_call0(SYS_gettid);
}

int thread_create_indexed(int *tids, int n, void *(*fn)(void *))
{
    for (int i = 0; i < n; i++) {
        tids[i] = thread_create(fn, (void *)(intptr_t)i);
        if (tids[i] < 0)
            return i;
    }
    return n;
}

void yield_turns(volatile uint32_t *counter, uint32_t me, uint32_t turns)
{
    for (uint32_t r = 0; r < turns; r++) {
        while (__atomic_load_n(counter, __ATOMIC_ACQUIRE) % 2 != me)
            yield_light();          /* nothing of ours in s3..s11 */
        __atomic_fetch_add(counter, 1, __ATOMIC_RELEASE);
    }
}
