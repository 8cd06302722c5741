/*
 * Instruction counts for the benchmark programs (b_micro, b_switch,
 * b_coro, b_policy): the measured loops themselves live here, once, so
 * that every program reporting "a user-mode thread switch" measures the
 * same thing.
 *
 * Counting: rdinstret, the hart's count of retired instructions, which
 * includes what the kernel and OpenSBI run on the hart on the program's
 * behalf (a system call, a switch to another thread or process and back).
 * So every figure is for one hart (SMP=1): on more harts the other side of
 * a switch may run elsewhere and go uncounted.  Under QEMU's -icount
 * shift=0 the counts repeat exactly.
 *
 * Windows: each mb_* function runs its operation in `windows + 1` windows
 * of `per_window` operations.  The first window is a warm-up (first-touch
 * page faults, a thread's or a coroutine's first run, the allocator's
 * first growth) and is not counted; the answer is the fewest instructions
 * any later window took.  Why the fewest and not the sum: a timer tick
 * (every 10 ms of virtual time) costs the kernel some instructions, and
 * where ticks fall depends on when the command was typed; a window that
 * no tick hit is the operation alone, and is the same in every run.
 * MB_FAILED: the operation could not run (errno, or the caller's message).
 */
#ifndef USER_MICROBENCH_H
#define USER_MICROBENCH_H

#include <stdint.h>

#define MB_FAILED UINT64_MAX

static inline uint64_t instret(void)
{
    uint64_t v;
    __asm__ volatile("rdinstret %0" : "=r"(v));
    return v;
}

/* The best of several windows: mb_mark at each window's boundary. */
struct mb_window {
    uint64_t mark;       /* instret at the last boundary */
    uint64_t best;       /* fewest instructions between two boundaries */
    uint32_t marks;      /* boundaries seen */
};
void mb_window_start(struct mb_window *w);
void mb_mark(struct mb_window *w);
/* best, or MB_FAILED if fewer than two boundaries were seen. */
uint64_t mb_window_best(const struct mb_window *w);

/* How the ping-pong's threads wait for their turn. */
enum mb_yield {
    MB_YIELD_SYSCALL,   /* the yield system call: a kernel switch */
    MB_YIELD_USER,      /* yield_(): a user-mode switch, every register kept */
    MB_YIELD_LIGHT,     /* yield_light(): the same, the caller keeps s3..s11 */
};

/* Two threads of this process pass a turn per_window times each per
 * window (2 * per_window switches), waiting as `how` says. */
uint64_t mb_thread_pingpong(uint32_t windows, uint32_t per_window, enum mb_yield how);
/* This process and a child each call yield per_window times per window:
 * on one hart each call switches process (2 * per_window switches). */
uint64_t mb_process_yield(uint32_t windows, uint32_t per_window);
/* System call nr with zero arguments, per_window times per window: with
 * SYS_yield and nothing else ready, a yield that switches nothing. */
uint64_t mb_syscall_loop(long nr, uint32_t windows, uint32_t per_window);

/* Coroutines; the caller has called co_workers(1) (main polls, in
 * co_join).  Two coroutines of one priority pass a turn with co_yield
 * per_window times each (2 * per_window switches). */
uint64_t mb_co_switch(uint32_t windows, uint32_t per_window);
/* Spawn a coroutine that returns at once, and join it: per_window times. */
uint64_t mb_co_spawn(uint32_t windows, uint32_t per_window);
/* Two coroutines pass a byte back and forth through two pipes with
 * co_write / co_read: per_window round trips (2 * per_window hops, each a
 * write that completes the other's waiting read). */
uint64_t mb_co_pipe(uint32_t windows, uint32_t per_window);

#endif
