#include "ktest/ktest.h"
#include "kernel/cpu.h"
#include "kernel/smp.h"
#include "mm/frame.h"
#include "mm/kmalloc.h"
#include <stdint.h>

#define COUNT 300

static uint64_t next_random(uint64_t *state)
{
    *state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
    return *state >> 33;
}

static void fill(unsigned char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)(seed * 31 + i);
}

static int intact(const unsigned char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != (unsigned char)(seed * 31 + i))
            return 0;
    return 1;
}

/* Allocates COUNT blocks of random sizes, fills each with its own pattern,
 * checks none was overwritten, frees them in a scrambled order. */
static int churn(uint64_t seed)
{
    static unsigned char *blocks[MAX_HARTS][COUNT];
    static size_t sizes[MAX_HARTS][COUNT];
    unsigned char **b = blocks[this_hartid()];
    size_t *sz = sizes[this_hartid()];
    for (int i = 0; i < COUNT; i++) {
        /* Mostly small, sometimes larger than a page. */
        sz[i] = next_random(&seed) % 8 == 0 ? 1 + next_random(&seed) % 9000
                                            : 1 + next_random(&seed) % 600;
        b[i] = kmalloc(sz[i]);
        if (!b[i] || ((uintptr_t)b[i] & 15))
            return -1;
        for (size_t k = 0; k < sz[i]; k++)
            if (b[i][k])
                return -2;                 /* not zeroed */
        fill(b[i], sz[i], (unsigned)i);
    }
    for (int i = 0; i < COUNT; i++)
        if (!intact(b[i], sz[i], (unsigned)i))
            return -3;
    for (int i = 0; i < COUNT; i++) {
        int j = (int)((uint64_t)i * 7919 % COUNT);     /* a permutation */
        kfree(b[j]);
    }
    return 0;
}

static int smp_results[MAX_HARTS];

static void churn_on_this_hart(void *arg)
{
    (void)arg;
    smp_results[this_hartid()] = churn(this_hartid() + 1);
}

static size_t free_frames_including_cache(void)
{
    struct kmalloc_stats st;
    kmalloc_stats(&st);
    return frame_free_count() + st.empty_slab_frames;
}

int ktest_heap(void)
{
    struct kmalloc_stats before, after;
    kmalloc_stats(&before);
    size_t frames0 = free_frames_including_cache();

    KT_CHECK(churn(12345) == 0);
    void *zero = kmalloc(0);
    KT_CHECK(zero != NULL);
    kfree(zero);
    kfree(NULL);
    KT_CHECK(kmalloc(SIZE_MAX) == NULL);
    KT_CHECK(kmalloc(SIZE_MAX / 2) == NULL);   /* more than RAM */

    /* Every hart at once: the lock must keep the lists consistent. */
    smp_call_all(churn_on_this_hart, NULL);
    for (uint64_t i = 0; i < hart_count; i++)
        if (cpus[hart_ids[i]].online && smp_results[hart_ids[i]]) {
            KT_DIAG("hart %lu: churn failed (%d)\n", hart_ids[i],
                    smp_results[hart_ids[i]]);
            return -1;
        }

    kmalloc_stats(&after);
    KT_CHECK(after.bytes_in_use == before.bytes_in_use);
    KT_CHECK(after.large_frames == before.large_frames);
    KT_CHECK(free_frames_including_cache() == frames0);
    return 0;
}
