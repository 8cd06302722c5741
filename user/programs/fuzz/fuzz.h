/*
 * h_fuzz's parts (user/programs/fuzz/): the system-call fuzzer of issue 14.
 *
 *   rng       a PRNG from a seed: the same seed draws the same calls
 *   args.c    the interesting values of each kind of argument
 *   calls.c   the call table (what each argument is, which calls are
 *             tamed and why) and the child's loop
 *   scribble.c  random bytes over the child's shared pages
 *   bystander.c a well-behaved process beside the children: a pipe echo
 *             checked word by word, a round per seed
 *
 * h_fuzz.c is the driver: a child per seed, how it ended, the checks
 * after each seed, the summary.
 */
#ifndef FUZZ_H
#define FUZZ_H

#include <stdbool.h>
#include <stdint.h>

/* xorshift64*, seeded through splitmix64 so that neighbouring seeds draw
 * unrelated sequences.  Deterministic: no time, no pid goes into it. */
static inline uint64_t fuzz_seed_state(uint64_t seed)
{
    uint64_t z = seed + 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    return z ? z : 1;                /* xorshift's state must not be 0 */
}

static inline uint64_t fuzz_next(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 0x2545f4914f6cdd1dULL;
}

/* A number in [0, n). */
static inline uint64_t fuzz_below(uint64_t *state, uint64_t n)
{
    return fuzz_next(state) % n;
}

/* True once in `n` draws. */
static inline bool fuzz_one_in(uint64_t *state, uint64_t n)
{
    return fuzz_below(state, n) == 0;
}

#define FUZZ_MAX_KIDS  16        /* children (forks) and threads remembered */

/* What the child knows of itself: the values its pids, tids and fds are
 * drawn from, and which of its own fds the taming keeps. */
struct fuzz_child {
    uint64_t rng;
    long self_pid, parent_pid, bystander_pid;
    long kids[FUZZ_MAX_KIDS];    /* forked children */
    int nkids;
    long tids[FUZZ_MAX_KIDS];    /* threads, its own first */
    int ntids;
    int eof_fd;                  /* a pipe's read end, writer closed: read -> 0 */
    int epipe_fd;                /* a pipe's write end, reader closed: -EPIPE */
    int log_fd;                  /* -v: the console, never drawn; else -1 */
    bool executor;               /* co_setup has mapped the executor region */
    bool scribbler;              /* scribbles over its shared pages */
    bool in_thread;              /* a fuzzing thread, not the main one */
    char tag[8];                 /* -v lines: "" (main thread) or "T<tid> " */
};

/* calls.c: `n` random calls (and scribbles) on c's behalf. */
void fuzz_calls(struct fuzz_child *c, int n);

/* Calls a fuzzing thread makes before it exits (its children's too). */
#define FUZZ_THREAD_CALLS 30

/* calls.c: the child of one seed: `ncalls` random system calls with
 * scribbles between them; never returns (exits 0 after the last call). */
void fuzz_run_child(uint64_t seed, int ncalls, long bystander_pid, bool verbose)
    __attribute__((noreturn));

/* args.c: one argument of each kind (the kinds are in calls.c's table). */
enum fuzz_arg {
    A_ANY,          /* an argument the call ignores: anything */
    A_INT,          /* a boundary integer */
    A_PTR,          /* a pointer: the classes, own buffers, text, shared */
    A_LEN,          /* a length: 0, small, page-sized, huge, wrapping */
    A_FD,           /* any descriptor (the calls that never block) */
    A_FD_NOBLOCK,   /* one a synchronous read or write cannot wait on */
    A_FD_CLOSE,     /* any but the child's own eof/epipe/log fds */
    A_PID,          /* own, parent, 1, bystander, children, nonexistent */
    A_KILL_PID,     /* own (rarely), children, 1, nonexistent: never the
                       parent or the bystander */
    A_TID,          /* own threads, other numbers */
    A_JOIN_TID,     /* thread_join: as A_TID in the main thread; in a
                       fuzzing thread never a live thread (two that
                       joined each other would wait for ever) */
    A_PRIO,         /* priorities and ceilings in and out of range */
    A_PATH,         /* a path: the classes, or names no program has */
    A_ARGV,         /* an argv: the classes, good, bad entries, too long */
    A_FUNC,         /* a thread's start: a harmless function, rarely garbage */
    A_IO,           /* a struct co_io: own ones with cids in and out of
                       range, the classes */
    A_MS_SHORT,     /* a sleep the child waits for: at most 20 ms */
    A_TIMEOUT,      /* a futex timeout: 1..20 ms, or one refused */
    A_SBRK,         /* an increment: small, or beyond any memory */
    A_SMALL,        /* 0..40, -1, boundary: indexes, counts, ops, options */
    A_YIELD,        /* yield's `parked`: 0 or 3, rarely 1, 2 or garbage (a
                       claim to have parked in user mode that is a lie:
                       the kernel resumes a record never saved, and the
                       process faults) */
};
long fuzz_arg(struct fuzz_child *c, enum fuzz_arg kind);

/* args.c: the start of the threads the child creates: FUZZ_THREAD_CALLS
 * calls of their own, from seed a0, beside the main thread (on other
 * harts: the kernel's races within one process), then thread_exit. */
void fuzz_thread_start(uint64_t a0, uint64_t a1);

/* scribble.c: random bytes over one of the child's shared pages (its
 * VDSO_DATA, its TaskSched records, its coroutine executor if mapped);
 * writes a line to c->log_fd saying where when it is >= 0. */
void fuzz_scribble(struct fuzz_child *c);

/* bystander.c: starts the bystander (and its echo process).  Each byte
 * written to *tick_fd asks for one round; it answers each round with a
 * byte on *done_fd: 'o' when every word came back right, 'x' when not.
 * EOF on tick_fd ends it: exit status 0 if every round was right.
 * Returns its pid, or -1 (errno set). */
int fuzz_start_bystander(int *tick_fd, int *done_fd);

#define BYSTANDER_WORDS 64       /* words echoed per round */

#endif
