// help: test: switches until interrupts restart the commit, land in its tail (t_commit_restart [N [S [T]]])
/*
 * t_commit_restart [THREADS [SECS [TAILS]]]: the user-mode switch's
 * restartable commit (rt_commit_current, user/runtime/user_schedule.S)
 * really restarts, and a switch that restarted leaves every thread as it
 * was; and, with TAILS, that the kernel spares every interrupt that lands
 * in the switch's tail.
 *
 * The commit reads the hart from the thread's record and stores
 * current[hart] in five instructions; an interrupt that lands inside them
 * makes the kernel send the thread back to the first (shared_restart_commit,
 * docs/user-mode-switching.md, "The restartable sequence"), and counts it
 * (schedstat's commit_restarts).  THREADS threads (default: two per hart,
 * at least two) do nothing but switch to each other with yield_(), each
 * with callee-saved registers of its own (checked_yield: s0-s11 set to
 * values no other thread uses, and sp, tp, gp, checked after every yield),
 * until the timer has interrupted the commit RESTARTS_WANTED times, or
 * SECS seconds (default 120) have passed.  With TAILS (default 0), it also
 * waits until TAILS interrupts other than pokes have come in the switch's
 * tail, after the commit and before the queue lock's release (schedstat's
 * tail_interrupts; a poke never preempts, so it is not counted), and fails
 * unless the kernel spared every one (tail_spared: preempted there, the
 * next thread would keep the lock in the old one's name, whose record may
 * still say RUNNING; os/sched/reconcile.c, in_switch_tail).  Nothing else
 * runs, so no spare is refused for the process's debt.  A tick lands inside the window
 * only where the interrupt can fall between any two instructions: under
 * QEMU's -icount (the test boots so); without it QEMU takes interrupts
 * only between its translated blocks, and the commit is inside one.
 *
 * Prints the counts, then "t_commit_restart: PASS", or "FAIL" with why:
 * too few restarts (or tail interrupts) in the time, a register that came
 * back wrong, a thread that never ran, an interrupt in the tail not spared.  Exit status 0 on PASS, 1 on FAIL, 2 on bad usage.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <thread.h>
#include <unistd.h>

#define MAX_THREADS     32
#define SECS_MAX        3600
#define TAILS_MAX       1000
#define RESTARTS_WANTED 3       /* more than one: the count is no accident */
#define POLL_MS         20      /* main's look at the count */

/* checked_yield(seed): s0..s11 = seed + 0..11, then yield_(); returns how
 * many of s0..s11, sp, tp and gp came back otherwise.  The callee-saved
 * registers are the ones a switch must carry (a restarted commit that
 * named the wrong thread, or a thread resumed on two harts, shows here). */
long checked_yield(uint64_t seed);
__asm__(
    "    .text\n"
    "    .globl checked_yield\n"
    "checked_yield:\n"
    "    addi sp, sp, -144\n"
    "    sd ra, 0(sp)\n"
    "    sd s0, 8(sp)\n"
    "    sd s1, 16(sp)\n"
    "    sd s2, 24(sp)\n"
    "    sd s3, 32(sp)\n"
    "    sd s4, 40(sp)\n"
    "    sd s5, 48(sp)\n"
    "    sd s6, 56(sp)\n"
    "    sd s7, 64(sp)\n"
    "    sd s8, 72(sp)\n"
    "    sd s9, 80(sp)\n"
    "    sd s10, 88(sp)\n"
    "    sd s11, 96(sp)\n"
    "    sd a0, 104(sp)\n"
    "    sd sp, 112(sp)\n"
    "    sd tp, 120(sp)\n"
    "    sd gp, 128(sp)\n"
    "    addi s0, a0, 0\n"
    "    addi s1, a0, 1\n"
    "    addi s2, a0, 2\n"
    "    addi s3, a0, 3\n"
    "    addi s4, a0, 4\n"
    "    addi s5, a0, 5\n"
    "    addi s6, a0, 6\n"
    "    addi s7, a0, 7\n"
    "    addi s8, a0, 8\n"
    "    addi s9, a0, 9\n"
    "    addi s10, a0, 10\n"
    "    addi s11, a0, 11\n"
    "    call yield_\n"
    "    li a0, 0\n"
    "    ld t0, 112(sp)\n"
    "    xor t0, t0, sp\n"
    "    snez t0, t0\n"
    "    add a0, a0, t0\n"
    "    ld t0, 120(sp)\n"
    "    xor t0, t0, tp\n"
    "    snez t0, t0\n"
    "    add a0, a0, t0\n"
    "    ld t0, 128(sp)\n"
    "    xor t0, t0, gp\n"
    "    snez t0, t0\n"
    "    add a0, a0, t0\n"
    "    ld t0, 104(sp)\n"
    "    addi t1, t0, 0\n    xor t1, t1, s0\n    snez t1, t1\n    add a0, a0, t1\n"
    "    addi t1, t0, 1\n    xor t1, t1, s1\n    snez t1, t1\n    add a0, a0, t1\n"
    "    addi t1, t0, 2\n    xor t1, t1, s2\n    snez t1, t1\n    add a0, a0, t1\n"
    "    addi t1, t0, 3\n    xor t1, t1, s3\n    snez t1, t1\n    add a0, a0, t1\n"
    "    addi t1, t0, 4\n    xor t1, t1, s4\n    snez t1, t1\n    add a0, a0, t1\n"
    "    addi t1, t0, 5\n    xor t1, t1, s5\n    snez t1, t1\n    add a0, a0, t1\n"
    "    addi t1, t0, 6\n    xor t1, t1, s6\n    snez t1, t1\n    add a0, a0, t1\n"
    "    addi t1, t0, 7\n    xor t1, t1, s7\n    snez t1, t1\n    add a0, a0, t1\n"
    "    addi t1, t0, 8\n    xor t1, t1, s8\n    snez t1, t1\n    add a0, a0, t1\n"
    "    addi t1, t0, 9\n    xor t1, t1, s9\n    snez t1, t1\n    add a0, a0, t1\n"
    "    addi t1, t0, 10\n    xor t1, t1, s10\n    snez t1, t1\n    add a0, a0, t1\n"
    "    addi t1, t0, 11\n    xor t1, t1, s11\n    snez t1, t1\n    add a0, a0, t1\n"
    "    ld ra, 0(sp)\n"
    "    ld s0, 8(sp)\n"
    "    ld s1, 16(sp)\n"
    "    ld s2, 24(sp)\n"
    "    ld s3, 32(sp)\n"
    "    ld s4, 40(sp)\n"
    "    ld s5, 48(sp)\n"
    "    ld s6, 56(sp)\n"
    "    ld s7, 64(sp)\n"
    "    ld s8, 72(sp)\n"
    "    ld s9, 80(sp)\n"
    "    ld s10, 88(sp)\n"
    "    ld s11, 96(sp)\n"
    "    addi sp, sp, 144\n"
    "    ret\n"
);

static volatile int stop;
static uint64_t turns[MAX_THREADS], wrong[MAX_THREADS];

static void *switcher(void *arg)
{
    uint32_t me = (uint32_t)(uintptr_t)arg;
    /* Thread me's values: me in the high half, a turn count below, so a
     * register from another thread or another turn is never right. */
    uint64_t seed = (uint64_t)(me + 1) << 40;
    uint32_t jitter = 0x9e3779b9u * (me + 1);
    while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE)) {
        seed += 16;
        /* A little work of varying length between yields (0 to 31 steps,
         * xorshift): under -icount the machine is deterministic, and a
         * loop of fixed length can keep the same phase against the tick's
         * fixed period, so that every tick lands outside the few
         * instructions of the tail; the test then ran until its time was
         * up (seen once in a full run, fifo, one hart, 900 s). */
        jitter ^= jitter << 13;
        jitter ^= jitter >> 17;
        jitter ^= jitter << 5;
        for (volatile uint32_t k = jitter & 31; k; k--)
            ;
        long bad = checked_yield(seed);
        wrong[me] += (uint64_t)(bad > 0 ? bad : 0);
        turns[me]++;
    }
    return NULL;
}

static void usage(void)
{
    printf("usage: t_commit_restart [THREADS [SECS [TAILS]]]\n"
           "  THREADS threads, 2..%d (default: two per hart), switch in user mode until\n"
           "  the commit has been restarted %d times and TAILS interrupts, 0..%d\n"
           "  (default 0), have come in the switch's tail, or SECS seconds, 1..%d\n"
           "  (default 120), have passed\n", MAX_THREADS, RESTARTS_WANTED, TAILS_MAX,
           SECS_MAX);
}

static int parse(const char *s, long lo, long hi, long *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*s == '\0' || *end != '\0' || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

int main(int argc, char **argv)
{
    struct sysinfo si;
    if (sysinfo(&si) < 0) {
        printf("t_commit_restart: FAIL (sysinfo)\n");
        return 1;
    }
    long nthreads = 2 * (long)si.harts, secs = 120, tails_wanted = 0;
    if (nthreads > MAX_THREADS)
        nthreads = MAX_THREADS;
    if (argc > 4 || (argc > 1 && parse(argv[1], 2, MAX_THREADS, &nthreads) < 0) ||
        (argc > 2 && parse(argv[2], 1, SECS_MAX, &secs) < 0) ||
        (argc > 3 && parse(argv[3], 0, TAILS_MAX, &tails_wanted) < 0)) {
        usage();
        return 2;
    }
    struct schedstat before, now;
    if (schedstat(-1, &before) < 0) {
        printf("t_commit_restart: FAIL (schedstat)\n");
        return 1;
    }
    int tids[MAX_THREADS];
    int started = thread_create_indexed(tids, (int)nthreads, switcher);
    if (started < nthreads) {
        printf("t_commit_restart: FAIL (thread_create)\n");
        __atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
        for (int j = 0; j < started; j++)
            thread_join(tids[j], NULL);
        return 1;
    }
    uint64_t t0 = time(), restarts = 0, tails = 0, spared = 0;
    for (;;) {
        sleep(POLL_MS);
        schedstat(-1, &now);
        restarts = now.commit_restarts - before.commit_restarts;
        tails = now.tail_interrupts - before.tail_interrupts;
        if ((restarts >= RESTARTS_WANTED && tails >= (uint64_t)tails_wanted) ||
            time() - t0 >= (uint64_t)secs * 1000000000ull)
            break;
    }
    __atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
    for (long i = 0; i < nthreads; i++)
        thread_join(tids[i], NULL);
    schedstat(-1, &now);
    restarts = now.commit_restarts - before.commit_restarts;
    tails = now.tail_interrupts - before.tail_interrupts;
    spared = now.tail_spared - before.tail_spared;
    uint64_t all = 0, bad = 0;
    int idle = 0;
    for (long i = 0; i < nthreads; i++) {
        all += turns[i];
        bad += wrong[i];
        idle += turns[i] == 0;
    }
    printf("t_commit_restart: %ld threads, %lu yields in %lu ms, %lu commits restarted, "
           "%lu registers wrong, %d threads never ran\n", nthreads, (unsigned long)all,
           (unsigned long)((time() - t0) / 1000000), (unsigned long)restarts,
           (unsigned long)bad, idle);
    printf("t_commit_restart: %lu interrupts in the switch's tail, %lu spared\n",
           (unsigned long)tails, (unsigned long)spared);
    if (restarts < RESTARTS_WANTED)
        printf("t_commit_restart: FAIL (fewer than %d restarts in %ld s)\n", RESTARTS_WANTED, secs);
    if (tails < (uint64_t)tails_wanted)
        printf("t_commit_restart: FAIL (fewer than %ld interrupts in the switch's tail in %ld s)\n",
               tails_wanted, secs);
    if (spared != tails)
        printf("t_commit_restart: FAIL (%lu interrupts in the switch's tail not spared)\n",
               (unsigned long)(tails - spared));
    if (bad)
        printf("t_commit_restart: FAIL (a register came back wrong from a yield)\n");
    if (idle)
        printf("t_commit_restart: FAIL (a thread never ran)\n");
    int ok = restarts >= RESTARTS_WANTED && tails >= (uint64_t)tails_wanted && spared == tails &&
             !bad && !idle;
    if (ok)
        printf("t_commit_restart: PASS\n");
    return ok ? 0 : 1;
}
