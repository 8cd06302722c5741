#include "ktest/ktest.h"
#include "kernel/power.h"
#include "kernel/panic.h"
#include "lib/string.h"

struct ktest {
    const char *name;
    int (*run)(void);
    int in_all;          /* run by ktest=all */
    const char *what;
};

static const struct ktest tests[] = {
    { "format",   ktest_format,   1, "printf engine: conversions, padding, truncation" },
    { "string",   ktest_string,   1, "memcpy, memset, memmove: every alignment, lengths round each step" },
    { "bootargs", ktest_bootargs, 1, "command-line parser: values, quotes, last wins" },
    { "frame",    ktest_frame,    1, "frame allocator: distinct, zeroed, exhaustion, contiguous" },
    { "heap",     ktest_heap,     1, "kmalloc/kfree: sizes, patterns, all harts at once" },
    { "heapcache", ktest_heapcache, 1, "kmalloc's per-hart caches: reuse, objects passed between harts" },
    { "vm",       ktest_vm,       1, "page tables: map, translate, hardware walk, W^X, guards" },
    { "uvm",      ktest_uvm,      1, "user memory: batches, tables crossed, fork's copy, user copies" },
    { "spinlock", ktest_spinlock, 1, "spinlocks and interrupt nesting on all harts" },
    { "hartrw",   ktest_hart_rwlock, 1, "per-hart reader slots: shared and exclusive holds mixed on all harts" },
    { "timer",    ktest_timer,    1, "timer interrupts tick on every hart" },
    { "ipi",      ktest_ipi,      1, "software interrupts reach every other hart" },
    { "blobguard", ktest_blobguard, 1, "a policy call's guard holds other interrupts and ticks back until its end" },
    { "tick",     ktest_tick,     1, "a tick's work waits for sched_lock TICK_DEFER_MAX ticks at most" },
    { "nudge",    ktest_nudge,    1, "a wake-up reaches a hart asleep (idle mask) or found by the scan" },
    { "printf",   ktest_printf,   1, "all harts print at once; lines stay whole (checked by pytest)" },
    { "kcoro",    ktest_kcoro,    1, "kernel coroutines: priority, FIFO, wakes, cancel, join, bound" },
    { "fdtable",  ktest_fdtable,  1, "file-descriptor tables: growth, EMFILE, lowest free, copies" },
    { "lockstat", ktest_lockstat, 1, "lock statistics: kinds, order, cut names, a full table, a real wait" },
    { "panic",    ktest_panic,    0, "deliberate kernel page fault: panics on purpose" },
    { "dfree",    ktest_dfree,    0, "a double free from the hart's heap cache: panics on purpose" },
    { "dfreeslab", ktest_dfreeslab, 0, "a double free from its slab: panics on purpose" },
    { "dfreehart", ktest_dfreehart, 0, "a double free from another hart's cache: panics on purpose" },
    { "hartrwnest", ktest_hartrw_nest, 0, "a second address space held shared on one hart: panics on purpose" },
    { "hartrwup", ktest_hartrw_upgrade, 0, "an address space held shared, then exclusively: panics on purpose" },
    { "hartrwdown", ktest_hartrw_downgrade, 0, "an address space held exclusively, then shared: panics on purpose" },
};
#define NTESTS (sizeof(tests) / sizeof(tests[0]))

/* One KTAP result line; `number` counts from 1 in the order run. */
static int run_one(const struct ktest *t, int number)
{
    KT_DIAG("%s: %s\n", t->name, t->what);
    int result = t->run();
    kprintf("%sok %d %s\n", result == 0 ? "" : "not ", number, t->name);
    return result == 0;
}

static void list_tests(void)
{
    for (size_t i = 0; i < NTESTS; i++)
        kprintf("ktest: %-9s %s%s\n", tests[i].name, tests[i].what,
                tests[i].in_all ? "" : " (not in 'all')");
}

static const struct ktest *find_test(const char *name, size_t n)
{
    for (size_t i = 0; i < NTESTS; i++)
        if (strlen(tests[i].name) == n && strncmp(tests[i].name, name, n) == 0)
            return &tests[i];
    return NULL;
}

/* Calls visit(test, number) for each test the spec names, in order, or
 * reports the first unknown name (and lists the tests): returns how many
 * it named, or -1. */
static int each_named(const char *spec, size_t len,
                      void (*visit)(const struct ktest *, int, int *), int *counts)
{
    int number = 0;
    const char *p = spec, *end = spec + len;
    while (p < end) {
        const char *comma = p;
        while (comma < end && *comma != ',')
            comma++;
        size_t n = (size_t)(comma - p);
        const struct ktest *t = find_test(p, n);
        if (!t) {
            kprintf("ktest: unknown test '%.*s'; the tests are:\n", (int)n, p);
            list_tests();
            return -1;
        }
        number++;
        if (visit)
            visit(t, number, counts);
        p = comma + 1;
    }
    return number;
}

/* counts[0] passed, counts[1] failed. */
static void run_and_count(const struct ktest *t, int number, int *counts)
{
    counts[run_one(t, number) ? 0 : 1]++;
}

int ktest_main(const char *spec, size_t len)
{
    int counts[2] = { 0, 0 };
    if ((len == 4 && strncmp(spec, "list", 4) == 0) || len == 0) {
        list_tests();
        return POWER_STATUS_OK;
    }
    int all = len == 3 && strncmp(spec, "all", 3) == 0;
    int planned = 0;
    if (all) {
        for (size_t i = 0; i < NTESTS; i++)
            planned += tests[i].in_all;
    } else {
        /* Check every name before running any, so a typo costs no time
         * (and the plan line can say how many will run). */
        planned = each_named(spec, len, NULL, NULL);
        if (planned < 0)
            return POWER_STATUS_TEST_FAILED;
    }
    kprintf("KTAP version 1\n1..%d\n", planned);
    if (all) {
        int number = 0;
        for (size_t i = 0; i < NTESTS; i++)
            if (tests[i].in_all)
                run_and_count(&tests[i], ++number, counts);
    } else {
        each_named(spec, len, run_and_count, counts);
    }
    KASSERT(counts[0] + counts[1] == planned);   /* the plan line told the truth */
    KT_DIAG("summary: %d passed, %d failed\n", counts[0], counts[1]);
    return counts[1] ? POWER_STATUS_TEST_FAILED : POWER_STATUS_OK;
}
