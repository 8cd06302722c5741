/*
 * Per-thread state of the user library, found through the tp register.
 *
 * The kernel saves and restores tp with the other user registers and never
 * interprets it, so it is ours: crt0/start.c points it at the main thread's
 * descriptor, and each new thread's trampoline points it at its own before
 * running any user code.  This is what makes errno per thread.
 *
 * (A later user-mode thread switch must switch tp along with the
 * callee-saved registers.)
 */
#ifndef USER_LIB_UTHREAD_H
#define USER_LIB_UTHREAD_H

#include <stdint.h>

struct uthread {
    int err;                        /* this thread's errno */
    int tid;                        /* set by the creator; 0 for main */
    uint32_t task;                  /* its TaskSched record in the shared
                                       region (the kernel says, at start) */
    void *(*fn)(void *);            /* what the thread runs */
    void *arg;
    struct uthread *next;           /* in the list of joinable threads */
};

static inline struct uthread *uthread_self(void)
{
    struct uthread *u;
    __asm__ volatile("mv %0, tp" : "=r"(u));
    return u;
}

static inline void uthread_set_self(struct uthread *u)
{
    __asm__ volatile("mv tp, %0" : : "r"(u) : "memory");
}

/* The main thread's descriptor (start.c). */
extern struct uthread uthread_main;

#endif
