/* Asynchronous sleeps (sched/coio_timer.h). */
#include "sched/coio_timer.h"
#include "sched/kcoro.h"
#include "fs/coio.h"
#include "proc/proc.h"
#include "kernel/panic.h"
#include "trap/timer.h"
#include "uapi/errno.h"
#include "kernel/ordered_store.h"

#define TIMER_CO_PRIO  15       /* before the pipes: a due sleep is late */
#define TIMER_CO_BATCH 32       /* completions per poll (bounded) */

static struct spinlock timer_lock = SPINLOCK_INIT("coio-timer");
static struct list_node sleeping = LIST_INIT(sleeping);    /* by deadline */
static volatile uint64_t next_due = UINT64_MAX;              /* ns */
static uint32_t timer_cid = CO_NONE;
static struct co timer_frame;

static void update_next_due(void)
{
    KASSERT(spin_holding(&timer_lock));
    uint64_t due = list_empty(&sleeping) ? UINT64_MAX :
                   list_entry(sleeping.next, struct coio_op, qnode)->deadline_ns;
    store_release(&next_due, due);
}

static void timer_removed(struct coio_queue *q)
{
    (void)q;
    update_next_due();
}

static struct coio_queue timer_queue = { &timer_lock, timer_removed, NULL };

static int timer_co_poll(struct co *self)
{
    struct list_node done = LIST_INIT(done);
    switch (self->line) {
    case 0:
        for (;;) {
            int served = 0;
            uint64_t now = timer_now_ns();
            spin_lock(&timer_lock);
            while (served < TIMER_CO_BATCH && !list_empty(&sleeping)) {
                struct coio_op *op = list_entry(sleeping.next, struct coio_op, qnode);
                if (op->deadline_ns > now)
                    break;
                coio_complete(op, 0);
                list_push_back(&done, &op->qnode);
                served++;
            }
            update_next_due();
            spin_unlock(&timer_lock);
            list_for_each_safe(pos, &done) {
                struct coio_op *op = list_entry(pos, struct coio_op, qnode);
                list_remove(&op->qnode);
                coio_finish(op);
            }
            if (served == TIMER_CO_BATCH)
                kcoro_wake(self->cid);   /* more due: the next poll */
            self->line = 1;
            return CO_PENDING;           /* until the tick wakes it */
    case 1:;
        }
    }
    return CO_READY;
}

void coio_timer_init(void)
{
    timer_cid = kcoro_spawn(timer_co_poll, &timer_frame, TIMER_CO_PRIO, NULL);
    if (timer_cid == CO_NONE)
        panic("coio: cannot start the timer coroutine");
}

long coio_timer_submit(struct coio_op *op)
{
    struct proc *p = op->proc;
    spin_lock(&p->co.lock);
    long r = coio_admit(p, op);
    if (r == 0) {
        spin_lock(&timer_lock);
        /* After the last one due no later (FIFO among equals), searched
         * from the end: a new sleep is most often the latest, so
         * thousands pending cost O(1) each, not a walk over all. */
        struct list_node *after = sleeping.prev;
        while (after != &sleeping &&
               list_entry(after, struct coio_op, qnode)->deadline_ns > op->deadline_ns)
            after = after->prev;
        list_insert_between(&op->qnode, after, after->next);
        coio_pend(p, op, &timer_queue);
        update_next_due();
        spin_unlock(&timer_lock);
        r = -EINPROGRESS;
    }
    spin_unlock(&p->co.lock);
    return r;
}

void coio_timer_tick(void)
{
    if (__atomic_load_n(&next_due, __ATOMIC_ACQUIRE) != UINT64_MAX &&
        timer_now_ns() >= next_due && timer_cid != CO_NONE)
        kcoro_wake(timer_cid);
}
