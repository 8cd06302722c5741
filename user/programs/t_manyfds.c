// help: self-test: thousands of pipes in one process, sync and with coroutines (t_manyfds [N])
/*
 * t_manyfds [N]: the file table and the asynchronous operations of one
 * process at a scale of thousands (N pipes, default and at most 4000):
 *
 *   ring    N pipes opened (fds 3, 4, 5, ... in order: the table grows
 *           and hands out the lowest free descriptor), a token passed
 *           through all of them with read() and write();
 *   fork    a child of a process with 2N+3 open fds sees the same pipes
 *           at the same numbers, writes through one, closes them all;
 *           every pipe of the parent still works afterwards; another
 *           child execs this program ("t_manyfds exec-child FD"), which
 *           writes through FD, the highest: exec keeps the whole table;
 *   limit   pipes opened until the kernel refuses: EMFILE at exactly
 *           MAX_FDS open descriptors, dup refused too, a freed pair
 *           handed out again, and after closing them all a pipe works;
 *   bad fds negative, huge and just-too-big descriptors: EBADF;
 *   coro    N coroutines, each waiting in co_read on its own pipe (N
 *           asynchronous reads pending at once), the token passed from
 *           each to the next with co_write.
 *
 * All of it twice: the first round warms up what stays with the process
 * (its executor, worker threads, a file table grown to MAX_FDS entries);
 * after the second, every frame and every byte of kernel heap must be
 * back (sysinfo), once the pipes' kernel coroutines have ended.
 * Prints a line per check and "t_manyfds: PASS" or "t_manyfds: FAIL".
 */
#include <coroutine.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_PIPES 4000
#define TOKEN     0x5eed0000u

static int failures;

#define CHECK(cond, ...) do { \
    if (!(cond)) { \
        failures++; \
        printf("t_manyfds: FAIL line %d: %s: ", __LINE__, #cond); \
        printf(__VA_ARGS__); \
        printf("\n"); \
    } \
} while (0)

static int n_pipes = MAX_PIPES;
static int ends[MAX_PIPES][2];
static int fill[MAX_FDS / 2][2];

/* Opens n_pipes pipes into ends[]; true if all opened at the expected fds. */
static int open_all(void)
{
    for (int i = 0; i < n_pipes; i++) {
        if (pipe(ends[i]) < 0) {
            CHECK(0, "pipe %d of %d: %s", i, n_pipes, strerror(errno));
            for (int j = 0; j < i; j++) {
                close(ends[j][0]);
                close(ends[j][1]);
            }
            return 0;
        }
        /* Lowest free first: 0-2 are the console, then in order. */
        CHECK(ends[i][0] == 3 + 2 * i && ends[i][1] == 4 + 2 * i,
              "pipe %d got fds %d %d", i, ends[i][0], ends[i][1]);
    }
    return 1;
}

static void close_all(void)
{
    for (int i = 0; i < n_pipes; i++) {
        CHECK(close(ends[i][0]) == 0 && close(ends[i][1]) == 0, "close pipe %d", i);
    }
}

/* A token through every pipe in turn, read() and write(). */
static void sync_ring(void)
{
    uint32_t v = TOKEN;
    CHECK(write(ends[0][1], &v, sizeof v) == sizeof v, "first write");
    for (int i = 0; i < n_pipes; i++) {
        uint32_t got = 0;
        if (read(ends[i][0], &got, sizeof got) != sizeof got || got != TOKEN + (uint32_t)i) {
            CHECK(0, "pipe %d (fd %d): read %#x", i, ends[i][0], got);
            return;
        }
        got++;
        int out = i + 1 < n_pipes ? ends[i + 1][1] : ends[0][1];
        if (write(out, &got, sizeof got) != sizeof got) {
            CHECK(0, "write after pipe %d: %s", i, strerror(errno));
            return;                            /* the next read would wait */
        }
    }
    uint32_t last = 0;
    CHECK(read(ends[0][0], &last, sizeof last) == sizeof last &&
          last == TOKEN + (uint32_t)n_pipes, "back at the start: %#x", last);
    printf("t_manyfds: ring: a token through %d pipes (fds 3..%d)\n", n_pipes,
           ends[n_pipes - 1][1]);
}

/* A child with every fd: it writes through the last pipe and closes all;
 * the parent's pipes must all still work. */
static void fork_many(void)
{
    int pid = fork();
    if (pid == 0) {
        uint32_t v = 0xc41d;
        int bad = write(ends[n_pipes - 1][1], &v, sizeof v) != sizeof v;
        for (int i = 0; i < n_pipes; i++)
            bad |= close(ends[i][0]) != 0 || close(ends[i][1]) != 0;
        bad |= close(ends[0][0]) != -1 || errno != EBADF;   /* gone: its own */
        exit(bad ? 3 : 0);
    }
    CHECK(pid > 0, "fork: %s", strerror(errno));
    if (pid <= 0)
        return;
    int status = -1;
    CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
          WEXITSTATUS(status) == 0, "child status %#x", status);
    uint32_t got = 0;
    CHECK(read(ends[n_pipes - 1][0], &got, sizeof got) == sizeof got && got == 0xc41d,
          "the child's write: %#x", got);
    int ok = 0;
    for (int i = 0; i < n_pipes; i++) {
        uint32_t v = (uint32_t)i, back = ~0u;
        ok += write(ends[i][1], &v, sizeof v) == sizeof v &&
              read(ends[i][0], &back, sizeof back) == sizeof back && back == v;
    }
    CHECK(ok == n_pipes, "%d of %d pipes work after the child closed its copies", ok, n_pipes);
    /* exec keeps every descriptor: the new program writes through the
     * highest one. */
    pid = fork();
    if (pid == 0) {
        char fd[16];
        snprintf(fd, sizeof fd, "%d", ends[n_pipes - 1][1]);
        char *const argv[] = { "t_manyfds", "exec-child", fd, NULL };
        exec("t_manyfds", argv);
        exit(4);
    }
    status = -1;
    CHECK(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
          WEXITSTATUS(status) == 0, "exec child status %#x", status);
    got = 0;
    CHECK(read(ends[n_pipes - 1][0], &got, sizeof got) == sizeof got && got == 0xe7ec,
          "the exec'd child's write: %#x", got);
    printf("t_manyfds: fork: the child saw %d fds, its closes left the parent's alone; "
           "exec kept them\n", 2 * n_pipes + 3);
}

/* Run by exec from fork_many: writes a marker through fd. */
static int exec_child(const char *fd)
{
    uint32_t v = 0xe7ec;
    return write(atoi(fd), &v, sizeof v) == sizeof v ? 0 : 5;
}

/* Opens pipes until refused: EMFILE at MAX_FDS descriptors. */
static void the_limit(void)
{
    int k = 0;
    while (k < MAX_FDS / 2 && pipe(fill[k]) == 0)
        k++;
    int why = errno;
    int expect = (MAX_FDS - 3) / 2;
    CHECK(k == expect && why == EMFILE, "%d pipes then %s (expected %d then EMFILE)",
          k, strerror(why), expect);
    int fd = -1;
    if ((MAX_FDS - 3) % 2) {                   /* one fd left: dup takes it */
        fd = dup(0);
        CHECK(fd == MAX_FDS - 1, "dup into the last fd: %d", fd);
    }
    CHECK(dup(0) == -1 && errno == EMFILE, "dup at the limit");
    int more[2] = { -1, -1 };
    CHECK(pipe(more) == -1 && errno == EMFILE && more[0] == -1, "pipe at the limit");
    if (k > 100) {                             /* a freed pair comes back */
        int a = fill[100][0], b = fill[100][1];
        close(a);
        close(b);
        CHECK(pipe(fill[100]) == 0 && fill[100][0] == a && fill[100][1] == b,
              "reopened at %d %d", fill[100][0], fill[100][1]);
    }
    for (int i = 0; i < k; i++)
        CHECK(close(fill[i][0]) == 0 && close(fill[i][1]) == 0, "close %d", i);
    if (fd >= 0)
        close(fd);
    int p[2];
    uint32_t v = 7, got = 0;
    CHECK(pipe(p) == 0 && p[0] == 3 && p[1] == 4, "a pipe after the limit: %d %d", p[0], p[1]);
    CHECK(write(p[1], &v, sizeof v) == sizeof v && read(p[0], &got, sizeof got) == sizeof got &&
          got == 7, "it works");
    close(p[0]);
    close(p[1]);
    printf("t_manyfds: limit: EMFILE at %d open fds, and the process goes on\n", MAX_FDS);
}

/* Descriptors the kernel must refuse without looking anywhere. */
static void bad_fds(void)
{
    static const long bad[] = { -1, -2, MAX_FDS, MAX_FDS + 1, 5000, 1L << 31, 1L << 40,
                                (long)(~0UL >> 1), (long)(1UL << 63) };
    char b[4];
    int ok = 0;
    for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ok += syscall_raw(SYS_read, bad[i], (long)b, 1) == -EBADF &&
              syscall_raw(SYS_write, bad[i], (long)b, 1) == -EBADF &&
              syscall_raw(SYS_close, bad[i], 0, 0) == -EBADF &&
              syscall_raw(SYS_dup, bad[i], 0, 0) == -EBADF;
    CHECK(ok == (int)(sizeof bad / sizeof bad[0]), "%d refused", ok);
    printf("t_manyfds: bad fds: negative, huge, past the table: EBADF\n");
}

/* One stage of the coroutine ring: waits on its own pipe, passes the
 * token on.  co_read in two steps (the submission, then the wait, as the
 * macro does) so that `pending` counts the reads the kernel took in as
 * pending: none can complete before the token goes in. */
struct stage { struct co co; int i; long got, r; uint32_t v; };
static struct stage stages[MAX_PIPES];
static volatile int pending, refused;

static int stage_poll(struct co *c)
{
    struct stage *f = (struct stage *)c;
    co_begin(c);
    f->r = co__submit(c, CO__READ, ends[f->i][0], (uint64_t)(uintptr_t)&f->v, sizeof f->v);
    __atomic_fetch_add(f->r == -EINPROGRESS ? &pending : &refused, 1, __ATOMIC_RELAXED);
    co__io(c, f->got, f->r);
    if (f->got != sizeof f->v)
        co_return(c, f->got < 0 ? f->got : -1000);
    if (f->v != TOKEN + (uint32_t)f->i)
        co_return(c, -2000);
    f->v++;
    co_write(c, f->got, f->i + 1 < n_pipes ? ends[f->i + 1][1] : ends[0][1], &f->v,
             sizeof f->v);
    co_return(c, f->got == sizeof f->v ? 0 : -3000);
    co_end(c);
}

static void coro_ring(void)
{
    static cid_t cids[MAX_PIPES];
    pending = refused = 0;
    /* Stage 0 reads what the last one writes back: the ring's end is the
     * main thread's, so stage 0 waits on a pipe of its own too. */
    int back[2];
    CHECK(pipe(back) == 0, "pipe");
    int first_in = ends[0][0];
    ends[0][0] = back[0];                      /* stage 0's input */
    for (int i = 0; i < n_pipes; i++) {
        memset(&stages[i], 0, sizeof stages[i]);
        stages[i].i = i;
        cids[i] = co_spawn(stage_poll, &stages[i].co, 10);
        CHECK(cids[i] != CO_NONE, "spawn %d: %s", i, strerror(errno));
        if (cids[i] == CO_NONE) {
            n_pipes = i;                       /* join what runs */
            break;
        }
    }
    /* Every stage must be waiting before the token goes in: then all the
     * reads are pending at once (the pipes are empty).  Bounded wait. */
    for (int t = 0; t < 60000 && pending + refused < n_pipes; t++)
        sleep(1);
    CHECK(pending == n_pipes, "%d of %d reads pending (%d not)", pending, n_pipes, refused);
    if (pending != n_pipes) {                  /* the token would stop: end them */
        for (int i = 0; i < n_pipes; i++) {
            co_cancel(cids[i]);
            co_join(cids[i], 0);
        }
        ends[0][0] = first_in;
        close(back[0]);
        close(back[1]);
        return;
    }
    uint32_t v = TOKEN;
    CHECK(write(back[1], &v, sizeof v) == sizeof v, "inject");
    uint32_t last = 0;
    CHECK(read(first_in, &last, sizeof last) == sizeof last &&
          last == TOKEN + (uint32_t)n_pipes, "the token came back: %#x", last);
    int ok = 0;
    long first_err = 0;
    for (int i = 0; i < n_pipes; i++) {
        int64_t r = -1;
        if (co_join(cids[i], &r) == 0 && r == 0)
            ok++;
        else if (!first_err)
            first_err = (long)r;
    }
    CHECK(ok == n_pipes, "%d of %d stages ended well (first error %ld)", ok, n_pipes,
          first_err);
    ends[0][0] = first_in;
    close(back[0]);
    close(back[1]);
    printf("t_manyfds: coro: %d asynchronous reads pending at once, the token through all\n",
           n_pipes);
}

/* What the pipes cost the kernel, for the record (not checked: the heap
 * may find room in slabs it kept, or take frames for new ones). */
static void cost_of_pipes(const struct sysinfo *was)
{
    struct sysinfo now;
    sysinfo(&now);
    long frames = (long)was->free_frames - (long)now.free_frames;
    long heap = (long)now.heap_bytes - (long)was->heap_bytes;
    printf("t_manyfds: cost: %d pipes took %ld frames (%ld bytes a pipe), of which kernel "
           "heap %ld bytes (%ld a pipe)\n", n_pipes, frames, frames * 4096 / n_pipes, heap,
           heap / n_pipes);
}

static void round_trip(void)
{
    struct sysinfo was;
    sysinfo(&was);
    if (!open_all())
        return;
    cost_of_pipes(&was);
    sync_ring();
    fork_many();
    close_all();
    the_limit();
    bad_fds();
    int wanted = n_pipes;
    if (!open_all())
        return;
    coro_ring();
    close_all();
    n_pipes = wanted;
}

/* Keeps the workers: an idle process's workers exit (user/lib/coro.c),
 * each leaving a small exit record in the kernel until the process ends;
 * with this one waiting, the rounds leave nothing behind. */
struct keeper { struct co co; struct co_event *stop; };
static int keeper_poll(struct co *c)
{
    struct keeper *f = (struct keeper *)c;
    co_begin(c);
    co_await_event(c, f->stop);
    co_end(c);
}

/* The kernel's pipe coroutines end just after their last completion:
 * waits (bounded) for the counts to come back to `before`. */
static int memory_back(const struct sysinfo *before, struct sysinfo *now)
{
    for (int t = 0; t < 500; t++) {
        sysinfo(now);
        if (now->free_frames == before->free_frames && now->heap_bytes == before->heap_bytes)
            return 1;
        sleep(10);
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "exec-child") == 0)
        return exec_child(argv[2]);
    if (argc > 2 || (argc == 2 && (atoi(argv[1]) < 2 || atoi(argv[1]) > MAX_PIPES))) {
        dprintf(2, "usage: t_manyfds [N]   (N pipes, 2..%d, default %d)\n", MAX_PIPES,
                MAX_PIPES);
        return 2;
    }
    if (argc == 2)
        n_pipes = atoi(argv[1]);
    struct sysinfo first, before, after;
    sysinfo(&first);
    static struct co_event stop = CO_EVENT_INIT;
    static struct keeper keeper;
    keeper.stop = &stop;
    cid_t kept = co_spawn(keeper_poll, &keeper.co, 1);
    CHECK(kept != CO_NONE, "keeper: %s", strerror(errno));
    round_trip();                              /* warms up what stays */
    sysinfo(&before);
    round_trip();
    int back = memory_back(&before, &after);
    co_event_set(&stop);
    CHECK(co_join(kept, 0) == 0, "keeper");
    CHECK(back, "free frames %lu -> %lu, kernel heap bytes %lu -> %lu",
          (unsigned long)before.free_frames, (unsigned long)after.free_frames,
          (unsigned long)before.heap_bytes, (unsigned long)after.heap_bytes);
    if (back)
        printf("t_manyfds: memory: every frame and heap byte back after the second round "
               "(the first kept %ld frames)\n", (long)first.free_frames - (long)before.free_frames);
    printf("t_manyfds: %s\n", failures ? "FAIL" : "PASS");
    return failures ? 1 : 0;
}
