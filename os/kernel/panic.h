/*
 * panic(): the kernel found a broken invariant.  Prints the hart, the
 * message, the trap cause and registers if there was a trap, and a
 * frame-pointer backtrace; stops every other hart; exits QEMU with a
 * non-zero status through the sifive_test finisher.
 */
#ifndef KERNEL_PANIC_H
#define KERNEL_PANIC_H

#include <stdint.h>

struct trapframe;

void panic(const char *fmt, ...)
    __attribute__((noreturn, format(printf, 1, 2)));
void panic_trap(struct trapframe *tf, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 2, 3)));

/* Set once a hart has panicked; the other harts stop when they see it. */
extern volatile int panicking;

/* Prints the frame-pointer chain starting at `fp` (and `pc` first). */
void backtrace_print(uint64_t pc, uint64_t fp);

#define KASSERT(cond) do { \
    if (!(cond)) panic("assertion failed: %s (%s:%d)", #cond, __FILE__, __LINE__); \
} while (0)

#endif
