/*
 * The physical frame allocator: one bit per 4 KiB frame of RAM (1 = in use),
 * over every RAM range the device tree reports, minus what is reserved
 * (firmware, kernel image, device tree, initrd).  A bitmap rather than a
 * free list because it also hands out physically contiguous runs and makes
 * double frees detectable.  Frames are returned zeroed, as kernel virtual
 * addresses in the direct map.  All functions are safe on every hart.
 */
#ifndef MM_FRAME_H
#define MM_FRAME_H

#include <stddef.h>
#include <stdint.h>

struct mem_range { uint64_t start, end; };   /* physical, [start, end) */

#define MAX_MEM_RANGES 16

void frame_init(const struct mem_range *ram, int nram,
                const struct mem_range *reserved, int nreserved);

void *frame_alloc(void);
/* A frame as it was left: for a caller that writes every byte of it at
 * once (a copy of a whole page), so that it is not zeroed first for
 * nothing.  It may hold another process's data: never map it before. */
void *frame_alloc_unzeroed(void);
void frame_free(void *va);
/* Up to n frames, unzeroed (as frame_alloc_unzeroed), into out, under one
 * hold of the allocator's lock; returns how many (fewer: RAM ran out).
 * For callers that take many at once (uvm_alloc). */
size_t frame_alloc_many(void **out, size_t n);
/* Frees n frames under one hold of the lock (vm_unmap). */
void frame_free_many(void *const *frames, size_t n);
/* `n` physically contiguous frames, or NULL. */
void *frame_alloc_contig(size_t n);
void frame_free_contig(void *va, size_t n);
/* With poison=1 on the command line, every freed frame is filled with this
 * byte: a use after free then reads a value no live structure holds
 * (tests look for it; frames are zeroed again when handed out). */
#define FRAME_POISON 0xa5
void frame_poison_enable(void);

size_t frame_free_count(void);
size_t frame_total_count(void);    /* frames managed (RAM minus reserved) */

#ifdef KDEBUG
/* The allocator's state, for kernel/invariants.c to check (debug builds
 * only); read under *lock. */
struct spinlock;
struct frame_view {
    const uint64_t *bitmap;     /* bit set = in use; bits past nframes set */
    size_t nframes;
    uint64_t base_pa;           /* physical address of frame 0 */
    const size_t *free_frames;
    struct spinlock *lock;
};
struct frame_view frame_debug_view(void);
#endif

#endif
