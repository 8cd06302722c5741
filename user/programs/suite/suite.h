/*
 * h_suite's parts (user/programs/suite/): the case table and the helpers
 * every case uses.  h_suite.c runs each case in a child of its own and
 * judges the child's end against what the case expects.
 *
 * A case's run() executes in that child.  It returns the child's exit
 * status: 0 when every check of the case held; a failed check prints a
 * "# " diagnostic line (KTAP's) saying what was got and what was expected,
 * and returns 1.  Cases that must be ended by the kernel (a fault) say so
 * in `expect`; the child then must not exit at all.
 */
#ifndef SUITE_H
#define SUITE_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

#define SUITE_NAME_MAX 48

/* How the child of a case must end. */
enum suite_end {
    END_EXIT0,          /* exits with status 0: every check held */
    END_FAULT,          /* ended by the kernel with TERM_FAULT */
    END_EXIT0_OR_FAULT, /* either: it hurt only itself, and whichever way
                           the kernel stopped it, the machine goes on */
};

struct suite_case {
    char name[SUITE_NAME_MAX];
    int (*run)(const struct suite_case *c);
    enum suite_end expect;
    long arg, arg2;             /* the case's parameters (a table's row) */
    const char *not_default;    /* non-NULL: out of the default set, and
                                   why (a kernel bug it finds, or a check
                                   of the judge that must fail); run it by
                                   name */
};

/* Each part adds its cases through this (h_suite.c owns the table). */
struct suite_case *suite_add(const char *name, int (*run)(const struct suite_case *),
                             enum suite_end expect, long arg, long arg2);

/* The parts' registration functions, called once at start-up in this order. */
void suite_pointer_cases(void);     /* suite/pointers.c */
void suite_fd_cases(void);          /* suite/fds.c */
void suite_exec_cases(void);        /* suite/exec.c */
void suite_memory_cases(void);      /* suite/memory.c */
void suite_reuse_cases(void);       /* suite/reuse.c */
void suite_shared_cases(void);      /* suite/shared.c */
void suite_process_cases(void);     /* suite/process.c */
void suite_io_cases(void);          /* suite/io.c */
void suite_judge_cases(void);       /* h_suite.c: checks of the judge */

/* Addresses no process may hand the kernel as its own memory
 * (SUITE_KADDR, SUITE_NONCANON) and the pointer classes. */
#include "ptr_classes.h"

/* A raw result must be -expected (a negative errno from the kernel). */
#define EXPECT_ERR(got, expected) \
    suite_expect_err(__FILE__, __LINE__, #got, (long)(got), (expected))
int suite_expect_err(const char *file, int line, const char *what, long got,
                     int expected);

/* A condition that must hold; prints the condition and a reason if not. */
#define EXPECT(cond, ...) \
    ((cond) ? 0 : (printf("# %s:%d: %s: ", __FILE__, __LINE__, #cond), \
                   printf(__VA_ARGS__), printf("\n"), 1))

/* Forks a child that runs fn(arg) and exits with its result; waits for it
 * and returns its raw wait status, or -1 if fork failed. */
int suite_in_child(int (*fn)(long), long arg);

/* Spawns a program and returns its raw wait status (-1: spawn failed). */
int suite_run_program(char *const argv[]);

#endif
