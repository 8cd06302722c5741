/*
 * Small rings of recent scheduling events, counted by Ctrl-T after the
 * process list and printed by a second Ctrl-T: what each hart did last is
 * often the only way to see how a race between harts went.  Always on, so
 * recording is cheap: each hart has a ring of its own, which only it
 * writes, with plain stores (no atomic add on a count all harts share,
 * no lock).  Every caller records with interrupts off (a switch, a
 * decision under sched_lock, the trap entry's checks), so no event on the
 * same hart can come between the two halves of another.  Ctrl-T reads
 * the rings without locks, like the rest of its tables: an event being
 * written as it reads may show half old.
 */
#ifndef KERNEL_TRACE_H
#define KERNEL_TRACE_H

#include <stdint.h>
#include "kernel/cacheline.h"
#include "kernel/cpu.h"
#include "kernel/panic.h"
#include "arch/riscv.h"

enum trace_event {
    TR_RELEASE,          /* reconcile: the kernel lets go of a thread (a) */
    TR_ACQUIRE,          /* reconcile: takes over a thread parked in user mode */
    TR_PARK,             /* a thread parked itself (yield with parked = 1) */
    TR_PARK_OTHER,       /* a thread that parked is not the kernel's view here */
    TR_CLAIM,            /* the kernel claims a parked thread to resume it */
    TR_CLAIM_FAIL,       /* ...but the process runs it already: deferred */
    TR_SWITCH,           /* schedule(): to thread (a) */
    TR_PREEMPT,          /* block_sched not honoured */
    TR_RESTART,          /* the runtime's restartable sequence restarted */
    TR_NEVENTS
};

#define TRACE_SLOTS 512          /* events a hart keeps: a power of two */

/* 32 bytes (8 unused): a slot's offset is one shift of its index. */
struct trace_entry {
    _Alignas(32) uint64_t when;  /* time CSR ticks: converted when printed */
    uint64_t arg;
    int32_t tid;
    uint8_t event;
};
_Static_assert(sizeof(struct trace_entry) == 32, "a trace slot is 32 bytes");

/* One hart's ring: its events since boot (`next`), the last TRACE_SLOTS
 * of them in slot[next % TRACE_SLOTS] order. */
struct trace_ring {
    uint64_t next;
    struct trace_entry slot[TRACE_SLOTS];
} LINE_ALIGNED;                  /* hart h's last slot and hart h+1's `next` apart */

extern struct trace_ring trace_rings[MAX_HARTS];

/* Records event `e` on this hart about thread `tid`, with one more number.
 * Inline: every kernel thread switch records one.  Interrupts off. */
static inline void trace(enum trace_event e, int tid, uint64_t arg)
{
#ifdef KDEBUG
    KASSERT(!intr_enabled());       /* else an interrupt's event could share a slot */
#endif
    struct trace_ring *r = this_cpu()->trace;
    uint64_t n = r->next;
    struct trace_entry *t = &r->slot[n % TRACE_SLOTS];
    t->when = read_time();
    t->arg = arg;
    t->tid = tid;
    t->event = (uint8_t)e;
    /* One aligned store (volatile: not torn or put off), for Ctrl-T to
     * read at any time.  Not an atomic store: GCC makes a relaxed one an
     * amoswap, and only this hart writes it. */
    *(volatile uint64_t *)&r->next = n + 1;
}
/* Prints the last TRACE_SLOTS events of all harts, oldest first. */
void trace_dump(void);
/* One line: how many events since boot, and the rings' count of each kind. */
void trace_summary(void);

#endif
