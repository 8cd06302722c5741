/* The transitions of thread_state.h, each asserting where it starts. */
#include "sched/thread_state.h"
#include "sched/sched.h"
#include "proc/proc.h"
#include "kernel/cpu.h"
#include "kernel/panic.h"

uint64_t tstate_next_age;

void tstate_enqueue(struct thread *t, enum policy_enqueue_reason why)
{
    tstate_held(t);
    KASSERT(t->state == THREAD_BLOCKED || t->state == THREAD_RUNNING ||
            t->state == THREAD_PICKED || t->state == THREAD_PICKED_PARKED ||
            t->state == THREAD_NEW);
    KASSERT(t->state != THREAD_NEW || why == ENQUEUE_NEW);
    KASSERT(t->state != THREAD_PICKED_PARKED || why != ENQUEUE_WAKE);
    t->state = t->state == THREAD_PICKED_PARKED ? THREAD_PARKED : THREAD_QUEUED;
    /* A fresh age: the contract promises that add and yield put a task
     * behind its equals. */
    t->age = ++tstate_next_age;
    policy_enqueue(t, (int)this_hartid(), why);
}

void tstate_park(struct thread *t)
{
    tstate_held(t);
    KASSERT(t->state == THREAD_RUNNING);
    t->state = THREAD_PARKED;
    /* Parked, its record is the runtime's and the claims' to write
     * (READY, RUNNING, its hart): what the kernel last published of it
     * says nothing any more (shared_publish writes it all afresh). */
    t->words_gen = 0;
    t->age = ++tstate_next_age;
    policy_enqueue(t, (int)this_hartid(), ENQUEUE_YIELD);
}

void tstate_dequeue(struct thread *t)
{
    tstate_held(t);
    KASSERT(tstate_in_queue(t));
    policy_remove(t);                      /* calls tstate_fetched */
    KASSERT(t->state == THREAD_PICKED || t->state == THREAD_PICKED_PARKED);
}

void tstate_defer(struct thread *t)
{
    tstate_held(t);
    KASSERT(t->state == THREAD_PICKED_PARKED && !list_linked(&t->deferred_node));
    t->state = THREAD_DEFERRED;
    list_push_back(&t->proc->deferred, &t->deferred_node);
}

void tstate_undefer_all(struct proc *p)
{
    KASSERT(spin_holding(&sched_lock));
    list_for_each_safe(pos, &p->deferred) {
        struct thread *t = list_entry(pos, struct thread, deferred_node);
        KASSERT(t->state == THREAD_DEFERRED);
        list_remove(&t->deferred_node);
        t->state = THREAD_PICKED_PARKED;
        tstate_enqueue(t, ENQUEUE_YIELD);
    }
}

void tstate_claim(struct thread *t)
{
    tstate_held(t);
    KASSERT(t->state == THREAD_PICKED_PARKED);
    t->state = THREAD_PICKED;
}

void tstate_acquire(struct thread *t)
{
    tstate_held(t);
    KASSERT(t->state == THREAD_PARKED || t->state == THREAD_DEFERRED);
    if (t->state == THREAD_PARKED)
        tstate_dequeue(t);
    else
        list_remove(&t->deferred_node);
    tstate_now_here(t);
}

void tstate_exit(struct thread *t)
{
    tstate_held(t);
    KASSERT(t->state == THREAD_RUNNING && t == thread_current());
    t->state = THREAD_ZOMBIE;
}

const char *tstate_name(const struct thread *t)
{
    static const char *const names[] = {
        [THREAD_NEW] = "new", [THREAD_BLOCKED] = "blocked", [THREAD_QUEUED] = "runnable",
        [THREAD_PARKED] = "parked in user mode, queued",
        [THREAD_DEFERRED] = "parked in user mode, deferred",
        [THREAD_PICKED] = "picked", [THREAD_PICKED_PARKED] = "picked (parked)",
        [THREAD_RUNNING] = "running", [THREAD_ZOMBIE] = "zombie",
    };
    return (unsigned)t->state < sizeof(names) / sizeof(names[0]) ? names[t->state] : "?";
}
