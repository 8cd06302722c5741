/*
 * THE SCHEDULER ABI.  This header set is the whole contract between the
 * kernel, the user-side runtime and a scheduling policy; a policy includes
 * this file and nothing else.
 *
 *   - TaskSched: the per-task record a policy reads and links.
 *   - struct sched_queue: the policy's own state, opaque to everyone else.
 *   - struct sched_ctx: what every operation receives.
 *   - The operations (struct sched_ops below documents each).
 *   - struct sched_blob_header: the first bytes of every policy blob.
 *   - VDSO_DATA and block_sched: the first page of the shared region
 *     (sched_abi/vdso.h).
 *
 * Version 2.4.  A change that breaks a built blob bumps the major number;
 * an addition that old blobs can ignore bumps the minor.
 *
 * What changed in 2.4: an optional entry, yield_fetch (below, after struct
 * sched_ops), in what was the header's first two reserved words: yield
 * then fetch in one call, for a process's runtime, whose every user-mode
 * switch is that pair.  A blob without it (the offset 0) gets the two
 * calls, as before.
 *
 * What changed in 2.3: sched_ctx.serial_calls (below), which tells a
 * policy whether the owner ever overlaps calls on this queue, and
 * SCHED_FLAG_TAKES_STALLED.  A policy
 * that keeps per-hart queues may then look into another hart's part in a
 * yield (multiqueue takes the queue of a hart that has stopped making
 * calls).  A blob that ignores it is called exactly as before.
 *
 * What changed in 2.2: SCHED_FLAG_HART_LOCAL (below), a promise that lets
 * one hart's yield and fetch run while another hart's do.  A blob without
 * it is called exactly as before.
 *
 * What changed in 2.1: a thread table (the kernel's, or a process's) holds
 * SCHED_MAX_TASKS = 4096 records instead of 256, and VDSO_DATA's per-task
 * arrays and queue moved into pages of their own (sched_abi/vdso.h).  A
 * 2.0 blob sizes its state by ctx.ntasks, so it runs unchanged.
 *
 * What changed in 2.0: the queue is sized by the table it serves,
 * SCHED_QUEUE_WORDS(ntasks) words instead of a fixed 512, and a table may
 * have up to SCHED_TABLE_MAX records instead of SCHED_MAX_TASKS (a
 * coroutine executor orders its coroutines with the same policies as
 * threads).  A 1.x blob may have sized its state for at most 256 tasks in
 * a 2 KiB queue; handed a bigger table it would run past its queue, so the
 * kernel refuses it: rebuild it against this header.
 *
 * Priorities: 1 (lowest) .. 20 (highest), default 10.  Among equal
 * priorities, tasks run in FIFO order by `age` (smaller = older = first).
 */
#ifndef SCHED_ABI_H
#define SCHED_ABI_H

#include <stdint.h>

#define SCHED_ABI_MAGIC      0x4c504853u   /* "SHPL" little-endian: SHared PoLicy */
#define SCHED_ABI_MAJOR      2
#define SCHED_ABI_MINOR      4

#define SCHED_PRIO_MIN       1
#define SCHED_PRIO_MAX       20
#define SCHED_PRIO_DEFAULT   10

#define SCHED_MAX_TASKS      4096         /* records in a thread table (the
                                             kernel's, or a process's) */
#define SCHED_TABLE_MAX      16384        /* records in any task table: a
                                             coroutine executor's may have
                                             this many (sched_ctx.ntasks) */
#define SCHED_MAX_HARTS      8
#define SCHED_NONE           0xffffffffu  /* "no task" from fetch */

/* Index of the highest set bit of x (x != 0), in five steps whatever x:
 * the portable form of a count-leading-zeros instruction (a policy cannot
 * use __builtin_clz: without the Zbb extension that is a call into
 * libgcc, and a blob calls nothing outside itself). */
static inline uint32_t sched_highest_bit(uint32_t x)
{
    uint32_t n = 0;
    if (x >> 16) { n += 16; x >>= 16; }
    if (x >> 8)  { n += 8;  x >>= 8; }
    if (x >> 4)  { n += 4;  x >>= 4; }
    if (x >> 2)  { n += 2;  x >>= 2; }
    if (x >> 1)  { n += 1; }
    return n;
}

/* Task states, as the owner of the table sees them.  A policy only ever
 * sees READY tasks handed to it; the owner checks every answer. */
enum sched_task_state {
    TASK_FREE    = 0,     /* record unused */
    TASK_READY   = 1,     /* runnable, in the queue */
    TASK_RUNNING = 2,
    TASK_BLOCKED = 3,
    TASK_EXITED  = 4,
};

/*
 * One task's scheduling record: 256 bytes, 16 per page, so the 256-page
 * TaskSched heap of the shared region holds SCHED_MAX_TASKS of them (its
 * pages are mapped as the process's thread slots are first used).
 *
 * The owner (the kernel for its table, the user runtime for a process's)
 * fills id, prio, state, hart and age before handing a task to the policy.
 * A policy may read those and may write only `link` and `policy`; they are
 * zero when a record is first used and are kept between operations (the
 * owner clears them if it switches policies).  `ctx`
 * is the user-mode switch context (callee-saved registers and tp), used by
 * the runtime and read by the kernel, never by a policy.
 */
typedef struct TaskSched {
    uint32_t id;            /*   0: index of this record in its table */
    uint8_t  prio;          /*   4: 1..20 */
    uint8_t  state;         /*   5: enum sched_task_state */
    uint8_t  hart;          /*   6: hart it last ran on (or should run on) */
    uint8_t  flags;         /*   7: owner's; 0 to a policy */
    uint64_t age;           /*   8: enqueue stamp, smaller = older */
    uint32_t link[2];       /*  16: policy-owned (e.g. next/prev index) */
    uint32_t policy[2];     /*  24: policy-owned (e.g. heap position) */
    uint32_t tid;           /*  32: kernel thread id */
    uint32_t pid;           /*  36: kernel process id */
    uint64_t switches;      /*  40: times switched to (statistics) */
    uint64_t ctx[16];       /*  48: ra, sp, tp, s0..s11, (unused): saved
                               by a user-mode switch (TASK_CTX_* below) */
    uint64_t reserved[10];  /* 176: must be zero */
} TaskSched;

/* Where each register sits in TaskSched.ctx. */
#define TASK_CTX_RA 0
#define TASK_CTX_SP 1
#define TASK_CTX_TP 2
#define TASK_CTX_S0 3          /* s0..s11: 3..14 */
#define TASK_CTX_RESCUE 15     /* the user runtime's: where a policy fault in
                                  user mode sends the thread (vdso.h) */

_Static_assert(sizeof(TaskSched) == 256, "TaskSched is 256 bytes");
_Static_assert(__builtin_offsetof(TaskSched, id) == 0, "id");
_Static_assert(__builtin_offsetof(TaskSched, prio) == 4, "prio");
_Static_assert(__builtin_offsetof(TaskSched, state) == 5, "state");
_Static_assert(__builtin_offsetof(TaskSched, hart) == 6, "hart");
_Static_assert(__builtin_offsetof(TaskSched, flags) == 7, "flags");
_Static_assert(__builtin_offsetof(TaskSched, age) == 8, "age");
_Static_assert(__builtin_offsetof(TaskSched, link) == 16, "link");
_Static_assert(__builtin_offsetof(TaskSched, policy) == 24, "policy");
_Static_assert(__builtin_offsetof(TaskSched, tid) == 32, "tid");
_Static_assert(__builtin_offsetof(TaskSched, pid) == 36, "pid");
_Static_assert(__builtin_offsetof(TaskSched, switches) == 40, "switches");
_Static_assert(__builtin_offsetof(TaskSched, ctx) == 48, "ctx");
_Static_assert(__builtin_offsetof(TaskSched, reserved) == 176, "reserved");

/*
 * The policy's queue state, which only the policy interprets.
 *
 * Its size depends on the table it serves: a policy may use
 * queue->word[0 .. SCHED_QUEUE_WORDS(c->ntasks) - 1] and nothing past it,
 * and the owner zeroes all of those words before init.  That is a fixed
 * part (a FIFO per priority, per-hart state: whatever does not grow with
 * the tasks) plus one word per task (a max-heap keeps its array of task
 * indices there).  Why it grows: a coroutine executor orders up to
 * SCHED_TABLE_MAX coroutines with the same policies as threads, and a
 * fixed queue big enough for that would cost every process 66 KiB.
 *
 * The declared size is that of the largest queue, for SCHED_TABLE_MAX
 * tasks, so that every index a policy may use is inside the array (UBSan's
 * bounds checks agree) and sizeof(struct sched_queue) is always enough.
 * An owner need not allocate more than SCHED_QUEUE_BYTES(ntasks); the
 * queue in VDSO_DATA does not (it holds SCHED_MAX_TASKS tasks' worth).
 */
#define SCHED_QUEUE_FIXED_WORDS 512
#define SCHED_QUEUE_WORDS(ntasks) (SCHED_QUEUE_FIXED_WORDS + (ntasks))
#define SCHED_QUEUE_BYTES(ntasks) (SCHED_QUEUE_WORDS(ntasks) * 4u)
struct sched_queue {
    uint32_t word[SCHED_QUEUE_WORDS(SCHED_TABLE_MAX)];
};
_Static_assert(sizeof(struct sched_queue) == SCHED_QUEUE_BYTES(SCHED_TABLE_MAX),
               "sched_queue: the largest queue");

/*
 * What every operation receives: pointers valid in the caller's address
 * space (the kernel's alias, or SHARED_BASE in a process).  They are passed
 * in registers, never stored in shared memory.
 */
struct sched_ctx {
    TaskSched *tasks;            /* the task table */
    struct sched_queue *queue;   /* the policy's state */
    uint32_t ntasks;             /* records in the table (<= SCHED_TABLE_MAX);
                                    the queue has SCHED_QUEUE_WORDS(ntasks)
                                    words */
    uint32_t nharts;             /* harts (<= SCHED_MAX_HARTS); hart ids < nharts */
    uint32_t serial_calls;       /* 2.3: nonzero if the owner never overlaps
                                    two calls on this queue, whatever the
                                    flags (a process's runtime and a
                                    coroutine executor call under one lock);
                                    0 if it may (the kernel, under
                                    SCHED_FLAG_HART_LOCAL: see below).  Only
                                    with it set may a yield or fetch look
                                    outside its hart's part. */
};

/*
 * The operations.  Common rules for every one of them:
 *   - Called with the owner's queue lock held and, in the kernel,
 *     interrupts off; calls on one queue never overlap, except as
 *     SCHED_FLAG_HART_LOCAL allows (below).  So: no locking, no blocking,
 *     no waiting, bounded time (O(n) in the tasks at most; with n up to
 *     SCHED_TABLE_MAX, an O(n) walk on every call is slow).
 *   - `hart` is the hart making the call (< nharts); `task` is an index
 *     < ntasks of a record whose fields the owner has filled.
 *   - A policy keeps no state of its own: everything lives in
 *     ctx->queue and in the link/policy fields of the records.
 *   - It may read any record, write only link[] and policy[] of records,
 *     and the queue.  It must not touch memory outside those.
 *   - It must not call anything outside the blob (no libc, no kernel).
 * The kernel checks what comes back (fetch's answer must be a READY task it
 * handed over; none may go missing) and replaces a policy that breaks the
 * contract with the built-in default, saying why on the console.
 */
struct sched_ops {
    /* Once, before any other call, on a zeroed queue. */
    void (*init)(const struct sched_ctx *c);
    /* `task` became runnable (new, or its priority changed): queue it.  Its
     * age is fresh, so FIFO policies put it behind its equals.  (When the
     * kernel replaces a policy it re-adds the queued tasks with their
     * original ages, so their order survives.) */
    void (*add)(const struct sched_ctx *c, uint32_t hart, uint32_t task);
    /* Pick the task `hart` should run next, remove it from the queue and
     * return its index; SCHED_NONE only if nothing at all is queued.  A
     * per-hart policy must take a task queued for another hart rather than
     * leave this one idle (the kernel treats SCHED_NONE with tasks queued
     * as a lost task). */
    uint32_t (*fetch)(const struct sched_ctx *c, uint32_t hart);
    /* The running `task` gives the hart up voluntarily and stays runnable:
     * queue it again (usually behind its equals, as add does). */
    void (*yield)(const struct sched_ctx *c, uint32_t hart, uint32_t task);
    /* A blocked `task` is runnable again: queue it (a policy may favour a
     * task that slept). */
    void (*wake)(const struct sched_ctx *c, uint32_t hart, uint32_t task);
    /* Take a queued `task` out, wherever it is in the queue: its priority
     * changes (add follows; a kill raises its threads' to the top), the kernel learns that a process switched to
     * it in user mode (it leaves the kernel's queue), or its owner drops
     * it (a cancelled coroutine, a thread leaving its process's queue).
     * Only called for tasks in the queue; `hart` is the calling hart, which
     * may not be the one the task is queued for. */
    void (*remove)(const struct sched_ctx *c, uint32_t hart, uint32_t task);
    /* The priority fetch(hart) would return now, 0 if none.  Must not change
     * the queue: it is called often (every tick, every user-mode yield). */
    uint32_t (*top_priority)(const struct sched_ctx *c, uint32_t hart);
    /* Timer tick on `hart` while `task` runs (SCHED_NONE if idle).  Return
     * nonzero to ask the kernel to preempt it at the next chance; the
     * kernel also preempts on its own when a more urgent task waits. */
    uint32_t (*tick)(const struct sched_ctx *c, uint32_t hart, uint32_t task);
};

#define SCHED_OP_INIT     0
#define SCHED_OP_ADD      1
#define SCHED_OP_FETCH    2
#define SCHED_OP_YIELD    3
#define SCHED_OP_WAKE     4
#define SCHED_OP_REMOVE   5
#define SCHED_OP_TOP      6
#define SCHED_OP_TICK     7
#define SCHED_OP_COUNT    8

/*
 * Optional (2.4): yield_fetch(c, hart, task) must do exactly what
 * yield(c, hart, task) followed by fetch(c, hart) do: the same answer, and
 * the queue and the records' link[]/policy[] left the same.  A process's
 * runtime calls it on its user-mode switches (always that pair, under its
 * queue lock: serial_calls is set), and the kernel on its yields under
 * sched_lock held exclusively (serial_calls set too); the coroutine
 * executors, and the kernel's overlapping yields (SCHED_FLAG_HART_LOCAL),
 * make the two calls.  Why it exists: one call instead of two,
 * and a policy that sees both halves may skip work the pair would undo
 * (fifo's task going in at the tail while the head comes out; heap's
 * yielded task taking the root's place).  A policy that has none leaves
 * the header's yield_fetch_offset 0 (SCHED_POLICY does).
 */
typedef uint32_t (*sched_yield_fetch_fn)(const struct sched_ctx *c, uint32_t hart,
                                         uint32_t task);

/*
 * The first bytes of a policy blob (a flat binary, linked at address 0).
 * Offsets are from the start of the blob.  The checksum is the 32-bit
 * FNV-1a of the whole blob (total_size bytes) with the checksum field
 * itself taken as zero.  Reserved fields must be zero.
 */
#define SCHED_NAME_LEN    16
#define SCHED_BLOB_MAX    (16 * 4096)     /* code pages in the shared region */

struct sched_blob_header {
    uint32_t magic;                    /*  0: SCHED_ABI_MAGIC */
    uint16_t abi_major;                /*  4 */
    uint16_t abi_minor;                /*  6 */
    uint32_t header_size;              /*  8: sizeof(struct sched_blob_header) */
    uint32_t total_size;               /* 12: whole blob, header included */
    char     name[SCHED_NAME_LEN];     /* 16: NUL-terminated policy name */
    uint32_t flags;                    /* 32: SCHED_FLAG_* */
    uint32_t checksum;                 /* 36: FNV-1a, see above */
    uint64_t op_offset[SCHED_OP_COUNT];/* 40: entry of each operation */
    uint64_t yield_fetch_offset;       /* 104: 2.4, optional: 0 for none */
    uint32_t reserved[4];              /* 112: must be zero */
};                                     /* 128 bytes */
_Static_assert(sizeof(struct sched_blob_header) == 128, "blob header is 128 bytes");
_Static_assert(__builtin_offsetof(struct sched_blob_header, name) == 16, "name");
_Static_assert(__builtin_offsetof(struct sched_blob_header, checksum) == 36, "checksum");
_Static_assert(__builtin_offsetof(struct sched_blob_header, op_offset) == 40, "op_offset");
_Static_assert(__builtin_offsetof(struct sched_blob_header, yield_fetch_offset) == 104,
               "yield_fetch_offset");
_Static_assert(__builtin_offsetof(struct sched_blob_header, reserved) == 112, "reserved");

/* Flags (struct sched_blob_header.flags). */
#define SCHED_FLAG_PRIORITY 0x1   /* on one hart, always picks the most urgent
                                     ready task (FIFO among equals) */
#define SCHED_FLAG_PER_HART 0x2   /* keeps a queue per hart */
#define SCHED_FLAG_HART_LOCAL 0x4 /* a hart's yield and fetch stay in its own
                                     part of the queue: see below (2.2) */
#define SCHED_FLAG_TAKES_STALLED 0x8 /* with serial_calls, what waits in the
                                     part of a hart that makes no calls is
                                     taken by a hart that does (2.3) */
#define SCHED_FLAGS_KNOWN   (SCHED_FLAG_PRIORITY | SCHED_FLAG_PER_HART | \
                             SCHED_FLAG_HART_LOCAL | SCHED_FLAG_TAKES_STALLED)

/*
 * SCHED_FLAG_HART_LOCAL: which calls may overlap.
 *
 * A policy that sets it promises, for every hart h:
 *   - yield(h, task) queues task in h's part of the queue;
 *   - yield(h, task) followed by fetch(h), while h's part is not empty
 *     (as it never is after that yield), read and write only h's part of
 *     the queue words and the link[]/policy[] of tasks queued in h's part,
 *     and fetch returns a task from h's part.
 * In return, the owner may make that pair of calls (yield(h, ...) then
 * fetch(h), one pair at a time per hart) for different harts at the same
 * time.  Every other call (init, add, wake, remove, top_priority, tick, a
 * fetch on its own, a yield on its own, and a yield and fetch for a hart
 * whose part may be empty) never overlaps any other call, as without the
 * flag.  "h's part" is the policy's to define; only it touches the words.
 *
 * The kernel checks a fetch made under the flag as it checks any other,
 * and more: the task must be one it queued, not yet handed out (two harts
 * never get the same task), and not one that another hart's overlapping
 * yield queued.  A policy that breaks the promise is replaced by the
 * built-in one, as for any broken contract.  Process runtimes (user-mode
 * switching) call a policy under their own lock and ignore the flag.
 *
 * The promise binds only where calls may overlap, that is, while
 * ctx->serial_calls is 0.  With it set, the owner makes one call at a time
 * (2.3), and yield and fetch may read and write any hart's part.  The
 * kernel passes 0 for the calls that may overlap.
 *
 * SCHED_FLAG_TAKES_STALLED (2.3): a per-hart policy that sets it promises
 * that, where serial_calls is set, a task queued in the part of a hart
 * that has stopped making calls does not wait there for that hart: a hart
 * that keeps yielding takes it.  A process's runtime then lets its harts
 * rest (give the host its time back while other harts run the process):
 * without the promise, a rested hart's tasks would wait in its part until
 * it came back (docs/user-mode-switching.md, "Resting").
 */

/* A policy as a table of functions: how the kernel's built-in fallback and
 * the host-side tests use a policy's source without building a blob. */
struct sched_policy_desc {
    const char *name;
    uint32_t flags;
    struct sched_ops ops;
    sched_yield_fetch_fn yield_fetch;   /* NULL if the policy has none */
};

/*
 * The last line of a policy's one C file.  Each f_* is a function of the
 * policy with the prototype given in struct sched_ops.  A policy that has
 * a yield_fetch (optional: see above) ends with
 * SCHED_POLICY_WITH_YIELD_FETCH instead, naming it last.
 *
 * Built as a blob, it defines the blob header: the blob is linked at 0, so
 * the functions' addresses are their offsets (scripts/blobcheck.py then
 * fills total_size and checksum).  Built with -DSCHED_BUILTIN_OPS=NAME (the
 * kernel's fallback copy, host tests) it defines a struct sched_policy_desc
 * called NAME instead.
 */
#ifdef SCHED_BUILTIN_OPS
#define SCHED_POLICY_WITH_YIELD_FETCH(pname, pflags, f_init, f_add, f_fetch,    \
                                      f_yield, f_wake, f_remove, f_top, f_tick,\
                                      f_yield_fetch)                           \
    const struct sched_policy_desc SCHED_BUILTIN_OPS = {                      \
        pname, pflags,                                                        \
        { f_init, f_add, f_fetch, f_yield, f_wake, f_remove, f_top, f_tick }, \
        f_yield_fetch,                                                        \
    }
#else
#define SCHED_POLICY_WITH_YIELD_FETCH(pname, pflags, f_init, f_add, f_fetch,    \
                                      f_yield, f_wake, f_remove, f_top, f_tick,\
                                      f_yield_fetch)                           \
    __attribute__((section(".sched_header"), used))                           \
    const struct sched_blob_header sched_blob_header = {                      \
        .magic = SCHED_ABI_MAGIC,                                             \
        .abi_major = SCHED_ABI_MAJOR,                                         \
        .abi_minor = SCHED_ABI_MINOR,                                         \
        .header_size = sizeof(struct sched_blob_header),                      \
        .name = pname,                                                        \
        .flags = pflags,                                                      \
        .op_offset = {                                                        \
            (uint64_t)(uintptr_t)f_init, (uint64_t)(uintptr_t)f_add,          \
            (uint64_t)(uintptr_t)f_fetch, (uint64_t)(uintptr_t)f_yield,       \
            (uint64_t)(uintptr_t)f_wake, (uint64_t)(uintptr_t)f_remove,       \
            (uint64_t)(uintptr_t)f_top, (uint64_t)(uintptr_t)f_tick,          \
        },                                                                    \
        .yield_fetch_offset = (uint64_t)(uintptr_t)f_yield_fetch,             \
    }
#endif

/* The usual last line: no yield_fetch (its offset 0 in the header). */
#define SCHED_POLICY(pname, pflags, f_init, f_add, f_fetch, f_yield, f_wake, \
                     f_remove, f_top, f_tick)                                 \
    SCHED_POLICY_WITH_YIELD_FETCH(pname, pflags, f_init, f_add, f_fetch,      \
                                  f_yield, f_wake, f_remove, f_top, f_tick,   \
                                  (sched_yield_fetch_fn)0)

#endif
