/*
 * The kernel heap's per-hart caches (mm/kmalloc.c): a hart hands out again
 * what it freed; objects made on one hart and freed on another, with every
 * hart at once and the caches given back to the slabs meanwhile
 * (kmalloc_stats), stay whole, zeroed when handed out, and counted; and a
 * double free is caught wherever the first free left the object (the
 * dfree* tests, not in 'all': they panic on purpose).
 */
#include "ktest/ktest.h"
#include "kernel/cpu.h"
#include "arch/riscv.h"
#include "kernel/smp.h"
#include "mm/frame.h"
#include "mm/kmalloc.h"
#include <stdint.h>
#include "kernel/ordered_store.h"

#define ROUNDS 400                     /* a few seconds on 4 harts of a loaded 2-core host */
#define SLOTS  64                      /* a hart's mailbox: rounds in flight */
#define BURST  40                      /* more than a cache keeps of a class */

static void *volatile box[MAX_HARTS][SLOTS];   /* box[h]: objects for hart h */
static int results[MAX_HARTS];
static char dummy[2048];               /* passed on when kmalloc failed */

static size_t round_size(int r) { return 1 + (size_t)(r * 37) % 2048; }

static unsigned char pattern(int hart_index, int r, size_t i)
{
    return (unsigned char)(hart_index * 71 + r * 13 + (int)i);
}

static int online_index(uint64_t hart, int *n)
{
    int idx = -1;
    *n = 0;
    for (uint64_t i = 0; i < hart_count; i++)
        if (cpus[hart_ids[i]].online) {
            if (hart_ids[i] == hart)
                idx = *n;
            (*n)++;
        }
    return idx;
}

static uint64_t hart_at(int index)
{
    for (uint64_t i = 0, k = 0; i < hart_count; i++)
        if (cpus[hart_ids[i]].online && (int)k++ == index)
            return hart_ids[i];
    return 0;
}

/* Every hart: makes an object a round, fills it, hands it to the next hart
 * in a ring and frees the one the previous hart handed it, after checking
 * it.  Now and then a burst of one class past what a cache keeps, and the
 * first hart gives every cache back to the slabs while the others work. */
static void pipeline(void *arg)
{
    (void)arg;
    int n, me = online_index(this_hartid(), &n);
    uint64_t next = hart_at((me + 1) % n);
    int prev = (me + n - 1) % n, err = 0;
    for (int r = 0; r < ROUNDS; r++) {
        size_t sz = round_size(r);
        unsigned char *obj = kmalloc(sz);
        if (!obj) {
            err = err ? err : -1;
            obj = (unsigned char *)dummy;
        } else {
            for (size_t i = 0; i < sz; i++)
                if (obj[i] && !err)
                    err = -2;          /* not zeroed: a free mark or old data left */
            for (size_t i = 0; i < sz; i++)
                obj[i] = pattern(me, r, i);
        }
        while (box[next][r % SLOTS])
            cpu_relax();
        store_release(&box[next][r % SLOTS], obj);
        unsigned char *got;
        while (!(got = __atomic_exchange_n(&box[this_hartid()][r % SLOTS], NULL,
                                           __ATOMIC_ACQUIRE)))
            cpu_relax();
        if (got != (unsigned char *)dummy) {
            for (size_t i = 0; i < sz; i++)
                if (got[i] != pattern(prev, r, i) && !err)
                    err = -3;          /* another's object, or overwritten */
            kfree(got);
        }
        if (r % 50 == 0) {
            void *burst[BURST];
            for (int i = 0; i < BURST; i++)
                burst[i] = kmalloc(64);
            for (int i = 0; i < BURST; i++)
                kfree(burst[i]);
        }
        if (me == 0 && r % 40 == 0) {
            struct kmalloc_stats st;
            kmalloc_stats(&st);
        }
    }
    results[this_hartid()] = err;
}

static size_t free_frames_now(void)
{
    struct kmalloc_stats st;
    kmalloc_stats(&st);
    return frame_free_count() + st.empty_slab_frames;
}

int ktest_heapcache(void)
{
    struct kmalloc_stats before, after;
    kmalloc_stats(&before);
    size_t frames0 = free_frames_now();

    /* A hart's own object comes back to it, zeroed (its free mark too). */
    unsigned char *a = kmalloc(100);
    KT_CHECK(a != NULL);
    for (int i = 0; i < 100; i++)
        a[i] = 0xa5;
    kfree(a);
    unsigned char *b = kmalloc(100);
    KT_CHECK(b == a);
    for (int i = 0; i < 128; i++)
        KT_CHECK(b[i] == 0);
    kfree(b);

    smp_call_all(pipeline, NULL);
    for (uint64_t i = 0; i < hart_count; i++)
        if (cpus[hart_ids[i]].online && results[hart_ids[i]]) {
            KT_DIAG("hart %lu: pipeline failed (%d)\n", hart_ids[i], results[hart_ids[i]]);
            return -1;
        }
    kmalloc_stats(&after);
    KT_CHECK(after.bytes_in_use == before.bytes_in_use);
    KT_CHECK(after.large_frames == before.large_frames);
    KT_CHECK(free_frames_now() == frames0);
    return 0;
}

/* Each frees an object twice, the first free leaving it somewhere else:
 * the hart's cache, its slab, another hart's cache.  Each must panic with
 * "kfree: double free". */
int ktest_dfree(void)
{
    void *x = kmalloc(48);
    kfree(x);
    KT_DIAG("freeing %p again, from this hart's cache\n", x);
    kfree(x);
    return -1;
}

int ktest_dfreeslab(void)
{
    void *x = kmalloc(48);
    kfree(x);
    struct kmalloc_stats st;
    kmalloc_stats(&st);                /* every cache back to the slabs */
    KT_DIAG("freeing %p again, from its slab\n", x);
    kfree(x);
    return -1;
}

static void *volatile to_free_elsewhere;
static volatile uint64_t freeing_hart;

static void free_if_elsewhere(void *arg)
{
    (void)arg;
    if (this_hartid() != freeing_hart)
        kfree(__atomic_exchange_n(&to_free_elsewhere, NULL, __ATOMIC_ACQ_REL));
}

int ktest_dfreehart(void)
{
    KT_CHECK(cpu_online_count() >= 2);
    to_free_elsewhere = kmalloc(48);
    void *x = to_free_elsewhere;
    freeing_hart = this_hartid();
    smp_call_all(free_if_elsewhere, NULL);   /* kfree(NULL) on all but one */
    KT_CHECK(to_free_elsewhere == NULL);
    KT_DIAG("freeing %p again, from another hart's cache\n", x);
    kfree(x);
    return -1;
}
