/*
 * Threads: the unit the scheduler runs.  A thread has its own kernel stack
 * (with its user trap frame at the top), a saved kernel context for
 * switching, a priority and a state.  User threads belong to a process;
 * each hart also has an idle thread (no process) that runs when nothing
 * else can.
 */
#ifndef PROC_THREAD_H
#define PROC_THREAD_H

#include <stdbool.h>
#include <stdint.h>
#include "kernel/cpu.h"
#include "lib/list.h"
#include "trap/trap.h"

/* Where a thread is: sched/thread_state.h draws the machine and is the
 * only code that changes it. */
enum thread_state {
    THREAD_NEW,          /* created, not yet runnable: its creator hands it to
                            the policy (nothing else may: a kill racing the
                            creation once woke it first, and the creator then
                            queued it twice) */
    THREAD_BLOCKED,      /* waiting (on a wait queue and/or a deadline) */
    THREAD_QUEUED,       /* runnable, in the policy's queue */
    THREAD_PARKED,       /* parked in user mode, in the policy's queue */
    THREAD_DEFERRED,     /* parked, set aside on its process (claimed elsewhere) */
    THREAD_PICKED,       /* fetched, about to run here (sched_lock held) */
    THREAD_PICKED_PARKED,/* fetched while parked, not claimed yet (same) */
    THREAD_RUNNING,      /* on a hart */
    THREAD_ZOMBIE,       /* exited: freed by the next thread on its hart */
};

/* Callee-saved registers: all a voluntary switch needs to keep. */
struct context {
    uint64_t ra, sp;
    uint64_t s[12];
};

struct waitq;
struct proc;

struct thread {
    int tid;
    enum thread_state state;
    int priority;                /* 1..20, 20 most urgent */
    uint64_t age;                /* FIFO order among equal priorities */
    struct proc *proc;           /* NULL for idle threads */
    struct context ctx;
    void *kstack;                /* KSTACK_SIZE bytes; a canary at the bottom */
    struct trapframe *tf;        /* user registers, at the top of kstack */
    int hart;                    /* hart it runs or last ran on */
    int ticks_left;              /* of its time slice */

    /* Blocking. */
    struct waitq *waiting_on;    /* the queue it sleeps on, if any */
    struct list_node wait_node;  /* link in that queue */
    uint64_t wake_at;            /* deadline in ns, 0 = none */
    struct list_node timer_node; /* link in the deadline list */
    int wake_reason;             /* 0, -ETIMEDOUT or -EINTR */
    uint64_t futex_key;          /* user address it waits on (futex) */

    int task;                    /* its record in the kernel's task table, -1 none */
    int queued_prio;             /* its priority when queued (bookkeeping) */
    struct list_node deferred_node;  /* in proc->deferred while DEFERRED */
    uint64_t queued_since;       /* when (time CSR), for the starvation watchdog */
    uint64_t queued_at_tick;     /* policy_ticks then, for the same */
    struct list_node proc_node;  /* link in its process's thread list */

    /* Timer ticks in a row that found it in the policy's code in user
     * mode: a policy that loops there (sched/shared.c). */
    uint32_t ticks_in_policy;
    uint64_t policy_switches_seen;   /* the process's user_switches then */
    int stack_slot;              /* which user stack region it owns */
    int joiner;                  /* tid of the thread joining it, 0 none */
    bool exited;                 /* has called thread_exit (under proc lock) */
    /* Allocated with the thread, so exit cannot fail for want of memory:
     * what a joiner needs once everything else of the thread is gone. */
    struct exit_record *exit_rec;
    uint32_t timeline_gen;       /* the tracing session that has its name
                                    (kernel/timeline.c) */
    /* What the kernel last wrote of this thread's own words in its
     * process's shared region (its record's identity, hart and state,
     * kprio[slot]: sched/shared.c, shared_publish): in the region of
     * generation words_gen (0: nothing, or forgotten at a park), for hart
     * words_hart, at priority words_prio.  Kernel memory: a process that
     * writes over those words changes none of this. */
    uint64_t words_gen;
    int words_hart, words_prio;
};

/* An exited thread, until it is joined or its process ends: all that is
 * left of it (its stack, kernel stack and task record are freed at exit). */
struct exit_record {
    int tid;
    int joiner;                  /* the thread that claimed the join, 0 none */
    uint64_t retval;
    struct list_node node;       /* in proc->exit_records */
};

/* The thread running on this hart.  Inline: every trap and system call
 * asks several times, and a call costs more than the two loads. */
static inline struct thread *thread_current(void)
{
    return this_cpu()->current;
}
/* The process of the running thread (in a system call: the caller's). */
#define proc_current() (thread_current()->proc)

#endif
