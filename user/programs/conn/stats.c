/* b_conn's latency histograms (stats.h). */
#include "stats.h"

#include <assert.h>

#include "conn.h"

#define EXACT     256               /* below this, one bucket per microsecond */
#define SUB_BITS  6                 /* 64 buckets per power of two above */
#define SUB       (1 << SUB_BITS)
#define OCTAVES   56                /* 2^8 .. 2^63 */
#define BUCKETS   (EXACT + OCTAVES * SUB)

struct histogram {
    uint32_t bucket[BUCKETS];
    uint64_t count, sum;
};

static struct histogram levels[LEVELS_MAX];

static int log2_floor(uint64_t v)
{
    int e = 0;
    while (v >>= 1)
        e++;
    return e;
}

static int bucket_of(uint64_t us)
{
    if (us < EXACT)
        return (int)us;
    int e = log2_floor(us);                    /* 8 .. 63 */
    int sub = (int)((us >> (e - SUB_BITS)) & (SUB - 1));
    return EXACT + (e - 8) * SUB + sub;
}

/* The smallest value of bucket b. */
static uint64_t bucket_floor(int b)
{
    if (b < EXACT)
        return (uint64_t)b;
    int e = 8 + (b - EXACT) / SUB, sub = (b - EXACT) % SUB;
    return (uint64_t)(SUB + sub) << (e - SUB_BITS);
}

void stats_record(int level, uint64_t us)
{
    assert(level >= 0 && level < LEVELS_MAX);
    struct histogram *h = &levels[level];
    __atomic_fetch_add(&h->bucket[bucket_of(us)], 1, __ATOMIC_RELAXED);
    __atomic_fetch_add(&h->sum, us, __ATOMIC_RELAXED);
    __atomic_fetch_add(&h->count, 1, __ATOMIC_RELAXED);
}

/* The value below which `percent` % of the samples lie (rounded up to a
 * whole sample: the p-th percentile of 1 sample is that sample). */
static uint64_t percentile(const uint64_t *bucket, uint64_t count, unsigned percent)
{
    uint64_t rank = (count * percent + 99) / 100, seen = 0;
    if (rank == 0)
        rank = 1;
    for (int b = 0; b < BUCKETS; b++) {
        seen += bucket[b];
        if (seen >= rank)
            return bucket_floor(b);
    }
    return 0;
}

void stats_summary(int level, struct lat_summary *out)
{
    static uint64_t merged[BUCKETS];
    uint64_t count = 0, sum = 0;
    for (int b = 0; b < BUCKETS; b++)
        merged[b] = 0;
    for (int l = 0; l < LEVELS_MAX; l++) {
        if (level >= 0 && l != level)
            continue;
        for (int b = 0; b < BUCKETS; b++)
            merged[b] += levels[l].bucket[b];
        count += levels[l].count;
        sum += levels[l].sum;
    }
    out->count = count;
    out->mean = count ? sum / count : 0;
    out->p50 = count ? percentile(merged, count, 50) : 0;
    out->p99 = count ? percentile(merged, count, 99) : 0;
}
