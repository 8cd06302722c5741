/*
 * The executor region of a process and its doorbell (sched/coexec.h).
 */
#include "sched/coexec.h"
#include "proc/proc.h"
#include "mm/uvm.h"
#include "mm/frame.h"
#include "kernel/panic.h"
#include "syscall/syscall.h"
#include "uapi/errno.h"
#include "arch/riscv.h"
#include "memlayout.h"

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
    list_init(&p->co.ops);
    p->co.nops = 0;
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
    /* co.lock: two threads growing at once take turns; the doorbell sees
     * the old capacity or the new, never a page that is not mapped yet. */
    spin_lock(&p->co.lock);
    if (records <= p->co.capacity) {
        long have = p->co.capacity;
        spin_unlock(&p->co.lock);
        return have;
    }
    uint32_t from = p->co.pages, to = pages_for(records);
    KASSERT(to > from && to <= CO_EXEC_PAGES_MAX);
    /* Fresh zeroed frames; uvm_alloc unmaps and frees what it mapped if one
     * fails.  Only pages are added: no other hart can have them cached, so
     * no shootdown (mm/tlb.h). */
    spin_lock(&p->vm.lock);
    int err = uvm_alloc(p->vm.pt, SHARED_EXEC_ADDR + (uint64_t)from * PAGE_SIZE,
                        (uint64_t)(to - from) * PAGE_SIZE, PTE_R | PTE_W);
    uint64_t pa = 0, flags;
    if (!err && !p->co.header) {
        bool ok = vm_translate(p->vm.pt, SHARED_EXEC_ADDR, &pa, &flags);
        KASSERT(ok);
    }
    spin_unlock(&p->vm.lock);
    if (err) {
        spin_unlock(&p->co.lock);
        return err == -EEXIST ? -EINVAL : -ENOMEM;
    }
    sfence_vma();
    if (!p->co.header)
        p->co.header = PA2VA(pa);
    p->co.pages = to;
    /* Atomic: coio_prepare reads it without co.lock. */
    __atomic_store_n(&p->co.capacity, records, __ATOMIC_RELEASE);
    __atomic_store_n(&p->co.header->capacity, records, __ATOMIC_RELEASE);
    /* The caller is a thread of p: its shared region is there. */
    VDSO_DATA *v = shared_vdso(&p->shared);
    if (v)
        __atomic_store_n(&v->exec_capacity, records, __ATOMIC_RELEASE);
    spin_unlock(&p->co.lock);
    return records;
}

uint32_t coexec_detach(struct proc *p)
{
    spin_lock(&p->co.lock);
    /* Only operations their completers are finishing are left (exit and
     * exec dropped the rest): they find no executor and ring nothing. */
    uint32_t pages = p->co.pages;
    __atomic_store_n(&p->co.capacity, 0, __ATOMIC_RELEASE);
    p->co.pages = 0;
    p->co.header = NULL;
    spin_unlock(&p->co.lock);
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

bool co_doorbell_locked(struct proc *p, uint32_t cid, bool *wake)
{
    KASSERT(spin_holding(&p->co.lock));
    CO_EXEC *x = p->co.header;
    uint32_t i = CO_INDEX(cid);
    *wake = false;
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
    *wake = __atomic_load_n(&x->sleepers, __ATOMIC_SEQ_CST) != 0;
    return true;
}

void co_note_waker_locked(struct proc *p, uint32_t task, uint32_t cid)
{
    KASSERT(spin_holding(&p->co.lock));
    CO_EXEC *x = p->co.header;
    if (!x || task >= SCHED_MAX_TASKS)
        return;
    /* One store: a worker reads the slot with one load, never half of it. */
    __atomic_store_n(&x->woke_by[task % CO_WOKE_SLOTS][CO_WOKE_HINT],
                     ((uint64_t)task + 1) << 32 | cid, __ATOMIC_RELEASE);
}

void coexec_wake_seq(struct proc *p)
{
    futex_wake(p, SEQ_ADDR, 1);
}

bool co_doorbell(struct proc *p, uint32_t cid)
{
    bool wake;
    spin_lock(&p->co.lock);
    bool rang = co_doorbell_locked(p, cid, &wake);
    spin_unlock(&p->co.lock);
    if (wake)
        coexec_wake_seq(p);
    return rang;
}
