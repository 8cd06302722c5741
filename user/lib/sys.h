/*
 * The raw system call: ecall with the number in a7, arguments in a0..a2,
 * result in a0 (negative = -errno).  Internal to the library; programs use
 * the wrappers in <unistd.h>, or syscall_raw() when they want the raw result.
 *
 * Most system calls take at most three arguments; the asynchronous read and
 * write take four (sys_call4).  The kernel restores every register
 * but a0 on return, so only a0 and memory are clobbered.
 */
#ifndef USER_LIB_SYS_H
#define USER_LIB_SYS_H

#include "syscall.h"        /* os/uapi: numbers, limits, structures */

static inline long sys_call3(long n, long a0, long a1, long a2)
{
    register long r_a0 __asm__("a0") = a0;
    register long r_a1 __asm__("a1") = a1;
    register long r_a2 __asm__("a2") = a2;
    register long r_a7 __asm__("a7") = n;
    __asm__ volatile("ecall"
                     : "+r"(r_a0)
                     : "r"(r_a1), "r"(r_a2), "r"(r_a7)
                     : "memory");
    return r_a0;
}

static inline long sys_call4(long n, long a0, long a1, long a2, long a3)
{
    register long r_a0 __asm__("a0") = a0;
    register long r_a1 __asm__("a1") = a1;
    register long r_a2 __asm__("a2") = a2;
    register long r_a3 __asm__("a3") = a3;
    register long r_a7 __asm__("a7") = n;
    __asm__ volatile("ecall"
                     : "+r"(r_a0)
                     : "r"(r_a1), "r"(r_a2), "r"(r_a3), "r"(r_a7)
                     : "memory");
    return r_a0;
}

#define sys_call0(n)          sys_call3((n), 0, 0, 0)
#define sys_call1(n, a)       sys_call3((n), (long)(a), 0, 0)
#define sys_call2(n, a, b)    sys_call3((n), (long)(a), (long)(b), 0)

/* A negative result becomes -1 with errno set (the usual C convention). */
long sys_result(long r);

#endif
