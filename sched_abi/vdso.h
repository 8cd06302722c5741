/*
 * VDSO_DATA: page 0 of the shared region (SHARED_BASE), one per process.
 *
 * The shared region is SHARED_DATA_PAGES_N data pages at SHARED_BASE =
 * 0xffffffc000000000, the same virtual address in every process but
 * different frames:
 *
 *   pages 0..6     VDSO_DATA (this header): the fields below, then the
 *                  per-task arrays off_hart[] and kprio[] and the
 *                  process's queue, each sized for SCHED_MAX_TASKS threads
 *   pages 7..262   the TaskSched heap: SCHED_MAX_TASKS records, 16 per
 *                  page, one per thread stack slot.  Mapped as a prefix,
 *                  as far as the highest slot the process has used
 *                  (VDSO_DATA.nrecords records; slot 0's page always): a
 *                  process with few threads has few pages, and a read past
 *                  them faults like any bad address
 *
 * followed by the code pages (the policy blob, the user-side runtime),
 * shared by every process and the kernel, mapped read-only + executable,
 * and one read-only page the kernel keeps for every process (SCHED_KINFO).
 *
 * The process may write anything here: so the kernel reads it only through
 * checks (an index must be in range and name a thread of this process, a
 * flag is only a hint, a counter is only reported), and a process that
 * scribbles over its pages can only hurt itself.  Fields the kernel writes
 * are rewritten each time it returns to the process, so scribbling on them
 * is harmless.
 */
#ifndef SCHED_ABI_VDSO_H
#define SCHED_ABI_VDSO_H

#include "sched_abi.h"

#define SCHED_VDSO_MAGIC     0x4f534456u    /* "VDSO" */
#define SHARED_BASE_ADDR     0xffffffc000000000ULL
#define SHARED_VDSO_PAGES    7              /* sizeof(VDSO_DATA) / 4096 */
#define SHARED_TASK_PAGES    (SCHED_MAX_TASKS / 16)   /* 256 */
#define SHARED_DATA_PAGES_N  263            /* SHARED_VDSO_PAGES + SHARED_TASK_PAGES */
#define SHARED_TASKS_ADDR    (SHARED_BASE_ADDR + SHARED_VDSO_PAGES * 4096ULL)
#define SHARED_CODE_ADDR     (SHARED_BASE_ADDR + SHARED_DATA_PAGES_N * 4096ULL)
_Static_assert(SHARED_DATA_PAGES_N == SHARED_VDSO_PAGES + SHARED_TASK_PAGES, "data pages");

typedef struct VDSO_DATA {
    /* Written by the kernel when the process starts; read-only in spirit. */
    uint32_t magic;                   /*    0: SCHED_VDSO_MAGIC */
    uint16_t abi_major;               /*    4 */
    uint16_t abi_minor;               /*    6 */
    uint32_t nharts;                  /*    8: harts in the machine */
    uint32_t ntasks;                  /*   12: records in the TaskSched heap
                                              (<= SCHED_MAX_TASKS: `queue`
                                              is sized for that many) */
    uint32_t pid;                     /*   16 */
    uint32_t policy_flags;            /*   20: SCHED_FLAG_* of the policy */
    char     policy_name[SCHED_NAME_LEN]; /* 24 */

    /* (What waits in the kernel's queue is in SCHED_KINFO, below.) */
    uint32_t block_seq;               /*   40: unused (numbered the
                                              block_sched sections once) */
    uint32_t ticks_per_ms;            /*   44: rdtime ticks per millisecond
                                              (the runtime's bound on waiting
                                              for the queue lock) */
    volatile uint32_t exec_capacity;  /*   48: coroutine records mapped at
                                              SHARED_EXEC_ADDR (sched_abi/
                                              coro.h), 0: no executor yet
                                              (SYS_co_setup maps it) */
    volatile uint32_t nrecords;       /*   52: records mapped at
                                              SHARED_TASKS_ADDR: slots 0 ..
                                              nrecords - 1 (a multiple of
                                              16).  A task index from the
                                              queue at or past it is no
                                              thread's: the runtime reads
                                              no record there */

    /* The process's own, for switching threads in user mode. */
    volatile uint32_t block_sched[SCHED_MAX_HARTS]; /* 56: a pin without
                                              the queue: nonzero, the timer
                                              does not preempt the thread on
                                              that hart (for a bounded time,
                                              shared with queue_lock's pin).
                                              The runtime no longer sets it:
                                              its pin is queue_lock */
    volatile uint32_t current[SCHED_MAX_HARTS];     /* 88: task running on each
                                              hart, as the process sees it */
    volatile uint32_t queue_lock;     /*  120: guards `queue` between harts:
                                              0 free, else the holder's
                                              slot + 1.  Also the pin: the
                                              timer does not preempt (for a
                                              bounded time) the thread whose
                                              slot + 1 it holds, so one
                                              compare-and-swap locks and
                                              pins, one store unpins and
                                              releases (docs/user-mode-
                                              switching.md, step 1) */
    uint32_t reserved0;               /*  124 */
    uint64_t user_switches;           /*  128: switches done in user mode */
    uint64_t yields_to_kernel;        /*  136: yields that needed the kernel */
    uint32_t rt_ready;                /*  144: RT_READY once `queue` is set up */
    uint32_t rt_off;                  /*  148: nonzero: the process's
                                              threads yield through the
                                              kernel from then on.  Why
                                              (RT_OFF_*): set by the kernel
                                              when the policy faulted in user
                                              mode here, or by the runtime
                                              when it found the process's
                                              queue lock or queue wrecked.
                                              After rt_ready, in the same
                                              doubleword: the fast path
                                              (user/runtime/user_schedule.S)
                                              tests "set up, and switching
                                              on" with one load and one
                                              compare */
    uint64_t age_clock;               /*  152: ages for the process's queue */
    uint64_t lock_yields;             /*  160: yields made because the queue
                                              lock's holder was off its hart */
    /* The process's own: the user address of its timeline ring
     * (sched_abi/utrace.h), 0 for none.  Set by the C library when tracing
     * is on; the kernel reads the ring only through copy_from_user. */
    uint64_t trace_ring;              /*  168 */
    /* The runtime's, for giving a hart back (runtime.c, "Resting"): per
     * hart, rdinstret at its last user-mode switch, and how many switches
     * in a row there were to a thread that yielded again almost at once. */
    uint64_t switched_at[SCHED_MAX_HARTS];     /* 176 */
    uint32_t quick_switches[SCHED_MAX_HARTS];  /* 240 */
    uint64_t rests;                   /*  272: harts given back */
    /* The runtime's: yields its assembly fast path handed over to the C
     * half (user/runtime/user_schedule.S), for tests to see both taken. */
    uint64_t slow_yields;             /*  280 */
    uint8_t  reserved[1024 - 288];    /*  288: zero */
    /* Rewritten by the kernel: nonzero while the kernel holds that task
     * off any hart (preempted, blocked, parked, exited, or no thread in
     * that slot), zero once it returns it to user mode.  A thread waiting
     * for the queue lock stops spinning when the holder is off its hart. */
    volatile uint8_t off_hart[SCHED_MAX_TASKS]; /* 1024 */
    /* Rewritten by the kernel: each task's priority, as the kernel has it.
     * The runtime copies it into the task's record whenever the record is
     * out of the queue (a policy keys its queue on it). */
    volatile uint8_t kprio[SCHED_MAX_TASKS];    /* 5120 */

    /* The process's ready queue, in the policy's format: room for a table
     * of SCHED_MAX_TASKS threads (18 KiB).  Words, not a struct sched_queue
     * (declared at its largest, for SCHED_TABLE_MAX tasks): pass it to the
     * policy as (struct sched_queue *)queue. */
    uint32_t queue[SCHED_QUEUE_WORDS(SCHED_MAX_TASKS)]; /* 9216 */
    uint8_t  reserved_end[SHARED_VDSO_PAGES * 4096 - 9216 -
                          SCHED_QUEUE_BYTES(SCHED_MAX_TASKS)]; /* zero */
} VDSO_DATA;

_Static_assert(sizeof(VDSO_DATA) == SHARED_VDSO_PAGES * 4096, "VDSO_DATA: 7 pages");
_Static_assert(__builtin_offsetof(VDSO_DATA, magic) == 0, "magic");
_Static_assert(__builtin_offsetof(VDSO_DATA, nharts) == 8, "nharts");
_Static_assert(__builtin_offsetof(VDSO_DATA, ntasks) == 12, "ntasks");
_Static_assert(__builtin_offsetof(VDSO_DATA, pid) == 16, "pid");
_Static_assert(__builtin_offsetof(VDSO_DATA, policy_flags) == 20, "policy_flags");
_Static_assert(__builtin_offsetof(VDSO_DATA, policy_name) == 24, "policy_name");
_Static_assert(__builtin_offsetof(VDSO_DATA, nrecords) == 52, "nrecords");
_Static_assert(__builtin_offsetof(VDSO_DATA, block_sched) == 56, "block_sched");
_Static_assert(__builtin_offsetof(VDSO_DATA, current) == 88, "current");
_Static_assert(__builtin_offsetof(VDSO_DATA, queue_lock) == 120, "queue_lock");
_Static_assert(__builtin_offsetof(VDSO_DATA, user_switches) == 128, "user_switches");
_Static_assert(__builtin_offsetof(VDSO_DATA, yields_to_kernel) == 136, "yields_to_kernel");
_Static_assert(__builtin_offsetof(VDSO_DATA, rt_ready) == 144, "rt_ready");
_Static_assert(__builtin_offsetof(VDSO_DATA, rt_off) == 148, "rt_off");
_Static_assert(__builtin_offsetof(VDSO_DATA, block_seq) == 40, "block_seq");
_Static_assert(__builtin_offsetof(VDSO_DATA, age_clock) == 152, "age_clock");
_Static_assert(__builtin_offsetof(VDSO_DATA, lock_yields) == 160, "lock_yields");
_Static_assert(__builtin_offsetof(VDSO_DATA, trace_ring) == 168, "trace_ring");
_Static_assert(__builtin_offsetof(VDSO_DATA, off_hart) == 1024, "off_hart");
_Static_assert(__builtin_offsetof(VDSO_DATA, kprio) == 5120, "kprio");
_Static_assert(__builtin_offsetof(VDSO_DATA, queue) == 9216, "queue");
_Static_assert(sizeof(((VDSO_DATA *)0)->queue) == SCHED_QUEUE_BYTES(SCHED_MAX_TASKS),
               "queue: a thread table's worth");

/*
 * Flips a record's state from `from` to `to` if it is `from`, atomically:
 * how the runtime and the kernel claim a thread (READY -> RUNNING) and how
 * the kernel finishes a park (RUNNING -> READY).  The state is byte 5; the
 * compare-and-swap is on bytes 4..7, the smallest atomic RISC-V has.
 *
 * The other bytes of that word may change under it (prio, hart, flags), so
 * a failed compare is retried, but only TASK_CAS_TRIES times: the process
 * can write the word, and a thread of it rewriting the word without pause
 * must not keep the kernel in this loop.  Giving up counts as "not in
 * state `from`", which every caller handles (a claim is retried later, a
 * park that cannot be finished kills the process).
 */
#define TASK_CAS_TRIES 64
static inline int task_state_cas(TaskSched *t, uint8_t from, uint8_t to)
{
    volatile uint32_t *word = (volatile uint32_t *)((char *)t + 4);
    uint32_t old = __atomic_load_n(word, __ATOMIC_ACQUIRE);
    for (int tries = 0; tries < TASK_CAS_TRIES && ((old >> 8) & 0xff) == from; tries++) {
        uint32_t new_word = (old & ~0xff00u) | ((uint32_t)to << 8);
        if (__atomic_compare_exchange_n(word, &old, new_word, 0, __ATOMIC_ACQ_REL,
                                        __ATOMIC_ACQUIRE))
            return 1;
    }
    return 0;
}

#define RT_READY            0x52454000u    /* a magic whose low 12 bits are 0:
                                              one lui makes it (user_schedule.S) */
/* VDSO_DATA.rt_off: why user-mode switching is off for the process. */
#define RT_OFF_POLICY_FAULT 1              /* the policy faulted (the kernel) */
#define RT_OFF_LOCK         2              /* the queue lock was held too long,
                                              or by no thread (the runtime) */
#define RT_OFF_QUEUE        3              /* the queue gave more tasks than
                                              there are threads (the runtime) */
/* current[hart] of a thread that has parked itself and is asking the kernel
 * to pick the next one (the yield system call with parked = 1). */
#define CURRENT_PARKING     0x80000000u
#define TASK_FLAG_IN_QUEUE  0x1            /* TaskSched.flags: in `queue` */
/* Every flag TaskSched.flags has: the runtime's fast path
 * (user/runtime/user_schedule.S) tests the whole byte for "in the queue"
 * and clears it with one store; a new flag changes that (runtime.c
 * asserts RT_FLAGS_ALL against this). */
#define TASK_FLAGS_ALL      TASK_FLAG_IN_QUEUE

/*
 * The user-side runtime: a second blob in the shared code pages, right
 * after the policy's 16 pages, laid out like a policy blob (struct
 * sched_blob_header, magic SCHED_RUNTIME_MAGIC) with these entry points in
 * op_offset[]:
 */
#define SCHED_RUNTIME_MAGIC  0x4e555254u    /* "TRUN" */
#define SHARED_RUNTIME_ADDR  (SHARED_CODE_ADDR + 16 * 4096ULL)
#define SHARED_RUNTIME_PAGES 4
/* user_schedule: yield the hart, entered (jumped to, or called) with the
 * thread's slot `me` in a2, not a0: not a C function (yield_, user/lib/
 * yield.S, is its C face, int yield_(void)).  Switches to the next thread
 * of this process in user mode if the policy picks one and nothing more
 * urgent waits elsewhere (returns 1 in a0), else makes the yield system
 * call (returns 0); keeps ra, sp, tp, gp and s0..s11 as a call does. */
#define RT_USER_SCHEDULE   0
/* void resume_parked(uint32_t me): entered by the kernel (never called) to
 * resume a thread parked by a user-mode switch: restores its saved context
 * (it leaves the process's queue at its next yield). */
#define RT_RESUME_PARKED   1
/* A restartable sequence (rt_commit_current in user/runtime/switch.S):
 * a trap from user mode with pc after RT_COMMIT_START and up to the store
 * at RT_COMMIT_STORE resumes at RT_COMMIT_START. */
#define RT_COMMIT_START    2
#define RT_COMMIT_STORE    3
/* void leave_queue(uint32_t me): called by a thread about to exit, to take
 * its record out of the process's queue. */
#define RT_LEAVE_QUEUE     4
/* rt_rescue(uint64_t word): entered by the kernel (never called) when the
 * policy faults in user mode, with the thread's rescue word
 * (ctx[TASK_CTX_RESCUE] of its record, RT_RESCUE_EXECUTOR stripped): back
 * to the save it names (a yield's: the record's offset among the records,
 * or the record's own address for a light one; rt_park's; or a buffer of
 * rt_setjmp's), which lets go of the queue and yields through the kernel.
 * The kernel only hands the word over: whatever it names, the loads are
 * the runtime's, in user mode. */
#define RT_RESCUE          5
/* Set in a thread's ctx[TASK_CTX_RESCUE] beside the buffer's address (which
 * is 8-aligned) while the coroutine executor, not user_schedule, runs the
 * policy: a policy the kernel replaces while the thread is in it is left
 * to finish there (it orders only that process's coroutines, and stopping
 * it halfway would leave the executor's queue half changed); a fault in it
 * still sends the thread back to the buffer. */
#define RT_RESCUE_EXECUTOR 0x1ULL
/* int64_t co_call(op, env, a, b, c, d): the coroutine executor's
 * operations (sched_abi/coro.h), for processes and the kernel alike. */
#define RT_CO_CALL         6
/* user_entry(argc, argv, task, program entry): where the kernel starts
 * every process (user/runtime/user_entry.c). */
#define RT_USER_ENTRY      7

/*
 * The runtime's header: a policy blob's header (whose eight op_offset[]
 * are all in use, above), then words only the runtime exports.  Its
 * header_size is sizeof(struct sched_runtime_header), and that is its
 * version: a word is added at the end, never moved, and exists when
 * header_size covers it.  (A policy's header_size stays 128: the policy
 * ABI, sched_abi.h, does not change.)  The kernel embeds the runtime and
 * checks the header at boot (shared_init, os/sched/shared.c), as
 * scripts/blobcheck.py --runtime does at build time.
 */
struct sched_runtime_header {
    struct sched_blob_header blob;     /*   0: header_size = sizeof(this) */
    /* 128: the switch's tail (user_schedule.S, rt_switch_to_next): a trap
     * from user mode with pc after RT_COMMIT_STORE and up to this offset
     * (the queue lock's release, not yet made) came after current[hart]
     * named the next thread and before the lock, held in the old thread's
     * name, was let go.  The kernel spares it like the lock's holder
     * (os/sched/reconcile.c, in_switch_tail).  At most
     * RT_SWITCH_TAIL_MAX_BYTES past RT_COMMIT_STORE. */
    uint64_t switch_release_offset;
    /* 136: user_schedule_light (me in a2): RT_USER_SCHEDULE for a
     * caller that keeps only ra, sp, tp, gp and s0..s2 across the call
     * (yield_light, <unistd.h>, tells the compiler so): its save and the
     * load of whoever switches back to it are those six registers, not
     * fifteen. */
    uint64_t light_schedule_offset;
};
#define RT_SWITCH_TAIL_MAX_BYTES 32        /* eight instructions: a spare
                                              there finishes a switch, it is
                                              no section of the process's */
_Static_assert(sizeof(struct sched_runtime_header) == 144, "runtime header: 144 bytes");
_Static_assert(__builtin_offsetof(struct sched_runtime_header, light_schedule_offset) == 136,
               "runtime header: light_schedule_offset");
_Static_assert(__builtin_offsetof(struct sched_runtime_header, switch_release_offset) == 128,
               "runtime header: switch_release_offset");
_Static_assert(SCHED_MAX_TASKS * sizeof(TaskSched) == SHARED_TASK_PAGES * 4096,
               "TaskSched heap: 16 records a page");

/*
 * SCHED_KINFO: one page after the runtime, the same frame in every process,
 * read-only in user mode.  The kernel keeps it current (under its scheduler
 * lock), so every process sees at once what waits in the kernel's queue.
 */
#define SHARED_KINFO_ADDR   (SHARED_RUNTIME_ADDR + SHARED_RUNTIME_PAGES * 4096ULL)
#define SCHED_KINFO_MAGIC   0x4f464e4bu    /* "KNFO" */
typedef struct SCHED_KINFO {
    uint32_t magic;                   /*  0: SCHED_KINFO_MAGIC */
    volatile uint32_t queued_top;     /*  4: best priority waiting in the
                                             kernel's queue among threads
                                             only the kernel can run (not
                                             parked in user mode), any
                                             process; 0 if none */
    volatile uint32_t user_switching_off; /* 8: nonzero once the kernel has
                                             replaced a misbehaving policy
                                             blob: the runtime then yields
                                             through the kernel */
    volatile uint32_t trace_on;       /* 12: nonzero while the kernel records
                                             a timeline (make trace): the
                                             runtime appends to the process's
                                             ring (sched_abi/utrace.h) */
    /* A yield through the kernel that comes straight back.  A thread that
     * parks for the kernel because something there is as urgent
     * (queued_top) may be handed back at once: under a per-hart policy
     * (multiqueue) that thread waits in another hart's queue, which this
     * hart's fetch does not take from.  Asking again before anything new
     * is queued would get the same answer, so the kernel says when that
     * happened, and the runtime then decides among its own threads. */
    volatile uint64_t enqueues;       /* 16: how many times a thread only
                                             the kernel can run has been
                                             queued (only grows) */
    volatile uint64_t futile_at[SCHED_MAX_HARTS]; /* 24: per hart, `enqueues`
                                             when a parked thread's yield
                                             through the kernel there last
                                             got that thread back with
                                             nothing run in between */
    volatile uint32_t futile_prio[SCHED_MAX_HARTS]; /* 88: its priority */
    /* Where each hart's time went, for benchmarks (b_prings): since boot,
     * in microseconds, only growing.  A benchmark reads them before and
     * after its run: a hart that was idle or spun while the run was slow
     * waited for something, it did not compute. */
    volatile uint64_t idle_us[SCHED_MAX_HARTS];  /* 120: asleep in the idle
                                             loop (wfi) */
    volatile uint64_t spin_us[SCHED_MAX_HARTS];  /* 184: spinning for a
                                             kernel lock another hart held */
    /* idle_us grows when a sleep ends, so a hart asleep when a reader
     * looks (at the end of a run, most often: an idle hart sleeps until
     * its next tick, 10 ms) counts that sleep into the next run instead.
     * This word says the same total up to the reader's moment, in one
     * load: without IDLE_ASLEEP, the hart is awake and this is its total
     * (idle_us); with it, the hart sleeps, and its total at time T
     * (microseconds since boot: time() / 1000) is T minus the other bits.
     * (b_prings: hart_time_now.) */
    volatile uint64_t idle_clock_us[SCHED_MAX_HARTS]; /* 248 */
    uint8_t  reserved[1024 - 312];
    /* Bound once, at boot, when the policy is known (shared_bind_policy,
     * os/sched/shared.c): what the runtime's fast path (user/runtime/
     * user_schedule.S) would otherwise derive at every user-mode switch
     * from words of VDSO_DATA, which the process can write, and check.
     * Here, in a page no process can write, they need no check. */
    volatile uint64_t rt_yield_fetch; /* 1024: the address, in every process,
                                             of the policy's yield_fetch when
                                             the fast path may call it alone
                                             (the policy has one and is not
                                             per-hart); 0 otherwise, and from
                                             the moment user-mode switching
                                             is turned off */
    struct sched_ctx rt_ctx;          /* 1032: the runtime's policy calls'
                                             context: the process's records
                                             and queue, SCHED_MAX_TASKS, the
                                             machine's nharts, serial calls */
    uint32_t rt_last_hart;            /* 1064: rt_ctx.nharts - 1, the fast
                                             path's bound on the hart it reads
                                             (and 0, "one hart", its test
                                             for what only more harts do) */
    uint8_t  reserved_end[4096 - 1068];
} SCHED_KINFO;
#define IDLE_ASLEEP (1ull << 63)        /* in idle_clock_us */
_Static_assert(__builtin_offsetof(SCHED_KINFO, futile_prio) == 88, "KINFO layout");
_Static_assert(__builtin_offsetof(SCHED_KINFO, rt_yield_fetch) == 1024 &&
               __builtin_offsetof(SCHED_KINFO, rt_ctx) == 1032 &&
               __builtin_offsetof(SCHED_KINFO, rt_last_hart) == 1064 &&
               sizeof(struct sched_ctx) == 32 && sizeof(SCHED_KINFO) == 4096, "KINFO layout");
_Static_assert(__builtin_offsetof(SCHED_KINFO, spin_us) == 184, "KINFO layout");
_Static_assert(__builtin_offsetof(SCHED_KINFO, idle_clock_us) == 248, "KINFO layout");
_Static_assert(sizeof(SCHED_KINFO) == 4096, "SCHED_KINFO is one page");

#endif
