// help: test: thousands of threads pass a token round a ring (t_manythreads [N [ROUNDS]] | limit | stack)
/*
 * t_manythreads: one process can hold thousands of threads, and gives
 * their memory back.
 *
 *   t_manythreads [N] [ROUNDS]   (default 4000 threads, 2 rounds)
 *       The parent: notes the free frames and the kernel heap (sysinfo),
 *       runs `t_manythreads ring N ROUNDS` as a child, and checks that
 *       both are back where they were once the child is gone.
 *   t_manythreads ring N ROUNDS
 *       Creates N threads, each asleep on a futex word of its own; then a
 *       token goes round them ROUNDS times, thread i handing it to i + 1.
 *       Each holder checks that the token's hop count is the one only its
 *       place in the ring can see, so every thread provably ran, in
 *       order.  Joins them all (each returns the rounds it saw) and checks
 *       that their kernel stacks were given back while the process lives
 *       (it keeps the top page of each user stack slot for reuse).
 *   t_manythreads limit
 *       Creates threads (asleep) until thread_create fails: it must fail
 *       with EAGAIN, not sooner than 4000 threads (or with ENOMEM, in a
 *       machine too small for them); then the process recovers: it lets
 *       them all go, joins them, and creates and joins as many again.
 *   t_manythreads stack
 *       A thread uses nearly all of its 64 KiB stack, a page at a time and
 *       through system calls that write into pages it has not touched yet
 *       (demand-paged stacks).
 * Prints "t_manythreads: PASS" or "t_manythreads: FAIL (...)".
 */
#include <errno.h>
#include <futex.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <thread.h>
#include <unistd.h>

#define DEFAULT_THREADS 4000
#define DEFAULT_ROUNDS  2
#define MAX_THREADS     8192           /* more than the kernel can hold */
#define WAIT_MS         300000         /* a bound on any single wait */

static int nthreads, rounds;
static uint32_t *wake_word;            /* thread i sleeps on wake_word[i] */
static volatile uint64_t hops;         /* hops of the token so far */
static volatile int out_of_turn;       /* holders that saw a wrong count */
static volatile uint32_t release;      /* limit mode: 1 lets them go */

static int failures;

static void check(bool ok, const char *what)
{
    if (!ok) {
        printf("t_manythreads: FAIL (%s)\n", what);
        failures++;
    }
}

static bool get_info(struct sysinfo *si)
{
    return sysinfo(si) == 0;
}

/* Waits until *word differs from `seen`; false after WAIT_MS.  One long
 * sleep, not a poll: thousands of threads waking every second would keep
 * a loaded machine busy doing nothing else. */
static bool wait_change(uint32_t *word, uint32_t seen)
{
    uint64_t deadline = time() + WAIT_MS * 1000000ULL;
    while (__atomic_load_n(word, __ATOMIC_ACQUIRE) == seen) {
        uint64_t now = time();
        if (now >= deadline)
            return false;
        futex_wait(word, seen, (deadline - now) / 1000000 + 1);
    }
    return true;
}

/* Thread i of the ring: round r, it may hold the token only at hop
 * r * N + i.  Returns the rounds it held the token. */
static void *ring_stage(void *arg)
{
    int i = (int)(intptr_t)arg;
    int held = 0;
    for (int r = 0; r < rounds; r++) {
        if (!wait_change(&wake_word[i], (uint32_t)r))
            break;
        if (hops != (uint64_t)r * (uint64_t)nthreads + (uint64_t)i)
            out_of_turn++;
        hops++;
        held++;
        int next = (i + 1) % nthreads;
        __atomic_fetch_add(&wake_word[next], 1, __ATOMIC_RELEASE);
        futex_wake(&wake_word[next], 1);
    }
    return (void *)(intptr_t)held;
}

static int ring(int n, int nrounds)
{
    nthreads = n;
    rounds = nrounds;
    wake_word = calloc((size_t)n, sizeof(uint32_t));
    int *tids = malloc(sizeof(int) * (size_t)n);
    if (!wake_word || !tids) {
        printf("t_manythreads: FAIL (no memory for %d threads' words)\n", n);
        return 1;
    }
    struct sysinfo before, peak, after;
    check(get_info(&before), "sysinfo");
    for (int i = 0; i < n; i++) {
        tids[i] = thread_create(ring_stage, (void *)(intptr_t)i);
        if (tids[i] < 0) {
            printf("t_manythreads: FAIL (thread %d of %d: %s)\n", i, n, strerror(errno));
            exit(1);               /* the others sleep: the exit ends them */
        }
    }
    check(get_info(&peak), "sysinfo");
    printf("t_manythreads: %d threads created; kernel threads %lu, %lu KiB of frames "
           "in use by them\n", n, (unsigned long)peak.nthreads,
           (unsigned long)(before.free_frames - peak.free_frames) * 4);
    uint64_t t0 = time();
    /* The token starts at thread 0. */
    __atomic_fetch_add(&wake_word[0], 1, __ATOMIC_RELEASE);
    futex_wake(&wake_word[0], 1);
    /* The first round alone (no thread has exited yet): its time. */
    uint64_t deadline = t0 + WAIT_MS * 1000000ULL;
    while (hops < (uint64_t)n && time() < deadline)
        sleep(5);
    uint64_t first_ms = (time() - t0) / 1000000;
    int short_rounds = 0;
    for (int i = 0; i < n; i++) {
        void *held = NULL;
        if (thread_join(tids[i], &held) != 0 || (intptr_t)held != nrounds)
            short_rounds++;
    }
    uint64_t ms = (time() - t0) / 1000000;
    printf("t_manythreads: ring of %d threads, %d rounds: %lu hops, %d out of turn, "
           "%d threads short of their rounds (%lu ms, the first round %lu ms)\n", n, nrounds,
           (unsigned long)hops, out_of_turn, short_rounds, (unsigned long)ms,
           (unsigned long)first_ms);
    check(hops == (uint64_t)n * (uint64_t)nrounds, "the token did not make every hop");
    check(out_of_turn == 0, "a thread held the token out of turn");
    check(short_rounds == 0, "a thread did not hold the token every round");

    /* Their kernel stacks (4 frames each), records and structs go as
     * they exit; what the process keeps until it ends is the top page of
     * each stack slot used (the next thread there gets it), and pages of
     * TaskSched records, page tables and slot bookkeeping: about 1.1
     * frames a thread, 1.25 allowed.  Exited threads' structs are freed as they leave
     * their harts: wait. */
    deadline = time() + WAIT_MS * 1000000ULL;
    do {
        check(get_info(&after), "sysinfo");
        if (after.nthreads <= before.nthreads)
            break;
        sleep(10);
    } while (time() < deadline);
    long kept = (long)before.free_frames - (long)after.free_frames;
    printf("t_manythreads: after the joins: kernel threads %lu (before %lu), %ld frames "
           "kept by the process\n", (unsigned long)after.nthreads,
           (unsigned long)before.nthreads, kept);
    check(after.nthreads == before.nthreads, "kernel threads not back to before");
    /* (Measured: 4453 frames for 4000 threads; a kernel stack kept per
     * thread would be 4 frames a thread more.) */
    check(kept <= n + n / 4 + 16, "the threads' kernel stacks were not all given back");
    return failures ? 1 : 0;
}

/* Limit mode: each thread sleeps until `release`. */
static void *sleeper(void *arg)
{
    (void)arg;
    wait_change((uint32_t *)&release, 0);
    return (void *)1;
}

static int create_until_refused(int *tids, int *err)
{
    int n = 0;
    while (n < MAX_THREADS) {
        int tid = thread_create(sleeper, NULL);
        if (tid < 0) {
            *err = errno;
            return n;
        }
        tids[n++] = tid;
    }
    *err = 0;
    return n;
}

static int join_all(int *tids, int n)
{
    __atomic_store_n(&release, 1, __ATOMIC_RELEASE);
    futex_wake((uint32_t *)&release, -1);
    int ok = 0;
    for (int i = 0; i < n; i++) {
        void *v = NULL;
        ok += thread_join(tids[i], &v) == 0 && v == (void *)1;
    }
    __atomic_store_n(&release, 0, __ATOMIC_RELEASE);
    return ok;
}

static int limit(void)
{
    int *tids = malloc(sizeof(int) * MAX_THREADS);
    if (!tids)
        return 1;
    struct sysinfo si;
    for (int pass = 1; pass <= 2; pass++) {
        int err;
        int n = create_until_refused(tids, &err);
        check(get_info(&si), "sysinfo");
        printf("t_manythreads: pass %d: %d threads, then thread_create: %s (kernel "
               "threads %lu, %lu KiB free)\n", pass, n,
               err == EAGAIN ? "EAGAIN" : err == ENOMEM ? "ENOMEM" :
               err ? strerror(err) : "never refused",
               (unsigned long)si.nthreads, (unsigned long)si.free_frames * 4);
        /* EAGAIN at the limit; ENOMEM first in a machine too small for it. */
        check(err == EAGAIN || err == ENOMEM, "thread_create did not fail with EAGAIN or ENOMEM");
        check(err == ENOMEM || n >= 4000, "fewer than 4000 threads");
        int joined = join_all(tids, n);
        printf("t_manythreads: pass %d: %d of %d joined\n", pass, joined, n);
        check(joined == n, "not every thread was joined");
    }
    return failures ? 1 : 0;
}

/* Stack mode: a thread uses its stack nearly to the guard page. */
static void *deep_user(void *arg)
{
    (void)arg;
    char big[60 * 1024];               /* of the 64 KiB stack */
    int fds[2];
    if (pipe(fds) != 0)
        return (void *)1;
    /* The kernel writes into pages of it not touched yet... */
    const char msg[] = "through a pipe, into an untouched stack page";
    if (write(fds[1], msg, sizeof msg) != (long)sizeof msg ||
        read(fds[0], big, sizeof msg) != (long)sizeof msg || memcmp(big, msg, sizeof msg))
        return (void *)2;
    /* ...and reads pages it has never written: zeroes. */
    if (write(fds[1], big + 40 * 1024, 16) != 16)
        return (void *)3;
    char back[16];
    if (read(fds[0], back, 16) != 16)
        return (void *)4;
    for (int i = 0; i < 16; i++)
        if (back[i])
            return (void *)5;
    /* Then every page, by the thread itself. */
    for (size_t i = 0; i < sizeof big; i += 512)
        big[i] = (char)i;
    for (size_t i = 0; i < sizeof big; i += 512)
        if (big[i] != (char)i)
            return (void *)6;
    close(fds[0]);
    close(fds[1]);
    return (void *)0;
}

static int stack(void)
{
    for (int i = 0; i < 3; i++) {
        void *result = (void *)-1;
        int tid = thread_create(deep_user, NULL);
        check(tid >= 0 && thread_join(tid, &result) == 0, "thread_create/join");
        if (result)
            printf("t_manythreads: deep stack, thread %d: step %ld failed\n", i, (long)result);
        check(result == NULL, "a deep stack did not work");
    }
    if (!failures)
        printf("t_manythreads: 3 threads used 60 KiB of their stacks\n");
    return failures ? 1 : 0;
}

static int positive(const char *s, int fallback)
{
    int v = s ? atoi(s) : fallback;
    return v > 0 ? v : -1;
}

int main(int argc, char **argv)
{
    int rc;
    if (argc > 1 && strcmp(argv[1], "ring") == 0) {
        int n = positive(argc > 2 ? argv[2] : NULL, DEFAULT_THREADS);
        int r = positive(argc > 3 ? argv[3] : NULL, DEFAULT_ROUNDS);
        if (n < 2 || n > MAX_THREADS || r < 0) {
            printf("t_manythreads: ring N ROUNDS: N from 2 to %d, ROUNDS at least 1\n",
                   MAX_THREADS);
            return 2;
        }
        return ring(n, r);
    }
    if (argc > 1 && strcmp(argv[1], "limit") == 0)
        rc = limit();
    else if (argc > 1 && strcmp(argv[1], "stack") == 0)
        rc = stack();
    else {
        int n = positive(argc > 1 ? argv[1] : NULL, DEFAULT_THREADS);
        int r = positive(argc > 2 ? argv[2] : NULL, DEFAULT_ROUNDS);
        if (n < 2 || n > MAX_THREADS || r < 0) {
            printf("usage: t_manythreads [N [ROUNDS]] | ring N ROUNDS | limit | stack\n"
                   "  N threads (2..%d, default %d), ROUNDS of the token (default %d)\n",
                   MAX_THREADS, DEFAULT_THREADS, DEFAULT_ROUNDS);
            return 2;
        }
        struct sysinfo before, after;
        check(get_info(&before), "sysinfo");
        char ns[16], rs[16];
        snprintf(ns, sizeof ns, "%d", n);
        snprintf(rs, sizeof rs, "%d", r);
        char *args[] = { "t_manythreads", "ring", ns, rs, NULL };
        int pid = spawn("t_manythreads", args), status = 0;
        check(pid > 0 && waitpid(pid, &status, 0) == pid, "spawn/waitpid");
        check(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the ring's process failed");
        /* Everything the child had is freed by the time waitpid returns,
         * but for thread structs still leaving their harts: wait. */
        uint64_t deadline = time() + WAIT_MS * 1000000ULL;
        do {
            check(get_info(&after), "sysinfo");
            if (frames_free_or_heap(&after) == frames_free_or_heap(&before) &&
                after.heap_bytes == before.heap_bytes)
                break;
            sleep(10);
        } while (time() < deadline);
        printf("t_manythreads: frames free or in the heap %lu before, %lu after; kernel heap "
               "%lu bytes before, %lu after\n", (unsigned long)frames_free_or_heap(&before),
               (unsigned long)frames_free_or_heap(&after), (unsigned long)before.heap_bytes,
               (unsigned long)after.heap_bytes);
        check(frames_free_or_heap(&after) == frames_free_or_heap(&before),
              "frames not all given back");
        check(after.heap_bytes == before.heap_bytes, "kernel heap not all given back");
        rc = failures ? 1 : 0;
    }
    if (!failures)
        printf("t_manythreads: PASS\n");
    return rc;
}
