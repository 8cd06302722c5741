/*
 * The executor region of a process and its doorbell (sched/coexec.h).
 */
#include "sched/coexec.h"
#include "proc/proc.h"
#include "mm/uvm.h"
#include "mm/frame.h"
#include "mm/kmalloc.h"
#include "kernel/panic.h"
#include "syscall/syscall.h"
#include "sched/sched.h"
#include "sched/shared.h"
#include "proc/priority.h"
#include "uapi/errno.h"
#include "arch/riscv.h"
#include "memlayout.h"
#include "kernel/ordered_store.h"

_Static_assert(SHARED_EXEC_ADDR == SHARED_BASE + (SHARED_DATA_PAGES + SHARED_CODE_PAGES +
                                                  SHARED_RUNTIME_PAGES + 1) * PAGE_SIZE,
               "the executor follows SCHED_KINFO");
_Static_assert(CO_RECORDS_PER_PAGE == 16, "16 records a page");
/* The whole region stays below the kernel's alias (another top-level
 * entry): the process's own page-table pages hold it. */
_Static_assert(SHARED_EXEC_ADDR + CO_EXEC_PAGES_MAX * 4096ULL <= SHARED_KALIAS,
               "the executor fits in the shared region");

#define SEQ_ADDR (SHARED_EXEC_ADDR + __builtin_offsetof(CO_EXEC, seq))

void coexec_init(struct proc *p)
{
    spin_init(&p->co.lock, "coexec");
    p->co.capacity = 0;
    p->co.pages = 0;
    p->co.header = NULL;
    p->co.rec_pages = NULL;
    p->co.kprio_gen = 0;
    p->co.quiet = 0;
    list_init(&p->co.ops);
    p->co.nops = 0;
    p->co.holds = 0;
    p->co.by_io = (struct coio_index){ 0 };
}

static uint32_t pages_for(uint32_t records)
{
    return 1 + CO_QUEUE_PAGES + records / CO_RECORDS_PER_PAGE;
}

long coexec_setup(struct proc *p, uint32_t want)
{
    if (want == 0 || want > CO_MAX)
        return -EINVAL;
    uint32_t records = (want + CO_RECORDS_PER_PAGE - 1) / CO_RECORDS_PER_PAGE *
                       CO_RECORDS_PER_PAGE;
    /* The table of record pages for the new capacity, allocated before the
     * lock and dropped if the call maps nothing. */
    const TaskSched **table = kmalloc(records / CO_RECORDS_PER_PAGE * sizeof(*table));
    if (!table)
        return -ENOMEM;
    /* co.lock: two threads growing at once take turns; the doorbell sees
     * the old capacity or the new, never a page that is not mapped yet. */
    spin_lock(&p->co.lock);
    if (records <= p->co.capacity) {
        long have = p->co.capacity;
        spin_unlock(&p->co.lock);
        kfree(table);
        return have;
    }
    uint32_t from = p->co.pages, to = pages_for(records);
    KASSERT(to > from && to <= CO_EXEC_PAGES_MAX);
    /* Fresh zeroed frames; uvm_alloc unmaps and frees what it mapped if one
     * fails.  Only pages are added: no other hart can have them cached, so
     * no shootdown (mm/tlb.h). */
    hart_rwlock_lock(&p->vm.lock);
    int err = uvm_alloc(p->vm.pt, SHARED_EXEC_ADDR + (uint64_t)from * PAGE_SIZE,
                        (uint64_t)(to - from) * PAGE_SIZE, PTE_R | PTE_W);
    uint64_t pa = 0, flags;
    if (!err && !p->co.header) {
        bool ok = vm_translate(p->vm.pt, SHARED_EXEC_ADDR, &pa, &flags);
        KASSERT(ok);
    }
    /* The pages mapped before, then each new one's frame. */
    uint32_t had = p->co.capacity / CO_RECORDS_PER_PAGE;
    for (uint32_t k = 0; !err && k < records / CO_RECORDS_PER_PAGE; k++) {
        if (k < had) {
            table[k] = p->co.rec_pages[k];
            continue;
        }
        uint64_t rpa;
        bool ok = vm_translate(p->vm.pt, CO_RECORDS_ADDR + (uint64_t)k * PAGE_SIZE, &rpa, &flags);
        KASSERT(ok);
        table[k] = PA2VA(rpa & ~(uint64_t)(PAGE_SIZE - 1));
    }
    hart_rwlock_unlock(&p->vm.lock);
    if (err) {
        spin_unlock(&p->co.lock);
        kfree(table);
        return err == -EEXIST ? -EINVAL : -ENOMEM;
    }
    const TaskSched **old = p->co.rec_pages;
    p->co.rec_pages = table;
    sfence_vma();
    if (!p->co.header)
        p->co.header = PA2VA(pa);
    p->co.pages = to;
    /* Atomic: coio_prepare reads it without co.lock. */
    store_release(&p->co.capacity, records);
    store_release(&p->co.header->capacity, records);
    /* The caller is a thread of p: its shared region is there. */
    VDSO_DATA *v = shared_vdso(&p->shared);
    if (v)
        store_release(&v->exec_capacity, records);
    spin_unlock(&p->co.lock);
    kfree(old);                 /* read only under co.lock */
    return records;
}

uint32_t coexec_detach(struct proc *p)
{
    spin_lock(&p->co.lock);
    /* No operation is left: exit and exec dropped the pending ones and
     * waited for the completers of the others (coio_wait_released). */
    uint32_t pages = p->co.pages;
    store_release(&p->co.capacity, 0);
    p->co.pages = 0;
    p->co.header = NULL;
    /* The record frames go with the region: a later SYS_co_setup (after
     * exec) maps others and fills a fresh table. */
    const TaskSched **rec_pages = p->co.rec_pages;
    p->co.rec_pages = NULL;
    p->co.quiet = 0;
    spin_unlock(&p->co.lock);
    kfree(rec_pages);
    return pages;
}

void coexec_unmap(pagetable_t pt, uint32_t pages)
{
    if (pages)
        vm_unmap(pt, SHARED_EXEC_ADDR, (uint64_t)pages * PAGE_SIZE, true);
}

bool coexec_contains(struct proc *p, uint64_t addr)
{
    spin_lock(&p->co.lock);
    bool in = addr >= SHARED_EXEC_ADDR &&
              addr + 4 <= SHARED_EXEC_ADDR + (uint64_t)p->co.pages * PAGE_SIZE;
    spin_unlock(&p->co.lock);
    return in;
}

int coexec_read_u32(struct proc *p, uint64_t addr, uint32_t *out)
{
    int err = -EFAULT;
    spin_lock(&p->co.lock);
    if (addr % 4 == 0 && addr >= SHARED_EXEC_ADDR &&
        addr + 4 <= SHARED_EXEC_ADDR + (uint64_t)p->co.pages * PAGE_SIZE) {
        uint64_t pa, flags;
        /* The pages change only under co.lock (setup adds, exit and exec
         * take them away): the frame is p's while we read it. */
        if (vm_translate(p->vm.pt, addr, &pa, &flags)) {
            *out = __atomic_load_n((volatile uint32_t *)PA2VA(pa), __ATOMIC_SEQ_CST);
            err = 0;
        }
    }
    spin_unlock(&p->co.lock);
    return err;
}

bool coexec_seq_moved(struct proc *p, uint32_t seen)
{
    __atomic_thread_fence(__ATOMIC_SEQ_CST);    /* the caller's kprio, then seq */
    spin_lock(&p->co.lock);
    const CO_EXEC *x = p->co.header;
    bool moved = x && __atomic_load_n(&x->seq, __ATOMIC_SEQ_CST) != seen;
    spin_unlock(&p->co.lock);
    return moved;
}

bool co_doorbell_locked(struct proc *p, uint32_t cid, bool *sleepers)
{
    KASSERT(spin_holding(&p->co.lock));
    CO_EXEC *x = p->co.header;
    uint32_t i = CO_INDEX(cid);
    *sleepers = false;
    if (!x || cid == CO_NONE || i >= p->co.capacity)
        return false;
    KASSERT(i / 64 < CO_BELL_WORDS && i / 64 / 64 < CO_SUMMARY_WORDS);
    /* The bit first, then its word's summary bit, then seq: a worker that
     * sees seq move and takes the summary finds the bit. */
    __atomic_or_fetch(&x->bell[i / 64], 1ULL << (i % 64), __ATOMIC_SEQ_CST);
    __atomic_or_fetch(&x->bell_summary[i / 64 / 64], 1ULL << (i / 64 % 64), __ATOMIC_SEQ_CST);
    __atomic_add_fetch(&x->seq, 1, __ATOMIC_SEQ_CST);
    /* A futex wake only if a worker may sleep on seq, as the runtime's own
     * wakers do (coro_exec.c, notify): a worker counts itself in sleepers
     * before it looks at seq a last time, this looks at sleepers after
     * seq moved (both sequentially consistent), so either it sees seq
     * move and does not sleep, or this sees it.  Every completion took
     * the global futex lock before, most of them for nobody (b_prings on
     * 2 harts: futex_lock's line moved at nearly every hop).  The word is
     * the process's: a forged 0 leaves only its own workers asleep. */
    *sleepers = __atomic_load_n(&x->sleepers, __ATOMIC_SEQ_CST) != 0;
    return true;
}

void co_note_waker_locked(struct proc *p, uint32_t task, uint32_t cid)
{
    KASSERT(spin_holding(&p->co.lock));
    CO_EXEC *x = p->co.header;
    if (!x || task >= SCHED_MAX_TASKS)
        return;
    /* One store: a worker reads the slot with one load, never half of it. */
    store_release(&x->woke_by[task % CO_WOKE_SLOTS][CO_WOKE_HINT],
                  ((uint64_t)task + 1) << 32 | cid);
}

/* The least urgent thread in worker_task (the kernel's view, kprio) but
 * `mine`, below `below`: its index, and *low its priority; or, if none
 * but `mine` is below, `mine` if it is in worker_task and below (passed
 * over, it polls what its call woke only after the poll it is in, at
 * that poll's priority, below a thread of the process that may yield
 * above it for good: t_cowakefromlow, "write"); or SCHED_MAX_TASKS.
 * co.lock held. */
static uint32_t lowest_worker_locked(const CO_EXEC *x, const VDSO_DATA *v, uint32_t mine,
                                     uint32_t below, uint32_t *low)
{
    uint32_t n = __atomic_load_n(&x->workers_end, __ATOMIC_RELAXED);
    if (n > CO_WORKER_SLOTS)
        n = CO_WORKER_SLOTS;
    uint32_t lowest = SCHED_MAX_TASKS;
    bool mine_below = false;
    *low = below;
    for (uint32_t k = 0; k < n; k++) {
        uint32_t task = __atomic_load_n(&x->worker_task[k], __ATOMIC_RELAXED) - 1;
        if (task >= SCHED_MAX_TASKS)
            continue;           /* free (0 - 1), or written over */
        uint32_t now = v->kprio[task];
        if (task == mine) {
            mine_below = now < below;
            continue;
        }
        if (now < *low) {
            *low = now;
            lowest = task;
        }
    }
    if (lowest == SCHED_MAX_TASKS && mine_below) {
        *low = v->kprio[mine];
        lowest = mine;
    }
    return lowest;
}

/*
 * The executor's rule for work made ready while no worker sleeps
 * (docs/coroutines.md, "No worker left below the work"), for what the
 * kernel rings the doorbell for: the least urgent thread in a run of p's
 * executor (CO_EXEC.worker_task), other than the calling thread, is
 * raised to the rung coroutine's priority if it is below it.  Nobody in
 * the process may run to do it: its workers may all be left below a
 * thread of the process that yields at that priority (an asynchronous
 * sleep that ends beside it, t_cowakelow).
 *
 * All of it is the process's word, checked as a system call's arguments
 * are: an index that names no live thread of p is passed over, the
 * priority is bounded by p's ceiling, so a forged one only raises p's own
 * threads as far as set_priority would; and `sleepers` or `workers_gen`
 * said wrongly only leave p's own workers low.  The pick is made here,
 * under co.lock, from the kernel's view of priorities (VDSO_DATA.kprio);
 * the raise by coexec_wake_or_raise, with p->lock, if the ring woke no
 * sleeper: the two locks are never held at once.
 *
 * Mostly nobody is below the work (the workers follow it), and a ring
 * comes with every asynchronous completion: so the lowest priority of
 * all the workers is kept (p->co.quiet) while neither a kprio of p's
 * threads nor worker_task changed, and a ring for work no more urgent
 * stops at coexec_raise_pick_locked's inline look (sched/coexec.h).
 */
void coexec_raise_pick_slow_locked(struct proc *p, uint32_t cid, const struct thread *waker,
                                   struct coexec_raise *out)
{
    KASSERT(spin_holding(&p->co.lock));
    out->task = SCHED_MAX_TASKS;
    CO_EXEC *x = p->co.header;
    const VDSO_DATA *v = shared_vdso(&p->shared);
    if (!x || !v || cid == CO_NONE || CO_INDEX(cid) >= p->co.capacity)
        return;
    KASSERT(p->co.rec_pages != NULL);   /* attached with records: the table's there */
    uint32_t kgen = __atomic_load_n(&p->co.kprio_gen, __ATOMIC_RELAXED);
    uint32_t wgen = __atomic_load_n(&x->workers_gen, __ATOMIC_RELAXED);
    int ceiling = __atomic_load_n(&p->prio_ceiling, __ATOMIC_RELAXED);
    if (p->co.low_kgen != kgen || p->co.low_wgen != wgen || !p->co.quiet) {
        uint32_t low;
        lowest_worker_locked(x, v, SCHED_MAX_TASKS, MAX_PRIORITY + 1, &low);
        /* Work up to `quiet` raises nobody: all are at it, or at the
         * ceiling (which is only ever lowered). */
        p->co.quiet = low >= (uint32_t)ceiling ? 255 : low;
        p->co.low_kgen = kgen;
        p->co.low_wgen = wgen;
    }
    uint32_t prio = coexec_record_prio_locked(&p->co, CO_INDEX(cid));
    if (prio <= p->co.quiet)
        return;
    if (prio > (uint32_t)ceiling)
        prio = (uint32_t)ceiling;
    /* One is below: which, but the waker (as in the process's own rule:
     * it may be the very thread that yields), unless none else is?  Not thread_current(): a
     * kernel coroutine's completion runs on whatever thread returns to
     * user mode, and a LOW worker passed over there, as "the caller",
     * was raised by nobody (t_cowakelow, "sleep ending on the worker"). */
    uint32_t mine = waker && waker->proc == p && waker->stack_slot >= 0 ?
                    (uint32_t)waker->stack_slot : SCHED_MAX_TASKS;
    uint32_t low;
    uint32_t lowest = lowest_worker_locked(x, v, mine, prio, &low);
    if (lowest == SCHED_MAX_TASKS)
        return;
    out->task = lowest;
    out->prio = (int)prio;
}

void coexec_wake_or_raise(struct proc *p, bool sleepers, const struct coexec_raise *raise)
{
    if ((sleepers && futex_wake(p, SEQ_ADDR, 1) > 0) || raise->task >= SCHED_MAX_TASKS)
        return;
    /* Every worker awake: the one picked is raised, if it is still a
     * thread of p below the work (p->lock: it cannot go meanwhile).
     * Mostly it was raised already (by an earlier ring, or by a waker in
     * the process) and only its kprio says otherwise, as it has not run
     * since: kprio is made to say so now, or every ring until it runs
     * picks it again (b_prings on 2 harts: 95 per cent of the picks). */
    spin_lock(&p->lock);
    struct thread *t = proc_slot_thread(p, (int)raise->task);
    if (t && t->proc == p && !t->exited) {
        if (t->priority < raise->prio && prio_allowed(p, raise->prio) == 0)
            sched_set_priority(t, raise->prio);
        shared_publish_prio_of(p, t);
    }
    spin_unlock(&p->lock);
}

bool co_doorbell(struct proc *p, uint32_t cid)
{
    struct coexec_raise raise;
    bool sleepers;
    spin_lock(&p->co.lock);
    bool rang = co_doorbell_locked(p, cid, &sleepers);
    if (rang)
        coexec_raise_pick_locked(p, &p->co, cid, sleepers, NULL, &raise);
    spin_unlock(&p->co.lock);
    if (rang)
        coexec_after_ring(p, sleepers, &raise);
    return rang;
}
