/*
 * Processes: an address space, a list of threads, open files, and a place
 * in the process tree.  proc_lock protects the process table, the tree
 * (parent/children) and each process's state; a process's own `lock`
 * protects its files, its break and its thread list.
 */
#ifndef PROC_PROC_H
#define PROC_PROC_H

#include <stdbool.h>
#include <stdint.h>
#include "kernel/spinlock.h"
#include "lib/list.h"
#include "mm/vm.h"
#include "proc/thread.h"
#include "proc/waitq.h"
#include "sched/shared.h"
#include "memlayout.h"
#include "uapi/syscall.h"

#define MAX_PROCS   64
#define PROC_NAME   16

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

    pagetable_t pagetable;
    struct shared_region shared;    /* VDSO_DATA, TaskSched heap */
    uint64_t satp;
    uint64_t image_end;             /* end of the highest ELF segment */
    uint64_t brk;                   /* current break (heap end) */
    uint64_t stack_slots;           /* bit i: stack slot i in use */

    struct spinlock lock;           /* files, brk, stack slots, threads */
    struct file *files[MAX_FDS];
    struct list_node threads;
    int live_threads;               /* not yet exited */
    struct thread *slot_thread[USER_STACK_SLOTS];  /* thread of each stack
                                       slot = TaskSched record (lock) */
    struct list_node deferred;      /* parked threads to offer the policy
                                       again (sched_lock) */
    /* Statistics (SYS_schedstat), under sched_lock. */
    uint64_t stat_kernel_switches, stat_yield_syscalls, stat_user_switches_seen,
             stat_parked_resumes;
    bool block_sched_warned;
    uint64_t block_sched_ignored_until;  /* ns: after a forced preemption */
    struct waitq thread_exited;     /* thread_join waits here */
    int prio_ceiling;               /* highest priority its threads may take
                                       (proc/priority.c; lock) */

    volatile bool killed;           /* being torn down: threads must exit */
    int exit_status;                /* waitpid encoding, set with killed */
    struct thread *last_thread;     /* reaped with the process */
};

extern struct spinlock proc_lock;

/* Starts /init from the initrd; panics if it cannot. */
void proc_start_init(void);
bool proc_killed(struct proc *p);
/* Marks p to be ended with the given waitpid status and wakes its threads
 * so they notice.  The first call decides the status. */
void proc_kill(struct proc *p, int status);
struct proc *proc_find(int pid);
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
struct thread *thread_create_user(struct proc *p, uint64_t pc, uint64_t a0,
                                  uint64_t a1, int priority, int *err);
void thread_exit(uint64_t retval) __attribute__((noreturn));
int thread_join(int tid, uint64_t retval_uaddr);
struct thread *thread_find(struct proc *p, int tid);
void thread_free(struct thread *t);
/* Frees an exited thread once it is off its hart for good. */
void thread_reap_off_cpu(struct thread *t);
/* The last thread of p is exiting: release everything but that thread and
 * the root page table (the parent's waitpid frees those). */
void proc_teardown(struct proc *p, struct thread *last);

/* Encodings of waitpid statuses. */
#define STATUS_EXITED(code)   (((code) & 0xff) << 8)
#define STATUS_TERMINATED(why) ((why) & 0x7f)

#endif
