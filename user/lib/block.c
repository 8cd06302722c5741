/* Yield and block: today the kernel's calls (see block.h for the plan). */
#include <unistd.h>
#include "block.h"
#include "sys.h"

void thread_yield_hart(void)
{
    sys_call0(SYS_yield);
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
