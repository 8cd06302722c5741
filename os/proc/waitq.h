/*
 * Wait queues: where threads block until something happens.  All wait
 * queues, the run queue and thread states are protected by sched_lock; the
 * caller's own lock (protecting the condition) is dropped while asleep, so
 * a wake-up between the check and the sleep cannot be lost.
 */
#ifndef PROC_WAITQ_H
#define PROC_WAITQ_H

#include <stdint.h>
#include "lib/list.h"
#include "kernel/spinlock.h"

struct waitq {
    struct list_node threads;
};

#define WAITQ_INIT(name) { LIST_INIT((name).threads) }

void waitq_init(struct waitq *wq);

/* Blocks the current thread on `wq` (if non-NULL) until woken, until the
 * absolute deadline `wake_at_ns` (0 = none) or until its process is killed.
 * `lock`, if non-NULL, is held on entry, released while asleep and held
 * again on return.  Returns 0 when woken, -ETIMEDOUT or -EINTR. */
int waitq_sleep(struct waitq *wq, struct spinlock *lock, uint64_t wake_at_ns);

/* Wakes at most `max` threads (all if max < 0) sleeping on wq; returns how
 * many.  Safe from interrupt handlers. */
int waitq_wake(struct waitq *wq, int max);
/* Same, only the threads whose futex_key equals `key`. */
int waitq_wake_key(struct waitq *wq, uint64_t key, int max);

#endif
