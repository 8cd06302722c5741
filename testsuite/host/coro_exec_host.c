/*
 * user/runtime/coro_exec.c compiled for the host, unchanged, for
 * testsuite/host/coro_test.c.
 *
 * The executor is freestanding C except for one function, ecall3, whose
 * RISC-V inline assembly (register variables bound to a0..a7 and an `ecall`)
 * does not compile for the host.  It is reached only when env.kernel == 0
 * (user mode: yield, futex, priority calls); the host test runs the
 * executor as the kernel does (env.kernel = 1), which makes no system call.
 * Rather than change the executor for the test, this file neutralises that
 * assembly with two macros, for this translation unit only (glibc's
 * headers use __asm__ for symbol redirection, so coro_test.c must not see
 * them):
 *
 *   - `__asm__(...)` expands to nothing, so `register long a0
 *     __asm__("a0") = a;` becomes a plain local variable;
 *   - `__asm__ volatile(...)`: `__asm__` is not followed by `(` there, so
 *     it is left alone, and `volatile(...)` becomes `volatile("ud2 # "
 *     ...)`: the template "ecall" turns into "ud2 # ecall" (`#` starts an
 *     x86 assembler comment), with the original operands kept so that the
 *     variables stay used.
 *
 * So an ecall that would be made on the host raises SIGILL, which
 * coro_test.c reports as "the executor made a system call in kernel mode".
 * `volatile` in declarations (CO_EXEC's fields) is not followed by `(` and
 * keeps its meaning.
 *
 * CORO_EXEC_SOURCE (a string) picks the file, so that the pytest can build
 * a deliberately broken copy of the executor and check the test fails.
 */
#if !defined(__x86_64__)
#error "the ecall shim below is written for x86-64 hosts (ud2, '#' comments)"
#endif
#ifndef CORO_EXEC_SOURCE
#define CORO_EXEC_SOURCE "coro_exec.c"      /* found through -I user/runtime */
#endif

#define __asm__(...)
#define volatile(...) volatile("ud2 # " __VA_ARGS__)
#include CORO_EXEC_SOURCE
#undef volatile
#undef __asm__

/* The user-mode rescue (co_call with env.kernel == 0) saves registers
 * with the runtime's rt_setjmp (switch.S); the host test never takes
 * that path, so reaching it is a failure too. */
int rt_setjmp(uint64_t buf[16])
{
    (void)buf;
    __builtin_trap();
}
