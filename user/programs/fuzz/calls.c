/*
 * The child of one seed: a table that says what each argument of each
 * system call is (fuzz.h, enum fuzz_arg), and the loop that draws a call
 * and its arguments, makes it with a raw ecall and sometimes scribbles
 * over the shared pages in between.
 *
 * What is tamed, and why (each keeps the child from what is legitimately
 * destructive to the test itself, not from anything the kernel should
 * refuse):
 *   shutdown       never made: it powers the machine off, as it may
 *   kill           never the parent or the bystander (fuzz_arg A_KILL_PID)
 *   exec, spawn    only paths no program has (a program would run)
 *   exit, thread_exit, a garbage thread start, kill of itself, a yield
 *                  that claims to have parked in user mode: rare, each
 *                  ends the seed
 *   read, write    only fds they cannot wait on (a pipe of its own may be
 *                  empty or full for ever)
 *   close          never the fds that make that so
 *   sleep, futex_wait   short waits only (no timeout would wait for ever)
 *   sbrk           never an increment that memory could almost hold
 *   fork           the new child exits at once (else it would fuzz too)
 *   thread_join    in a fuzzing thread, never a live thread (two that
 *                  joined each other would wait for ever)
 * The child has no console: fds 0-2 are closed first (a read of the
 * console would take the shell's input; bytes written to it would be on
 * the test's console).  Invalid numbers, every pointer class, every
 * boundary integer go through untamed.
 */
#include <string.h>
#include <stdio.h>
#include <unistd.h>
#include "fuzz.h"

struct call {
    const char *name;
    enum fuzz_arg args[4];
    int rarity;             /* drawn once in `rarity` times it comes up (0: 1) */
};

#define RARE 32             /* calls that end the seed */

extern const struct fuzz_child *fuzz_main;      /* args.c */

static const struct call calls[NSYSCALLS] = {
    [SYS_read]          = { "read", { A_FD_NOBLOCK, A_PTR, A_LEN, A_ANY }, 0 },
    [SYS_write]         = { "write", { A_FD_NOBLOCK, A_PTR, A_LEN, A_ANY }, 0 },
    [SYS_close]         = { "close", { A_FD_CLOSE, A_ANY, A_ANY, A_ANY }, 0 },
    [SYS_pipe]          = { "pipe", { A_PTR, A_ANY, A_ANY, A_ANY }, 0 },
    [SYS_dup]           = { "dup", { A_FD, A_ANY, A_ANY, A_ANY }, 0 },
    [SYS_fork]          = { "fork", { A_ANY, A_ANY, A_ANY, A_ANY }, 0 },
    [SYS_exec]          = { "exec", { A_PATH, A_ARGV, A_ANY, A_ANY }, 0 },
    [SYS_spawn]         = { "spawn", { A_PATH, A_ARGV, A_INT, A_ANY }, 0 },
    [SYS_waitpid]       = { "waitpid", { A_PID, A_PTR, A_SMALL, A_ANY }, 0 },
    [SYS_exit]          = { "exit", { A_INT, A_ANY, A_ANY, A_ANY }, RARE },
    [SYS_kill]          = { "kill", { A_KILL_PID, A_ANY, A_ANY, A_ANY }, 0 },
    [SYS_getpid]        = { "getpid", { A_ANY, A_ANY, A_ANY, A_ANY }, 0 },
    [SYS_getppid]       = { "getppid", { A_ANY, A_ANY, A_ANY, A_ANY }, 0 },
    [SYS_thread_create] = { "thread_create", { A_FUNC, A_ANY, A_INT, A_ANY }, 0 },
    [SYS_thread_join]   = { "thread_join", { A_JOIN_TID, A_PTR, A_ANY, A_ANY }, 0 },
    [SYS_thread_exit]   = { "thread_exit", { A_INT, A_ANY, A_ANY, A_ANY }, RARE },
    [SYS_gettid]        = { "gettid", { A_ANY, A_ANY, A_ANY, A_ANY }, 0 },
    [SYS_yield]         = { "yield", { A_YIELD, A_ANY, A_ANY, A_ANY }, 0 },
    [SYS_sleep]         = { "sleep", { A_MS_SHORT, A_ANY, A_ANY, A_ANY }, 0 },
    [SYS_time]          = { "time", { A_ANY, A_ANY, A_ANY, A_ANY }, 0 },
    [SYS_sbrk]          = { "sbrk", { A_SBRK, A_ANY, A_ANY, A_ANY }, 0 },
    [SYS_set_priority]  = { "set_priority", { A_TID, A_PRIO, A_ANY, A_ANY }, 0 },
    [SYS_get_priority]  = { "get_priority", { A_TID, A_ANY, A_ANY, A_ANY }, 0 },
    [SYS_futex_wait]    = { "futex_wait", { A_PTR, A_INT, A_TIMEOUT, A_ANY }, 0 },
    [SYS_futex_wake]    = { "futex_wake", { A_PTR, A_INT, A_ANY, A_ANY }, 0 },
    [SYS_shutdown]      = { "shutdown", { A_ANY, A_ANY, A_ANY, A_ANY }, -1 },
    [SYS_readdir]       = { "readdir", { A_SMALL, A_PTR, A_ANY, A_ANY }, 0 },
    [SYS_sysinfo]       = { "sysinfo", { A_PTR, A_ANY, A_ANY, A_ANY }, 0 },
    [SYS_getcpu]        = { "getcpu", { A_ANY, A_ANY, A_ANY, A_ANY }, 0 },
    [SYS_schedstat]     = { "schedstat", { A_PID, A_PTR, A_ANY, A_ANY }, 0 },
    [SYS_set_ceiling]   = { "set_ceiling", { A_PID, A_PRIO, A_ANY, A_ANY }, 0 },
    [SYS_get_ceiling]   = { "get_ceiling", { A_PID, A_ANY, A_ANY, A_ANY }, 0 },
    [SYS_co_setup]      = { "co_setup", { A_SMALL, A_ANY, A_ANY, A_ANY }, 0 },
    [SYS_read_async]    = { "read_async", { A_FD, A_PTR, A_LEN, A_IO }, 0 },
    [SYS_write_async]   = { "write_async", { A_FD, A_PTR, A_LEN, A_IO }, 0 },
    [SYS_sleep_async]   = { "sleep_async", { A_INT, A_IO, A_ANY, A_ANY }, 0 },
    [SYS_co_cancel_io]  = { "co_cancel_io", { A_IO, A_ANY, A_ANY, A_ANY }, 0 },
    [SYS_set_foreground] = { "set_foreground", { A_PTR, A_SMALL, A_SMALL, A_ANY }, 0 },
    [SYS_trace]         = { "trace", { A_SMALL, A_PTR, A_INT, A_SMALL }, 0 },
};

/* Numbers no system call has: the first past the table, small and large,
 * and 2^32 + a real one (shutdown and exit among them), which a kernel
 * that cut the number to 32 bits would run. */
static long invalid_number(struct fuzz_child *c)
{
    static const long fixed[] = { NSYSCALLS, NSYSCALLS + 1, 64, 255, 4096, -1, -2,
                                  (1L << 32) + SYS_shutdown, (1L << 32) + SYS_exit,
                                  (1L << 32) + SYS_getpid, 1L << 63 };
    if (fuzz_one_in(&c->rng, 4))
        return (long)(fuzz_next(&c->rng) | (1UL << 40));
    return fixed[fuzz_below(&c->rng, sizeof fixed / sizeof fixed[0])];
}

/* A call number: every real one, and one in eight invalid. */
static long draw_number(struct fuzz_child *c)
{
    for (;;) {
        if (fuzz_one_in(&c->rng, 8))
            return invalid_number(c);
        long nr = (long)fuzz_below(&c->rng, NSYSCALLS);
        int rarity = calls[nr].rarity;
        if (rarity < 0)
            continue;                       /* never made */
        if (rarity == 0 || fuzz_one_in(&c->rng, (uint64_t)rarity))
            return nr;
    }
}

static void remember(long *list, int *n, long value)
{
    if (value > 0 && *n < FUZZ_MAX_KIDS)
        list[(*n)++] = value;
}

static void log_line(struct fuzz_child *c, const char *text)
{
    if (c->log_fd >= 0)
        write(c->log_fd, text, strlen(text));
}

/* The child's descriptors: none of the parent's (its copy of the
 * bystander's pipes), no console, and the two pipes that never wait. */
static void set_up_fds(struct fuzz_child *c, bool verbose)
{
    c->log_fd = -1;
    if (verbose)
        c->log_fd = dup(1);
    for (int fd = 0; fd < 64; fd++)
        if (fd != c->log_fd)
            close(fd);
    int eof[2], epipe[2];
    if (pipe(eof) < 0 || pipe(epipe) < 0)
        syscall_raw(SYS_exit, 100, 0, 0);   /* the parent reports it */
    close(eof[1]);
    close(epipe[0]);
    c->eof_fd = eof[0];
    c->epipe_fd = epipe[1];
}

void fuzz_calls(struct fuzz_child *c, int ncalls)
{
    char line[160];
    for (int i = 0; i < ncalls; i++) {
        if (c->scribbler && fuzz_one_in(&c->rng, 16))
            fuzz_scribble(c);
        long nr = draw_number(c);
        long a[4];
        const struct call *call = nr >= 0 && nr < NSYSCALLS ? &calls[nr] : NULL;
        for (int k = 0; k < 4; k++)
            a[k] = fuzz_arg(c, call ? call->args[k] : A_INT);
        if (c->log_fd >= 0) {
            snprintf(line, sizeof line, "%s%d: %s(%#lx, %#lx, %#lx, %#lx)", c->tag, i,
                     call ? call->name : "invalid", a[0], a[1], a[2], a[3]);
            size_t used = strlen(line);
            snprintf(line + used, sizeof line - used, call ? "\n" : " nr %#lx\n", nr);
            log_line(c, line);              /* before the call: the last a death saw */
        }
        long r = syscall_raw4(nr, a[0], a[1], a[2], a[3]);
        if (r == 0 && nr == SYS_fork)
            syscall_raw(SYS_exit, 0, 0, 0);     /* the new child: ends at once */
        if (c->log_fd >= 0) {
            /* A line of its own, named: the threads' lines interleave. */
            snprintf(line, sizeof line, "%s%d -> %ld\n", c->tag, i, r);
            log_line(c, line);
        }
        if (nr == SYS_fork)
            remember(c->kids, &c->nkids, r);
        else if (nr == SYS_thread_create)
            remember(c->tids, &c->ntids, r);
        else if (nr == SYS_co_setup && r > 0)
            c->executor = true;
    }
}

void fuzz_run_child(uint64_t seed, int ncalls, long bystander_pid, bool verbose)
{
    static struct fuzz_child c;
    c.rng = fuzz_seed_state(seed);
    c.self_pid = getpid();
    c.parent_pid = getppid();
    c.bystander_pid = bystander_pid;
    remember(c.tids, &c.ntids, syscall_raw(SYS_gettid, 0, 0, 0));
    set_up_fds(&c, verbose);
    /* One seed in four scribbles over its shared pages, often: garbage
     * there usually gets the process killed soon (a `current` naming no
     * thread of its own), and the other seeds should get through all
     * their calls. */
    c.scribbler = fuzz_one_in(&c.rng, 4);
    log_line(&c, c.scribbler ? "scribbler\n" : "no scribbles\n");
    fuzz_main = &c;
    fuzz_calls(&c, ncalls);
    log_line(&c, "done\n");
    syscall_raw(SYS_exit, 0, 0, 0);
    for (;;)
        ;
}
