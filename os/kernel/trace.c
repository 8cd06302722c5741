#include "kernel/trace.h"
#include "kernel/cpu.h"
#include "kernel/printf.h"
#include "trap/timer.h"
#include "arch/riscv.h"

struct trace_entry trace_ring[TRACE_SLOTS];
uint64_t trace_next_slot;

static const char *const event_names[TR_NEVENTS] = {
    [TR_RELEASE] = "release", [TR_ACQUIRE] = "acquire", [TR_PARK] = "park",
    [TR_PARK_OTHER] = "park-other", [TR_CLAIM] = "claim",
    [TR_CLAIM_FAIL] = "claim-failed", [TR_SWITCH] = "switch",
    [TR_PREEMPT] = "preempt-blocked", [TR_RESTART] = "restart",
};

void trace_dump(void)
{
    uint64_t end = __atomic_load_n(&trace_next_slot, __ATOMIC_RELAXED);
    uint64_t start = end > TRACE_SLOTS ? end - TRACE_SLOTS : 0;
    kprintf("--- last %lu scheduling events (hart, time us, event, tid, arg) ---\n",
            end - start);
    for (uint64_t i = start; i < end; i++) {
        const struct trace_entry *t = &trace_ring[i % TRACE_SLOTS];
        kprintf("h%u %lu %s %d %lu\n", t->hart, timer_ticks_to_us(t->when),
                t->event < TR_NEVENTS ? event_names[t->event] : "?", t->tid, t->arg);
    }
}

void trace_summary(void)
{
    uint64_t end = __atomic_load_n(&trace_next_slot, __ATOMIC_RELAXED);
    uint64_t start = end > TRACE_SLOTS ? end - TRACE_SLOTS : 0;
    uint64_t count[TR_NEVENTS + 1] = { 0 };     /* the last: unknown kinds */
    for (uint64_t i = start; i < end; i++) {
        uint8_t e = trace_ring[i % TRACE_SLOTS].event;
        count[e < TR_NEVENTS ? e : TR_NEVENTS]++;
    }
    kprintf("--- scheduling events: %lu since boot; of the last %lu:", end, end - start);
    for (int e = 0; e < TR_NEVENTS; e++)
        if (count[e])
            kprintf(" %s %lu", event_names[e], count[e]);
    if (count[TR_NEVENTS])
        kprintf(" ? %lu", count[TR_NEVENTS]);
    kprintf(" ---\n");
}
