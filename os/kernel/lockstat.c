#include "kernel/lockstat.h"
#include "kernel/panic.h"
#include "lib/string.h"
#include "trap/timer.h"

/* An open-addressed table of the kinds that ever waited; a kind's slot is
 * claimed once (compare-and-swap of its name) and kept until the kernel
 * stops.  The last slot counts the kinds that found the table full. */
#define CLASSES LOCKSTAT_MAX
#define OTHERS  (CLASSES - 1)

struct lock_kind {
    const char *name;           /* NULL: a free slot */
    uint64_t waits, ticks, max_ticks;
};

static struct lock_kind kinds[CLASSES];

static uint32_t name_hash(const char *s)
{
    uint32_t h = 2166136261u;           /* FNV-1a */
    while (*s)
        h = (h ^ (uint8_t)*s++) * 16777619u;
    return h;
}

static struct lock_kind *kind_of(const char *name)
{
    uint32_t h = name_hash(name);
    for (uint32_t i = 0; i < OTHERS; i++) {
        struct lock_kind *k = &kinds[(h + i) % OTHERS];
        const char *have = __atomic_load_n(&k->name, __ATOMIC_ACQUIRE);
        if (!have) {
            const char *none = NULL;
            if (__atomic_compare_exchange_n(&k->name, &none, name, false,
                                            __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
                return k;
            have = none;                /* another hart claimed it first */
        }
        if (have == name || strcmp(have, name) == 0)
            return k;
    }
    return &kinds[OTHERS];
}

void lockstat_waited(const char *name, uint64_t ticks)
{
    struct lock_kind *k = kind_of(name ? name : "(unnamed)");
    __atomic_fetch_add(&k->waits, 1, __ATOMIC_RELAXED);
    __atomic_fetch_add(&k->ticks, ticks, __ATOMIC_RELAXED);
    uint64_t max = __atomic_load_n(&k->max_ticks, __ATOMIC_RELAXED);
    while (ticks > max &&
           !__atomic_compare_exchange_n(&k->max_ticks, &max, ticks, true,
                                        __ATOMIC_RELAXED, __ATOMIC_RELAXED))
        ;
}

static void name_into(char out[LOCKSTAT_NAME_LEN], const char *name)
{
    size_t n = strlen(name);
    if (n < LOCKSTAT_NAME_LEN) {
        memcpy(out, name, n + 1);
        return;
    }
    memcpy(out, name, LOCKSTAT_NAME_LEN - 2);
    out[LOCKSTAT_NAME_LEN - 2] = '~';       /* cut: said, not hidden */
    out[LOCKSTAT_NAME_LEN - 1] = '\0';
}

int lockstat_read(struct lockstat_entry out[LOCKSTAT_MAX], bool reset)
{
    int n = 0;
    for (int i = 0; i < CLASSES; i++) {
        struct lock_kind *k = &kinds[i];
        if (__atomic_load_n(&k->waits, __ATOMIC_RELAXED) == 0)
            continue;
        /* A reset reads and zeroes each count in one swap: a wait counted
         * meanwhile goes to this reading or to the next, never lost. */
        uint64_t waits = reset ? __atomic_exchange_n(&k->waits, 0, __ATOMIC_RELAXED)
                               : __atomic_load_n(&k->waits, __ATOMIC_RELAXED);
        uint64_t ticks = reset ? __atomic_exchange_n(&k->ticks, 0, __ATOMIC_RELAXED)
                               : __atomic_load_n(&k->ticks, __ATOMIC_RELAXED);
        uint64_t longest = reset ? __atomic_exchange_n(&k->max_ticks, 0, __ATOMIC_RELAXED)
                                 : __atomic_load_n(&k->max_ticks, __ATOMIC_RELAXED);
        struct lockstat_entry e = { .waits = waits, .spin_us = timer_ticks_to_us(ticks),
                                    .max_us = timer_ticks_to_us(longest) };
        name_into(e.name, i == OTHERS ? LOCKSTAT_OTHERS : k->name);
        /* Kept in order of spin time, the longest first. */
        int at = n++;
        for (; at > 0 && out[at - 1].spin_us < e.spin_us; at--)
            out[at] = out[at - 1];
        out[at] = e;
    }
    KASSERT(n <= LOCKSTAT_MAX);
    return n;
}
