#include "kernel/timeline.h"
#include "kernel/bootargs.h"
#include "kernel/bootinfo.h"
#include "kernel/cpu.h"
#include "kernel/printf.h"
#include "kernel/panic.h"
#include "lib/string.h"
#include "mm/kmalloc.h"
#include "mm/uvm.h"
#include "proc/proc.h"
#include "proc/thread.h"
#include "sched/shared.h"
#include "arch/riscv.h"
#include "uapi/errno.h"
#include "uapi/timeline.h"
#include "utrace.h"
#include "kernel/ordered_store.h"

bool timeline_on;
static struct tl_event *ring;
static uint32_t capacity;
/* Events recorded since the last clear: the next one's number. */
static uint64_t recorded;
/* Bumped by every clear and every start: a thread's process is named again
 * in each session (struct thread.timeline_gen). */
static uint32_t generation = 1;
/* When the session began: an event from a process's ring that claims an
 * earlier (or a future) time is garbage. */
static uint64_t session_start;
/* The session in which each hart last recorded what it runs. */
static uint32_t hart_gen[MAX_HARTS];

void timeline_init(void)
{
    uint64_t n = TIMELINE_DEFAULT_ENTRIES;
    struct bootarg given;
    if (bootarg_find("trace", &given) && !bootarg_u64("trace", &n))
        n = TIMELINE_DEFAULT_ENTRIES;          /* bootarg_u64 said why */
    if (n > TIMELINE_MAX_ENTRIES) {
        kprintf("bootargs: trace=%lu is above the most, %u: using %u\n", n,
                TIMELINE_MAX_ENTRIES, TIMELINE_MAX_ENTRIES);
        n = TIMELINE_MAX_ENTRIES;
    }
    if (n == 0)
        return;                                /* trace=0: no timeline */
    ring = kmalloc(n * sizeof(struct tl_event));
    if (!ring) {
        kprintf("timeline: no memory for %lu events: tracing unavailable\n", n);
        return;
    }
    capacity = (uint32_t)n;
}

/* Claims the next slot (lock-free: harts never wait for each other). */
static struct tl_event *claim(uint8_t kind, int hart, uint64_t when)
{
    uint64_t n = __atomic_fetch_add(&recorded, 1, __ATOMIC_RELAXED);
    struct tl_event *e = &ring[n % capacity];
    e->when = when;
    e->kind = kind;
    e->hart = (uint8_t)hart;
    e->reserved = 0;
    e->arg = 0;
    e->name[0] = '\0';
    return e;
}

void timeline_record_run(struct thread *t, int hart, bool idle)
{
    if (!ring)
        return;
    uint64_t now = read_time();
    struct proc *p = idle ? NULL : t->proc;
    uint32_t gen = __atomic_load_n(&generation, __ATOMIC_RELAXED);
    if (p && t->timeline_gen != gen) {
        /* Only this hart runs t now (under sched_lock): a plain store. */
        t->timeline_gen = gen;
        struct tl_event *e = claim(TL_NAME, hart, now);
        e->pid = p->pid;
        e->tid = t->tid;
        strlcpy(e->name, p->name, sizeof(e->name));
    }
    struct tl_event *e = claim(TL_RUN, hart, now);
    e->pid = p ? p->pid : 0;
    e->tid = t->tid;
    if (hart >= 0 && hart < MAX_HARTS)
        hart_gen[hart] = gen;              /* only this hart writes its own */
}

void timeline_record_tick(struct thread *t, int hart, bool idle)
{
    if (hart >= 0 && hart < MAX_HARTS &&
        hart_gen[hart] != __atomic_load_n(&generation, __ATOMIC_RELAXED))
        timeline_record_run(t, hart, idle);
}

/* A process's ring entry as a timeline event, if it is sound. */
static bool accept(const utrace_entry *u, uint64_t now, uint32_t nharts)
{
    return u->when >= session_start && u->when <= now && u->hart < nharts &&
           (u->kind == UT_SWITCH || u->kind == UT_POLL_BEGIN || u->kind == UT_POLL_END) &&
           u->tid <= INT32_MAX && u->arg <= INT32_MAX;
}

static const uint8_t kind_of[] = {
    [UT_SWITCH] = TL_USWITCH, [UT_POLL_BEGIN] = TL_POLL_BEGIN, [UT_POLL_END] = TL_POLL_END,
};

#define HARVEST_CHUNK 16           /* entries copied at a time (on the stack) */

void timeline_harvest(struct proc *p)
{
    VDSO_DATA *v = shared_vdso(&p->shared);
    if (!ring || !v)
        return;
    /* Read once: the process wrote it, and all of it is only a claim. */
    uint64_t addr = __atomic_load_n(&v->trace_ring, __ATOMIC_RELAXED);
    utrace_ring hdr;
    if (!addr || copy_from_user(&p->vm, &hdr, addr, sizeof(hdr)) < 0 ||
        hdr.magic != UTRACE_MAGIC || hdr.cap == 0 || hdr.cap > UTRACE_CAP_MAX ||
        (hdr.cap & (hdr.cap - 1)))
        return;
    uint64_t head = hdr.head;
    uint64_t n = head < hdr.cap ? head : hdr.cap;
    uint64_t lost = head - n;
    uint64_t now = read_time();
    uint32_t nharts = (uint32_t)cpu_online_count();
    int hart = (int)this_hartid();
    utrace_entry chunk[HARVEST_CHUNK];
    for (uint64_t i = head - n, k; i < head; i += k) {
        uint64_t first = i % hdr.cap;
        k = head - i < HARVEST_CHUNK ? head - i : HARVEST_CHUNK;
        if (k > hdr.cap - first)
            k = hdr.cap - first;               /* up to the ring's end */
        uint64_t from = addr + sizeof(hdr) + first * sizeof(utrace_entry);
        if (copy_from_user(&p->vm, chunk, from, k * sizeof(utrace_entry)) < 0) {
            lost += head - i;                  /* unmapped: the rest is gone */
            break;
        }
        for (uint64_t j = 0; j < k; j++) {
            if (!accept(&chunk[j], now, nharts)) {
                lost++;
                continue;
            }
            struct tl_event *e = claim(kind_of[chunk[j].kind], chunk[j].hart, chunk[j].when);
            e->pid = p->pid;
            e->tid = (int32_t)chunk[j].tid;
            e->arg = chunk[j].arg;
        }
    }
    if (lost) {
        struct tl_event *e = claim(TL_LOST, hart, now);
        e->pid = p->pid;
        e->tid = 0;
        e->arg = lost > UINT32_MAX ? UINT32_MAX : (uint32_t)lost;
    }
}

int timeline_set(bool on)
{
    if (!ring)
        return -ENOMEM;
    if (on && !__atomic_load_n(&timeline_on, __ATOMIC_RELAXED)) {
        __atomic_add_fetch(&generation, 1, __ATOMIC_RELAXED);
        if (__atomic_load_n(&recorded, __ATOMIC_RELAXED) == 0)
            session_start = read_time();
    }
    store_release(&timeline_on, on);
    shared_set_trace_on(on);
    return 0;
}

void timeline_clear(void)
{
    store_relaxed(&recorded, 0);
    __atomic_add_fetch(&generation, 1, __ATOMIC_RELAXED);
    session_start = read_time();
}

void timeline_status(struct tl_status *out)
{
    memset(out, 0, sizeof(*out));
    out->recorded = __atomic_load_n(&recorded, __ATOMIC_RELAXED);
    out->timebase_hz = bootinfo.timebase_hz ? bootinfo.timebase_hz : 10000000;
    out->capacity = capacity;
    out->on = __atomic_load_n(&timeline_on, __ATOMIC_RELAXED);
    out->nharts = (uint32_t)cpu_online_count();
}

int timeline_get(uint64_t from, void *out)
{
    uint64_t end = __atomic_load_n(&recorded, __ATOMIC_RELAXED);
    if (!ring || from >= end)
        return 0;
    if (end - from > capacity)
        return -ERANGE;
    memcpy(out, &ring[from % capacity], sizeof(struct tl_event));
    return 1;
}
