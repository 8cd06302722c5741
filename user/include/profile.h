/*
 * Marks for `make profile` (bench/README.md, "Seeing where the time
 * goes"): the instructions executed between prof_begin() and prof_end(),
 * on every hart, kernel and other processes included, are counted by
 * address by the profiling plugin (bench/profile/insn_profile.c).
 *
 * Each mark is one `slti x0, x0, IMM` instruction: it writes x0, so the
 * RISC-V spec makes it a hint, which a hart executes as a no-op.  Marked
 * code runs unchanged, at the cost of one instruction, without the plugin.
 * The immediates (0x7b1 begin, 0x7b0 end) are the plugin's; keep the two
 * files in step.  The memory clobber keeps the compiler from moving the
 * measured code's loads and stores across a mark.
 */
#ifndef USER_PROFILE_H
#define USER_PROFILE_H

static inline void prof_begin(void)
{
    __asm__ volatile("slti x0, x0, 0x7b1" ::: "memory");
}

static inline void prof_end(void)
{
    __asm__ volatile("slti x0, x0, 0x7b0" ::: "memory");
}

#endif
