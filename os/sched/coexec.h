/*
 * The executor region of a process (sched_abi/coro.h): its CO_EXEC header,
 * queue and record pages at SHARED_EXEC_ADDR, mapped by SYS_co_setup, and
 * the doorbell through which the kernel wakes the process's coroutines.
 *
 * The process can write anything in those pages.  The kernel keeps its own
 * count of the records mapped (`capacity`), checks every index against it,
 * writes only the doorbell words (and `capacity`), and reads nothing there
 * but a futex word.
 */
#ifndef SCHED_COEXEC_H
#define SCHED_COEXEC_H

#include <stdbool.h>
#include <stdint.h>
#include "kernel/spinlock.h"
#include "kernel/cacheline.h"
#include "lib/list.h"
#include "mm/vm.h"
#include "kernel/panic.h"
#include "fs/coio_index.h"
#include "coro.h"

struct proc;

/* A process's executor and its asynchronous operations (struct proc.co).
 * Lock order: co.lock, then a queue's lock (a pipe's, the timers'), then
 * the address space's (vm.lock).
 *
 * Two lines, by who writes them.  The first is read by every submission
 * (the capacity, without the lock) and every ring, and written only when
 * the region is set up or detached, or a priority changes: every hart
 * keeps a copy.  The second starts with the lock and holds all that a
 * waiting operation writes under it (its lists, the counts): a hart that
 * takes the lock has the rest already.  Before, the lock shared its line
 * with the capacity and the header pointer, and the counts were on the
 * next line with the record pages: two lines moved between the workers'
 * harts at every pending operation, and every submission's look at the
 * capacity fetched the lock's line (docs/performance.md, "Scaling over
 * harts"). */
struct proc_co {
    uint32_t capacity;          /* records mapped: the kernel's count */
    uint32_t pages;             /* pages mapped from SHARED_EXEC_ADDR */
    CO_EXEC *header;            /* page 0, through the direct map */
    /* Every record page mapped, by record page, through the direct map
     * (capacity / CO_RECORDS_PER_PAGE of them; NULL: none): the doorbell's
     * look at a rung record's priority on whichever page it lies, with no
     * walk of the page table.  Replaced by a longer copy as coexec_setup
     * maps more; the pages stay mapped, at these frames, until
     * coexec_detach, which frees it (the process has no call that unmaps
     * or remaps its executor region).  co.lock. */
    const TaskSched **rec_pages;
    /* The lowest priority the kernel published (kprio) for any thread in
     * worker_task (255 if none is below the ceiling), as of kprio_gen
     * (bumped at every change of a kprio of p's threads, sched/shared.c)
     * and CO_EXEC.workers_gen: a ring checks it before it looks at each
     * worker (coexec_raise_pick_locked).  co.lock. */
    uint32_t kprio_gen;
    uint32_t low_kgen, low_wgen;
    uint32_t quiet;             /* work up to it raises nobody (0: not known) */

    _Alignas(CACHE_LINE) struct spinlock lock;
    struct list_node ops;       /* pending struct coio_op (fs/coio.h) */
    struct coio_index by_io;    /* the same ops, found by io address */
    uint32_t nops;
    /* Operations that went pending and are not released yet (atomic; +1
     * in coio_pend under the lock, -1 as the last thing a release does).
     * Exit and exec wait for it to reach 0 after dropping what is pending
     * (coio_wait_released): a completer finishing an op touches the
     * process until then.  It replaces a process reference per operation,
     * whose line (p->refs) moved between the harts twice an operation. */
    uint32_t holds;
};
_Static_assert(__builtin_offsetof(struct proc_co, holds) + sizeof(uint32_t) <=
               __builtin_offsetof(struct proc_co, lock) + CACHE_LINE,
               "co.lock and what a pending operation writes under it: one line");

void coexec_init(struct proc *p);
/* SYS_co_setup: maps records for `want` coroutines (rounded up to a page of
 * records), the header and queue first.  Records now mapped, or -EINVAL,
 * -ENOMEM (then nothing of this call stays mapped). */
long coexec_setup(struct proc *p, uint32_t want);
/* Exit and exec: no doorbell rings any more; the pages mapped are
 * returned, for coexec_unmap once nothing can use them. */
uint32_t coexec_detach(struct proc *p);
/* Unmaps (with a TLB shootdown) and frees `pages` executor pages of pt. */
void coexec_unmap(pagetable_t pt, uint32_t pages);

/* Is [addr, addr+4) in the executor pages p has mapped? */
bool coexec_contains(struct proc *p, uint64_t addr);
/* Reads the 32-bit word at addr in p's executor pages (a futex word):
 * 0, or -EFAULT if it is not mapped there. */
int coexec_read_u32(struct proc *p, uint64_t addr, uint32_t *out);

/* Has p's executor seq moved from `seen`?  Read under co.lock, after a
 * full fence: a caller that published a thread's kprio first either sees
 * a ring's bump (made under co.lock, before the ring reads kprio) or
 * that ring reads the new kprio.  False if p has no executor. */
bool coexec_seq_moved(struct proc *p, uint32_t seen);
/* Rings p's doorbell for cid: the bit of CO_INDEX(cid) in bell[], that
 * word's bit in bell_summary[], then seq (all atomic), then, if a worker
 * may be asleep on seq (CO_EXEC.sleepers), wakes one, else raises the
 * least urgent worker below cid's priority (no waker passed over).
 * Nothing if the index is not below the kernel's capacity for p.  True
 * if it rang. */
bool co_doorbell(struct proc *p, uint32_t cid);
/* The same with p->co.lock held; it sets *sleepers if a worker may sleep
 * on seq, and the caller, once the lock is released (the futex lock comes
 * before co.lock), calls coexec_after_ring with it and the raise that
 * coexec_raise_pick_locked picked. */
bool co_doorbell_locked(struct proc *p, uint32_t cid, bool *sleepers);
/* co.lock held, after co_doorbell_locked rang cid: p's thread with
 * TaskSched index `task` made it ready in its own system call, so its
 * worker may run it next (CO_EXEC.woke_by; docs/coroutines.md,
 * "Affinity"). */
void co_note_waker_locked(struct proc *p, uint32_t task, uint32_t cid);
/* Who a ring raises if no worker sleeps: TaskSched index (SCHED_MAX_TASKS:
 * nobody) and the priority. */
struct coexec_raise {
    uint32_t task;
    int prio;
};
/* co.lock held, after co_doorbell_locked rang cid and found no worker
 * asleep: picks the least urgent awake worker of p but `waker`, if it is
 * below cid's priority (the executor's rule, docs/coroutines.md, "No
 * worker left below the work").  `waker`: the thread whose own system
 * call completed the operation (coio_finish_by), or NULL.  Never "the
 * thread on this hart": a completion by a kernel coroutine (the timer's,
 * a pipe's) is polled on whichever thread returns to user mode, and that
 * may be the very worker left below, which nobody else raises. */
struct thread;
void coexec_raise_pick_slow_locked(struct proc *p, uint32_t cid, const struct thread *waker,
                                   struct coexec_raise *out);
/* Record i's priority byte (i below capacity: its page is mapped and in
 * rec_pages): whatever the process wrote there, which the caller bounds.
 * co.lock held. */
static inline uint32_t coexec_record_prio_locked(const struct proc_co *co, uint32_t i)
{
    const TaskSched *recs = co->rec_pages[i / CO_RECORDS_PER_PAGE];
#ifdef KDEBUG
    /* Debug builds only, on the path of every completion: coexec_setup
     * fills every entry below capacity (each translation asserted), and
     * a NULL one would fault in the kernel at the load below anyway. */
    KASSERT(recs != NULL);
#endif
    return __atomic_load_n(&recs[i % CO_RECORDS_PER_PAGE].prio, __ATOMIC_RELAXED);
}
/* Its look first, inline (co: &p->co), with what co_doorbell_locked
 * found in CO_EXEC.sleepers (one load of it a ring): a ring comes with
 * every asynchronous completion, and mostly a worker sleeps, or none is
 * below the work (p->co.quiet still holds). */
static inline void coexec_raise_pick_locked(struct proc *p, struct proc_co *co, uint32_t cid,
                                            bool sleepers, const struct thread *waker,
                                            struct coexec_raise *out)
{
    out->task = SCHED_MAX_TASKS;
    if (sleepers)
        return;
    const CO_EXEC *x = co->header;        /* rang: attached, cid below capacity */
    if (co->low_kgen == __atomic_load_n(&co->kprio_gen, __ATOMIC_RELAXED) &&
        co->low_wgen == __atomic_load_n(&x->workers_gen, __ATOMIC_RELAXED) &&
        coexec_record_prio_locked(co, CO_INDEX(cid)) <= co->quiet)
        return;
    coexec_raise_pick_slow_locked(p, cid, waker, out);
}
/* After a ring, no lock held: wakes one worker asleep on seq if
 * co_doorbell_locked said one may sleep; if none woke, raises the one
 * coexec_raise_pick_locked picked.  Inline, the common case: a worker is
 * awake and none is below the work (no global lock taken at all). */
void coexec_wake_or_raise(struct proc *p, bool sleepers, const struct coexec_raise *raise);
static inline void coexec_after_ring(struct proc *p, bool sleepers,
                                     const struct coexec_raise *raise)
{
    if (sleepers || raise->task < SCHED_MAX_TASKS)
        coexec_wake_or_raise(p, sleepers, raise);
}

#endif
