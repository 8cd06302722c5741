/*
 * The debug kernel's invariant checks (kernel/invariants.h says where they
 * run).  Each recounts what a summary says from what it summarizes, so
 * that a count kept wrong anywhere shows at the next check, not when the
 * scheduler finally acts on it (a thread that is never run again, a hart
 * that idles beside queued work).  The whole file is empty without KDEBUG.
 */
#include "kernel/invariants.h"

#ifdef KDEBUG
#include <stdbool.h>
#include <stdint.h>
#include "kernel/bootargs.h"
#include "kernel/cpu.h"
#include "kernel/panic.h"
#include "kernel/printf.h"
#include "kernel/spinlock.h"
#include "lib/list.h"
#include "lib/string.h"
#include "mm/frame.h"
#include "mm/uvm.h"
#include "memlayout.h"
#include "proc/thread.h"
#include "sched/policy.h"
#include "sched/sched.h"
#include "sched_abi.h"

#define POISON_WORD (0x0101010101010101ull * FRAME_POISON)

/* kdebug_inject=queue|frame: break one invariant on purpose, once, to show
 * that the checks catch it (testsuite/test_stress.py). */
static bool inject(const char *what)
{
    return bootarg_is("kdebug_inject", what);
}

#define CHECK(cond, ...) do { \
    if (!(cond)) panic("invariant broken: " __VA_ARGS__); \
} while (0)

/* ---- the scheduler ---- */

static void check_thread(const struct thread *t, uint32_t task,
                         uint32_t per_level[SCHED_PRIO_MAX + 1], uint32_t *nqueued)
{
    CHECK(t->task == (int)task, "record %u's thread %d names record %d", task, t->tid, t->task);
    CHECK(t->proc != NULL, "record %u is owned by idle thread %d", task, t->tid);
    CHECK(t->priority >= 1 && t->priority <= SCHED_PRIO_MAX,
          "thread %d has priority %d", t->tid, t->priority);
    switch (t->state) {
    case THREAD_QUEUED:
    case THREAD_PARKED: {
        int level = t->state == THREAD_PARKED ? 0 : t->priority;
        CHECK(t->queued_prio == level, "%s thread %d counted at level %d, not %d",
              t->state == THREAD_PARKED ? "parked" : "queued", t->tid, t->queued_prio, level);
        per_level[level]++;
        (*nqueued)++;
        break;
    }
    case THREAD_RUNNING: {
        CHECK(t->hart >= 0 && t->hart < MAX_HARTS && cpus[t->hart].online,
              "running thread %d is on hart %d, not an online hart", t->tid, t->hart);
        /* The hart's current thread is one pointer: a thread RUNNING on
         * two harts would fail here for one of them. */
        CHECK(cpus[t->hart].current == t,
              "thread %d is RUNNING on hart %d, whose current thread is %d",
              t->tid, t->hart, cpus[t->hart].current ? cpus[t->hart].current->tid : 0);
        break;
    }
    case THREAD_PICKED:
    case THREAD_PICKED_PARKED:
        /* Only inside a decision, which holds sched_lock from start to end. */
        panic("invariant broken: thread %d is %s outside a decision", t->tid,
              t->state == THREAD_PICKED ? "PICKED" : "PICKED_PARKED");
    case THREAD_DEFERRED:
        CHECK(list_linked(&t->deferred_node), "deferred thread %d is on no process's list", t->tid);
        break;
    case THREAD_NEW:
    case THREAD_BLOCKED:
    case THREAD_ZOMBIE:
        break;
    default:
        panic("invariant broken: thread %d has state %d", t->tid, (int)t->state);
    }
    if (t->state != THREAD_DEFERRED)
        CHECK(!list_linked(&t->deferred_node), "thread %d is deferred but %d", t->tid, t->state);
    /* Only a blocked thread waits: sched_wake takes it off both lists. */
    bool blocked = t->state == THREAD_BLOCKED;
    CHECK(list_linked(&t->timer_node) == (blocked && t->wake_at != 0),
          "thread %d (state %d, deadline %lu) is %son the deadline list", t->tid,
          (int)t->state, t->wake_at, list_linked(&t->timer_node) ? "" : "not ");
    CHECK(list_linked(&t->wait_node) == (blocked && t->waiting_on != NULL),
          "thread %d (state %d) is %son a wait queue", t->tid, (int)t->state,
          list_linked(&t->wait_node) ? "" : "not ");
}

void inv_check_sched(void)
{
    KASSERT(spin_holding(&sched_lock));
    struct policy_view v = policy_debug_view();
    static bool injected;               /* (under sched_lock) */
    if (!injected && inject("queue")) {
        injected = true;
        v.queued_at[SCHED_PRIO_MAX]++;      /* a lost decrement, as it were */
    }
    uint32_t per_level[SCHED_PRIO_MAX + 1] = { 0 }, nqueued = 0;
    for (uint32_t i = 0; i < SCHED_MAX_TASKS; i++)
        if (v.owner[i])
            check_thread(v.owner[i], i, per_level, &nqueued);

    CHECK(nqueued == v.nqueued, "%u threads are QUEUED or PARKED, the kernel counts %u",
          nqueued, v.nqueued);
    uint32_t levels = 0, top = 0;
    for (uint32_t p = 0; p <= SCHED_PRIO_MAX; p++) {
        CHECK(per_level[p] == v.queued_at[p], "level %u holds %u threads, counted %u",
              p, per_level[p], v.queued_at[p]);
        if (per_level[p]) {
            levels |= 1u << p;
            top = p ? p : top;
        }
    }
    CHECK(levels == v.levels, "non-empty levels %#x, recorded %#x", levels, v.levels);
    CHECK(top == v.top, "top queued level %u, recorded %u", top, v.top);

    /* Every hart runs its idle thread or one RUNNING there with a record. */
    for (uint64_t i = 0; i < hart_count; i++) {
        const struct cpu *c = &cpus[hart_ids[i]];
        const struct thread *cur = c->current;
        if (!c->online || !cur || cur == c->idle)
            continue;
        CHECK(cur->state == THREAD_RUNNING && cur->hart == (int)c->hartid,
              "hart %lu's current thread %d is in state %d on hart %d", c->hartid,
              cur->tid, (int)cur->state, cur->hart);
        CHECK(cur->task >= 0 && cur->task < SCHED_MAX_TASKS && v.owner[cur->task] == cur,
              "hart %lu runs thread %d, which owns no record (%d)", c->hartid, cur->tid,
              cur->task);
    }
}

/* ---- frames ---- */

static size_t count_zero_bits(uint64_t w)
{
    size_t n = 0;
    for (w = ~w; w; w &= w - 1)      /* (no popcount instruction here) */
        n++;
    return n;
}

void inv_check_frames(void)
{
    struct frame_view f = frame_debug_view();
    spin_lock(f.lock);
    size_t free_bits = 0;
    for (size_t w = 0; w < (f.nframes + 63) / 64; w++) {
        uint64_t word = f.bitmap[w];
        if (w == f.nframes / 64)     /* the last word's tail: no RAM, never free */
            CHECK((word | ((1ull << (f.nframes % 64)) - 1)) == ~0ull,
                  "frame bitmap: bits past the last frame are clear (%#lx)", word);
        free_bits += count_zero_bits(word);
    }
    size_t counted = *f.free_frames;
    spin_unlock(f.lock);
    CHECK(free_bits == counted, "frame bitmap has %zu free frames, the count says %zu",
          free_bits, counted);
}

void inv_frame_taken(void *va)
{
    const uint64_t *w = va;
    for (size_t i = 0; i < PAGE_SIZE / sizeof(*w); i++)
        CHECK(w[i] == POISON_WORD, "frame %p was written after it was freed "
              "(offset %zu holds %#lx): a mapping or pointer outlived the free", va,
              i * sizeof(*w), w[i]);
}

void inv_frames_ready(void)
{
    /* From now on every free frame holds the poison: the free ones now,
     * and each freed one (frame_free fills it before it is free). */
    frame_poison_enable();
    struct frame_view f = frame_debug_view();
    for (size_t i = 0; i < f.nframes; i++)
        if (!(f.bitmap[i / 64] >> (i % 64) & 1))
            memset(PA2VA(f.base_pa + i * PAGE_SIZE), FRAME_POISON, PAGE_SIZE);
    if (inject("frame")) {
        /* A store through a pointer kept past the free: the next take of
         * that frame (the very next, this early on one hart) must see it. */
        uint8_t *p = frame_alloc();
        frame_free(p);
        p[100] = 1;
        kprintf("kdebug: injected a write to a freed frame (%p)\n", p);
        (void)frame_alloc();
    }
    kprintf("kdebug: invariant checks on (scheduler, frames, locks)\n");
}

/* ---- locks ---- */

void inv_check_user_return(void)
{
    struct cpu *c = this_cpu();
    CHECK(!spin_holding(&sched_lock), "hart %lu returns to user mode holding sched_lock",
          c->hartid);
    CHECK(c->irq_depth == 0, "hart %lu returns to user mode with %d spinlock(s) held "
          "(interrupt nesting %d)", c->hartid, c->irq_depth, c->irq_depth);
    /* A shared hold of an address space is its hart's slot, not a bit of
     * the lock: one left set would hold off every unmap of it for ever. */
    CHECK(uspace_readers.hart[c->hartid].held == NULL,
          "hart %lu returns to user mode holding an address space shared", c->hartid);
    /* A borrow left named would keep the file's last close waiting for
     * this hart until its next borrow (fs/file.h, "A borrow"). */
    CHECK(c->borrowed_file == NULL, "hart %lu returns to user mode borrowing file %p",
          c->hartid, (void *)c->borrowed_file);
}

void inv_check_switch(void)
{
    struct cpu *c = this_cpu();
    /* A borrow lasts part of one call and never past a sleep: the thread
     * may go on on another hart, and this hart's name of the file would
     * outlive the borrow (fs/file.h, "A borrow"). */
    CHECK(c->borrowed_file == NULL, "hart %lu switches threads borrowing file %p",
          c->hartid, (void *)c->borrowed_file);
}
#endif
