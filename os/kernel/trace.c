#include "kernel/trace.h"
#include "kernel/cpu.h"
#include "kernel/printf.h"
#include "trap/timer.h"
#include "arch/riscv.h"

struct trace_ring trace_rings[MAX_HARTS];

static const char *const event_names[TR_NEVENTS] = {
    [TR_RELEASE] = "release", [TR_ACQUIRE] = "acquire", [TR_PARK] = "park",
    [TR_PARK_OTHER] = "park-other", [TR_CLAIM] = "claim",
    [TR_CLAIM_FAIL] = "claim-failed", [TR_SWITCH] = "switch",
    [TR_PREEMPT] = "preempt-blocked", [TR_RESTART] = "restart",
};

/* Where the newest TRACE_SLOTS events of all harts begin in each ring:
 * from[h] (an event count of hart h), walking back from every ring's end
 * at once, newest first.  The number of them. */
static uint64_t newest_events(uint64_t from[MAX_HARTS])
{
    uint64_t end[MAX_HARTS], taken = 0;
    for (int h = 0; h < MAX_HARTS; h++) {
        end[h] = __atomic_load_n(&trace_rings[h].next, __ATOMIC_RELAXED);
        from[h] = end[h];
    }
    while (taken < TRACE_SLOTS) {
        int newest = -1;
        for (int h = 0; h < MAX_HARTS; h++) {
            /* A ring holds its last TRACE_SLOTS events, no more. */
            if (from[h] == 0 || end[h] - from[h] == TRACE_SLOTS)
                continue;
            uint64_t when = trace_rings[h].slot[(from[h] - 1) % TRACE_SLOTS].when;
            if (newest < 0 ||
                when > trace_rings[newest].slot[(from[newest] - 1) % TRACE_SLOTS].when)
                newest = h;
        }
        if (newest < 0)
            break;
        from[newest]--;
        taken++;
    }
    return taken;
}

void trace_dump(void)
{
    uint64_t from[MAX_HARTS];
    uint64_t n = newest_events(from);
    kprintf("--- last %lu scheduling events (hart, time us, event, tid, arg) ---\n", n);
    /* Merged by time, oldest first. */
    for (uint64_t i = 0; i < n; i++) {
        int oldest = -1;
        for (int h = 0; h < MAX_HARTS; h++) {
            if (from[h] == __atomic_load_n(&trace_rings[h].next, __ATOMIC_RELAXED))
                continue;
            uint64_t when = trace_rings[h].slot[from[h] % TRACE_SLOTS].when;
            if (oldest < 0 || when < trace_rings[oldest].slot[from[oldest] % TRACE_SLOTS].when)
                oldest = h;
        }
        if (oldest < 0)
            break;
        const struct trace_entry *t = &trace_rings[oldest].slot[from[oldest]++ % TRACE_SLOTS];
        kprintf("h%d %lu %s %d %lu\n", oldest, timer_ticks_to_us(t->when),
                t->event < TR_NEVENTS ? event_names[t->event] : "?", t->tid, t->arg);
    }
}

void trace_summary(void)
{
    uint64_t from[MAX_HARTS], since_boot = 0;
    uint64_t n = newest_events(from);
    uint64_t count[TR_NEVENTS + 1] = { 0 };     /* the last: unknown kinds */
    for (int h = 0; h < MAX_HARTS; h++) {
        uint64_t end = __atomic_load_n(&trace_rings[h].next, __ATOMIC_RELAXED);
        since_boot += end;
        for (uint64_t i = from[h]; i < end && i < from[h] + TRACE_SLOTS; i++) {
            uint8_t e = trace_rings[h].slot[i % TRACE_SLOTS].event;
            count[e < TR_NEVENTS ? e : TR_NEVENTS]++;
        }
    }
    kprintf("--- scheduling events: %lu since boot; of the last %lu:", since_boot, n);
    for (int e = 0; e < TR_NEVENTS; e++)
        if (count[e])
            kprintf(" %s %lu", event_names[e], count[e]);
    if (count[TR_NEVENTS])
        kprintf(" ? %lu", count[TR_NEVENTS]);
    kprintf(" ---\n");
}
