#include "ktest/ktest.h"
#include "kernel/bootinfo.h"
#include "mm/frame.h"
#include "memlayout.h"
#include <stdbool.h>
#include <stdint.h>

static bool in_ram(void *va)
{
    uint64_t pa = VA2PA(va);
    for (int i = 0; i < bootinfo.nram; i++)
        if (pa >= bootinfo.ram[i].start && pa + PAGE_SIZE <= bootinfo.ram[i].end)
            return true;
    return false;
}

extern char _kernel_start[], _kernel_end[];

/* Frames the allocator must never hand out. */
static bool in_reserved(void *va)
{
    uint64_t pa = VA2PA(va);
    struct mem_range keep[] = {
        { RAM_PA, VA2PA(_kernel_end) },                        /* firmware, kernel */
        { bootinfo.dtb_pa, bootinfo.dtb_pa + bootinfo.dtb_size },
        { bootinfo.initrd_start, bootinfo.initrd_end },
    };
    for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
        if (pa < keep[i].end && pa + PAGE_SIZE > keep[i].start)
            return true;
    return false;
}

static bool is_zero(const uint64_t *p, size_t words)
{
    for (size_t i = 0; i < words; i++)
        if (p[i])
            return false;
    return true;
}

#define N 64

int ktest_frame(void)
{
    size_t free0 = frame_free_count();
    KT_CHECK(free0 > 0 && free0 <= frame_total_count());

    /* A handful: distinct, aligned, in RAM, zeroed, and counted. */
    void *f[N];
    for (int i = 0; i < N; i++) {
        f[i] = frame_alloc();
        KT_CHECK(f[i] != NULL);
        KT_CHECK(((uintptr_t)f[i] & (PAGE_SIZE - 1)) == 0);
        KT_CHECK(in_ram(f[i]));
        KT_CHECK(is_zero(f[i], PAGE_SIZE / 8));
        for (int j = 0; j < i; j++)
            KT_CHECK(f[i] != f[j]);
        *(uint64_t *)f[i] = 0xdead0000u + (unsigned)i;   /* dirty it */
    }
    KT_CHECK(frame_free_count() == free0 - N);
    for (int i = 0; i < N; i++)
        frame_free(f[i]);
    KT_CHECK(frame_free_count() == free0);

    /* Contiguous runs. */
    uint64_t *run = frame_alloc_contig(8);
    KT_CHECK(run && in_ram(run) && in_ram((char *)run + 7 * PAGE_SIZE));
    KT_CHECK(is_zero(run, 8 * PAGE_SIZE / 8));
    KT_CHECK(frame_free_count() == free0 - 8);
    frame_free_contig(run, 8);
    KT_CHECK(frame_alloc_contig(frame_total_count() + 1) == NULL);

    /* Exhaustion: every free frame can be had, then NULL; then all of
     * them come back.  The frames are chained through their first word. */
    void *chain = NULL;
    size_t got = 0;
    for (void *p; (p = frame_alloc()) != NULL; got++) {
        KT_CHECK(in_ram(p) && !in_reserved(p));
        *(void **)p = chain;
        chain = p;
    }
    KT_DIAG("allocated all %zu free frames (%zu MiB)\n", got,
            got * PAGE_SIZE >> 20);
    KT_CHECK(got == free0);
    KT_CHECK(frame_free_count() == 0);
    while (chain) {
        void *next = *(void **)chain;
        frame_free(chain);
        chain = next;
    }
    KT_CHECK(frame_free_count() == free0);
    return 0;
}
