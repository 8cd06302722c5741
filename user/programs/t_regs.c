// help: test: every register but a0 comes back from a system call as it went in (yield, getpid)
/*
 * t_regs: the system-call ABI (user/lib/sys.h) says the kernel gives back
 * every register but a0.  The kernel has two ways in for a system call
 * (os/trap/trapentry.S): a plain yield (SYS_yield, a0 = 0) made by the
 * thread the kernel has on the hart saves only the registers a C call may
 * change and leaves s1-s11 to the C calling convention (trap_user_yield);
 * every other call, and a plain yield after a user-mode switch, saves them
 * all.  regs_call (below) sets every register it may to a value of its
 * own (seed + register number), makes the call, and writes down what it
 * finds after it; each part checks all of them:
 *   lone     plain yields with nothing else to run (the fast way, no switch);
 *   switch   two threads, each making plain yields with its own values
 *            (the fast way, with a switch to the other thread and back on
 *            one hart);
 *   getpid   a call that is not a yield (the full way);
 *   rest     yields with a0 = 3, resting the hart (the full way, a switch);
 *   wake     a thread blocked in a pipe's read, woken by a write of the
 *            other, which then yields the fast way: that yield switches
 *            to a thread the kernel stopped in a sleep, not in a yield
 *            (context_switch_in_frame's full load), and the sleeper's
 *            next sleep switches back to the yielder's stop (the yield's
 *            own, light, context loaded by context_switch);
 *   uswitch  two threads taking turns with the runtime's yield_() (user-mode
 *            switches) and a plain kernel yield at each turn: a kernel yield
 *            made by a thread the kernel last saw as the other one takes the
 *            full way (reconcile; schedstat's user_switches_seen counts them,
 *            printed for the test to judge).
 * Prints "t_regs: PASS", or a FAIL line naming the part and the register.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <thread.h>
#include <unistd.h>
#include "syscall.h"

#define ROUNDS 2000
#define REST_ROUNDS 3
#define TURNS 2000

/* regs_call(nr, arg, seed, out): the system call nr with a0 = arg and a7 =
 * nr, every other register but sp and tp set to seed + its number; out[i]
 * gets register xi as the call left it (out[0] and out[2]: unused). */
long regs_call(long nr, long arg, uint64_t seed, uint64_t out[32]);
__asm__(
    "    .text\n"
    "    .globl regs_call\n"
    "regs_call:\n"
    "    addi sp, sp, -128\n"
    "    sd ra, 0(sp)\n    sd gp, 8(sp)\n    sd s0, 16(sp)\n    sd s1, 24(sp)\n"
    "    sd s2, 32(sp)\n   sd s3, 40(sp)\n   sd s4, 48(sp)\n    sd s5, 56(sp)\n"
    "    sd s6, 64(sp)\n   sd s7, 72(sp)\n   sd s8, 80(sp)\n    sd s9, 88(sp)\n"
    "    sd s10, 96(sp)\n  sd s11, 104(sp)\n sd a3, 112(sp)\n"
    "    mv a7, a0\n"
    "    mv a0, a1\n"
    "    addi x1, a2, 1\n   addi x3, a2, 3\n"
    "    addi x5, a2, 5\n   addi x6, a2, 6\n   addi x7, a2, 7\n"
    "    addi x8, a2, 8\n   addi x9, a2, 9\n   addi x11, a2, 11\n"
    "    addi x13, a2, 13\n addi x14, a2, 14\n addi x15, a2, 15\n addi x16, a2, 16\n"
    "    addi x18, a2, 18\n addi x19, a2, 19\n addi x20, a2, 20\n addi x21, a2, 21\n"
    "    addi x22, a2, 22\n addi x23, a2, 23\n addi x24, a2, 24\n addi x25, a2, 25\n"
    "    addi x26, a2, 26\n addi x27, a2, 27\n addi x28, a2, 28\n addi x29, a2, 29\n"
    "    addi x30, a2, 30\n addi x31, a2, 31\n"
    "    addi x12, a2, 12\n"
    "    ecall\n"
    "    sd t0, 120(sp)\n"              /* t0 is the pointer to out next */
    "    ld t0, 112(sp)\n"
    "    sd x1, 8(t0)\n    sd x3, 24(t0)\n  sd x4, 32(t0)\n"
    "    sd x6, 48(t0)\n   sd x7, 56(t0)\n  sd x8, 64(t0)\n   sd x9, 72(t0)\n"
    "    sd x10, 80(t0)\n  sd x11, 88(t0)\n sd x12, 96(t0)\n  sd x13, 104(t0)\n"
    "    sd x14, 112(t0)\n sd x15, 120(t0)\n sd x16, 128(t0)\n sd x17, 136(t0)\n"
    "    sd x18, 144(t0)\n sd x19, 152(t0)\n sd x20, 160(t0)\n sd x21, 168(t0)\n"
    "    sd x22, 176(t0)\n sd x23, 184(t0)\n sd x24, 192(t0)\n sd x25, 200(t0)\n"
    "    sd x26, 208(t0)\n sd x27, 216(t0)\n sd x28, 224(t0)\n sd x29, 232(t0)\n"
    "    sd x30, 240(t0)\n sd x31, 248(t0)\n"
    "    ld t1, 120(sp)\n"
    "    sd t1, 40(t0)\n"
    "    ld ra, 0(sp)\n    ld gp, 8(sp)\n    ld s0, 16(sp)\n    ld s1, 24(sp)\n"
    "    ld s2, 32(sp)\n   ld s3, 40(sp)\n   ld s4, 48(sp)\n    ld s5, 56(sp)\n"
    "    ld s6, 64(sp)\n   ld s7, 72(sp)\n   ld s8, 80(sp)\n    ld s9, 88(sp)\n"
    "    ld s10, 96(sp)\n  ld s11, 104(sp)\n"
    "    addi sp, sp, 128\n"
    "    ret\n");

static int failures;

static uint64_t read_tp(void)
{
    uint64_t tp;
    __asm__ volatile("mv %0, tp" : "=r"(tp));
    return tp;
}

/* One call through regs_call, every register checked; false (and a FAIL
 * line, the first few times) if one came back changed.  *result: a0. */
static bool checked_call(const char *part, long nr, long arg, uint64_t seed, long *result)
{
    uint64_t out[32] = { 0 };
    uint64_t tp = read_tp();
    *result = regs_call(nr, arg, seed, out);
    bool ok = true;
    for (int i = 1; i < 32; i++) {
        uint64_t want = i == 4 ? tp : i == 17 ? (uint64_t)nr : seed + (uint64_t)i;
        if (i == 2 || i == 10 || out[i] == want)
            continue;
        if (__atomic_fetch_add(&failures, 1, __ATOMIC_RELAXED) < 10)
            printf("t_regs: FAIL %s: x%d came back 0x%lx, went in 0x%lx\n", part, i,
                   (unsigned long)out[i], (unsigned long)want);
        ok = false;
    }
    return ok;
}

static void check(bool ok, const char *what)
{
    if (!ok) {
        printf("t_regs: FAIL: %s\n", what);
        __atomic_fetch_add(&failures, 1, __ATOMIC_RELAXED);
    }
}

/* Values of a thread of its own: no two threads' registers alike. */
static uint64_t seed_of(int who, int round)
{
    return 0x5a00000000000000ULL + ((uint64_t)who << 40) + ((uint64_t)round << 8);
}

static void part_lone(void)
{
    long r;
    bool zero = true;
    for (int i = 0; i < ROUNDS; i++) {
        checked_call("lone", SYS_yield, 0, seed_of(0, i), &r);
        zero &= r == 0;
    }
    check(zero, "lone: a yield returned non-zero");
    printf("t_regs: lone: %d yields\n", ROUNDS);
}

static void *yielder(void *arg)
{
    int who = (int)(uintptr_t)arg;
    long r;
    for (int i = 0; i < ROUNDS; i++) {
        checked_call("switch", SYS_yield, 0, seed_of(who, i), &r);
        check(r == 0, "switch: a yield returned non-zero");
    }
    return NULL;
}

static void part_switch(void)
{
    int tid = thread_create(yielder, (void *)(uintptr_t)2);
    check(tid > 0, "thread_create");
    if (tid <= 0)
        return;
    yielder((void *)(uintptr_t)1);
    check(thread_join(tid, NULL) == 0, "thread_join");
    printf("t_regs: switch: 2 threads x %d yields\n", ROUNDS);
}

static void part_getpid(void)
{
    long r;
    bool right = true;
    for (int i = 0; i < ROUNDS; i++) {
        checked_call("getpid", SYS_getpid, 0, seed_of(3, i), &r);
        right &= r == getpid();
    }
    check(right, "getpid: the call's result is not the pid");
    printf("t_regs: getpid: %d calls\n", ROUNDS);
}

static void part_rest(void)
{
    long r;
    for (int i = 0; i < REST_ROUNDS; i++) {
        checked_call("rest", SYS_yield, 3, seed_of(4, i), &r);
        check(r == 0, "rest: a yield returned non-zero");
    }
    printf("t_regs: rest: %d yields\n", REST_ROUNDS);
}

static int wake_pipe[2];
static volatile int wake_reads;

static void *sleeper(void *arg)
{
    (void)arg;
    char byte;
    while (read(wake_pipe[0], &byte, 1) == 1 && byte == 'w')
        __atomic_fetch_add(&wake_reads, 1, __ATOMIC_RELAXED);
    return NULL;
}

static void part_wake(void)
{
    if (pipe(wake_pipe) < 0) {
        check(false, "wake: pipe");
        return;
    }
    wake_reads = 0;
    int tid = thread_create(sleeper, NULL);
    check(tid > 0, "thread_create");
    if (tid <= 0)
        return;
    long r;
    for (int i = 0; i < ROUNDS; i++) {
        check(write(wake_pipe[1], "w", 1) == 1, "wake: write");
        checked_call("wake", SYS_yield, 0, seed_of(7, i), &r);
        check(r == 0, "wake: a yield returned non-zero");
    }
    check(write(wake_pipe[1], "q", 1) == 1, "wake: write");
    check(thread_join(tid, NULL) == 0, "thread_join");
    check(wake_reads == ROUNDS, "wake: the sleeper did not read every byte");
    close(wake_pipe[0]);
    close(wake_pipe[1]);
    printf("t_regs: wake: %d writes and yields, %d reads\n", ROUNDS, wake_reads);
}

static volatile uint32_t turn;

static void *player(void *arg)
{
    uint32_t me = (uint32_t)(uintptr_t)arg;
    long r;
    for (uint32_t t; (t = __atomic_load_n(&turn, __ATOMIC_ACQUIRE)) < TURNS;) {
        if (t % 2 != me) {
            yield_();                     /* may switch in user mode */
            continue;
        }
        checked_call("uswitch", SYS_yield, 0, seed_of(5 + (int)me, (int)t), &r);
        check(r == 0, "uswitch: a yield returned non-zero");
        __atomic_store_n(&turn, t + 1, __ATOMIC_RELEASE);
        yield_();
    }
    return NULL;
}

static uint64_t user_switches_seen(void)
{
    struct schedstat s;
    return schedstat(-1, &s) == 0 ? s.user_switches_seen : 0;
}

static void part_uswitch(void)
{
    uint64_t before = user_switches_seen();
    turn = 0;
    int tid = thread_create(player, (void *)(uintptr_t)1);
    check(tid > 0, "thread_create");
    if (tid <= 0)
        return;
    player((void *)(uintptr_t)0);
    check(thread_join(tid, NULL) == 0, "thread_join");
    printf("t_regs: uswitch: %d turns, user-mode switches the kernel saw: %lu\n", TURNS,
           (unsigned long)(user_switches_seen() - before));
}

int main(void)
{
    part_lone();
    part_switch();
    part_getpid();
    part_rest();
    part_wake();
    part_uswitch();
    if (failures) {
        printf("t_regs: FAIL (%d)\n", failures);
        return 1;
    }
    printf("t_regs: PASS\n");
    return 0;
}
