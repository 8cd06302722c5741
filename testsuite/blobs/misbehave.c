/*
 * misbehave: a FIFO (fifo_base.h) that breaks the contract in one
 * operation, one way, from that operation's MB_AFTER-th call on (on the
 * chosen side).  Which
 * operation, how and where are chosen at build time, so that one source
 * gives a blob per case, each one file: the test (test_sched.py,
 * misbehaving_blob) writes a file of three or four defines that includes
 * this one, and builds it with `make sched-blob SRC=...`, e.g.
 *
 *     #define MB_NAME "loop_remove"
 *     #define MB_OP   MB_REMOVE
 *     #define MB_HOW  MB_LOOP
 *     #include "/path/to/testsuite/blobs/misbehave.c"
 *
 * MB_OP:    MB_ADD MB_WAKE MB_YIELD MB_REMOVE MB_FETCH MB_TOP MB_TICK (init:
 *           init_faulter.c, init_looper.c: it is called once), or
 *           MB_YIELD_FETCH: only then has the blob the optional yield_fetch
 *           entry (ABI 2.4), which the kernel yield calls instead of yield
 *           and fetch (the others are the policies without one)
 * MB_HOW:   MB_LOOP    never returns
 *           MB_FAULT   reads far outside the task table (a load page fault)
 *           MB_GARBAGE fetch: a task number past any table; top_priority:
 *                      99, not a priority (the other operations answer
 *                      nothing: no garbage to give)
 *           MB_TWICE   fetch: the task it handed out last, while the
 *                      kernel's record of it still says RUNNING (it has
 *                      not come back: it runs, or blocked after running)
 * MB_WHERE: MB_KERNEL (default) misbehaves only on the kernel's queue, so
 *           that the kernel's own checks are what the test sees; MB_USER
 *           only on a process's queue (the runtime runs the policy in
 *           user mode: docs/user-mode-switching.md), so that the kernel's
 *           queue stays right and only the process's side is tested.
 *
 * queue->word[3] counts the chosen operation's calls, word[4] is the task
 * fetch handed out last (word[0..2]: fifo_base.h).
 * Built only to check that the kernel notices and replaces it.
 */
#include "fifo_base.h"
#include "vdso.h"          /* SHARED_CODE_ADDR */

#define MB_ADD    1
#define MB_WAKE   2
#define MB_YIELD  3
#define MB_REMOVE 4
#define MB_FETCH  5
#define MB_TOP    6
#define MB_TICK   7
#define MB_YIELD_FETCH 8

#define MB_LOOP    1
#define MB_FAULT   2
#define MB_GARBAGE 3
#define MB_TWICE   4

#define MB_KERNEL 1
#define MB_USER   2

#if !defined(MB_NAME) || !defined(MB_OP) || !defined(MB_HOW)
#error "define MB_NAME, MB_OP and MB_HOW (see the comment at the top)"
#endif
#ifndef MB_WHERE
#define MB_WHERE MB_KERNEL
#endif
#if MB_HOW == MB_GARBAGE && MB_OP != MB_FETCH && MB_OP != MB_TOP && MB_OP != MB_YIELD_FETCH
#error "MB_GARBAGE: only fetch, yield_fetch and top_priority answer something"
#endif
#if MB_HOW == MB_TWICE && MB_OP != MB_FETCH
#error "MB_TWICE: only fetch hands out tasks"
#endif

/* Past the first few calls (the policy works at first), and few enough
 * that the test's workload reaches it in every operation. */
#define MB_AFTER 10

#define OP_CALLS(c) ((c)->queue->word[3])
#define LAST(c)     ((c)->queue->word[4])

static void p_init(const struct sched_ctx *c)
{
    fb_init(c);
    OP_CALLS(c) = 0;
    LAST(c) = SCHED_NONE;
}

/* A process's thread queue is in its shared data pages, below the shared
 * code (vdso.h), and its coroutine executors' queues are lower still; the
 * kernel's is above the shared code (KSCHED_BASE, os/memlayout.h). */
static inline int here(const struct sched_ctx *c)
{
    int in_kernel = (uintptr_t)c->queue >= SHARED_CODE_ADDR;
    return MB_WHERE == MB_KERNEL ? in_kernel : !in_kernel;
}

/* True when operation `op` is to misbehave on this call. */
static inline int now(const struct sched_ctx *c, int op)
{
    return op == MB_OP && here(c) && ++OP_CALLS(c) >= MB_AFTER;
}

/* MB_LOOP and MB_FAULT, the same in every operation. */
static inline void loop_or_fault(const struct sched_ctx *c)
{
#if MB_HOW == MB_LOOP
    (void)c;
    for (;;)
        __asm__ volatile("");                   /* a loop the compiler keeps */
#elif MB_HOW == MB_FAULT
    /* volatile: the value is not used, the read must happen. */
    (void)*(volatile uint32_t *)&c->tasks[0x7fffffffu].id;   /* far outside the table */
#else
    (void)c;
#endif
}

static void p_add(const struct sched_ctx *c, uint32_t hart, uint32_t task)
{
    if (now(c, MB_ADD))
        loop_or_fault(c);
    fb_add(c, hart, task);
}

static void p_wake(const struct sched_ctx *c, uint32_t hart, uint32_t task)
{
    if (now(c, MB_WAKE))
        loop_or_fault(c);
    fb_add(c, hart, task);
}

static void p_yield(const struct sched_ctx *c, uint32_t hart, uint32_t task)
{
    if (now(c, MB_YIELD))
        loop_or_fault(c);
    fb_add(c, hart, task);
}

static void p_remove(const struct sched_ctx *c, uint32_t hart, uint32_t task)
{
    if (now(c, MB_REMOVE))
        loop_or_fault(c);
    fb_remove(c, hart, task);
}

static uint32_t p_fetch(const struct sched_ctx *c, uint32_t hart)
{
    if (now(c, MB_FETCH)) {
#if MB_HOW == MB_GARBAGE
        return 0xfffffff0u;                     /* past any task table */
#elif MB_HOW == MB_TWICE
        if (LAST(c) != SCHED_NONE && c->tasks[LAST(c)].state == TASK_RUNNING)
            return LAST(c);                     /* out already, not given back */
#else
        loop_or_fault(c);
#endif
    }
    LAST(c) = fb_fetch(c, hart);
    return LAST(c);
}

static uint32_t p_top(const struct sched_ctx *c, uint32_t hart)
{
    if (now(c, MB_TOP)) {
#if MB_HOW == MB_GARBAGE
        return 99;                              /* priorities are 1..20 */
#else
        loop_or_fault(c);
#endif
    }
    return fb_top(c, hart);
}

static uint32_t p_tick(const struct sched_ctx *c, uint32_t hart, uint32_t task)
{
    if (now(c, MB_TICK))
        loop_or_fault(c);
    return fb_tick(c, hart, task);
}

#if MB_OP == MB_YIELD_FETCH
/* Right until it misbehaves: yield then fetch, as the ABI asks. */
static uint32_t p_yield_fetch(const struct sched_ctx *c, uint32_t hart, uint32_t task)
{
    if (now(c, MB_YIELD_FETCH)) {
#if MB_HOW == MB_GARBAGE
        return 0xfffffff0u;                     /* past any task table */
#else
        loop_or_fault(c);
#endif
    }
    p_yield(c, hart, task);
    return p_fetch(c, hart);
}

SCHED_POLICY_WITH_YIELD_FETCH(MB_NAME, 0, p_init, p_add, p_fetch, p_yield, p_wake, p_remove,
                              p_top, p_tick, p_yield_fetch);
#else
SCHED_POLICY(MB_NAME, 0, p_init, p_add, p_fetch, p_yield, p_wake, p_remove, p_top, p_tick);
#endif
