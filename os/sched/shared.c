#include "sched/shared.h"
#include "sched/blob.h"
#include "sched/policy.h"
#include "sched/blob_guard.h"
#include "sched/policy_call.h"
#include "proc/proc.h"
#include "mm/frame.h"
#include "kernel/panic.h"
#include "kernel/trace.h"
#include "kernel/bootinfo.h"
#include "kernel/printf.h"
#include "lib/string.h"
#include "lib/format.h"
#include "uapi/errno.h"
#include "arch/riscv.h"
#include "memlayout.h"
#include "kernel/ordered_store.h"

_Static_assert(SHARED_BASE == SHARED_BASE_ADDR, "one SHARED_BASE");
_Static_assert(SHARED_CODE == SHARED_CODE_ADDR, "one SHARED_CODE");
_Static_assert(SHARED_DATA_PAGES == SHARED_DATA_PAGES_N, "one count of data pages");
_Static_assert(USER_STACK_SLOTS <= SCHED_MAX_TASKS, "a TaskSched record per stack slot");
_Static_assert(SHARED_TASK_PAGES * sizeof(void *) <= PAGE_SIZE, "task_pages: one page");
_Static_assert(sizeof(struct shared_region) == 32,
               "shared_region: rescue_said sits in the hole before gen (struct proc's lines)");

extern const uint8_t runtime_blob_start[], runtime_blob_end[];
static void *runtime_frames[SHARED_RUNTIME_PAGES];
static uint64_t resume_parked_entry;
static uint64_t user_entry_pc;
static uint64_t commit_start, commit_store;    /* see shared_restart_commit */
static uint64_t switch_release;                 /* see shared_in_switch_tail */
static uint64_t rescue_entry;                   /* see shared_rescue_policy_fault */
SCHED_KINFO *shared_kinfo;                      /* the kernel's page for all */
static uint64_t kernel_co_call;                 /* co_call at the kernel's alias */
static uint64_t last_gen;                       /* shared_region.gen, the last given */

void shared_init(void)
{
    const struct sched_runtime_header *rh = (const void *)runtime_blob_start;
    const struct sched_blob_header *h = &rh->blob;
    size_t size = (size_t)(runtime_blob_end - runtime_blob_start);
    if (size < sizeof(*rh) || h->magic != SCHED_RUNTIME_MAGIC || h->total_size != size ||
        size > SHARED_RUNTIME_PAGES * PAGE_SIZE ||
        blob_checksum(h, size) != h->checksum)
        panic("sched: the embedded user runtime is damaged");
    /* The runtime's own words after the policy header (vdso.h): present
     * when header_size covers them.  The kernel and the runtime are built
     * together, so anything else is a broken build. */
    if (h->header_size != sizeof(*rh))
        panic("sched: the user runtime's header is %u bytes, not %zu", h->header_size,
              sizeof(*rh));
    for (int i = 0; i < SHARED_RUNTIME_PAGES; i++) {
        runtime_frames[i] = frame_alloc();
        if (!runtime_frames[i])
            panic("sched: no memory for the user runtime");
        size_t off = (size_t)i * PAGE_SIZE;
        if (off < size)
            memcpy(runtime_frames[i], runtime_blob_start + off,
                   size - off < PAGE_SIZE ? size - off : PAGE_SIZE);
    }
    resume_parked_entry = SHARED_RUNTIME_ADDR + h->op_offset[RT_RESUME_PARKED];
    user_entry_pc = SHARED_RUNTIME_ADDR + h->op_offset[RT_USER_ENTRY];
    if (h->op_offset[RT_COMMIT_START] >= h->op_offset[RT_COMMIT_STORE] ||
        h->op_offset[RT_COMMIT_STORE] >= size)
        panic("sched: the user runtime's restartable sequence is malformed");
    /* The switch's tail: a few instructions right after the commit's
     * store, inside the runtime's code.  Bounded, because a trap there is
     * spared: a window that took in more of the runtime would spare more
     * than the end of a switch (the spare is bounded too, reconcile.h). */
    if (rh->switch_release_offset <= h->op_offset[RT_COMMIT_STORE] ||
        rh->switch_release_offset > h->op_offset[RT_COMMIT_STORE] + RT_SWITCH_TAIL_MAX_BYTES ||
        rh->switch_release_offset >= size)
        panic("sched: the user runtime's switch tail is malformed");
    /* The kernel runs the runtime's coroutine executor on its own
     * executor (sched/kcoro.c): S-mode cannot execute U=1 pages, so the
     * same frames are mapped once more, for the kernel, right after the
     * policy's alias.  The blob is position-independent. */
    for (int i = 0; i < SHARED_RUNTIME_PAGES; i++)
        if (vm_map(kernel_pagetable, SHARED_KALIAS_RUNTIME + (uint64_t)i * PAGE_SIZE,
                   VA2PA(runtime_frames[i]), PAGE_SIZE, PTE_R | PTE_X | PTE_G, 0))
            panic("sched: cannot map the user runtime for the kernel");
    sfence_vma();
    __asm__ volatile("fence.i" ::: "memory");
    kernel_co_call = SHARED_KALIAS_RUNTIME + h->op_offset[RT_CO_CALL];
    shared_kinfo = frame_alloc();
    if (!shared_kinfo)
        panic("sched: no memory for the kernel's shared page");
    shared_kinfo->magic = SCHED_KINFO_MAGIC;
    for (int h = 0; h < SCHED_MAX_HARTS; h++)
        shared_kinfo->futile_at[h] = UINT64_MAX;      /* no yield has come back yet */
    rescue_entry = SHARED_RUNTIME_ADDR + h->op_offset[RT_RESCUE];
    commit_start = SHARED_RUNTIME_ADDR + h->op_offset[RT_COMMIT_START];
    commit_store = SHARED_RUNTIME_ADDR + h->op_offset[RT_COMMIT_STORE];
    switch_release = SHARED_RUNTIME_ADDR + rh->switch_release_offset;
}

static bool in_policy_code(uint64_t pc)
{
    return pc >= SHARED_CODE && pc < SHARED_CODE + SHARED_CODE_PAGES * PAGE_SIZE;
}

/* Turns user-mode switching off for the process (saying why, once) and
 * sends the thread back to where the runtime saved its registers
 * (rt_setjmp; a bad address only faults again in user mode, outside the
 * policy: then it is killed).  The runtime lets go of the queue lock and
 * block_sched and yields through the kernel from then on. */
static void rescue(struct trapframe *tf, const char *what)
{
    struct thread *t = thread_current();
    VDSO_DATA *v = shared_vdso(&t->proc->shared);
    /* Said once per region.  Not "while rt_off is 0": the process may
     * write 0 there and fault again, as often as it likes, and each line
     * is a synchronous write to the console with interrupts off, which
     * every hart that prints waits for (h_refault).  An exchange: threads
     * of the process may fault on several harts at once. */
    if (!__atomic_exchange_n(&t->proc->shared.rescue_said, 1, __ATOMIC_RELAXED))
        kprintf("[pid %d %s] the scheduling policy '%s' %s in user mode (%s at offset "
                "0x%lx, address 0x%lx, thread %d): its threads yield through the kernel "
                "from now on\n", t->proc->pid, t->proc->name, policy_name(), what,
                trap_cause_name(tf->scause), tf->sepc - SHARED_CODE, tf->stval, t->tid);
    v->rt_off = RT_OFF_POLICY_FAULT;
    TaskSched *rec = shared_task(&t->proc->shared, (uint32_t)t->stack_slot);
    tf->sepc = rescue_entry;
    tf->regs[REG_A0] = rec->ctx[TASK_CTX_RESCUE] & ~RT_RESCUE_EXECUTOR;
}

bool shared_rescue_policy_fault(struct trapframe *tf)
{
    struct thread *t = thread_current();
    if (!shared_vdso(&t->proc->shared) || !in_policy_code(tf->sepc))
        return false;
    /* The policy may be at fault, or the process's queue that it read:
     * either way only this process stops switching in user mode. */
    rescue(tf, "faulted");
    return true;
}

void shared_rescue_policy_loop(struct trapframe *tf)
{
    struct thread *t = thread_current();
    VDSO_DATA *v = shared_vdso(&t->proc->shared);
    /* The process's switch count (its own word: it may lie, and only
     * spares itself): a looping policy holds the process's queue lock, so
     * no thread of it switches in user mode until it is rescued. */
    uint64_t switches = v ? __atomic_load_n(&v->user_switches, __ATOMIC_RELAXED) : 0;
    if (!in_policy_code(tf->sepc) || switches != t->policy_switches_seen) {
        t->ticks_in_policy = 0;
        t->policy_switches_seen = switches;
        if (!in_policy_code(tf->sepc))
            return;
    }
    /* A policy call takes microseconds; a ping-pong spends much of its
     * time in the policy, call after call, but a tick lands outside it
     * often enough, and it switches between ticks: only a call that never
     * returns is there at every tick with no switch between.  (The count
     * is the thread's, whatever hart the ticks come on: the block_sched
     * bound preempts a looping thread, which may resume elsewhere.) */
    bool looping = ++t->ticks_in_policy >= SHARED_POLICY_LOOP_TICKS;
    bool replaced = shared_kinfo && __atomic_load_n(&shared_kinfo->user_switching_off, __ATOMIC_ACQUIRE);
    if (!looping && !replaced)
        return;
    /* In the coroutine executor: left to finish (vdso.h RT_RESCUE_EXECUTOR;
     * the process may set the bit, which only spares its own thread). */
    if (v && (shared_task(&t->proc->shared, (uint32_t)t->stack_slot)->ctx[TASK_CTX_RESCUE] &
              RT_RESCUE_EXECUTOR))
        return;
    t->ticks_in_policy = 0;
    char what[48];
    snprintf(what, sizeof(what), "did not return within %d timer ticks",
             SHARED_POLICY_LOOP_TICKS);
    rescue(tf, replaced ? "was replaced while it ran" : what);
}

void shared_restart_commit(struct trapframe *tf)
{
    if (tf->sepc > commit_start && tf->sepc <= commit_store &&
        shared_vdso(&thread_current()->proc->shared)) {
        trace(TR_RESTART, thread_current()->tid, tf->sepc - commit_start);
        tf->sepc = commit_start;
        /* For tests and curious users: that it happens is otherwise
         * invisible (t_commit_restart). */
        __atomic_fetch_add(&thread_current()->proc->stat_commit_restarts, 1, __ATOMIC_RELAXED);
    }
}

bool shared_in_switch_tail(uint64_t pc)
{
    /* The commit's store made (current[hart] names the next thread), the
     * lock's release not yet: pc is the next instruction to run. */
    return pc > commit_store && pc <= switch_release;
}

uint64_t shared_kernel_co_call(void)
{
    return kernel_co_call;
}

uint64_t shared_user_entry(void)
{
    return user_entry_pc;
}

uint64_t shared_resume_parked_entry(void)
{
    return resume_parked_entry;
}

static void *map_data_page(pagetable_t pt, uint64_t va, void *frame)
{
    return frame && !vm_map(pt, va, VA2PA(frame), PAGE_SIZE, PTE_R | PTE_W | PTE_U, 0)
           ? frame : NULL;
}

int shared_map(pagetable_t pt, struct shared_region *r, int pid)
{
    memset(r, 0, sizeof(*r));
    int err = 0;
    /* Contiguous, so that the kernel sees VDSO_DATA whole in the direct map. */
    r->vdso = frame_alloc_contig(SHARED_VDSO_PAGES);
    r->task_pages = frame_alloc();
    err = r->vdso && r->task_pages ? 0 : -ENOMEM;
    for (int i = 0; i < SHARED_VDSO_PAGES && !err; i++)
        err = map_data_page(pt, SHARED_BASE + (uint64_t)i * PAGE_SIZE,
                            (char *)r->vdso + (size_t)i * PAGE_SIZE) ? 0 : -ENOMEM;
    if (!err) {
        /* Slot 0's: every process starts with it (exec, spawn). */
        void *frame = frame_alloc();
        r->task_pages[0] = map_data_page(pt, SHARED_TASKS_ADDR, frame);
        if (!r->task_pages[0] && frame)
            frame_free(frame);
        r->ntask_pages = r->task_pages[0] ? 1 : 0;
        err = r->task_pages[0] ? 0 : -ENOMEM;
    }
    /* The code: the policy (the frames the kernel runs) and the runtime. */
    for (int i = 0; i < SHARED_CODE_PAGES && !err; i++)
        err = vm_map(pt, SHARED_CODE + (uint64_t)i * PAGE_SIZE,
                     VA2PA(blob_code_frame(i)), PAGE_SIZE, PTE_R | PTE_X | PTE_U, 0)
              ? -ENOMEM : 0;
    for (int i = 0; i < SHARED_RUNTIME_PAGES && !err; i++)
        err = vm_map(pt, SHARED_RUNTIME_ADDR + (uint64_t)i * PAGE_SIZE,
                     VA2PA(runtime_frames[i]), PAGE_SIZE, PTE_R | PTE_X | PTE_U, 0)
              ? -ENOMEM : 0;
    if (!err)
        err = vm_map(pt, SHARED_KINFO_ADDR, VA2PA(shared_kinfo), PAGE_SIZE, PTE_R | PTE_U, 0)
              ? -ENOMEM : 0;
    if (err) {
        shared_unmap(pt, r);
        return err;
    }
    r->gen = __atomic_add_fetch(&last_gen, 1, __ATOMIC_RELAXED);
    VDSO_DATA *v = shared_vdso(r);
    v->magic = SCHED_VDSO_MAGIC;
    v->abi_major = SCHED_ABI_MAJOR;
    v->abi_minor = SCHED_ABI_MINOR;
    v->nharts = policy_nharts();
    v->ntasks = USER_STACK_SLOTS;          /* a record per thread stack slot */
    v->pid = (uint32_t)pid;
    v->policy_flags = policy_flags();
    v->ticks_per_ms = (uint32_t)(bootinfo.timebase_hz / 1000);
    strlcpy(v->policy_name, policy_name(), sizeof(v->policy_name));
    v->nrecords = 16 * r->ntask_pages;
    for (uint32_t h = 0; h < SCHED_MAX_HARTS; h++)
        v->current[h] = SCHED_NONE;
    /* No slot has a thread on a hart yet (one that never gets a thread
     * stays so: a waiter for a lock that names it stops spinning). */
    memset((void *)v->off_hart, 1, sizeof(v->off_hart));
    return 0;
}

int shared_map_task(struct uspace *us, struct shared_region *r, uint32_t slot)
{
    KASSERT(slot < SCHED_MAX_TASKS && r->task_pages);
    int err = 0;
    while (!err && r->ntask_pages <= slot / 16) {
        uint32_t page = r->ntask_pages;
        void *frame = frame_alloc();
        hart_rwlock_lock(&us->lock);
        r->task_pages[page] = map_data_page(
            us->pt, SHARED_TASKS_ADDR + (uint64_t)page * PAGE_SIZE, frame);
        hart_rwlock_unlock(&us->lock);
        if (r->task_pages[page])
            r->ntask_pages++;
        else if (frame)
            frame_free(frame);
        err = r->task_pages[page] ? 0 : -ENOMEM;
    }
    /* Rewritten each time: the process may have scribbled on it. */
    store_release(&r->vdso->nrecords, 16 * r->ntask_pages);
    return err;
}

void shared_unmap(pagetable_t pt, struct shared_region *r)
{
    /* Leaves go first (their frames are freed here, or are not ours),
     * then the tables under the region's top-level entry. */
    vm_unmap(pt, SHARED_BASE, (SHARED_DATA_PAGES + SHARED_CODE_PAGES +
                               SHARED_RUNTIME_PAGES + 1) * PAGE_SIZE, false);
    vm_free_tables(pt, SHARED_BASE);
    if (r->vdso)
        frame_free_contig(r->vdso, SHARED_VDSO_PAGES);
    if (r->task_pages) {
        for (uint32_t i = 0; i < r->ntask_pages; i++)
            frame_free(r->task_pages[i]);
        frame_free(r->task_pages);
    }
    memset(r, 0, sizeof(*r));
}

TaskSched *shared_task(const struct shared_region *r, uint32_t slot)
{
    KASSERT(slot < SCHED_MAX_TASKS && slot / 16 < r->ntask_pages);
    return (TaskSched *)((char *)r->task_pages[slot / 16] + (slot % 16) * sizeof(TaskSched));
}

static inline __attribute__((always_inline)) void publish_thread_words(
    struct thread *t, const struct shared_region *r, int hart, int prio)
{
    VDSO_DATA *v = shared_vdso(r);
    TaskSched *rec = shared_task(r, (uint32_t)t->stack_slot);
    rec->id = (uint32_t)t->stack_slot;
    rec->tid = (uint32_t)t->tid;
    rec->pid = (uint32_t)t->proc->pid;
    rec->hart = (uint8_t)hart;
    /* Not rec->prio: the record may still sit in the process's queue,
     * keyed on it; the runtime copies this once it is out. */
    v->kprio[t->stack_slot] = (uint8_t)prio;
    if (t->words_prio != prio)          /* the doorbell's view moved (coexec.c) */
        __atomic_add_fetch(&t->proc->co.kprio_gen, 1, __ATOMIC_RELAXED);
    store_release(&rec->state, TASK_RUNNING);
    t->words_gen = r->gen;
    t->words_hart = hart;
    t->words_prio = prio;
}

void shared_publish_thread_words(struct thread *t, const struct shared_region *r, int hart,
                                 int prio)
{
    publish_thread_words(t, r, hart, prio);
}

void shared_publish_prio_of(struct proc *p, struct thread *t)
{
    KASSERT(spin_holding(&p->lock) && t->proc == p);
    VDSO_DATA *v = shared_vdso(&p->shared);
    if (!v || t->stack_slot < 0 || t->stack_slot >= SCHED_MAX_TASKS ||
        v->kprio[t->stack_slot] == (uint8_t)t->priority)
        return;
    v->kprio[t->stack_slot] = (uint8_t)t->priority;
    __atomic_add_fetch(&p->co.kprio_gen, 1, __ATOMIC_RELAXED);   /* the doorbell's view moved */
}

/* shared_publish_inline, with the second part inline too: no frame. */
void shared_publish(struct thread *t, const struct shared_region *r)
{
    int hart = (int)this_hartid();
    int prio = shared_prio_once(t);
    if (__builtin_expect(shared_thread_words_stale(t, prio, r, hart), 0))   /* on a change only */
        publish_thread_words(t, r, hart, prio);
    shared_publish_hart_words(t, r, hart, prio);
}

void shared_disable_user_switching(void)
{
    if (shared_kinfo) {
        store_release(&shared_kinfo->user_switching_off, 1);
        /* The runtime tests user_switching_off first; unbound as well, so
         * that no process is pointed at the replaced policy's entry. */
        store_release(&shared_kinfo->rt_yield_fetch, 0);
    }
}

void shared_bind_policy(void)
{
    KASSERT(shared_kinfo);
    SCHED_KINFO *k = shared_kinfo;
    /* Constant for the boot, every field: a process's records and queue
     * are at the same addresses in every process, it has SCHED_MAX_TASKS
     * of them (what the kernel writes into VDSO_DATA.ntasks), and calls
     * its policy under its queue lock. */
    k->rt_ctx = (struct sched_ctx){
        .tasks = (TaskSched *)SHARED_TASKS_ADDR,
        .queue = (struct sched_queue *)(SHARED_BASE_ADDR + offsetof(VDSO_DATA, queue)),
        .ntasks = SCHED_MAX_TASKS,
        .nharts = policy_nharts(),
        .serial_calls = 1,
    };
    KASSERT(k->rt_ctx.nharts >= 1 && k->rt_ctx.nharts <= SCHED_MAX_HARTS);
    k->rt_last_hart = k->rt_ctx.nharts - 1;
    /* The policy processes call is the blob mapped at SHARED_CODE (the
     * frames the kernel runs at SHARED_KALIAS).  A per-hart policy's
     * fetch must be preceded by top_priority (the runtime's out-of-line
     * way), and a policy without yield_fetch gets two calls: neither is
     * bound.  Nor is anything once switching is off (a policy replaced
     * at boot). */
    const struct sched_blob_header *h = (const void *)SHARED_KALIAS;
    uint64_t entry = 0;
    if (policy_active.from_blob && policy_active.yield_fetch && h->yield_fetch_offset &&
        !(policy_flags() & SCHED_FLAG_PER_HART) &&
        !__atomic_load_n(&k->user_switching_off, __ATOMIC_ACQUIRE))
        entry = SHARED_CODE + h->yield_fetch_offset;
    store_release(&k->rt_yield_fetch, entry);
}

void shared_set_trace_on(bool on)
{
    if (shared_kinfo)
        store_release(&shared_kinfo->trace_on, on ? 1u : 0u);
}

void shared_note_futile_yield(int hart, int prio)
{
    KASSERT(hart >= 0 && hart < SCHED_MAX_HARTS);
    if (!shared_kinfo)
        return;
    store_relaxed(&shared_kinfo->futile_prio[hart], (uint32_t)prio);
    store_release(&shared_kinfo->futile_at[hart], shared_kinfo->enqueues);
}

bool shared_finish_park(const struct shared_region *r, uint32_t slot, int hart)
{
    VDSO_DATA *v = shared_vdso(r);
    if (!task_state_cas(shared_task(r, slot), TASK_RUNNING, TASK_READY))
        return false;
    /* The lock is released only if the parker holds it (it holds its
     * holder's slot + 1): a process that lied about parking must not make
     * the kernel break another thread's hold. */
    uint32_t held = slot + 1;
    __atomic_compare_exchange_n(&v->queue_lock, &held, 0, false, __ATOMIC_RELEASE,
                                __ATOMIC_RELAXED);
    store_release(&v->block_sched[hart], 0);
    return true;
}
