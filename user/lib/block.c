/*
 * Yield and block.  A yield goes to the shared runtime's user_schedule(),
 * the code mapped into every process next to the scheduling policy: it
 * switches to another thread of this process in user mode when the policy
 * says so, and makes the yield system call otherwise.
 */
#include <stddef.h>
#include <unistd.h>
#include "block.h"
#include "sys.h"
#include "uthread.h"
#include "vdso.h"

typedef int (*runtime_fn)(uint32_t me);

/* The runtime's entry `which`, or NULL if the shared region is not there. */
static runtime_fn runtime_entry(int which)
{
    const VDSO_DATA *v = (const VDSO_DATA *)SHARED_BASE_ADDR;
    const struct sched_blob_header *rt = (const void *)SHARED_RUNTIME_ADDR;
    if (v->magic != SCHED_VDSO_MAGIC || rt->magic != SCHED_RUNTIME_MAGIC)
        return NULL;
    return (runtime_fn)(SHARED_RUNTIME_ADDR + rt->op_offset[which]);
}

/* The runtime's user_schedule_light, from its header's own words (found
 * by runtime_entry first; the kernel embeds the runtime, so the word is
 * there, but a header too short for it gets the full entry). */
static runtime_fn light_entry(void)
{
    const struct sched_runtime_header *rt = (const void *)SHARED_RUNTIME_ADDR;
    if (rt->blob.header_size < sizeof(*rt))
        return runtime_entry(RT_USER_SCHEDULE);
    return (runtime_fn)(SHARED_RUNTIME_ADDR + rt->light_schedule_offset);
}

/* yield_ before the runtime is found (yield_entry's first value), and
 * for good in a process without one.  Takes what yield_ passes, the
 * record index, as user_schedule does, and ignores it. */
int yield_first(uint32_t task);
static int yield_through_kernel(uint32_t task);

/* Where yield_ (yield.S) jumps, with this thread's record index: the
 * runtime's user_schedule once found.  It starts as yield_first, which
 * looks, so that yield_ needs no test for "not yet".  Found once: the
 * region and the runtime in it stay where they are for the life of the
 * process (a forked child has the same ones). */
runtime_fn yield_entry = yield_first;
/* Where yield_light (<unistd.h>, through yield_light_call in yield.S)
 * jumps: the runtime's user_schedule_light once found.  Until then
 * yield_first too: a C function keeps more registers than a light caller
 * needs kept. */
runtime_fn yield_light_entry = yield_first;
/* yield_ loads the record index at this offset from tp: were the field to
 * move, it would hand user_schedule half of a pointer instead. */
_Static_assert(offsetof(struct uthread, task) == 8, "yield.S: UTHREAD_TASK");

int yield_first(uint32_t task)
{
    (void)task;
    runtime_fn entry = runtime_entry(RT_USER_SCHEDULE);
    yield_entry = entry ? entry : yield_through_kernel;
    yield_light_entry = entry ? light_entry() : yield_through_kernel;
    return yield_entry(uthread_self()->task);
}

static int yield_through_kernel(uint32_t task)
{
    (void)task;
    sys_call0(SYS_yield);                   /* no runtime: the kernel's way */
    return 0;
}

void thread_leave_runqueue(void)
{
    runtime_fn leave_queue = runtime_entry(RT_LEAVE_QUEUE);
    if (leave_queue)
        leave_queue(uthread_self()->task);
}

int thread_yield_hart(void)
{
    return yield_();
}

int thread_block_on(uint32_t *addr, uint32_t expected, uint64_t timeout_ms)
{
    return (int)sys_call3(SYS_futex_wait, (long)addr, (long)expected,
                          (long)timeout_ms);
}

int thread_wake_on(uint32_t *addr, int max)
{
    return (int)sys_call2(SYS_futex_wake, addr, max);
}

/* The public yield() of <unistd.h> goes the same way. */
int yield(void)
{
    thread_yield_hart();
    return 0;
}
