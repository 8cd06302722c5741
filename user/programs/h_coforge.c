// help: hostile test: forges its coroutine executor, CIDs and operations
/*
 * h_coforge: a process that forges its own executor, its coroutines' CIDs,
 * its doorbell and its asynchronous operations must hurt nobody but
 * itself.
 *
 *   h_coforge [ROUNDS [T_CORO_ARGS...]]     (default: 3 rounds, `t_coro`)
 *   h_coforge -N                            (case N alone, once)
 *
 * The parent first spawns a well-behaved `t_coro` (with the arguments
 * given, all its checks by default), then runs every case below in a
 * child of its own, round after round (at least ROUNDS, and as long as
 * t_coro still runs, up to MAX_ROUNDS), so the forgeries happen beside
 * it.  A child may finish, fail or be killed (the parent kills one that is
 * still alive after a bounded number of looks at it: a wrecked executor
 * may hang its own workers for ever; cases that must pass are waited
 * for).  Some cases only forge what the
 * kernel must refuse or shrug off, and check it themselves: those must
 * exit 0.  Afterwards t_coro must have exited 0 (it prints its own
 * "t_coro: PASS"), and once every child is reaped the frames free or in the
 * kernel heap and the heap's bytes (sysinfo) must be what they were before
 * t_coro started.
 *
 * Prints one line per case, then "h_coforge: PASS" or "h_coforge: FAIL".
 */
#include <coroutine.h>
#include <errno.h>
#include <garbage.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <thread.h>
#include <unistd.h>
#include "../lib/sys.h"

#define MAX_ROUNDS  40
#define LOOKS       400     /* waitpid(WNOHANG) looks at a child, 5 ms apart */

static CO_EXEC *const X = (CO_EXEC *)SHARED_EXEC_ADDR;
static VDSO_DATA *const V = (VDSO_DATA *)SHARED_BASE_ADDR;
static TaskSched *const RECS = (TaskSched *)CO_RECORDS_ADDR;

static long read_async(int fd, void *buf, size_t n, volatile struct co_io *io)
{
    return sys_call4(SYS_read_async, fd, (long)buf, (long)n, (long)io);
}

static long cancel_io(volatile struct co_io *io)
{
    return sys_call3(SYS_co_cancel_io, (long)io, 0, 0);
}

/* The executor's operations, called directly (as the library does): a
 * forger is not bound to the library's checks. */
#define call co_raw_call

/* Garbage, deterministic per case (each round stirs the seed). */
static uint64_t rng = GARBAGE_SEED;

static void scribble(void *at, size_t bytes)
{
    garbage_fill(at, bytes, &rng);
}

/* A child's own check: failing ones exit with the line number. */
#define MUST(cond) do { \
    if (!(cond)) { \
        printf("h_coforge: child: %s (line %d) does not hold\n", #cond, __LINE__); \
        exit(__LINE__ % 200 + 10); \
    } \
} while (0)

/* --- what the children run: a live executor, then a forgery --- */

struct waiter { struct co co; struct co_event *ev; int polls; };

static int waiter(struct co *c)
{
    struct waiter *f = (struct waiter *)c;
    f->polls++;
    co_begin(c);
    co_await_event(c, f->ev);
    co_return(c, 7);
    co_end(c);
}

struct reader { struct co co; int fd; char buf[8]; long got; };

static int reader(struct co *c)
{
    struct reader *f = (struct reader *)c;
    co_begin(c);
    co_read(c, f->got, f->fd, f->buf, sizeof f->buf);
    co_end(c);
}

struct spinner { struct co co; int i, n; };

static int spinner(struct co *c)
{
    struct spinner *f = (struct spinner *)c;
    co_begin(c);
    for (f->i = 0; f->i < f->n; f->i++)
        co_yield(c);
    co_end(c);
}

static struct co_event ev = CO_EVENT_INIT;
static struct waiter w1, w2;
static struct reader rd;
static struct spinner sp;
static cid_t wid1, wid2, rid, sid;
static int fds[2];

/* Coroutines of every kind alive: waiting on an event, on a pipe (an
 * operation pending in the kernel), and yielding (always queued). */
static void live_executor(void)
{
    MUST(pipe(fds) == 0);
    w1.ev = w2.ev = &ev;
    rd.fd = fds[0];
    sp.n = 1 << 30;
    /* Priorities 10 and above only (the ceiling is 10): a worker polling
     * a less urgent coroutine runs at its priority, and if it is
     * preempted holding the executor's lock, a more urgent thread
     * spinning for the lock yields to itself for ever on one hart (the
     * lock's yield lets only equals run).  That hang is the runtime's
     * own, found by the race case; the checks here are about the
     * kernel. */
    wid1 = co_spawn(waiter, &w1.co, 10);
    wid2 = co_spawn(waiter, &w2.co, 11);
    rid = co_spawn(reader, &rd.co, 12);
    sid = co_spawn(spinner, &sp.co, 10);
    MUST(wid1 != CO_NONE && wid2 != CO_NONE && rid != CO_NONE && sid != CO_NONE);
    for (int i = 0; i < 2000 && (w1.polls < 1 || w2.polls < 1 || co_polls(rid) < 1); i++)
        sleep(1);
    MUST(w1.polls >= 1 && w2.polls >= 1 && co_polls(rid) >= 1);
}

/* After a forgery: make the executor and the kernel work on it (wakes,
 * a spawn, a completion the kernel rings the doorbell for), in a thread,
 * since a wrecked executor may hang whoever calls into it. */
static void *poke(void *unused)
{
    (void)unused;
    co_event_set(&ev);
    static struct waiter w3;
    w3.ev = &ev;
    cid_t id = co_spawn(waiter, &w3.co, 15);
    if (write(fds[1], "forged!", 7) != 7)
        return 0;
    if (id != CO_NONE)
        co_join(id, 0);
    return 0;
}

/* Lets the workers and the kernel meet the forgery, then ends the child
 * (exit ends every thread, hung or not, and drops pending operations). */
static void meet_and_exit(void)
{
    thread_create(poke, 0);
    sleep(30);
    exit(0);
}

static void case_lock(void)
{
    live_executor();
    X->lock = 1;                        /* held for ever */
    meet_and_exit();
}

static void case_capacity(void)
{
    live_executor();
    X->capacity = 0xffffffffu;          /* records far past what is mapped */
    V->exec_capacity = 0x7fffffffu;
    call(CO_OP_WAKE, CO_MAKE_CID(CO_MAX - 1, 0), 0, 0, 0);
    meet_and_exit();
}

static void case_free_list(void)
{
    live_executor();
    X->free_head = (uint32_t)garbage_next(&rng);
    X->used = 0xfffffff0u;
    /* A spawn finds the free list wrecked: the library grows the table
     * (to CO_MAX records, the kernel's limit) and gives up. */
    static struct waiter fresh;
    fresh.ev = &ev;
    co_spawn(waiter, &fresh.co, 10);
    X->free_head = CO_INDEX(rid) + 1;   /* a live record */
    meet_and_exit();
}

static void case_live(void)
{
    live_executor();
    X->live = 0;                        /* workers think everything ended */
    co_event_set(&ev);
    X->live = 0xffffffffu;              /* ... or that nothing ever will */
    if (write(fds[1], "forged!", 7) != 7)
        exit(2);
    sleep(20);
    exit(0);
}

static void case_header(void)
{
    live_executor();
    scribble(X, 1024);                  /* every field of the header */
    meet_and_exit();
}

static void case_queue(void)
{
    live_executor();
    scribble((void *)CO_QUEUE_ADDR, CO_QUEUE_PAGES * 4096u);
    meet_and_exit();
}

static void case_records(void)
{
    live_executor();
    scribble(RECS, V->exec_capacity * sizeof(TaskSched));
    meet_and_exit();
}

/* Forged CIDs to every operation: refused, and the executor still works. */
static void case_cids(void)
{
    live_executor();
    uint32_t cap = V->exec_capacity;
    const uint32_t forged[] = {
        CO_NONE, 0xfffffffeu, CO_MAKE_CID(cap, 0), CO_MAKE_CID(cap + 5, 1),
        CO_MAKE_CID(CO_MAX - 1, 0), CO_MAKE_CID(CO_INDEX(wid1), CO_GEN(wid1) + 1),
        CO_MAKE_CID(CO_INDEX(rid), CO_GEN(rid) + 7), CO_MAKE_CID(cap - 1, 0),
    };
    for (size_t i = 0; i < sizeof forged / sizeof forged[0]; i++) {
        uint32_t f = forged[i];
        int64_t r = 0;
        MUST(call(CO_OP_WAKE, f, 0, 0, 0) == -1);
        MUST(call(CO_OP_CANCEL, f, 0, 0, 0) == -1);
        MUST(call(CO_OP_JOIN, f, CO_NONE, 0, (uint64_t)(uintptr_t)&r) == -1);
        MUST(call(CO_OP_SET_PRIO, f, 5, 0, 0) == -1);
        MUST(call(CO_OP_STATE, f, 0, 0, 0) == -1);
        MUST(call(CO_OP_DETACH, f, 0, 0, 0) == -1);
        MUST(call(CO_OP_POLLED, f, CO_PENDING, 0, 0) == -1);
        MUST(call(CO_OP_FINISH, f, 0, 0, 0) == -1);
        MUST(co_cancel(f) == -1 && co_set_priority(f, 3) == -1 && co_polls(f) == -1);
        MUST(co_join(f, 0) == -1);
    }
    /* Bad priorities, a real CID. */
    MUST(call(CO_OP_SET_PRIO, wid1, 0, 0, 0) == -1 && call(CO_OP_SET_PRIO, wid1, 21, 0, 0) == -1);
    MUST(call(CO_OP_SPAWN, 0, 0, 10, 0) == (int64_t)CO_NONE);
    MUST(call(CO_OP_SPAWN, (uint64_t)(uintptr_t)waiter, (uint64_t)(uintptr_t)&w1, 99, 0) ==
         (int64_t)CO_NONE);
    /* Nothing was disturbed: the coroutines end as they should. */
    co_event_set(&ev);
    MUST(write(fds[1], "abc", 3) == 3);
    int64_t r1 = 0, r2 = 0;
    MUST(co_join(wid1, &r1) == 0 && co_join(wid2, &r2) == 0 && r1 == 7 && r2 == 7);
    MUST(co_join(rid, 0) == 0 && rd.got == 3);
    MUST(co_cancel(sid) == 0 && co_join(sid, &r1) == 0 && r1 == CO_RESULT_CANCELLED);
    MUST(!(X->flags & CO_EXEC_WRECKED));
    exit(0);
}

/* Doorbell bits nobody rang: at worst a coroutine polled once more. */
static void case_doorbell(void)
{
    live_executor();
    for (uint32_t i = 0; i < CO_BELL_WORDS; i++)
        X->bell[i] = ~0ull;
    for (uint32_t i = 0; i < CO_SUMMARY_WORDS; i++)
        X->bell_summary[i] = ~0ull;
    X->seq++;
    syscall_raw(SYS_futex_wake, (long)&X->seq, 1 << 30, 0);
    for (int i = 0; i < 2000 && X->bell_summary[0]; i++)
        sleep(1);
    MUST(X->bell_summary[0] == 0);      /* taken in */
    MUST(co_polls(rid) >= 1 && co_polls(wid1) >= 1);
    co_event_set(&ev);
    MUST(write(fds[1], "abc", 3) == 3);
    int64_t r1 = 0;
    MUST(co_join(wid1, &r1) == 0 && r1 == 7 && co_join(wid2, 0) == 0);
    MUST(co_join(rid, 0) == 0 && rd.got == 3 && memcmp(rd.buf, "abc", 3) == 0);
    MUST(co_cancel(sid) == 0 && co_join(sid, 0) == 0);
    MUST(!(X->flags & CO_EXEC_WRECKED));
    exit(0);
}

/* Asynchronous operations whose io->cid is forged or another's. */
static void case_io_cid(void)
{
    live_executor();
    int p2[2];
    MUST(pipe(p2) == 0);
    static volatile struct co_io io;
    static char buf[8];
    uint32_t cap = V->exec_capacity;
    const uint32_t refused[] = { CO_NONE, CO_MAKE_CID(cap, 0), CO_MAKE_CID(CO_MAX - 1, 3) };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        io = (struct co_io){ 0, refused[i], 0 };
        MUST(read_async(p2[0], buf, sizeof buf, &io) == -EINVAL);
    }
    /* The io in the shared region, or in the kernel: refused. */
    MUST(read_async(p2[0], buf, 4, (void *)SHARED_EXEC_ADDR) == -EFAULT);
    MUST(read_async(p2[0], buf, 4, (void *)0xffffffc000000000ull) == -EFAULT);
    MUST(read_async(p2[0], buf, 4, (void *)(uintptr_t)((uintptr_t)&io + 4)) == -EFAULT);
    /* Another coroutine's CID (the event waiter's): completing it rings
     * its bit, it is polled once more and goes on waiting. */
    int before = w1.polls;
    io = (struct co_io){ 0, wid1, 0 };
    MUST(read_async(p2[0], buf, sizeof buf, &io) == -EINPROGRESS);
    io.cid = rid;                       /* kept by the kernel at submission */
    MUST(write(p2[1], "xy", 2) == 2);
    for (int i = 0; i < 2000 && !io.done; i++)
        sleep(1);
    MUST(io.done == 1 && io.result == 2 && buf[0] == 'x');
    for (int i = 0; i < 2000 && w1.polls == before; i++)
        sleep(1);
    MUST(w1.polls == before + 1 && co_polls(rid) == 1);
    /* A free record's index, and a generation long gone: the bit rings,
     * nobody is woken. */
    io = (struct co_io){ 0, CO_MAKE_CID(cap - 1, 12345), 0 };
    MUST(read_async(p2[0], buf, sizeof buf, &io) == -EINPROGRESS);
    MUST(write(p2[1], "z", 1) == 1);
    for (int i = 0; i < 2000 && !io.done; i++)
        sleep(1);
    MUST(io.done == 1 && io.result == 1);
    /* Pending with a forged CID, then cancelled twice. */
    io = (struct co_io){ 0, CO_MAKE_CID(cap - 2, 99), 0 };
    MUST(read_async(p2[0], buf, sizeof buf, &io) == -EINPROGRESS);
    MUST(cancel_io(&io) == 0 && cancel_io(&io) == -ENOENT);
    co_event_set(&ev);
    MUST(write(fds[1], "abc", 3) == 3);
    int64_t r1 = 0;
    MUST(co_join(wid1, &r1) == 0 && r1 == 7 && co_join(rid, 0) == 0 && rd.got == 3);
    MUST(co_cancel(sid) == 0);
    exit(0);
}

/* The frame holding an operation in flight (its io and its buffer) given
 * back with sbrk: the completion moves nothing, the data stays in the
 * pipe, and the frames are not written after they were freed. */
static void case_sbrk(void)
{
    live_executor();
    int p2[2];
    MUST(pipe(p2) == 0);
    for (int k = 0; k < 3; k++) {
        char *page = sbrk(8192);
        MUST(page != (void *)-1);
        /* In the last page the heap holds: sbrk(-) gives it back. */
        struct co_io *io = (struct co_io *)(page + 4096);
        char *buf = page + 4096 + 64;
        *io = (struct co_io){ 0, rid, 0 };
        MUST(read_async(p2[0], buf, 16, io) == -EINPROGRESS);
        MUST(sbrk(-8192) != (void *)-1);
        if (k == 1) {                   /* and mapped again, fresh */
            char *again = sbrk(8192);
            MUST(again == page);
            MUST(write(p2[1], "late", 4) == 4);
            for (int i = 0; i < 2000 && !((volatile struct co_io *)io)->done; i++)
                sleep(1);
            /* The new frame got the completion: the process's own
             * memory at the address, nothing else. */
            MUST(((volatile struct co_io *)io)->done == 1 && io->result == 4);
            MUST(sbrk(-8192) != (void *)-1);
            continue;
        }
        MUST(write(p2[1], "data", 4) == 4);
        /* The completion found nothing mapped: the bytes are still there. */
        char back[8];
        long n = -1;
        for (int i = 0; i < 2000; i++) {
            static volatile struct co_io io2;
            io2 = (struct co_io){ 0, rid, 0 };
            n = read_async(p2[0], back, sizeof back, &io2);
            if (n != -EINPROGRESS)
                break;
            if (cancel_io(&io2) == -ENOENT) {
                /* Completed before the cancel could take it: the data is
                 * in `back`, its result follows (result, then done). */
                while (!io2.done)
                    sleep(1);
                n = (long)io2.result;
                break;
            }
            sleep(1);
        }
        MUST(n == 4 && memcmp(back, "data", 4) == 0);
    }
    /* One more in flight when the process exits. */
    char *page = sbrk(4096);
    MUST(page != (void *)-1);
    *(struct co_io *)page = (struct co_io){ 0, rid, 0 };
    MUST(read_async(p2[0], page + 64, 16, (struct co_io *)page) == -EINPROGRESS);
    MUST(sbrk(-4096) != (void *)-1);
    exit(0);
}

/* Exec with operations in flight, then an executor again: the kernel
 * drops the old executor (its pages and the frames of its records that
 * the doorbell reads, os/sched/coexec.c rec_frames) and must read only
 * the new one's.  The old one (mapped here with SYS_co_setup: exec wants
 * a single thread, so no workers) has 4 record pages, every priority in
 * them LOW, and reads in flight for records on each.  The new image,
 * t_cowakelow -f 40, puts its coroutines on its third record page and
 * passes only if a completion the kernel rings for (an asynchronous
 * sleep's end) finds the rung coroutine's priority there, HIGH: read
 * from a frame the old image left, it would find LOW (or the freed frame
 * zeroed) and raise no worker.  Its status is the case's. */
static void case_exec(void)
{
    MUST(sys_call3(SYS_co_setup, 64, 0, 0) == 64);
    for (int i = 0; i < 64; i++)
        RECS[i].prio = 1;
    int p2[2];
    MUST(pipe(p2) == 0);
    static volatile struct co_io io[4];
    static char buf[4][16];
    for (int k = 0; k < 4; k++) {
        io[k] = (struct co_io){ 0, (uint32_t)(k * 16 + 3), 0 };
        MUST(read_async(p2[0], buf[k], sizeof buf[k], &io[k]) == -EINPROGRESS);
    }
    char *argv[] = { "t_cowakelow", "-f", "40", 0 };
    long err = exec("t_cowakelow", argv);
    printf("h_coforge: child: exec t_cowakelow: %ld\n", err);
    exit(3);
}

/* Threads racing co_spawn, co_cancel, co_join and co_set_priority on the
 * same coroutines, on every hart there is. */
#define RACE_SLOTS 32
static volatile uint32_t slots[RACE_SLOTS];
static volatile int racing = 1;

static void *spawner(void *arg)
{
    uintptr_t me = (uintptr_t)arg;
    for (int i = 0; racing && i < 1000; i++) {
        struct spinner *s = co_alloc(sizeof *s);
        if (!s)
            break;
        s->n = 1 + i % 5;
        cid_t id = co_spawn_detached(spinner, &s->co, 1 + (int)((me + (uintptr_t)i) % 20));
        slots[(me * 7 + (uintptr_t)i) % RACE_SLOTS] = id;
    }
    return 0;
}

static void *canceller(void *arg)
{
    uintptr_t me = (uintptr_t)arg;
    for (int i = 0; racing && i < 2000; i++) {
        uint32_t id = slots[(me + (uintptr_t)i) % RACE_SLOTS];
        if (i % 3 == 0)
            co_cancel(id);
        else if (i % 3 == 1)
            co_set_priority(id, 1 + i % 20);
        else
            co_join(id, 0);             /* detached: refused, or a race */
    }
    return 0;
}

static void case_race(void)
{
    live_executor();
    int t[6];
    for (uintptr_t i = 0; i < 6; i++)
        t[i] = thread_create(i < 3 ? spawner : canceller, (void *)i);
    for (int i = 0; i < 6; i++)
        if (t[i] > 0)
            thread_join(t[i], 0);
    co_event_set(&ev);
    MUST(write(fds[1], "abc", 3) == 3);
    MUST(co_join(wid1, 0) == 0 && co_join(rid, 0) == 0 && rd.got == 3);
    co_cancel(sid);
    exit(0);
}

/* --- the parent --- */

struct kase {
    const char *name;
    void (*run)(void);
    bool must_pass;         /* only refusals: the child checks and exits 0 */
    int exited0, failed, killed_by_kernel, killed_by_us;
};

static struct kase cases[] = {
    { "header lock held for ever", case_lock, false, 0, 0, 0, 0 },
    { "header capacity huge", case_capacity, false, 0, 0, 0, 0 },
    { "header free list anywhere", case_free_list, false, 0, 0, 0, 0 },
    { "header live counter wrong", case_live, false, 0, 0, 0, 0 },
    { "header garbage", case_header, false, 0, 0, 0, 0 },
    { "queue garbage", case_queue, false, 0, 0, 0, 0 },
    { "records garbage", case_records, false, 0, 0, 0, 0 },
    { "forged CIDs to every operation", case_cids, true, 0, 0, 0, 0 },
    { "forged doorbell bits", case_doorbell, true, 0, 0, 0, 0 },
    { "io->cid forged or another's", case_io_cid, true, 0, 0, 0, 0 },
    { "sbrk away an operation in flight", case_sbrk, true, 0, 0, 0, 0 },
    { "threads racing spawn and cancel", case_race, false, 0, 0, 0, 0 },
    { "exec with operations in flight, then an executor again", case_exec, true,
      0, 0, 0, 0 },
};
#define NCASES (int)(sizeof cases / sizeof cases[0])

static void run_case(struct kase *k, int round)
{
    int pid = fork();
    if (pid == 0) {
        rng ^= (uint64_t)(round + 1) * 0x2545f4914f6cdd1dull;
        k->run();
        exit(0);
    }
    if (pid < 0) {
        k->failed++;
        return;
    }
    /* A case that must pass is waited for without a bound (the test's
     * timeout is one): its workers run at its coroutines' priorities, down
     * to 3, and wait behind t_coro on one hart as long as it runs.  The
     * others get a bounded number of looks, then are killed as hung. */
    int status = 0, got = 0;
    for (int i = 0; (k->must_pass || i < LOOKS) &&
                    (got = waitpid(pid, &status, WNOHANG)) == 0; i++)
        sleep(5);
    if (got == 0) {                     /* hung on its own executor */
        kill(pid);
        waitpid(pid, &status, 0);
        k->killed_by_us++;
    } else if (!WIFEXITED(status)) {
        k->killed_by_kernel++;
    } else if (WEXITSTATUS(status) == 0) {
        k->exited0++;
    } else {
        k->failed++;
    }
}

static void counts(uint64_t *frames, uint64_t *heap)
{
    struct sysinfo si;
    memset(&si, 0, sizeof si);
    sysinfo(&si);
    *frames = frames_free_or_heap(&si);
    *heap = si.heap_bytes;
}

int main(int argc, char **argv)
{
    if (argc == 2 && argv[1][0] == '-') {       /* -N: case N alone, once */
        int n = atoi(argv[1] + 1);
        if (n < 0 || n >= NCASES)
            return 2;
        run_case(&cases[n], 0);
        struct kase *k = &cases[n];
        printf("h_coforge: %s: exited 0 %d, failed %d, killed by the kernel %d, "
               "killed as hung %d\n", k->name, k->exited0, k->failed, k->killed_by_kernel,
               k->killed_by_us);
        return 0;
    }
    int rounds = argc > 1 ? atoi(argv[1]) : 3;
    if (rounds < 1 || rounds > MAX_ROUNDS) {
        printf("usage: h_coforge [ROUNDS [T_CORO_ARGS...]]\n");
        return 2;
    }
    uint64_t frames0, heap0;
    counts(&frames0, &heap0);
    char *targv[8] = { "t_coro" };
    for (int i = 2; i < argc && i < 8; i++)
        targv[i - 1] = argv[i];
    int tpid = spawn("t_coro", targv);
    int tstatus = -1;
    bool t_done = tpid < 0;
    int round = 0;
    while (round < rounds || (!t_done && round < MAX_ROUNDS)) {
        for (int i = 0; i < NCASES; i++)
            run_case(&cases[i], round);
        round++;
        if (!t_done && waitpid(tpid, &tstatus, WNOHANG) == tpid)
            t_done = true;
    }
    if (!t_done)
        waitpid(tpid, &tstatus, 0);
    bool ok = tpid > 0 && tstatus == 0;
    for (int i = 0; i < NCASES; i++) {
        struct kase *k = &cases[i];
        bool good = !k->must_pass || k->exited0 == round;
        printf("h_coforge: %s: %d runs: exited 0 %d, failed %d, killed by the kernel %d, "
               "killed as hung %d: %s\n", k->name, round, k->exited0, k->failed,
               k->killed_by_kernel, k->killed_by_us, good ? "ok" : "FAIL");
        ok &= good;
    }
    printf("h_coforge: t_coro beside: status %d\n", tstatus);
    /* Everything the children and t_coro had is back.  The pipes' kernel
     * coroutines end at their next poll, which a return to user mode
     * makes: look a bounded number of times. */
    uint64_t frames1 = 0, heap1 = 0;
    for (int i = 0; i < 200; i++) {
        counts(&frames1, &heap1);
        if (frames1 == frames0 && heap1 == heap0)
            break;
        sleep(5);
    }
    bool back = frames1 == frames0 && heap1 == heap0;
    printf("h_coforge: frames free or in the heap %lu -> %lu, kernel heap %lu -> %lu bytes: %s\n",
           (unsigned long)frames0, (unsigned long)frames1, (unsigned long)heap0,
           (unsigned long)heap1, back ? "ok" : "FAIL");
    ok &= back;
    printf("h_coforge: %s\n", ok ? "PASS" : "FAIL");
    return ok ? 0 : 1;
}
