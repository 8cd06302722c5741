/*
 * Processes: an address space, a list of threads, open files, and a place
 * in the process tree.  proc_lock protects the process table, the tree
 * (parent/children) and each process's state; a process's own `lock`
 * protects its files, its break, its thread list and which shared region
 * it has (`shared`, replaced by exec, cleared by teardown); `vm.lock`
 * (taken inside it) its user mappings.
 *
 * Who may touch a struct proc:
 *   - its own threads, while they run (it cannot be torn down before its
 *     last thread exits);
 *   - anyone holding proc_lock while it is in the table (waitpid takes it
 *     out under proc_lock before freeing it);
 *   - anyone holding a reference (proc_get): needed by whoever drops every
 *     lock and may outlive the thread that brought it there (a hart that
 *     released one thread of p and waits for another, reconcile.c);
 *   - the completer of one of its asynchronous operations, until it
 *     releases the operation (co.holds: exit and exec wait for them,
 *     fs/coio.h).
 * Its user pages and shared region are freed when the last thread exits
 * (proc_teardown), the struct and the root page table at the last
 * proc_put, after the parent's waitpid; no hart may still run on that root
 * then (mm/tlb.h).  Another process reads p's shared region only under
 * p->lock.
 */
#ifndef PROC_PROC_H
#define PROC_PROC_H

#include <stdbool.h>
#include <stdint.h>
#include "kernel/spinlock.h"
#include "kernel/cacheline.h"
#include "lib/list.h"
#include "mm/uvm.h"
#include "proc/fdtable.h"
#include "proc/thread.h"
#include "proc/waitq.h"
#include "sched/shared.h"
#include "sched/coexec.h"
#include "memlayout.h"
#include "uapi/syscall.h"

#define MAX_PROCS   64
/* Exited threads a process may leave unjoined; past it, thread_create
 * fails with EAGAIN until it joins some (each costs a few bytes). */
#define MAX_EXIT_RECORDS 1024
#define PROC_NAME   16
#define SLOT_THREADS_PER_PAGE (PAGE_SIZE / sizeof(void *))

enum proc_state { PROC_ALIVE, PROC_ZOMBIE };

struct file;

struct proc {
    int pid;
    char name[PROC_NAME];
    enum proc_state state;
    struct proc *parent;
    struct list_node children;      /* its children */
    struct list_node sibling;       /* link in the parent's children */
    struct waitq child_exited;      /* the parent waits here in waitpid */

    struct uspace vm;               /* page table + its lock (mm/uvm.h) */
    struct shared_region shared;    /* VDSO_DATA, TaskSched heap */
    struct proc_co co;              /* its executor region and asynchronous
                                       operations (sched/coexec.h) */
    /* Read at every switch to the process and every submission, written
     * seldom: a line apart from `lock`, which other paths take (a raise,
     * reconcile).  Before, an asynchronous submission's lock-free look at
     * its file (fdtable_peek) and at live_threads fetched the lock's line
     * whenever another hart had taken it. */
    uint64_t satp;
    int live_threads;               /* not yet exited (written under lock;
                                       read without: alone_in_process) */
    struct fdtable files;           /* open files (proc/fdtable.h; lock) */
    uint64_t image_end;             /* end of the highest ELF segment */
    uint64_t brk;                   /* current break (heap end) */

    _Alignas(CACHE_LINE) struct spinlock lock;  /* files, brk, stack slots,
                                                   threads */
    struct list_node threads;
    /* The thread of each stack slot = TaskSched record (lock): pages of
     * SLOT_THREADS_PER_PAGE pointers, allocated as slots are first used
     * (proc_slot_thread); which slots are in use is in vm.stack_slots. */
    struct thread **slot_threads[USER_STACK_SLOTS / SLOT_THREADS_PER_PAGE];
    struct list_node deferred;      /* parked threads to offer the policy
                                       again (sched_lock) */
    /* Statistics (SYS_schedstat), under sched_lock. */
    uint64_t stat_kernel_switches, stat_yield_syscalls, stat_user_switches_seen,
             stat_parked_resumes, stat_shared_yields;
    uint64_t stat_commit_restarts;  /* atomic, not under sched_lock: counted
                                       at the trap's entry (shared.c) */
    uint64_t stat_tail_interrupts, stat_tail_spared;  /* atomic: counted in
                                       reconcile_block_sched (reconcile.c) */
    bool block_sched_warned;
    uint32_t block_sched_debt;      /* ticks (sched/reconcile.h); no lock:
                                       a lost update between harts moves
                                       the budget by a tick */
    uint64_t block_sched_ignored_until;  /* ns: after a forced preemption */
    uint32_t block_sched_preempted_lock; /* the queue lock's value when the
                                            kernel last took a pinned thread
                                            off its hart, until the lock
                                            is seen to change (0: none;
                                            written under lock; see
                                            sched.c, claim_parked) */
    struct waitq thread_exited;     /* thread_join waits here */
    struct list_node exit_records;  /* exited threads not joined yet (lock) */
    int nexit_records;
    int prio_ceiling;               /* highest priority its threads may take
                                       (proc/priority.c; lock) */

    /* References: one for the process table (dropped when the parent
     * reaps it), one for each hart that works on the process with its
     * locks dropped (reconcile.c).  The last proc_put frees the struct and
     * the root page table.  (Asynchronous operations hold the process by
     * co.holds, not here: fs/coio.h.) */
    int refs;
    volatile bool killed;           /* being torn down: threads must exit */
    int exit_status;                /* waitpid encoding, set with killed */
};

extern struct spinlock proc_lock;

/* Starts /init from the initrd; panics if it cannot. */
void proc_start_init(void);
/* Is p being killed (false for none: a kernel thread)?  Inline: every
 * sleep looks. */
static inline bool proc_killed(const struct proc *p)
{
    return p && p->killed;
}
/* Marks p to be ended with the given waitpid status and wakes its threads
 * so they notice.  The first call decides the status. */
void proc_kill(struct proc *p, int status);
struct proc *proc_find(int pid);
/* A reference to p.  Only where p is known to be alive: a thread of p runs
 * the caller, or proc_lock is held and p is in the table. */
void proc_get(struct proc *p);
/* Drops it; the last one frees p (which no hart may run on any more). */
void proc_put(struct proc *p);
/* Waits until at most n references to p are left: the threads that held
 * the others are off their harts for good (each is a switch away, or a
 * reconciling hart's bounded wait). */
void proc_wait_refs(struct proc *p, int n);
/* The index-th slot of the process table (proc_lock held), or NULL. */
struct proc *proc_at(int index);
int proc_count(void);
/* Prints every process, thread and hart (Ctrl-T on the console). */
void proc_dump(void);
int thread_count(void);

/* Building blocks (proc.c). */
struct proc *proc_alloc(const char *name, int *err);
void proc_discard(struct proc *p);           /* one that never ran */
void proc_adopt(struct proc *parent, struct proc *child);
void proc_start_main_thread(struct proc *p);

/* The system calls on processes. */
int proc_fork(void);
int proc_waitpid(int pid, uint64_t status_uaddr, int options);
void proc_exit(int status) __attribute__((noreturn));

/* Thread life cycle (proc/thread.c). */
/* A new thread of p starting at pc, not yet runnable.  slot < 0: in a
 * free stack slot (a fresh stack); else in `slot`, which the caller has
 * claimed with its stack as it is (fork, exec).  NULL with *err =
 * -EAGAIN (no task record or stack slot left, or too many unjoined
 * exits), -ENOMEM or -EINTR (p is being killed). */
struct thread *thread_create_user(struct proc *p, uint64_t pc, uint64_t a0,
                                  uint64_t a1, int priority, int slot, int *err);
/* The thread in stack slot `slot` of p, or NULL (p->lock held). */
struct thread *proc_slot_thread(struct proc *p, int slot);
/* Makes room to remember the thread of `slot` (0 or -ENOMEM), remembers
 * it (room made; NULL: none) (p->lock held). */
int proc_reserve_slot_thread(struct proc *p, int slot);
void proc_set_slot_thread(struct proc *p, int slot, struct thread *t);
/* Frees what remembers p's slots' threads (the struct's last reference). */
void proc_free_slot_threads(struct proc *p);
void thread_exit(uint64_t retval) __attribute__((noreturn));
int thread_join(int tid, uint64_t retval_uaddr);
struct thread *thread_find(struct proc *p, int tid);
/* Frees a thread that never ran, or a zombie now off its hart (the next
 * thread on that hart calls it, sched_lock held). */
void thread_free(struct thread *t);
void thread_free_locked(struct thread *t);
/* Waits until self is the only thread of its process that still exists
 * (exited ones may still be leaving their harts on the page table). */
void thread_wait_siblings_off_cpu(struct thread *self);
/* Exited threads of p that nobody joined (teardown). */
void thread_free_exit_records(struct proc *p);
/* The last thread of p is exiting: release everything but that thread and
 * the root page table (the parent's waitpid frees those). */
void proc_teardown(struct proc *p, struct thread *last);

/* Encodings of waitpid statuses. */
#define STATUS_EXITED(code)   (((code) & 0xff) << 8)
#define STATUS_TERMINATED(why) ((why) & 0x7f)

#endif
