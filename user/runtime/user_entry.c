/*
 * Where every process starts (seed 000, 3.2.1): the kernel enters
 * user_entry in the shared code, not the program.  It runs the program's
 * initialisation (its ELF entry: crt0, then main, which may spawn
 * coroutines) and then, if the program made an executor, polls the most
 * urgent ready coroutine until every one has finished, as one of the
 * process's workers.  Then the process exits with main's status.
 *
 * A plain main() that spawns nothing never maps an executor, and exits as
 * soon as main returns, as it always has.
 */
#include "coro.h"

#define SYS_EXIT 9            /* os/uapi/syscall.h */

typedef long (*program_entry)(long argc, long argv, long task);

void user_entry(long argc, long argv, long task, long entry)
{
    long status = ((program_entry)entry)(argc, argv, task);
    const VDSO_DATA *v = (const VDSO_DATA *)SHARED_BASE_ADDR;
    if (v->exec_capacity) {
        struct sched_ops ops;
        struct co_env env;
        co_user_env(&env, &ops, (uint32_t)task);
        co_call(CO_OP_RUN, &env, CO_NONE, 0, 0, 0);
    }
    register long a0 __asm__("a0") = status;
    register long a7 __asm__("a7") = SYS_EXIT;
    __asm__ volatile("ecall" : : "r"(a0), "r"(a7) : "memory");
    __builtin_unreachable();
}
