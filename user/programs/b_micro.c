// help: benchmark: instructions per system call, switch, pipe round trip, fork... (b_micro [OP...])
/*
 * b_micro [OP...]: instructions per operation, counted with rdinstret, for
 * each OP named (all of them if none), as result lines of the benchmark
 * contract (bench/README.md):
 *
 *     BENCH micro op=NAME instr=N iters=K
 *     ...
 *     BENCH-DONE micro
 *
 * N is per operation, from the window of operations that took the fewest
 * instructions (<microbench.h>: the first window is a warm-up, and a window
 * a timer tick hit is not the operation alone); K is how many operations
 * the counted windows held.  Run on one hart under QEMU's -icount shift=0
 * (make run SMP=1 RUN_FLAGS=--icount): rdinstret counts the hart, so both
 * sides of a switch are in, and the counts repeat exactly.
 *
 * The operations (bench/README.md says what each includes):
 *   syscall      a system call the kernel does not have: trap, dispatch,
 *                -ENOSYS, return; nothing else
 *   getpid       the getpid system call
 *   coswitch     a coroutine switch (co_yield between two coroutines)
 *   uswitch      a user-mode thread switch (yield_() between two threads)
 *   uswitch_light  the same with yield_light(): the caller keeps s3..s11
 *   yield        the yield system call with nothing else ready
 *   yield_other  the yield system call with another thread of the process
 *                ready: a kernel thread switch
 *   procswitch   the yield system call between two processes
 *   pipe_sync    a 1-byte round trip between two processes through two
 *                pipes, with blocking read and write
 *   pipe_async   the same between two coroutines, with co_write / co_read
 *   fork         fork, the child exits at once, waitpid
 *   exec         fork, the child execs /true, waitpid
 *   spawn        spawn /true, waitpid
 *   sbrk         sbrk(1 MiB), a byte written in every page, sbrk(-1 MiB)
 *
 * An operation that fails prints BENCH-ERROR and the program exits 1
 * after the others; an unknown OP is a usage error (exit 2) before any
 * runs.
 */
#include <coroutine.h>
#include <errno.h>
#include <microbench.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define SBRK_BYTES  (1 << 20)
#define PAGE        4096
/* A system call number no kernel table has: the cheapest trip there is. */
#define SYS_NONE    0x7fff

static uint64_t op_syscall(uint32_t windows, uint32_t per_window)
{
    if (syscall_raw(SYS_NONE, 0, 0, 0) != -ENOSYS)
        return MB_FAILED;
    return mb_syscall_loop(SYS_NONE, windows, per_window);
}

static uint64_t op_getpid(uint32_t windows, uint32_t per_window)
{
    return mb_syscall_loop(SYS_getpid, windows, per_window);
}

static uint64_t op_coswitch(uint32_t windows, uint32_t per_window)
{
    return mb_co_switch(windows, per_window);
}

static uint64_t op_uswitch(uint32_t windows, uint32_t per_window)
{
    return mb_thread_pingpong(windows, per_window, MB_YIELD_USER);
}

static uint64_t op_uswitch_light(uint32_t windows, uint32_t per_window)
{
    return mb_thread_pingpong(windows, per_window, MB_YIELD_LIGHT);
}

static uint64_t op_yield(uint32_t windows, uint32_t per_window)
{
    return mb_syscall_loop(SYS_yield, windows, per_window);
}

static uint64_t op_yield_other(uint32_t windows, uint32_t per_window)
{
    return mb_thread_pingpong(windows, per_window, MB_YIELD_SYSCALL);
}

static uint64_t op_procswitch(uint32_t windows, uint32_t per_window)
{
    return mb_process_yield(windows, per_window);
}

static uint64_t op_pipe_sync(uint32_t windows, uint32_t per_window)
{
    int ab[2], ba[2];
    if (pipe(ab) < 0)
        return MB_FAILED;
    if (pipe(ba) < 0) {
        close(ab[0]);
        close(ab[1]);
        return MB_FAILED;
    }
    int pid = fork();
    if (pid == 0) {
        /* Answers every byte until the parent closes its end. */
        close(ab[1]);
        close(ba[0]);
        char b;
        while (read(ab[0], &b, 1) == 1)
            if (write(ba[1], &b, 1) != 1)
                exit(1);
        exit(0);
    }
    close(ab[0]);
    close(ba[1]);
    struct mb_window w;
    mb_window_start(&w);
    int ok = pid > 0;
    for (uint32_t r = 0; ok && r < per_window * (windows + 1); r++) {
        char b = (char)r;
        ok = write(ab[1], &b, 1) == 1 && read(ba[0], &b, 1) == 1 && b == (char)r;
        if ((r + 1) % per_window == 0)
            mb_mark(&w);
    }
    close(ab[1]);
    close(ba[0]);
    int status = -1;
    if (pid > 0 && (waitpid(pid, &status, 0) != pid || status != 0))
        ok = 0;
    return ok ? mb_window_best(&w) : MB_FAILED;
}

static uint64_t op_pipe_async(uint32_t windows, uint32_t per_window)
{
    return mb_co_pipe(windows, per_window);
}

/* Starts a child the way `how` says ("fork": it exits at once; "exec":
 * it execs true; "spawn": spawn true) and waits for it; 0 if it exited
 * with status 0. */
static int child_round(const char *how)
{
    static char *const argv[] = { "true", NULL };
    int pid;
    if (strcmp(how, "spawn") == 0) {
        pid = spawn("true", argv);
    } else {
        pid = fork();
        if (pid == 0) {
            if (how[0] == 'e')
                exec("true", argv);
            exit(how[0] == 'e' ? 127 : 0);     /* exec failed: 127 */
        }
    }
    int status = -1;
    if (pid < 0 || waitpid(pid, &status, 0) != pid)
        return -1;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

static uint64_t child_rounds(const char *how, uint32_t windows, uint32_t per_window)
{
    struct mb_window w;
    mb_window_start(&w);
    for (uint32_t k = 0; k <= windows; k++) {
        for (uint32_t i = 0; i < per_window; i++)
            if (child_round(how) < 0)
                return MB_FAILED;
        mb_mark(&w);
    }
    return mb_window_best(&w);
}

static uint64_t op_fork(uint32_t windows, uint32_t per_window)
{
    return child_rounds("fork", windows, per_window);
}

static uint64_t op_exec(uint32_t windows, uint32_t per_window)
{
    return child_rounds("exec", windows, per_window);
}

static uint64_t op_spawn(uint32_t windows, uint32_t per_window)
{
    return child_rounds("spawn", windows, per_window);
}

static uint64_t op_sbrk(uint32_t windows, uint32_t per_window)
{
    struct mb_window w;
    mb_window_start(&w);
    for (uint32_t k = 0; k <= windows; k++) {
        for (uint32_t i = 0; i < per_window; i++) {
            char *p = sbrk(SBRK_BYTES);
            if (p == (void *)-1)
                return MB_FAILED;
            for (uint32_t off = 0; off < SBRK_BYTES; off += PAGE)
                ((volatile char *)p)[off] = 1;
            if (sbrk(-SBRK_BYTES) == (void *)-1)
                return MB_FAILED;
        }
        mb_mark(&w);
    }
    return mb_window_best(&w);
}

/* Each OP: its loop, its windows (after the warm-up one), operations per
 * window (per_window passed to the loop; `ops` times that are counted as
 * the OP: a ping-pong round is two switches).  Window sizes: well under a
 * 10 ms tick of virtual time (10 million instructions under icount), so
 * that most windows see no tick; the whole run takes seconds. */
static const struct op {
    const char *name;
    uint64_t (*run)(uint32_t windows, uint32_t per_window);
    uint32_t windows, per_window, ops;
} OPS[] = {
    { "syscall",       op_syscall,        8, 2000, 1 },
    { "getpid",        op_getpid,         8, 2000, 1 },
    { "coswitch",      op_coswitch,       8, 1000, 2 },
    { "uswitch",       op_uswitch,        8, 1000, 2 },
    { "uswitch_light", op_uswitch_light,  8, 1000, 2 },
    { "yield",         op_yield,          8, 1000, 1 },
    { "yield_other",   op_yield_other,    8, 1000, 2 },
    { "procswitch",    op_procswitch,     8, 1000, 2 },
    { "pipe_sync",     op_pipe_sync,      16,  200, 1 },
    { "pipe_async",    op_pipe_async,     16,  100, 1 },
    { "fork",          op_fork,           16,    4, 1 },
    { "exec",          op_exec,           16,    2, 1 },
    { "spawn",         op_spawn,          16,    2, 1 },
    { "sbrk",          op_sbrk,           16,    2, 1 },
};
#define NOPS (sizeof OPS / sizeof OPS[0])

static const struct op *find(const char *name)
{
    for (size_t i = 0; i < NOPS; i++)
        if (strcmp(OPS[i].name, name) == 0)
            return &OPS[i];
    return NULL;
}

static void usage(const char *bad)
{
    dprintf(2, "b_micro: no operation '%s'\nusage: b_micro [OP...]; OP is one of:", bad);
    for (size_t i = 0; i < NOPS; i++)
        dprintf(2, " %s", OPS[i].name);
    dprintf(2, " (none: all)\n");
}

static int measure(const struct op *op)
{
    uint64_t best = op->run(op->windows, op->per_window);
    if (best == MB_FAILED || best == 0) {
        printf("BENCH-ERROR micro op=%s failed (errno %d: %s)\n", op->name, errno,
               strerror(errno));
        return -1;
    }
    uint64_t per_window = (uint64_t)op->per_window * op->ops;
    printf("BENCH micro op=%s instr=%lu iters=%lu\n", op->name,
           (unsigned long)(best / per_window),
           (unsigned long)(per_window * op->windows));
    return 0;
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (!find(argv[i])) {
            usage(argv[i]);
            return 2;
        }
    co_workers(1);          /* main polls the coroutines, in co_join */
    int failed = 0;
    if (argc == 1)
        for (size_t i = 0; i < NOPS; i++)
            failed |= measure(&OPS[i]) < 0;
    for (int i = 1; i < argc; i++)
        failed |= measure(find(argv[i])) < 0;
    printf("BENCH-DONE micro\n");
    return failed ? 1 : 0;
}
