/*
 * The interesting values of each kind of argument (fuzz.h, enum fuzz_arg):
 * the pointer classes of h_suite (suite/ptr_classes.h), the process's own
 * buffers, its read-only text, its shared pages; boundary integers; fds,
 * pids and tids of its own and of others.  The kinds that are tamed say
 * why in fuzz.h and docs/testing.md ("The system-call fuzzer").
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "fuzz.h"
#include "../suite/ptr_classes.h"
#include "coro.h"               /* struct co_io, CO_MAX */
#include "vdso.h"               /* SHARED_BASE_ADDR */

#define ARENA_BYTES   (4 * 8192)
#define ARENA_REACH   8192        /* pointers land in the first 8 KiB; lengths
                                     up to 8 KiB stay inside the arena */

/* The child's own memory the kernel may read and write: nothing of the
 * fuzzer's state lives there. */
static char arena[ARENA_BYTES] __attribute__((aligned(64)));

/* A path no program has: a call that wrongly accepted a bad pointer would
 * read this (ptr_class_address copies it), and a good one finds nothing. */
static char no_program[64] = "zz_fuzz_no_such_program";
static char unterminated[MAX_PATH + 16];
static char *argv_good[] = { no_program, "x", NULL };
static char *argv_bad_entry[] = { no_program, (char *)SUITE_KADDR, NULL };
static char *argv_long[MAX_ARGS + 8];      /* filled, never terminated */
static struct co_io ios[8];

/* A value from a list, by index. */
#define PICK(c, ...) ({ const long _v[] = { __VA_ARGS__ }; \
                        _v[fuzz_below(&(c)->rng, sizeof _v / sizeof _v[0])]; })

static long class_pointer(struct fuzz_child *c)
{
    /* The classes that are an address (hugelen and lenwrap are lengths). */
    enum ptr_class cls = (enum ptr_class)fuzz_below(&c->rng, PC_WRAP + 1);
    return ptr_class_address(cls, no_program);
}

static long own_buffer(struct fuzz_child *c)
{
    uint64_t off = fuzz_below(&c->rng, ARENA_REACH);
    if (!fuzz_one_in(&c->rng, 4))
        off &= ~7UL;                        /* mostly aligned */
    return (long)(arena + off);
}

static long shared_address(struct fuzz_child *c)
{
    return PICK(c, (long)SHARED_BASE_ADDR,
                (long)(SHARED_BASE_ADDR + (fuzz_below(&c->rng, SHARED_VDSO_PAGES * 4096) & ~7UL)),
                (long)SHARED_TASKS_ADDR, (long)SHARED_EXEC_ADDR, (long)CO_QUEUE_ADDR);
}

static long pointer(struct fuzz_child *c)
{
    uint64_t r = fuzz_below(&c->rng, 100);
    if (r < 40)
        return class_pointer(c);
    if (r < 75)
        return own_buffer(c);
    if (r < 83)
        return (long)fuzz_thread_start;     /* read-only text */
    if (r < 91)
        return shared_address(c);
    return (long)fuzz_next(&c->rng);
}

/* A fd number that is never open: the table never grows this far in a
 * seed (one dup or pipe per call), and it is below MAX_FDS. */
#define NEVER_OPEN_FD 5000

static long any_fd(struct fuzz_child *c)
{
    long v = PICK(c, (long)fuzz_below(&c->rng, 8), (long)fuzz_below(&c->rng, 64), -1,
                  INT_MIN, INT_MAX, MAX_FDS - 1, MAX_FDS, NEVER_OPEN_FD,
                  (1L << 32) + c->eof_fd, c->eof_fd, c->epipe_fd, (long)fuzz_next(&c->rng));
    /* The log (the console under -v) is never drawn: garbage on it would
     * confuse whoever reads the console, and a read of it would wait for
     * a typed line. */
    return c->log_fd >= 0 && (int)v == c->log_fd ? NEVER_OPEN_FD : v;
}

/* A synchronous read or write waits while a pipe is empty or full; the
 * child's own pipes may be either.  These never wait: the pipe with no
 * writer (EOF), the one with no reader (-EPIPE), numbers never open (and
 * 2^32 + the EOF one, which a kernel that cut fds to 32 bits would read). */
static long noblock_fd(struct fuzz_child *c)
{
    return PICK(c, c->eof_fd, c->epipe_fd, -1, INT_MIN, INT_MAX, MAX_FDS, NEVER_OPEN_FD,
                (1L << 32) + c->eof_fd, (1L << 32) + c->epipe_fd, 1L << 63);
}

static long kid(struct fuzz_child *c)
{
    return c->nkids ? c->kids[fuzz_below(&c->rng, c->nkids)] : 30000;
}

static long pid(struct fuzz_child *c)
{
    return PICK(c, c->self_pid, c->parent_pid, 1, c->bystander_pid, kid(c), 0, -1,
                30000, INT_MAX, INT_MIN, (1L << 32) + 1, (1L << 32) + c->parent_pid,
                (long)fuzz_below(&c->rng, 100));
}

/* kill: any process may kill any other but init (SYS_kill), so the parent
 * and the bystander are never drawn, not even by a random number; its own
 * pid rarely (it ends the seed).  2^32 + parent: a kernel that cut the pid
 * to 32 bits would kill the parent, and the test would see it. */
static long kill_pid(struct fuzz_child *c)
{
    if (fuzz_one_in(&c->rng, 64))
        return c->self_pid;
    return PICK(c, kid(c), 1, 0, -1, 30000, INT_MIN, INT_MAX, (1L << 32) + 1,
                (1L << 32) + c->parent_pid, (1L << 32) + c->bystander_pid, 1L << 63);
}

static long tid(struct fuzz_child *c)
{
    long own = c->ntids ? c->tids[fuzz_below(&c->rng, c->ntids)] : 0;
    return PICK(c, own, own, 0, -1, INT_MAX, (1L << 32) + own, 1L << 63,
                (long)fuzz_below(&c->rng, 200));
}

static long path(struct fuzz_child *c)
{
    switch (fuzz_below(&c->rng, 6)) {
    case 0:
    case 1:
        return class_pointer(c);
    case 2:
        return (long)no_program;
    case 3:                                 /* no NUL within MAX_PATH */
        memset(unterminated, 'z', sizeof unterminated - 1);
        return (long)unterminated;
    case 4:
        return (long)fuzz_thread_start;     /* code bytes as a name */
    default:
        return (long)"";
    }
}

static long argv(struct fuzz_child *c)
{
    switch (fuzz_below(&c->rng, 6)) {
    case 0:
        return 0;
    case 1:
        return class_pointer(c);
    case 2:
        return (long)argv_good;
    case 3:
        return (long)argv_bad_entry;
    case 4:                                 /* more than MAX_ARGS, no NULL */
        for (size_t i = 0; i < sizeof argv_long / sizeof argv_long[0]; i++)
            argv_long[i] = no_program;
        return (long)argv_long;
    default:
        return own_buffer(c);               /* whatever the arena holds */
    }
}

static long func(struct fuzz_child *c)
{
    /* A garbage start kills the process (a fault in the new thread): rare,
     * or few seeds would get far. */
    if (!fuzz_one_in(&c->rng, 32))
        return (long)fuzz_thread_start;
    return PICK(c, 0, (long)SUITE_KADDR, (long)fuzz_thread_start | (long)SUITE_NONCANON,
                -8, (long)fuzz_next(&c->rng), (long)arena);
}

static long io(struct fuzz_child *c)
{
    uint64_t r = fuzz_below(&c->rng, 10);
    if (r < 6) {
        struct co_io *p = &ios[fuzz_below(&c->rng, 8)];
        p->cid = (uint32_t)PICK(c, 0, 1, 15, 16, 63, 64, CO_MAX - 1, CO_MAX, UINT32_MAX,
                                (long)fuzz_next(&c->rng));
        p->done = 0;
        return (long)p;
    }
    if (r < 8)
        return class_pointer(c);
    return PICK(c, (long)&ios[0] + 4, (long)fuzz_thread_start, (long)SHARED_EXEC_ADDR,
                own_buffer(c));
}

long fuzz_arg(struct fuzz_child *c, enum fuzz_arg kind)
{
    switch (kind) {
    case A_ANY:
        return (long)fuzz_next(&c->rng);
    case A_INT:
        return PICK(c, 0, 1, -1, 2, 3, 7, INT_MIN, INT_MAX, UINT_MAX, 1L << 32,
                    (1L << 32) + 1, LONG_MIN, LONG_MAX, (long)fuzz_below(&c->rng, 64),
                    (long)fuzz_next(&c->rng));
    case A_PTR:
        return pointer(c);
    case A_LEN:
        return PICK(c, 0, 1, 8, 16, 100, 4095, 4096, 4097, 8192, 1L << 40, -16, -1,
                    1L << 32, LONG_MIN, INT_MAX, (long)fuzz_below(&c->rng, 8192));
    case A_FD:
        return any_fd(c);
    case A_FD_NOBLOCK:
        return noblock_fd(c);
    case A_FD_CLOSE: {
        long fd = any_fd(c);
        int low = (int)fd;
        /* The pipes that keep synchronous reads and writes from waiting,
         * and the log, stay open: their numbers must not be reused. */
        bool kept = low == c->eof_fd || low == c->epipe_fd || (c->log_fd >= 0 && low == c->log_fd);
        return kept ? NEVER_OPEN_FD : fd;
    }
    case A_PID:
        return pid(c);
    case A_KILL_PID:
        return kill_pid(c);
    case A_TID:
        return tid(c);
    case A_JOIN_TID:
        if (c->in_thread)
            return PICK(c, 0, -1, INT_MAX, INT_MIN, 1L << 63, (1L << 32) + 1);
        return tid(c);
    case A_PRIO:
        return PICK(c, 0, 1, 5, 10, 19, 20, 21, -1, INT_MAX, INT_MIN, (1L << 32) + 20, 255,
                    256, (long)fuzz_next(&c->rng));
    case A_PATH:
        return path(c);
    case A_ARGV:
        return argv(c);
    case A_FUNC:
        return func(c);
    case A_IO:
        return io(c);
    case A_MS_SHORT:
        return (long)fuzz_below(&c->rng, 21);
    case A_TIMEOUT:
        if (!fuzz_one_in(&c->rng, 4))
            return 1 + (long)fuzz_below(&c->rng, 20);
        return PICK(c, 1000000001L, -1, LONG_MIN);    /* refused: -EINVAL */
    case A_SBRK:
        /* Never between 1 MiB and the limit: an increment the memory
         * could almost hold would take every free frame for a moment,
         * and the bystander's next pipe would fail for want of one. */
        return PICK(c, 0, 1, -1, 8, 4096, -4096, 1L << 20, -(1L << 20), 1L << 40,
                    -(1L << 40), 1L << 62, LONG_MIN, LONG_MAX);
    case A_YIELD:
        if (!fuzz_one_in(&c->rng, 32))
            return PICK(c, 0, 3);
        return PICK(c, 1, 2, 4, -1, (1L << 32) + 1, (long)fuzz_next(&c->rng));
    case A_SMALL:
        return PICK(c, (long)fuzz_below(&c->rng, 41), (long)fuzz_below(&c->rng, 41), -1,
                    INT_MAX, 1L << 32, LONG_MIN);
    }
    return 0;
}

/* The main thread's record, which the threads copy (set by
 * fuzz_run_child before any thread exists). */
const struct fuzz_child *fuzz_main;

void fuzz_thread_start(uint64_t a0, uint64_t a1)
{
    (void)a1;
    struct fuzz_child c = *fuzz_main;       /* its own copy: no locks */
    c.rng = fuzz_seed_state(a0);
    c.in_thread = true;
    long tid = syscall_raw(SYS_gettid, 0, 0, 0);
    snprintf(c.tag, sizeof c.tag, "T%ld ", tid % 100000);
    c.ntids = 0;
    fuzz_calls(&c, FUZZ_THREAD_CALLS);
    syscall_raw(SYS_thread_exit, (long)a0, 0, 0);
    for (;;)
        ;
}
