/*
 * COROUTINES: the executor's layout, shared by the kernel, the user-side
 * runtime and the user library (docs/coroutines.md explains the model).
 *
 * A coroutine is stackless: a poll function and a frame (its locals and its
 * resume point) in the owner's memory, plus a TaskSched record in the
 * executor's table, so that the selected policy orders coroutines through
 * the very operations it orders threads with.  One executor per process
 * lives in the process's shared data pages (SHARED_EXEC_ADDR, mapped by
 * SYS_co_setup); the kernel has one of its own in kernel memory.  Both run
 * the same code: the executor's operations are in the runtime blob, in the
 * shared code pages.
 *
 * The executor region of a process, from SHARED_EXEC_ADDR:
 *
 *   page 0                    CO_EXEC (this header, with the doorbell)
 *   pages 1..CO_QUEUE_PAGES   the policy's queue (SCHED_QUEUE_WORDS(CO_MAX))
 *   then                      the records, CO_RECORDS_PER_PAGE per page,
 *                             mapped as the process asks for them
 *
 * The process may write anything here.  The kernel writes only the
 * doorbell (bell, bell_summary, seq), `capacity` and the woke_by hints, at
 * indices it checks against its own count of mapped records, and reads
 * nothing else but `sleepers` (whether a doorbell needs a futex wake) and,
 * at a ring while no worker sleeps, what picks a worker to raise
 * (`workers_end`, `workers_gen`, `worker_task`, the rung record's
 * priority), each as a hint it bounds (os/sched/coexec.c): a forged CID, a
 * wrecked executor, a scribbled doorbell or a forged `sleepers` hurt only
 * the process that wrote them.
 */
#ifndef SCHED_ABI_CORO_H
#define SCHED_ABI_CORO_H

#include <stdint.h>
#include "vdso.h"

/* A CID is a record index (low CO_INDEX_BITS) and that record's generation
 * (the rest): a CID kept after its coroutine ended names nothing, even
 * once the record serves another coroutine. */
#define CO_INDEX_BITS       14
#define CO_MAX              (1u << CO_INDEX_BITS)     /* records per executor */
#define CO_INDEX(cid)       ((cid) & (CO_MAX - 1))
#define CO_GEN(cid)         ((cid) >> CO_INDEX_BITS)
#define CO_GEN_MASK         ((1u << (32 - CO_INDEX_BITS)) - 1)
#define CO_MAKE_CID(i, gen) ((((gen) & CO_GEN_MASK) << CO_INDEX_BITS) | (i))
#define CO_NONE             0xffffffffu

/*
 * The waker state word of a coroutine (its record's ctx[CO_CTX_WSTATE]):
 * the generation in the high 32 bits (so a compare-and-swap fails once the
 * record is reused), the bits below in the low ones.
 *
 *   spawn:       LIVE | QUEUED, into the queue
 *   wake:        set QUEUED; enqueue only if neither QUEUED nor RUNNING
 *                was set (at most one queue entry, never two polls)
 *   fetch:       QUEUED -> RUNNING (the worker now polls it)
 *   Pending:     clear RUNNING; if QUEUED was set meanwhile (a wake during
 *                the poll), enqueue it again: no wake-up is lost
 *   Ready:       DONE; later wakes do nothing
 *   cancel:      set CANCELLED; whoever next holds it idle (the canceller,
 *                the fetcher, or the poller once poll returns) releases its
 *                resources and makes it DONE, never polling it again
 */
#define CO_LIVE             0x01u    /* the record holds a coroutine */
#define CO_QUEUED           0x02u    /* a wake is pending (in the queue, or about to be) */
#define CO_RUNNING          0x04u    /* a worker is polling it */
#define CO_DONE             0x08u    /* finished; its result is kept */
#define CO_CANCELLED        0x10u    /* cancel asked for */
#define CO_DETACHED         0x20u    /* nobody will join: free when DONE */

/* What a poll function returns. */
#define CO_PENDING          0        /* waiting: polled again once woken */
#define CO_READY            1        /* finished: `result` holds its value */
#define CO_YIELD            2        /* ready again at once, behind its
                                        equals (co_yield): a Pending that
                                        needs no wake */

/*
 * An asynchronous operation's completion, in the owner's memory (usually
 * the coroutine's frame).  The caller fills cid; the kernel writes result,
 * then done = 1, then rings the doorbell for cid.
 */
struct co_io {
    int64_t result;                 /* bytes, or -errno */
    uint32_t cid;                   /* the coroutine to wake */
    volatile uint32_t done;         /* 1 once result is final */
};

/* The first fields of every coroutine's frame (the owner's struct begins
 * with one).  Its poll function gets the frame and returns CO_PENDING or
 * CO_READY; the drop hook, if any, runs once when it ends or is cancelled
 * (to free the frame, cancel its asynchronous operations, leave events). */
struct co {
    uint32_t cid;                   /* set by spawn, before the first poll */
    int32_t line;                   /* resume point (co_begin .. co_end) */
    int64_t result;                 /* what co_return gave */
    struct co_io io;                /* its asynchronous operation (one at a time) */
    uint64_t lib[8];                /* the owner library's (its waits, flags);
                                       the executor never reads them */
};
typedef int (*co_poll_fn)(struct co *self);
typedef void (*co_drop_fn)(struct co *self);
/* The result of a cancelled coroutine. */
#define CO_RESULT_CANCELLED (-125)  /* -ECANCELED */

/* A coroutine's fields in its TaskSched record (ctx[] words; a policy
 * never reads ctx).  TaskSched.tid holds the generation. */
#define CO_CTX_POLL         0        /* poll function (owner's address space) */
#define CO_CTX_FRAME        1        /* its frame */
#define CO_CTX_WSTATE       2        /* the waker state word, above */
#define CO_CTX_RESULT       3        /* its result, once DONE */
#define CO_CTX_JOINER       4        /* CID awaiting it (CO_NONE: none) */
#define CO_CTX_NEXT_FREE    5        /* free list: next free index + 1 */
#define CO_CTX_DROP         6        /* the owner's release hook (0: none):
                                        called once, when it ends or is
                                        cancelled, with the frame */
#define CO_CTX_POLLS        7        /* times polled (statistics, tests) */

/* CO_EXEC.lock: set over the holder's token while a thread may sleep on
 * the word (whoever unlocks a word with it wakes one).  Above every token
 * (task + 1 <= SCHED_MAX_TASKS). */
#define CO_LOCK_SLEEPERS    0x80000000u

/* set_priority's third argument (SYS_set_priority): CO_LOWER_UNLESS_MOVED
 * | s lowers the caller (tid 0 or its own) only if its executor's seq
 * still reads s once the kernel's word of the new priority
 * (VDSO_DATA.kprio) is published; else the priority goes back as it was
 * and the call fails with EAGAIN.  A ring (or a waker) bumps seq before
 * it reads the workers' priorities: either it sees the worker low and
 * raises it, or the worker is told and stays (coro_exec.c, co_run).
 * Any other value there (but CO_RAISE_ONLY) is ignored (the library's
 * set_priority passes 0). */
#define CO_LOWER_UNLESS_MOVED  (0xc05eULL << 32)
/* set_priority's third argument: CO_RAISE_ONLY sets the thread's priority
 * only if it is below the one asked for; at it or above, it stays (the
 * call still succeeds, and the kernel's word, kprio, is written again).
 * The raise of a worker below the work (coro_exec.c, raise_a_worker)
 * reads kprio first and calls after: a worker that raised itself above
 * the work meanwhile is not set down to it (t_coraiseonly). */
#define CO_RAISE_ONLY          (0xc0a1ULL << 32)

/* Executor flags (CO_EXEC.flags). */
#define CO_EXEC_WRECKED     0x1      /* found inconsistent: stopped */

#define CO_EXEC_MAGIC       0x43584543u   /* "CEXC" */
#define CO_BELL_WORDS       (CO_MAX / 64)
#define CO_WOKE_SLOTS       8        /* CO_EXEC.woke_by: threads per slot */
#define CO_WOKE_HINT        0        /* woke_by[s][]: the kernel's hint */
#define CO_WOKE_TIES        1        /* woke_by[s][]: the worker's count */
#define CO_WOKE_LEFT        2        /* woke_by[s][]: the hint of another
                                        thread this worker last left rung
                                        for that thread (coro_exec.c,
                                        hold_for_waker_locked) */
#define CO_SUMMARY_WORDS    (CO_BELL_WORDS / 64)
#define CO_WORKER_SLOTS     64       /* CO_EXEC.worker_task: threads polling */

typedef struct CO_EXEC {
    /* Line 0: what the kernel writes (seq, at every doorbell, from
     * whichever hart completed an operation) and what changes seldom.
     * Line 1: what the workers write under the lock at every fetch.  Apart,
     * so that a worker's fetch (lock, counts, slot) moves one line from
     * the other worker's hart, not that one and the kernel's too
     * (docs/performance.md, "Scaling over harts"). */
    uint32_t magic;                 /*    0: CO_EXEC_MAGIC once set up */
    volatile uint32_t capacity;     /*    4: records mapped (the kernel's
                                           count; rewritten at each grow) */
    volatile uint32_t live;         /*    8: coroutines not yet DONE */
    volatile uint32_t seq;          /*   12: futex word: bumped when work
                                           arrives or the last one ends */
    volatile uint32_t sleepers;     /*   16: workers asleep on seq (the
                                           kernel reads it: a doorbell
                                           wakes only if it is not 0) */
    uint32_t workers;               /*   20: worker threads wanted */
    uint32_t workers_started;       /*   24 */
    uint32_t flags;                 /*   28: CO_EXEC_* */
    uint32_t nharts;                /*   32 */
    volatile uint32_t workers_end;  /*   36: one past the last entry of
                                           worker_task ever used */
    uint64_t sleeps;                /*   40: times a worker went to sleep */
    volatile uint32_t workers_gen;  /*   48: bumped at each change of
                                           worker_task */
    uint8_t  reserved_52[64 - 52];  /*   52: zero */
    volatile uint32_t lock;         /*   64: guards the queue, the free
                                           list and records' queue flags:
                                           0 free, else the holder's
                                           co_env.lock_token, with
                                           CO_LOCK_SLEEPERS if a thread
                                           may sleep on it */
    uint32_t free_head;             /*   68: first free index + 1, 0: none */
    uint32_t used;                  /*   72: records ever handed out */
    uint32_t slot;                  /*   76: the handoff slot: index + 1 of
                                           a ready coroutine kept out of
                                           the policy's queue, 0: none
                                           (coro_exec.c, "The handoff
                                           slot") */
    uint32_t queued;                /*   80: coroutines in the policy's
                                           queue (the slot's not counted) */
    uint32_t reserved_84;           /*   84: zero */
    uint64_t age_clock;             /*   88: ages of the queue */
    uint64_t polls;                 /*   96: statistics: polls made */
    uint64_t wakes;                 /*  104: wakes that queued */
    uint64_t spawns;                /*  112 */
    uint64_t bells;                 /*  120: doorbell rings taken in */
    /* Who woke what (docs/coroutines.md, "Affinity"): when a thread's own
     * system call completes an operation of its process and rings the
     * doorbell for it, the kernel writes ((task + 1) << 32 | cid) into
     * woke_by[task % CO_WOKE_SLOTS][CO_WOKE_HINT], task being the thread's
     * TaskSched index.  The thread's worker then runs that coroutine
     * itself next, if it is still rung and at least as urgent as anything
     * waiting.  A hint only: the worker believes it only as far as the
     * doorbell bit it names, so a forged one wakes, at worst, one of the
     * process's own rung coroutines on another worker than otherwise.
     * [CO_WOKE_TIES]: the worker's count of ties so won in a row (bounded,
     * coro_exec.c).  [CO_WOKE_LEFT]: a hint of another thread's whose
     * rung coroutine this worker left to that thread at its last look at
     * the doorbell (once only: the next look takes it in).  One line a
     * slot: each worker writes its own (and reads the others' hints,
     * clearing one only when it takes in a coroutine it left). */
    volatile uint64_t woke_by[CO_WOKE_SLOTS][8];              /*  128 */
    /* The threads polling now (docs/coroutines.md, "No worker left below
     * the work"): the TaskSched index + 1 of each thread in a run of the
     * executor as a worker (not co_join's), 0: a free entry.  Set
     * and cleared by each thread for itself.  Whoever makes a coroutine
     * ready at a priority while no worker sleeps (a waker in the process,
     * or the kernel ringing the doorbell) raises the least urgent of them
     * to it.  Read by the kernel as a hint: an index that names no thread
     * of the process is passed over, and a priority past the ceiling is
     * never given. */
    volatile uint32_t worker_task[CO_WORKER_SLOTS];           /*  640 */
    /* Statistics of the lock's slow path, on a line of their own (896):
     * written only by a thread that found the lock held, in a process
     * (the kernel's executor spins and counts nothing). */
    uint64_t lock_waits;            /*  896: lock calls that found it held */
    uint64_t lock_spins;            /*  904: tries spun while the holder ran */
    uint64_t lock_sleeps;           /*  912: futex sleeps on the lock word */
    /* Statistics: rung coroutines a worker left to the thread whose write
     * woke them (settle_left_locked), on the same seldom written line. */
    uint64_t bells_left;            /*  920 */
    /* Statistics: lowerings of a worker's own priority the kernel refused
     * (set_priority's CO_LOWER_UNLESS_MOVED: EAGAIN, seq moved), same line. */
    uint64_t lowers_refused;        /*  928 */
    uint8_t  reserved1[1024 - 128 - 64 * CO_WOKE_SLOTS - 4 * CO_WORKER_SLOTS - 40];
    /* The doorbell: bit i set = record i was woken from outside the
     * executor's lock (the kernel's completions).  A worker takes the set
     * bits (atomic swap) and wakes those coroutines itself.  bell_summary
     * has one bit per bell word, so the worker reads only rung words. */
    volatile uint64_t bell_summary[CO_SUMMARY_WORDS];         /* 1024 */
    uint8_t  reserved2[1024 - 8 * CO_SUMMARY_WORDS];
    volatile uint64_t bell[CO_BELL_WORDS];                    /* 2048 */
} CO_EXEC;

_Static_assert(sizeof(CO_EXEC) == 4096, "CO_EXEC is one page");
_Static_assert(__builtin_offsetof(CO_EXEC, capacity) == 4, "capacity");
_Static_assert(__builtin_offsetof(CO_EXEC, seq) == 12, "seq");
_Static_assert(__builtin_offsetof(CO_EXEC, sleepers) == 16, "sleepers");
_Static_assert(__builtin_offsetof(CO_EXEC, lock) == 64 &&
               __builtin_offsetof(CO_EXEC, bells) == 120, "the workers' line: line 1");
_Static_assert(__builtin_offsetof(CO_EXEC, woke_by) == 128, "woke_by: its own lines");
_Static_assert(__builtin_offsetof(CO_EXEC, worker_task) == 640, "worker_task");
_Static_assert(__builtin_offsetof(CO_EXEC, lock_waits) == 896 &&
               __builtin_offsetof(CO_EXEC, lock_sleeps) == 912 &&
               __builtin_offsetof(CO_EXEC, bells_left) == 920 &&
               __builtin_offsetof(CO_EXEC, lowers_refused) == 928, "the lock's statistics: line 14");
_Static_assert(__builtin_offsetof(CO_EXEC, bell_summary) == 1024, "bell_summary");
_Static_assert(__builtin_offsetof(CO_EXEC, bell) == 2048, "bell");

/* Where the executor sits in every process (after SCHED_KINFO). */
#define SHARED_EXEC_ADDR     (SHARED_KINFO_ADDR + 4096ULL)
#define CO_QUEUE_WORDS       (512u + CO_MAX)         /* SCHED_QUEUE_WORDS(CO_MAX) */
#define CO_QUEUE_PAGES       ((CO_QUEUE_WORDS * 4u + 4095u) / 4096u)
#define CO_QUEUE_ADDR        (SHARED_EXEC_ADDR + 4096ULL)
#define CO_RECORDS_ADDR      (CO_QUEUE_ADDR + CO_QUEUE_PAGES * 4096ULL)
#define CO_RECORDS_PER_PAGE  (4096u / sizeof(TaskSched))
#define CO_EXEC_PAGES_MAX    (1u + CO_QUEUE_PAGES + CO_MAX / CO_RECORDS_PER_PAGE)

/*
 * The executor's operations, in the runtime blob: entry RT_CO_CALL,
 *   int64_t co_call(uint32_t op, const struct co_env *env,
 *                   uint64_t a, uint64_t b, uint64_t c, uint64_t d)
 * `env` is the caller's (on its stack, never in shared memory): pointers
 * valid where the caller runs.
 */
struct sched_ops;
struct co_env {
    CO_EXEC *x;                     /* the header */
    struct sched_queue *queue;      /* the policy's queue for it */
    TaskSched *recs;                /* the records */
    const struct sched_ops *ops;    /* the policy, callable from here */
    uint32_t capacity;              /* records the caller knows are mapped */
    uint32_t hart;                  /* the calling hart (a hint in user mode) */
    uint32_t nharts;
    uint32_t kernel;                /* 1: the kernel's executor (interrupts
                                       off, no system calls, never sleeps) */
    uint32_t task;                  /* user mode: the calling thread's
                                       TaskSched record, whose rescue slot
                                       (ctx[TASK_CTX_RESCUE]) sends it back
                                       here if the policy faults */
    uint32_t lock_token;            /* what the caller's hold of CO_EXEC.lock
                                       writes there: 1 in the kernel (its
                                       callers set it); in a process the
                                       runtime sets task + 1 itself */
    uint64_t rescue;                /* the runtime's own (callers: 0) */
};

/* A process's view of its own executor, for the thread whose TaskSched
 * record is `task`.  `ops` receives the policy's
 * operations at their addresses in the process.  The policy sees hart 0
 * for every call: a process's coroutines are one queue, polled by
 * whichever worker is free, so a per-hart policy keeps them in one list
 * (and the order does not depend on where the workers happen to run). */
static inline void co_user_env(struct co_env *e, struct sched_ops *ops, uint32_t task)
{
    const struct sched_blob_header *policy = (const void *)SHARED_CODE_ADDR;
    const VDSO_DATA *v = (const VDSO_DATA *)SHARED_BASE_ADDR;
    CO_EXEC *x = (CO_EXEC *)SHARED_EXEC_ADDR;
    uintptr_t base = (uintptr_t)SHARED_CODE_ADDR;
    ops->init = (void *)(base + policy->op_offset[SCHED_OP_INIT]);
    ops->add = (void *)(base + policy->op_offset[SCHED_OP_ADD]);
    ops->fetch = (void *)(base + policy->op_offset[SCHED_OP_FETCH]);
    ops->yield = (void *)(base + policy->op_offset[SCHED_OP_YIELD]);
    ops->wake = (void *)(base + policy->op_offset[SCHED_OP_WAKE]);
    ops->remove = (void *)(base + policy->op_offset[SCHED_OP_REMOVE]);
    ops->top_priority = (void *)(base + policy->op_offset[SCHED_OP_TOP]);
    ops->tick = (void *)(base + policy->op_offset[SCHED_OP_TICK]);
    uint32_t nharts = v->nharts ? v->nharts : 1;
    uint32_t cap = v->exec_capacity;
    e->x = x;
    e->queue = (struct sched_queue *)CO_QUEUE_ADDR;
    e->recs = (TaskSched *)CO_RECORDS_ADDR;
    e->ops = ops;
    e->capacity = cap < CO_MAX ? cap : CO_MAX;
    e->nharts = nharts < SCHED_MAX_HARTS ? nharts : SCHED_MAX_HARTS;
    e->hart = 0;
    e->kernel = 0;
    e->task = task;
}

#define CO_OP_INIT        0  /* () -> 0: sets up a fresh executor */
#define CO_OP_SPAWN       1  /* (poll, frame, prio, drop) -> CID, or CO_NONE if
                                the table is full (grow it, try again) */
#define CO_OP_WAKE        2  /* (cid) -> 1 if it was queued by this wake */
#define CO_OP_NEXT        3  /* () -> CID of a coroutine now RUNNING for the
                                caller (doorbell taken in first), or CO_NONE */
#define CO_OP_POLLED      4  /* (cid, what poll returned, result) -> 1 if the
                                coroutine is now cancelled and must be
                                finished by the caller (CO_OP_FINISH) */
#define CO_OP_CANCEL      5  /* (cid) -> 1: the caller must finish it now;
                                0: whoever holds it will; -1: no such one */
#define CO_OP_FINISH      6  /* (cid, result) -> 0: makes it DONE (the drop
                                hook is the caller's to have called) */
#define CO_OP_SET_PRIO    7  /* (cid, prio) -> 0, -1 */
#define CO_OP_TOP         8  /* () -> best priority ready, 0 if none */
#define CO_OP_JOIN        9  /* (cid, joiner cid or CO_NONE) -> 1 and *result
                                in d if DONE (the record is then freed); 0:
                                not yet (joiner registered); -1: no such one */
#define CO_OP_DETACH     10  /* (cid) -> 0: freed when DONE */
#define CO_OP_RUN        11  /* (until cid or CO_NONE, max polls or 0) -> 0:
                                polls ready coroutines until `until` is DONE
                                (or every coroutine is, for CO_NONE); a user
                                worker sleeps on seq when nothing is ready,
                                the kernel returns then instead.  max > 0:
                                at most max polls, and returns how many */
#define CO_OP_STATE      12  /* (cid) -> its state word's low 32 bits, -1 */
#define CO_OP_COUNT      13

/* The runtime blob's coroutine entries (user/runtime/). */
int64_t co_call(uint32_t op, const struct co_env *e, uint64_t a, uint64_t b, uint64_t c,
                uint64_t d);
/* (argc, argv, task, program entry): where the kernel starts a process. */
void user_entry(long argc, long argv, long task, long entry) __attribute__((noreturn));


#endif
