/*
 * Stores to words that other harts read without a lock, as RVWMO maps
 * C11's (RISC-V ISA manual, volume I, "Mappings from C/C++ primitives to
 * RISC-V primitives"): a relaxed store is a plain store, a release store
 * is `fence rw,w` and a plain store.
 *
 * Why not __atomic_store_n: GCC 12, the compiler here, spells every
 * atomic store, a relaxed one included, as `amoswap zero, ...` (behind
 * `fence iorw,ow` for a release).  That is correct but it is an atomic
 * read-modify-write where a store is enough: on hardware it goes to
 * wherever the line is kept coherent, and under QEMU's multi-threaded TCG
 * (every machine of two harts or more) each one is a call out of the
 * translated code where a store is a few inline host instructions
 * (docs/performance.md, "Scaling over harts", "The stores that were
 * atomic swaps").  Newer compilers use the mapping below themselves.
 *
 * An aligned store of 1, 2, 4 or 8 bytes is single-copy atomic under
 * RVWMO: a reader's __atomic_load_n sees the old value or the new one,
 * never a mix, exactly as with the builtin.  The fence's "memory"
 * clobber keeps the compiler from moving memory accesses across a
 * release, as the builtin's ordering does; a relaxed store orders
 * nothing, and its "=m" operand tells the compiler only what it writes.
 * A sequentially consistent store stays the builtin's (it is rare).
 */
#ifndef KERNEL_ORDERED_STORE_H
#define KERNEL_ORDERED_STORE_H

#include <stdint.h>

/* The store of the value v (a uintptr_t) at `at`, a pointer to 1, 2, 4
 * or 8 bytes.  Each width takes its own low bytes of v, as the conversion
 * to the narrower type would (and a 32-bit value, which RV64 keeps
 * sign-extended in its register, needs no instruction to get there). */
#define ordered_store_sized_(at, v)                                             \
    do {                                                                        \
        _Static_assert(sizeof *(at) == 1 || sizeof *(at) == 2 ||                \
                       sizeof *(at) == 4 || sizeof *(at) == 8,                  \
                       "a store of 1, 2, 4 or 8 bytes");                        \
        if (sizeof *(at) == 8)                                                  \
            __asm__ volatile("sd %z1, %0" : "=m"(*(at)) : "rJ"((uint64_t)(v))); \
        else if (sizeof *(at) == 4)                                             \
            __asm__ volatile("sw %z1, %0" : "=m"(*(at)) : "rJ"((uint32_t)(v))); \
        else if (sizeof *(at) == 2)                                             \
            __asm__ volatile("sh %z1, %0" : "=m"(*(at)) : "rJ"((uint16_t)(v))); \
        else                                                                    \
            __asm__ volatile("sb %z1, %0" : "=m"(*(at)) : "rJ"((uint8_t)(v)));  \
    } while (0)

/* Both macros evaluate p and v once, before the fence, as a call of the
 * builtin would; the sizeof keeps C's checks of the assignment (types,
 * const) without evaluating it.  The value travels as a uintptr_t, so a
 * pointer and an integer of any width fit one register operand; no local
 * of the stored type, since for a volatile one GCC makes a stack slot. */
#define ordered_store_(p, v, fence)                                             \
    do {                                                                        \
        (void)sizeof(*(p) = (v));                                               \
        __typeof__(*(p)) *store_at_ = (p);                                      \
        uintptr_t store_v_ = (uintptr_t)(v);                                    \
        fence;                                                                  \
        ordered_store_sized_(store_at_, store_v_);                              \
    } while (0)

#define store_relaxed(p, v) ordered_store_(p, v, (void)0)
#define store_release(p, v) ordered_store_(p, v, __asm__ volatile("fence rw, w" ::: "memory"))

#endif
