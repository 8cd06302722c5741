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

/* Where yield_ and yield_light_call (yield.S) jump, with the record index
 * in a2: the runtime's two entries, or yield_first and
 * yield_through_kernel below, C functions that take no argument. */
typedef int (*runtime_fn)(void);

/* The address of the runtime's entry `which`, or 0 if the shared region
 * is not there. */
static uintptr_t runtime_entry(int which)
{
    const VDSO_DATA *v = (const VDSO_DATA *)SHARED_BASE_ADDR;
    const struct sched_blob_header *rt = (const void *)SHARED_RUNTIME_ADDR;
    if (v->magic != SCHED_VDSO_MAGIC || rt->magic != SCHED_RUNTIME_MAGIC)
        return 0;
    return SHARED_RUNTIME_ADDR + rt->op_offset[which];
}

/* The runtime's user_schedule_light, from its header's own words (found
 * by runtime_entry first; the kernel embeds the runtime, so the word is
 * there, but a header too short for it gets the full entry). */
static runtime_fn light_entry(void)
{
    const struct sched_runtime_header *rt = (const void *)SHARED_RUNTIME_ADDR;
    if (rt->blob.header_size < sizeof(*rt))
        return (runtime_fn)runtime_entry(RT_USER_SCHEDULE);
    return (runtime_fn)(SHARED_RUNTIME_ADDR + rt->light_schedule_offset);
}

/* yield_ before the runtime is found (yield_entry's first value), and
 * for good in a process without one.  yield_ passes the record index in
 * a2, as the runtime takes it; these take none. */
int yield_first(void);
static int yield_through_kernel(void);

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

int yield_first(void)
{
    runtime_fn entry = (runtime_fn)runtime_entry(RT_USER_SCHEDULE);
    yield_entry = entry ? entry : yield_through_kernel;
    yield_light_entry = entry ? light_entry() : yield_through_kernel;
    return yield_();              /* through yield_entry now, the index in a2 */
}

static int yield_through_kernel(void)
{
    sys_call0(SYS_yield);                   /* no runtime: the kernel's way */
    return 0;
}

void thread_leave_runqueue(void)
{
    void (*leave_queue)(uint32_t me) = (void (*)(uint32_t))runtime_entry(RT_LEAVE_QUEUE);
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
