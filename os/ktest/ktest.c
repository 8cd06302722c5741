#include "ktest/ktest.h"
#include "kernel/power.h"
#include "lib/string.h"

struct ktest {
    const char *name;
    int (*run)(void);
    int in_all;          /* run by ktest=all */
    const char *what;
};

static const struct ktest tests[] = {
    { "format",   ktest_format,   1, "printf engine: conversions, padding, truncation" },
    { "bootargs", ktest_bootargs, 1, "command-line parser: values, quotes, last wins" },
    { "frame",    ktest_frame,    1, "frame allocator: distinct, zeroed, exhaustion, contiguous" },
    { "heap",     ktest_heap,     1, "kmalloc/kfree: sizes, patterns, all harts at once" },
    { "vm",       ktest_vm,       1, "page tables: map, translate, hardware walk, W^X, guards" },
    { "spinlock", ktest_spinlock, 1, "spinlocks and interrupt nesting on all harts" },
    { "timer",    ktest_timer,    1, "timer interrupts tick on every hart" },
    { "ipi",      ktest_ipi,      1, "software interrupts reach every other hart" },
    { "printf",   ktest_printf,   1, "all harts print at once; lines stay whole (checked by pytest)" },
    { "kcoro",    ktest_kcoro,    1, "kernel coroutines: priority, FIFO, wakes, cancel, join, bound" },
    { "panic",    ktest_panic,    0, "deliberate kernel page fault: panics on purpose" },
};
#define NTESTS (sizeof(tests) / sizeof(tests[0]))

static int run_one(const struct ktest *t)
{
    kprintf("ktest: %s ...\n", t->name);
    int result = t->run();
    kprintf("ktest: %s ... %s\n", t->name, result == 0 ? "ok" : "FAILED");
    return result == 0;
}

static void list_tests(void)
{
    for (size_t i = 0; i < NTESTS; i++)
        kprintf("ktest: %-9s %s%s\n", tests[i].name, tests[i].what,
                tests[i].in_all ? "" : " (not in 'all')");
}

int ktest_main(const char *spec, size_t len)
{
    int passed = 0, failed = 0;
    if ((len == 4 && strncmp(spec, "list", 4) == 0) || len == 0) {
        list_tests();
        return POWER_STATUS_OK;
    }
    if (len == 3 && strncmp(spec, "all", 3) == 0) {
        for (size_t i = 0; i < NTESTS; i++)
            if (tests[i].in_all)
                run_one(&tests[i]) ? passed++ : failed++;
    } else {
        /* Check every name before running any, so a typo costs no time. */
        for (size_t pass = 0; pass < 2; pass++) {
            const char *p = spec, *end = spec + len;
            while (p < end) {
                const char *comma = p;
                while (comma < end && *comma != ',')
                    comma++;
                size_t n = (size_t)(comma - p);
                const struct ktest *t = NULL;
                for (size_t i = 0; i < NTESTS; i++)
                    if (strlen(tests[i].name) == n && strncmp(tests[i].name, p, n) == 0)
                        t = &tests[i];
                if (!t) {
                    kprintf("ktest: unknown test '%.*s'; the tests are:\n", (int)n, p);
                    list_tests();
                    return POWER_STATUS_TEST_FAILED;
                }
                if (pass == 1)
                    run_one(t) ? passed++ : failed++;
                p = comma + 1;
            }
        }
    }
    kprintf("ktest: summary: %d passed, %d failed\n", passed, failed);
    return failed ? POWER_STATUS_TEST_FAILED : POWER_STATUS_OK;
}
