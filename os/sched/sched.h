/*
 * The scheduler core: run queue (through the policy), switching, blocking,
 * waking, time slices and the idle loop.  sched_lock protects the run
 * queue, every wait queue, the deadline list and every thread's state.
 * It is held across context_switch: the thread switched to releases it,
 * so no other hart can pick a thread up before its registers are saved.
 */
#ifndef SCHED_SCHED_H
#define SCHED_SCHED_H

#include "kernel/spinlock.h"
#include "proc/thread.h"

#define TIMESLICE_TICKS 2           /* 20 ms at 100 Hz */
#define TICK_DEFER_MAX 3            /* ticks a tick's work may wait (sched_tick) */

extern struct spinlock sched_lock;

void sched_init(void);
/* Turns the code running on this hart (on its boot stack) into the hart's
 * idle thread. */
void sched_init_this_hart(void);
/* The idle thread's loop: runs whatever becomes runnable, else sleeps. */
void sched_idle_loop(void) __attribute__((noreturn));

/* Lock held: makes t runnable (new, or woken) and nudges a hart to run it. */
void sched_make_runnable(struct thread *t);
/* Lock held: wakes a blocked thread with the given reason (0, -ETIMEDOUT,
 * -EINTR), taking it off its wait queue and deadline list. */
void sched_wake(struct thread *t, int reason);
/* Lock held: switches to the next thread; the current thread's state must
 * already say why it stops (RUNNABLE and queued, BLOCKED or ZOMBIE). */
void schedule(void);

/* Gives up the hart; the thread stays runnable. */
void sched_yield(void);
/* The same, and the hart rests (idles) until its next tick: a process's
 * hint that its thread here waits for one running on another hart. */
void sched_yield_rest(void);
/* Same, for a thread that parked itself in user mode first (the runtime's
 * yield): finishes the park (record READY, queue lock released) and later
 * resumes it from its TaskSched record.  Returns what the system call
 * returns if the thread is to run on at once; kills a process whose record
 * did not say the thread was running.  rest: the hart then idles until its
 * next interrupt instead of running the next thread (a hint from a process
 * whose threads there only waited for one running elsewhere). */
long sched_yield_parked(bool rest);
/* Changes a thread's priority, moving it in the run queue if queued. */
void sched_set_priority(struct thread *t, int priority);
/* A thread of a killed process only runs its way out of the kernel: it
 * gets the top priority (queued again if queued), so that whoever waits
 * for its end (a waitpid at any priority) is not held up by threads more
 * urgent than it was; sched_lock held. */
void sched_boost_dying(struct thread *t);
/* From the timer interrupt: deadlines, time slices, preemption requests. */
void sched_tick(void);

/* Lock held: t (a zombie, the current thread) is freed by whichever
 * thread runs next on this hart, once t's registers are no longer in use. */
void sched_reap_after_switch(struct thread *t);

/* Entry of a new thread's first switch (see thread.c). */
void sched_finish_first_switch(void);

struct proc;
struct schedstat;
/* Parked threads the kernel could not claim go back to the policy. */
void sched_offer_deferred(struct proc *p);
/* Statistics (SYS_schedstat). */
void sched_stat_of(struct proc *p, struct schedstat *out);
void sched_stat_exited(struct schedstat *out);
/* sum += one, counter by counter (pid untouched). */
void sched_stat_add(struct schedstat *sum, const struct schedstat *one);
void sched_account_exit(struct proc *p);
/* The current process changed its page table (exec): load it here. */
void sched_switch_address_space(uint64_t satp);

#endif
