#include "mm/frame.h"
#include "kernel/spinlock.h"
#include "kernel/panic.h"
#include "kernel/printf.h"
#include "kernel/invariants.h"
#include "lib/string.h"
#include "lib/bits.h"
#include "memlayout.h"
#include <stdbool.h>

static struct spinlock frame_lock = SPINLOCK_INIT("frames");
static uint64_t *bitmap;            /* bit set = frame in use (or not RAM) */
static uint64_t base_pa;            /* physical address of frame 0 */
static size_t nframes;              /* frames covered by the bitmap */
static size_t free_frames, managed_frames;
static size_t search_hint;          /* word index where the last search ended */

static bool test_bit(size_t i) { return bitmap[i / 64] >> (i % 64) & 1; }
static void set_bit(size_t i)  { bitmap[i / 64] |= 1UL << (i % 64); }
static void clear_bit(size_t i) { bitmap[i / 64] &= ~(1UL << (i % 64)); }

static bool overlaps(uint64_t a0, uint64_t a1, uint64_t b0, uint64_t b1)
{
    return a0 < b1 && b0 < a1;
}

/* Somewhere in RAM, outside every reserved range, for `size` bytes. */
static uint64_t find_boot_space(const struct mem_range *ram, int nram,
                                const struct mem_range *res, int nres,
                                uint64_t size)
{
    for (int r = 0; r < nram; r++) {
        /* Candidates: the start of the RAM range and the end of each
         * reserved range, page-aligned. */
        for (int c = -1; c < nres; c++) {
            uint64_t start = c < 0 ? ram[r].start : res[c].end;
            start = (start + PAGE_SIZE - 1) & ~(uint64_t)(PAGE_SIZE - 1);
            if (start < ram[r].start || start + size > ram[r].end)
                continue;
            bool clash = false;
            for (int k = 0; k < nres && !clash; k++)
                clash = overlaps(start, start + size, res[k].start, res[k].end);
            if (!clash)
                return start;
        }
    }
    panic("frame_init: no room for the frame bitmap (%lu bytes)", size);
}

void frame_init(const struct mem_range *ram, int nram,
                const struct mem_range *reserved, int nreserved)
{
    uint64_t lo = UINT64_MAX, hi = 0;
    for (int i = 0; i < nram; i++) {
        if (ram[i].start < lo) lo = ram[i].start;
        if (ram[i].end > hi) hi = ram[i].end;
    }
    KASSERT(nram > 0 && lo < hi);
    base_pa = lo & ~(uint64_t)(PAGE_SIZE - 1);
    nframes = (hi - base_pa) / PAGE_SIZE;
    size_t bitmap_bytes = (nframes + 63) / 64 * 8;

    /* The bitmap itself becomes one more reserved range. */
    struct mem_range res[MAX_MEM_RANGES + 1];
    KASSERT(nreserved <= MAX_MEM_RANGES);
    memcpy(res, reserved, sizeof(res[0]) * (size_t)nreserved);
    uint64_t bitmap_pa = find_boot_space(ram, nram, reserved, nreserved, bitmap_bytes);
    res[nreserved++] = (struct mem_range){ bitmap_pa, bitmap_pa + bitmap_bytes };

    bitmap = PA2VA(bitmap_pa);
    memset(bitmap, 0xff, bitmap_bytes);          /* everything in use... */
    for (int r = 0; r < nram; r++) {             /* ...but RAM frames */
        uint64_t s = (ram[r].start + PAGE_SIZE - 1) / PAGE_SIZE * PAGE_SIZE;
        for (uint64_t pa = s; pa + PAGE_SIZE <= ram[r].end; pa += PAGE_SIZE) {
            bool is_reserved = false;
            for (int k = 0; k < nreserved && !is_reserved; k++)
                is_reserved = overlaps(pa, pa + PAGE_SIZE, res[k].start, res[k].end);
            if (!is_reserved) {
                clear_bit((pa - base_pa) / PAGE_SIZE);
                free_frames++;
            }
        }
    }
    managed_frames = free_frames;
    inv_frames_ready();
}

static void *frame_va(size_t index) { return PA2VA(base_pa + index * PAGE_SIZE); }

static size_t frame_index(void *va, const char *who)
{
    uint64_t pa = VA2PA(va);
    if (pa & (PAGE_SIZE - 1) || pa < base_pa || (pa - base_pa) / PAGE_SIZE >= nframes)
        panic("%s: %p is not a frame", who, va);
    return (pa - base_pa) / PAGE_SIZE;
}

/* Takes up to n free frames, the first at or after the hint, under one
 * hold of the lock; how many it got (fewer only when RAM runs out). */
static size_t take_frames(void **out, size_t n)
{
    size_t words = (nframes + 63) / 64;
    size_t got = 0;
    spin_lock(&frame_lock);
    for (size_t k = 0; k < words && got < n; k++) {
        size_t w = (search_hint + k) % words;
        while (got < n && ~bitmap[w]) {
            size_t bit = (size_t)ctz64(~bitmap[w]);
            size_t i = w * 64 + bit;
            if (i >= nframes)
                break;                 /* the last word's tail is no RAM */
            set_bit(i);
            free_frames--;
            search_hint = w;
            out[got++] = frame_va(i);
        }
    }
    spin_unlock(&frame_lock);
    for (size_t k = 0; k < got; k++)
        inv_frame_taken(out[k]);
    return got;
}

void *frame_alloc(void)
{
    void *va = frame_alloc_unzeroed();
    if (va)
        memset(va, 0, PAGE_SIZE);
    return va;
}

void *frame_alloc_unzeroed(void)
{
    void *va;
    return take_frames(&va, 1) ? va : NULL;
}

size_t frame_alloc_many(void **out, size_t n)
{
    return take_frames(out, n);
}

void *frame_alloc_contig(size_t n)
{
    if (n == 0)
        return NULL;
    if (n == 1)
        return frame_alloc();
    size_t found = SIZE_MAX, run = 0, start = 0;
    spin_lock(&frame_lock);
    /* A stretch of equal bits at a time (count trailing zeros), not a bit
     * at a time: looking at the bitmap below the allocation frontier bit
     * by bit cost more than the rest of a fork (every process's shared
     * page is a run).  Bits past nframes are set: no run reaches them. */
    for (size_t i = 0; i < nframes && found == SIZE_MAX; ) {
        size_t left = 64 - i % 64;                  /* to the word's end */
        uint64_t w = bitmap[i / 64] >> (i % 64);    /* bit 0: frame i */
        if (w & 1) {                                /* in use: skip them */
            size_t used = ~w ? (size_t)ctz64(~w) : left;
            i += used < left ? used : left;
            run = 0;
        } else {                                    /* free: count them */
            size_t nfree = w ? (size_t)ctz64(w) : left;
            nfree = nfree < left ? nfree : left;
            if (run == 0)
                start = i;
            run += nfree;
            i += nfree;
            if (run >= n)
                found = start;
        }
    }
    if (found != SIZE_MAX) {
        for (size_t i = found; i < found + n; i++)
            set_bit(i);
        free_frames -= n;
    }
    spin_unlock(&frame_lock);
    if (found == SIZE_MAX)
        return NULL;
    void *va = frame_va(found);
    for (size_t k = 0; k < n; k++)
        inv_frame_taken((char *)va + k * PAGE_SIZE);
    memset(va, 0, n * PAGE_SIZE);
    return va;
}

static bool poison;

void frame_poison_enable(void)
{
    poison = true;
}

void frame_free_contig(void *va, size_t n)
{
    size_t first = frame_index(va, "frame_free");
    if (n > nframes - first)
        panic("frame_free: run of %zu frames at %p runs past RAM", n, va);
    if (poison)
        memset(va, FRAME_POISON, n * PAGE_SIZE);
    spin_lock(&frame_lock);
    for (size_t i = first; i < first + n; i++) {
        if (!test_bit(i))
            panic("frame_free: double free of frame %p", frame_va(i));
        clear_bit(i);
    }
    free_frames += n;
    spin_unlock(&frame_lock);
}

void frame_free(void *va)
{
    frame_free_contig(va, 1);
}

void frame_free_many(void *const *frames, size_t n)
{
    if (n == 0)
        return;
    for (size_t k = 0; k < n; k++) {
        (void)frame_index(frames[k], "frame_free");     /* panics on a non-frame */
        if (poison)
            memset(frames[k], FRAME_POISON, PAGE_SIZE);
    }
    spin_lock(&frame_lock);
    for (size_t k = 0; k < n; k++) {
        size_t i = frame_index(frames[k], "frame_free");
        if (!test_bit(i))
            panic("frame_free: double free of frame %p", frames[k]);
        clear_bit(i);
    }
    free_frames += n;
    spin_unlock(&frame_lock);
}

size_t frame_free_count(void)
{
    return __atomic_load_n(&free_frames, __ATOMIC_RELAXED);
}

size_t frame_total_count(void)
{
    return managed_frames;
}

#ifdef KDEBUG
struct frame_view frame_debug_view(void)
{
    return (struct frame_view){ .bitmap = bitmap, .nframes = nframes,
                                .base_pa = base_pa,
                                .free_frames = &free_frames, .lock = &frame_lock };
}
#endif
