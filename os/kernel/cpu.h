/* Per-hart state.  `tp` always holds this hart's struct cpu while in the
 * kernel; while the hart runs user code, sscratch holds it instead (the trap
 * entry swaps them). */
#ifndef KERNEL_CPU_H
#define KERNEL_CPU_H

#include "memlayout.h"
#include "kernel/cacheline.h"

/* Offsets used by trapentry.S. */
#define CPU_SCRATCH    0      /* user sp, parked during trap entry */
#define CPU_KSTACK_TOP 8      /* top of the running thread's kernel stack */

#ifndef __ASSEMBLY__
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct thread;
struct trace_ring;
struct file;

struct cpu {
    uint64_t scratch;
    uint64_t kstack_top;
    uint64_t hartid;
    /* Interrupt-disable nesting (push_off/pop_off), and whether interrupts
     * were on before the outermost push_off. */
    int irq_depth;
    bool irq_were_on;
    bool online;
    volatile bool need_resched;  /* switch at the next return to user */
    struct thread *current;      /* running thread (the idle one if none) */
    struct thread *idle;         /* this hart's idle thread */
    uint64_t timer_ticks;
    uint64_t ipis_received;
    uint64_t next_timer;         /* absolute time of the next tick */
    uint64_t tick_phase;         /* ticks fall at tick_phase + k * period (trap/timer.c) */
    uint64_t switches;           /* context switches done on this hart */
    uint64_t call_seen;          /* last smp_call_all generation run here */
    int awaiting_tid;            /* reconcile: waiting for this thread (0: no) */
    /* Reconcile: this hart carries a thread of this process (from
     * release_prev until the next thread is its current, or the hart is
     * given up), though `current` is the idle thread meanwhile.  NULL if
     * none.  Under sched_lock, for claim_parked. */
    const struct proc *carrying;
    /* What this hart last published to a process (sched/shared.h,
     * shared_published): for which thread, in which shared region
     * (its generation) and at which priority.  NULL once anything may have
     * changed the process's view of this hart: the thread left it, or a
     * trap found current[hart] naming anything but that thread. */
    struct thread *published;
    uint64_t published_gen;
    int published_prio;
    volatile bool resting;       /* a process gave this hart back (SYS_yield,
                                    parked = 2): idle until its next tick */
    uint64_t rest_tick;          /* timer_ticks when the rest began */
    /* The tick's work (sched_tick) waits while sched_lock is taken: how
     * many of this hart's ticks it waits for now (at most
     * TICK_DEFER_MAX), how many waited and how many were done in all, and
     * whether a tick spins for the lock because it may not wait longer. */
    uint32_t ticks_owed;
    uint64_t ticks_deferred, ticks_worked;
    volatile bool tick_must_wait;
    /* Set while this hart runs a policy blob: where to go if it faults or
     * loops, and what happened (sched/blob_guard.h); what the guard held
     * back during the call (BLOB_HELD_*: 0 on the usual call), sie before
     * it narrowed it, and the timer ticks seen during it. */
    void *blob_recover;
    uint64_t blob_fault_cause, blob_fault_pc, blob_fault_addr;
    uint64_t blob_sie;
    uint32_t blob_ticks;
    uint32_t blob_held;
    /* Time CSR ticks asleep in the idle loop, and spinning for a lock
     * another hart held (sched/hart_time.h). */
    uint64_t idle_ticks;
    uint64_t spin_ticks;
    struct trace_ring *trace;    /* this hart's events (kernel/trace.h) */
    struct thread *zombie;       /* exited here: freed after the switch (sched.c) */
    /* The file this hart uses without a reference for part of one system
     * call (fs/file.h, "A borrow"), or NULL.  Written by this hart alone;
     * read by any hart whose close of a file drops its last reference:
     * on a line of its own, so that such a look does not take the lines
     * this hart writes at every trap and switch. */
    _Alignas(CACHE_LINE) struct file *borrowed_file;
} LINE_ALIGNED;                  /* no line shared with another hart's (kernel/cacheline.h) */
_Static_assert(offsetof(struct cpu, scratch) == CPU_SCRATCH, "CPU_SCRATCH");
_Static_assert(offsetof(struct cpu, kstack_top) == CPU_KSTACK_TOP, "CPU_KSTACK_TOP");
_Static_assert(sizeof(struct cpu) % CACHE_LINE == 0, "struct cpu: whole cache lines");

extern struct cpu cpus[MAX_HARTS];

/* In the kernel tp holds this hart's struct cpu (cpu_init_this, then
 * trapentry.S keeps it).  Named as a global register variable, so that
 * the compiler addresses the fields off tp itself instead of copying it
 * first (a `mv` per use: 17 on a kernel yield, measured).  It is the
 * register, never a copy, and the compiler takes every call as one that
 * may change it: a thread that a call switched to another hart reads that
 * hart's tp afterwards, as it did with a volatile `mv`.  An inline asm
 * that switches threads must say so itself (proc/switch_in_frame.h:
 * "+r"(this_cpu_tp)). */
register struct cpu *this_cpu_tp __asm__("tp");

static inline struct cpu *this_cpu(void)
{
    return this_cpu_tp;
}

static inline uint64_t this_hartid(void) { return this_cpu()->hartid; }

/* Hart ids known from the device tree. */
extern uint64_t hart_count;
extern uint64_t hart_ids[MAX_HARTS];
extern uint64_t boot_hartid;

void cpu_init_this(uint64_t hartid);
int cpu_online_count(void);
#endif

#endif
