/*
 * context_switch_in_frame: context_switch (proc/switch.S) for a caller
 * that keeps every callee-saved register in its own frame already (the
 * plain yield's trap_user_yield, whose frame saves all thirteen: it holds
 * the user's s1-s11 there).  Such a caller has nothing in s1-s11 that its
 * frame does not have, so its side of the switch needs only what finds
 * that frame again (sp, s0) and where to go on (ra); the asm tells the
 * compiler that s1-s11 and every caller-saved register come back changed,
 * and the compiler reloads from the frame what it needs after it.
 *
 * The saved context keeps struct context's layout, so either kind of
 * switch resumes either kind of save: context_switch loading a context
 * saved here loads s1-s11 that mean nothing (declared clobbered here) and
 * returns to the label below; a switch here to a context that
 * context_switch saved (or a new thread's: thread_first_run) loads all
 * fourteen and returns to its ra, as context_switch would.  Only when the
 * next thread stopped at this same label (a thread switch by a plain yield
 * to another: the usual case) does it load sp and s0 alone and go on
 * from the label: 3 stores and 3 loads instead of 28, and no call.
 */
#ifndef PROC_SWITCH_IN_FRAME_H
#define PROC_SWITCH_IN_FRAME_H

#include "proc/thread.h"

_Static_assert(__builtin_offsetof(struct context, ra) == 0 &&
               __builtin_offsetof(struct context, sp) == 8 &&
               __builtin_offsetof(struct context, s) == 16,
               "context_switch_in_frame: the offsets below are struct context's");

static inline __attribute__((always_inline)) void context_switch_in_frame(struct context *from,
                                                                         struct context *to)
{
    register struct context *a0 __asm__("a0") = from;
    register struct context *a1 __asm__("a1") = to;
    __asm__ volatile(
        "lla    t0, 1f\n\t"          /* from: resumes at 1 with its sp and s0 */
        "sd     t0, 0(a0)\n\t"
        "sd     sp, 8(a0)\n\t"
        "sd     s0, 16(a0)\n\t"
        "ld     ra, 0(a1)\n\t"
        "ld     sp, 8(a1)\n\t"
        "ld     s0, 16(a1)\n\t"
        "beq    ra, t0, 1f\n\t"      /* `to` stopped here too: nothing more to load */
        "ld     s1, 24(a1)\n\t"      /* else all of it, as context_switch */
        "ld     s2, 32(a1)\n\t"
        "ld     s3, 40(a1)\n\t"
        "ld     s4, 48(a1)\n\t"
        "ld     s5, 56(a1)\n\t"
        "ld     s6, 64(a1)\n\t"
        "ld     s7, 72(a1)\n\t"
        "ld     s8, 80(a1)\n\t"
        "ld     s9, 88(a1)\n\t"
        "ld     s10, 96(a1)\n\t"
        "ld     s11, 104(a1)\n\t"
        "ret\n"
        "1:"
        /* tp: the thread may come back on another hart, whose struct
         * cpu tp holds then (kernel/cpu.h: the compiler must not take it
         * for the one before; a call tells it that by itself). */
        : "+r"(a0), "+r"(a1), "+r"(this_cpu_tp)
        :
        : "memory", "ra", "t0", "t1", "t2", "t3", "t4", "t5", "t6",
          "a2", "a3", "a4", "a5", "a6", "a7",
          "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11");
}

#endif
