/*
 * The shared region of each process (sched_abi/vdso.h): its data pages
 * (VDSO_DATA and the TaskSched heap, the process's own frames) and the
 * code pages (the policy blob and the user-side runtime, the same frames
 * for everyone), mapped at SHARED_BASE.
 *
 * The kernel reaches a process's data pages through the direct map and
 * trusts nothing it reads there: an index is checked, a flag is a hint.
 */
#ifndef SCHED_SHARED_H
#define SCHED_SHARED_H

#include <stdbool.h>
#include <stdint.h>
#include "kernel/cpu.h"
#include "mm/vm.h"
#include "mm/uvm.h"
#include "proc/thread.h"
#include "vdso.h"
#include "kernel/ordered_store.h"

struct proc;
struct thread;

/* The data frames of one shared region (kernel views): VDSO_DATA, 7
 * contiguous frames, and a page of pointers to the TaskSched pages mapped
 * so far (NULL: not mapped).  Small, since it is copied on the stack. */
struct shared_region {
    VDSO_DATA *vdso;
    void **task_pages;                /* SHARED_TASK_PAGES of them */
    uint32_t ntask_pages;             /* mapped: task_pages[0 .. n-1] */
    uint32_t rescue_said;             /* 1: the kernel has said that this
                                         region's policy failed in user mode
                                         (shared.c, rescue): kept here, not
                                         read back from VDSO_DATA.rt_off,
                                         which the process writes.  (In the
                                         hole before gen: struct proc's
                                         layout stays as it was.) */
    uint64_t gen;                     /* a number no other region had (from
                                         1; 0: none), for cpu.published */
};

/* Installs the runtime blob into its code pages (once, at boot). */
void shared_init(void);
/* Maps a fresh region into pt for process `pid`, with the TaskSched page
 * of slot 0; 0 or -ENOMEM. */
int shared_map(pagetable_t pt, struct shared_region *r, int pid);
/* Maps the TaskSched pages up to the one holding slot's record, if they
 * are not yet (16 slots a page; a prefix, so that the runtime can tell a
 * mapped record by its index: VDSO_DATA.nrecords; a page stays until the
 * region goes).  The process's lock
 * held (it guards r's pointers); takes us->lock for the mapping.  0 or
 * -ENOMEM. */
int shared_map_task(struct uspace *us, struct shared_region *r, uint32_t slot);
/* Unmaps it from pt and frees its data frames (not the code). */
void shared_unmap(pagetable_t pt, struct shared_region *r);

static inline VDSO_DATA *shared_vdso(const struct shared_region *r)
{
    return r->vdso;
}
/* The record of task `slot` (< SCHED_MAX_TASKS, its page mapped: a slot
 * with a thread), through the direct map. */
TaskSched *shared_task(const struct shared_region *r, uint32_t slot);

/* t's priority, read once for everything one publishing writes from it:
 * a sibling's set_priority (under p->lock, which the way back does not
 * hold) may change it meanwhile.  Read twice, kprio[] could get the old
 * value and the remembered words_prio and published_prio the new one,
 * and nothing would publish kprio again until the priority changed once
 * more; read once, all three say the old one, and the next way back finds
 * them stale (and shared_publish_prio_of has written the new one). */
static inline int shared_prio_once(const struct thread *t)
{
    return __atomic_load_n(&t->priority, __ATOMIC_RELAXED);
}
/* Whether t's own words may not say what shared_publish would write
 * (below), for t at prio. */
static inline bool shared_thread_words_stale(const struct thread *t, int prio,
                                             const struct shared_region *r, int hart)
{
    return t->words_gen != r->gen || t->words_hart != hart || t->words_prio != prio;
}
/* shared_publish's first part: which thread runs on `hart` (current[]),
 * and that it is on a hart (off_hart[]), remembered in cpu.published. */
static inline __attribute__((always_inline)) void shared_publish_hart_words(
    struct thread *t, const struct shared_region *r, int hart, int prio)
{
    VDSO_DATA *v = r->vdso;
    v->current[hart] = (uint32_t)t->stack_slot;
    v->off_hart[t->stack_slot] = 0;
    struct cpu *c = this_cpu();
    c->published = t;
    c->published_gen = r->gen;
    c->published_prio = prio;
}
/* shared_publish's second part, out of line: t's own words (its record's
 * identity, hart and state RUNNING, and kprio[slot]), remembered in
 * t->words_*. */
void shared_publish_thread_words(struct thread *t, const struct shared_region *r, int hart,
                                 int prio);
/* kprio[slot] of t, a thread of p (p->lock held, which keeps p's region),
 * rewritten now if it is not t's priority, by a thread other than t:
 * the kernel's view for the doorbell's pick (sched/coexec.c) and the
 * runtime's raise_a_worker, which would otherwise see t's old priority
 * until t next returns to user mode (and t may be off every hart, asleep
 * or waiting for one: picked again and again for a raise it has had).
 * The value is the one t's own next publish writes anyway, and t's
 * runtime takes kprio[me] as the kernel's word whenever it reads it. */
void shared_publish_prio_of(struct proc *p, struct thread *t);
/* Before returning to user mode: tell the process which of its threads
 * runs on this hart (current[], the record's hart and state) and the
 * thread's priority (kprio[]); the thread is on a hart (off_hart[]).
 * t is this hart's thread, r its process's region; remembered in
 * this_cpu()->published.
 *
 * The hart's words (current[hart], off_hart[slot]) change at every switch
 * and are always written.  The thread's own words are written when they
 * differ from what the kernel last wrote for t (t->words_*, kernel memory,
 * never the process's words): when t comes back to a hart after a kernel
 * switch (a yield, a sleep, a preemption), nothing has written them
 * since, for only a parked thread's record is the runtime's or a claim's
 * to change (tstate_park forgets t->words_*).  So they are written on a
 * change: a new region (exec), another hart, another priority, a park.  A
 * process that writes over them itself (read-only by contract) misleads
 * only its own runtime, until the next change; the kernel reads none of
 * them back without checking (docs/user-mode-switching.md, "Why a process
 * can only hurt itself").  Inline for the plain yield's way back, which
 * publishes after every switch; out of line (shared_publish) for every
 * other way back, which mostly skips it (shared_published) and
 * would pay its registers in its frame (+4 a getpid, measured). */
static inline __attribute__((always_inline)) void shared_publish_inline(struct thread *t,
                                                                       const struct shared_region *r)
{
    int hart = (int)this_hartid();
    int prio = shared_prio_once(t);
    if (__builtin_expect(shared_thread_words_stale(t, prio, r, hart), 0))   /* on a change only */
        shared_publish_thread_words(t, r, hart, prio);
    shared_publish_hart_words(t, r, hart, prio);
}
/* The same, out of line. */
void shared_publish(struct thread *t, const struct shared_region *r);
/* Whether this hart last published exactly this (the thread, its region,
 * its priority) and nothing has touched the process's view of the hart
 * since: every trap from user mode since then found current[hart] naming
 * t (reconcile_user_trap) and t never left the hart (each way out clears
 * cpu.published).  Nothing the kernel writes can then differ from what is
 * there, unless the process wrote over it itself, which it may do at any
 * time anyway: the kernel reads none of it without checking.  Then the
 * way back (trap/trap_return.h) publishes nothing: the way back from
 * almost every system call. */
static inline bool shared_published(const struct thread *t, const struct shared_region *r)
{
    const struct cpu *c = this_cpu();
    return c->published == t && c->published_gen == r->gen && c->published_prio == t->priority;
}
/* When the kernel takes t off its hart (VDSO_DATA.off_hart); r is its
 * process's region.  Inline: every kernel switch away from a thread. */
static inline void shared_set_off_hart(const struct thread *t, const struct shared_region *r)
{
    /* Whatever comes back to this hart publishes afresh, t included.
     * Cleared whoever it names (t, on every switch from a thread that
     * went back to user mode since it came here): a store, not a test and
     * a store.  If it named another thread, that thread only publishes
     * once more when it comes back. */
    this_cpu()->published = NULL;
    VDSO_DATA *v = shared_vdso(r);
    if (v && t->stack_slot >= 0 && t->stack_slot < SCHED_MAX_TASKS)
        v->off_hart[t->stack_slot] = 1;
}
/* The best priority waiting in the kernel's queue for the kernel alone
 * (SCHED_KINFO.queued_top, seen by every process at once).  Inline: a
 * level fills and empties twice in every pipe round trip. */
extern SCHED_KINFO *shared_kinfo;
static inline void shared_set_queued_top(uint32_t top)
{
    if (shared_kinfo)
        store_release(&shared_kinfo->queued_top, top);
}
/* SCHED_KINFO.enqueues, futile_at and futile_prio (sched_abi/vdso.h):
 * a thread only the kernel can run was queued (sched_lock held: the one
 * writer), and a parked thread of priority `prio` that yielded through
 * the kernel on `hart` got the hart straight back.  A shared yield under
 * SCHED_FLAG_HART_LOCAL is not counted: by the flag's contract it touches
 * only its own hart's part of the queue, and a fetch on another hart whose
 * own part holds its parked yielder does not take from there. */
static inline void shared_count_enqueue(void)
{
    if (shared_kinfo)
        store_release(&shared_kinfo->enqueues, shared_kinfo->enqueues + 1);
}
void shared_note_futile_yield(int hart, int prio);
/* Tells every process whether the kernel records a timeline
 * (SCHED_KINFO.trace_on: the runtime then appends to the process's ring). */
void shared_set_trace_on(bool on);
/* The policy was replaced: every process yields through the kernel. */
void shared_disable_user_switching(void);
/* Once the policy is chosen (after sched_init): publishes in SCHED_KINFO
 * the entry and context the runtime's fast path calls it with
 * (rt_yield_fetch, rt_ctx), which would otherwise be derived at every
 * user-mode switch from words the process can write. */
void shared_bind_policy(void);

/* Finishes what the runtime's rt_park began for task `slot` on `hart`:
 * marks its record READY (from RUNNING: only now may another hart take it)
 * and releases the queue lock and block_sched it kept.  False if the record
 * was not RUNNING (the process wrote over it). */
bool shared_finish_park(const struct shared_region *r, uint32_t slot, int hart);

/* An interrupt from user mode inside the runtime's restartable sequence
 * (rt_commit_current: read the hart, store what depends on it) restarts it:
 * the thread may be resumed on another hart.  (Only a process with a
 * shared region has the runtime there.) */
struct trapframe;
void shared_restart_commit(struct trapframe *tf);
/* Is pc, where a trap from user mode came, in the user-mode switch's tail:
 * after the commit's store (current[hart] names the next thread) and up to
 * the queue lock's release, which has not run yet (the runtime's header
 * exports that address; user/runtime/user_schedule.S, rt_switch_to_next)?
 * Every switch ends there, the fast path's and the C half's (rt_switch). */
bool shared_in_switch_tail(uint64_t pc);
/* A fault in the policy's code in user mode (the runtime was running it):
 * turns user-mode switching off for the process and sends the thread back
 * into the runtime, which yields through the kernel.  False if the fault
 * was elsewhere. */
bool shared_rescue_policy_fault(struct trapframe *tf);
/* A timer tick from user mode that finds the thread in the policy's code
 * once the kernel has replaced the policy (which may be looping), or at
 * SHARED_POLICY_LOOP_TICKS ticks in a row (a policy looping on the
 * process's queue): rescued the same way. */
void shared_rescue_policy_loop(struct trapframe *tf);
#define SHARED_POLICY_LOOP_TICKS 50      /* half a second of the thread's own time */

/* Where every process starts: the runtime's user_entry (a0 argc, a1 argv,
 * a2 the main thread's record, a3 the program's ELF entry), which runs the
 * program's initialisation and then its coroutines (user/runtime/). */
uint64_t shared_user_entry(void);
/* The runtime's co_call at the kernel's alias of the runtime code
 * (SHARED_KALIAS_RUNTIME): how the kernel drives its own executor. */
uint64_t shared_kernel_co_call(void);
/* Entry of the runtime's resume_parked, in every process. */
uint64_t shared_resume_parked_entry(void);

#endif
