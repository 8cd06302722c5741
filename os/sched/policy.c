#include "sched/policy.h"
#include "sched/policy_call.h"
#include "kernel/cacheline.h"
#include "sched/shared.h"
#include "sched/blob.h"
#include "sched/blob_guard.h"
#include "vdso.h"             /* the shared region's layout (its asserts) */
#include "sched/sched.h"
#include "sched/reconcile.h"
#include "sched/thread_state.h"
#include "proc/proc.h"
#include "kernel/bootargs.h"
#include "kernel/bootinfo.h"
#include "kernel/cpu.h"
#include "kernel/panic.h"
#include "kernel/printf.h"
#include "kernel/rwlock.h"
#include "mm/frame.h"
#include "mm/vm.h"
#include "lib/string.h"
#include "trap/timer.h"
#include "arch/riscv.h"
#include "trap/trap.h"
#include "uapi/errno.h"
#include "memlayout.h"
#include <stdarg.h>
#include "kernel/ordered_store.h"

extern const struct sched_policy_desc sched_builtin_heap;

struct policy_active policy_active;

/* The kernel's task table and queue live in their own pages between
 * unmapped guard pages (KSCHED_BASE): a policy indexing past the table
 * faults instead of writing over the kernel.  The queue is the
 * SCHED_QUEUE_WORDS(SCHED_MAX_TASKS) words the ABI promises, placed at the
 * end of its pages, so that the first word past them is in the guard page
 * and a policy using more than its share faults. */
#define QUEUE_BYTES SCHED_QUEUE_BYTES(SCHED_MAX_TASKS)
#define QUEUE_PAGES ((QUEUE_BYTES + PAGE_SIZE - 1) / PAGE_SIZE)
#define QUEUE_VA  (KSCHED_BASE + PAGE_SIZE)
#define TASKS_VA  (QUEUE_VA + (QUEUE_PAGES + 1) * PAGE_SIZE)
#define TASK_PAGES (SCHED_MAX_TASKS * sizeof(TaskSched) / PAGE_SIZE)

/* The kernel's queue as every call but a shared yield sees it: calls one at
 * a time under sched_lock held exclusively (serial_calls), and as a shared
 * yield sees it (yield_shared: harts at once, so serial_calls 0; set up
 * with policy_ctx, the same in all else). */
const char *const policy_op_names[] = { "init", "add", "wake", "yield", "remove", "fetch",
                                        "top_priority", "tick", "yield", "yield_fetch" };
_Static_assert(sizeof(policy_op_names) / sizeof(policy_op_names[0]) == OP_YIELD_FETCH_ENTRY + 1,
               "a name for every operation");

struct sched_ctx policy_ctx, policy_ctx_overlapping;      /* (policy_call.h) */
struct thread *policy_owner[SCHED_MAX_TASKS];
/* Records with no owner, a stack (so taking one is O(1) with 4096 of them). */
static uint16_t free_records[SCHED_MAX_TASKS];
static uint32_t nfree_records;
_Static_assert(SCHED_MAX_TASKS <= 65536, "record indices fit free_records");
uint32_t policy_nqueued;
uint32_t policy_queued_at[SCHED_PRIO_MAX + 1];
volatile uint32_t policy_queued_levels;
uint32_t policy_top_level;

/* Under SCHED_FLAG_HART_LOCAL, kernel yields on different harts run at
 * once under shared holds of sched_lock (policy_yield_fetch_shared).  What
 * they change of the kernel's own state beyond their two threads:
 *   - yielded_on[task]: h + 1 for a thread queued by a yield on hart h
 *     under a shared hold, valid while its age is yielded_age[task] (every
 *     enqueue gives a fresh age, so an exclusive one needs no store here).
 *     A thread yielded on h may still be on h's stack (h has not switched
 *     away yet): no other hart's shared fetch may take it.  One queued
 *     under an exclusive hold has left its hart.  So has one yielded
 *     before any exclusive yield since (policy_exclusive_yields moved: that hold
 *     waited for every shared one to end), and such a yield may have moved
 *     it to another hart's part (SCHED_FLAG_TAKES_STALLED, serial_calls):
 *     the record holds only while yielded_epoch[task] is policy_exclusive_yields.
 *   - the counts per priority, when the thread fetched has another
 *     priority than the one yielded: under counts_lock (a few
 *     instructions), which exclusive holders need not take.
 *   - a broken contract: noted per hart (pending) and settled under an
 *     exclusive hold (policy_settle), since replacing the policy rebuilds
 *     the queue.  policy_generation tells whether another hart already
 *     did. */
static uint8_t yielded_on[SCHED_MAX_TASKS];
static uint64_t yielded_age[SCHED_MAX_TASKS];
static uint64_t yielded_epoch[SCHED_MAX_TASKS];
uint64_t policy_exclusive_yields;             /* written under an exclusive hold, and
                                           only while policy_hart_local() */
static bool hart_local_off;                        /* sched_hart_local=0 */
static void update_shared_yields(void);
static struct spinlock counts_lock = SPINLOCK_INIT("sched counts");
static uint32_t policy_generation;                 /* bumped by fall_back */
static struct {
    uint32_t generation_plus_1;                    /* 0: nothing pending */
    char why[128];
} pending[MAX_HARTS];


int policy_queued_top(void)
{
    return (int)policy_top_level;
}
static uint64_t watchdog_ns = 5000ULL * 1000 * 1000;
/* Timer ticks taken by all harts (policy_tick).  A wait is starvation only
 * if the harts also took ticks all along (at least as many as one hart
 * takes in watchdog_ns): each tick was a chance the policy had to run the
 * waiting thread.  Time alone would blame the policy for a host that did
 * not run the virtual harts (a loaded machine). */
/* Every hart's tick writes it: a line of its own, not the one of the
 * counts sched_yield reads. */
struct policy_tick_count policy_ticks LINE_ALIGNED;

static void map_state_pages(void)
{
    /* Zeroed frames: the queue starts zeroed, as the ABI asks. */
    uint64_t pages[QUEUE_PAGES + TASK_PAGES];
    for (size_t i = 0; i < QUEUE_PAGES + TASK_PAGES; i++) {
        void *f = frame_alloc();
        if (!f)
            panic("sched: no memory for the task table");
        pages[i] = VA2PA(f);
    }
    int err = 0;
    for (size_t i = 0; !err && i < QUEUE_PAGES; i++)
        err = vm_map(kernel_pagetable, QUEUE_VA + i * PAGE_SIZE, pages[i], PAGE_SIZE,
                     PTE_R | PTE_W | PTE_G, 0);
    for (size_t i = 0; !err && i < TASK_PAGES; i++)
        err = vm_map(kernel_pagetable, TASKS_VA + i * PAGE_SIZE, pages[QUEUE_PAGES + i],
                     PAGE_SIZE, PTE_R | PTE_W | PTE_G, 0);
    if (err)
        panic("sched: cannot map the task table");
    policy_ctx.queue = (struct sched_queue *)(QUEUE_VA + QUEUE_PAGES * PAGE_SIZE - QUEUE_BYTES);
    policy_ctx.tasks = (TaskSched *)TASKS_VA;
    policy_ctx.ntasks = SCHED_MAX_TASKS;
    /* Lowest index on top: the first threads get the first records. */
    for (uint32_t i = 0; i < SCHED_MAX_TASKS; i++)
        free_records[i] = (uint16_t)(SCHED_MAX_TASKS - 1 - i);
    nfree_records = SCHED_MAX_TASKS;
}

static void use_builtin(void)
{
    strlcpy(policy_active.name, sched_builtin_heap.name, sizeof(policy_active.name));
    policy_active.flags = sched_builtin_heap.flags;
    policy_active.ops = sched_builtin_heap.ops;
    policy_active.yield_fetch = sched_builtin_heap.yield_fetch;
    policy_active.from_blob = false;
}

static void use_blob(const struct sched_blob_header *h, const char *where)
{
    blob_install(h, &policy_active.ops);
    /* Its offset is inside the code (blob_validate), like the others'. */
    policy_active.yield_fetch = h->yield_fetch_offset
        ? (sched_yield_fetch_fn)(SHARED_KALIAS + h->yield_fetch_offset) : NULL;
    memcpy(policy_active.name, h->name, sizeof(policy_active.name));
    policy_active.flags = h->flags;
    policy_active.from_blob = true;
    kprintf("sched: policy '%s' (%s, %u bytes, ABI %u.%u) at %p\n", policy_active.name,
            where, h->total_size, h->abi_major, h->abi_minor, (void *)SHARED_KALIAS);
}

/* A page-aligned blob-sized region of RAM (QEMU's loader put it there). */
static bool blob_region_ok(uint64_t pa)
{
    if (pa % PAGE_SIZE)
        return false;
    for (int i = 0; i < bootinfo.nram; i++)
        if (pa >= bootinfo.ram[i].start && pa + SCHED_BLOB_MAX <= bootinfo.ram[i].end)
            return true;
    return false;
}

/* The blob the command line asks for, or NULL (with a message) for the
 * default. */
static const struct sched_blob_header *choose_blob(const char **where)
{
    char why[192];     /* the longest reason: an old ABI version (blob.c) */
    struct bootarg arg;
    uint64_t pa;
    if (bootarg_find("sched_blob", &arg)) {
        *where = "external blob";
        if (!bootarg_u64("sched_blob", &pa) || !blob_region_ok(pa)) {
            kprintf("sched: sched_blob=%.*s is not a usable RAM address; using the default\n",
                    (int)arg.value_len, arg.value);
            return NULL;
        }
        const void *blob = PA2VA(pa);
        if (!blob_validate(blob, SCHED_BLOB_MAX, why, sizeof(why))) {
            kprintf("sched: blob at 0x%lx refused: %s; using the default\n", pa, why);
            return NULL;
        }
        return blob;
    }
    *where = "built-in blob";
    if (bootarg_find("sched", &arg)) {
        const struct sched_blob_header *h = blob_find_embedded(arg.value, arg.value_len);
        if (h && blob_validate(h, SCHED_BLOB_MAX, why, sizeof(why)))
            return h;
        char names[64];
        blob_list_embedded(names, sizeof(names));
        kprintf("sched: unknown policy '%.*s' (there are: %s); using the default\n",
                (int)arg.value_len, arg.value, names);
    }
    return NULL;
}

void policy_init(void)
{
    uint64_t ms;
    if (bootarg_u64("sched_watchdog", &ms))
        watchdog_ns = ms * 1000000ULL;
    uint64_t on;
    if (bootarg_u64("sched_hart_local", &on))
        hart_local_off = on == 0;
    map_state_pages();
    /* Hart ids index per-hart queues: cover the largest one, no more (a
     * per-hart policy would otherwise park tasks on harts that never run). */
    policy_ctx.nharts = 0;
    for (uint64_t i = 0; i < hart_count; i++)
        if (hart_ids[i] + 1 > policy_ctx.nharts)
            policy_ctx.nharts = (uint32_t)hart_ids[i] + 1;
    policy_ctx.serial_calls = 1;
    policy_ctx_overlapping = policy_ctx;
    policy_ctx_overlapping.serial_calls = 0;
    const char *where = "built-in blob";
    const struct sched_blob_header *h = choose_blob(&where);
    if (!h) {
        where = "built-in blob";
        h = blob_find_embedded("heap", 4);
    }
    if (h)
        use_blob(h, where);
    else
        use_builtin();
    update_shared_yields();
    /* Guarded like every call: a blob whose init faults or never returns
     * is replaced (fall_back initializes the built-in policy). */
    policy_call(OP_INIT, 0, 0, false);
}

const char *policy_name(void) { return policy_active.name; }
uint32_t policy_nharts(void) { return policy_ctx.nharts; }
uint32_t policy_flags(void) { return policy_active.flags; }

static void fill_identity(struct thread *t);

int policy_attach(struct thread *t)
{
    KASSERT(spin_holding(&sched_lock));
    if (!nfree_records)
        return -EAGAIN;
    uint32_t i = free_records[--nfree_records];
    KASSERT(i < SCHED_MAX_TASKS && !policy_owner[i]);
    policy_owner[i] = t;
    t->task = (int)i;
    memset(&policy_ctx.tasks[i], 0, sizeof(TaskSched));
    fill_identity(t);
    policy_ctx.tasks[i].state = TASK_BLOCKED;
    return 0;
}

void policy_detach(struct thread *t)
{
    KASSERT(spin_holding(&sched_lock));
    KASSERT(!tstate_in_queue(t));
    policy_owner[t->task] = NULL;
    policy_ctx.tasks[t->task].state = TASK_FREE;
    KASSERT(nfree_records < SCHED_MAX_TASKS);
    free_records[nfree_records++] = (uint16_t)t->task;
    t->task = -1;
}

/* ---- when the policy breaks the contract ---- */

/* What never changes while t owns the record (policy_attach: its tid is
 * set before, and a thread never changes process): written once, not at
 * every enqueue.  A policy writing over it (outside link[] and policy[])
 * only misleads itself; the kernel reads none of it, and fall_back writes
 * it again for its successor. */
static void fill_identity(struct thread *t)
{
    TaskSched *r = &policy_ctx.tasks[t->task];
    r->id = (uint32_t)t->task;
    r->tid = (uint32_t)t->tid;
    r->pid = t->proc ? (uint32_t)t->proc->pid : 0;
}


void policy_fall_back(const char *fmt, ...)
{
    char what[192];     /* the longest: refuse_fetched with a parked thread */
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    if (!policy_active.from_blob)
        panic("sched: the built-in policy broke its contract: %s", what);
    kprintf("sched: policy '%s' misbehaved: %s; switching to the built-in '%s'\n",
            policy_active.name, what, sched_builtin_heap.name);
    policy_generation++;
    use_builtin();
    update_shared_yields();
    /* The blob stays mapped in every process, but is no longer what the
     * kernel runs: processes stop switching threads with it. */
    shared_disable_user_switching();
    /* Rebuild the queue from what the kernel knows is runnable, with clean
     * policy fields and the tasks' original ages (their order is kept). */
    memset(policy_ctx.queue, 0, SCHED_QUEUE_BYTES(policy_ctx.ntasks));  /* not sizeof: see sched_abi.h */
    for (uint32_t i = 0; i < SCHED_MAX_TASKS; i++) {
        memset(policy_ctx.tasks[i].link, 0, sizeof(policy_ctx.tasks[i].link));
        memset(policy_ctx.tasks[i].policy, 0, sizeof(policy_ctx.tasks[i].policy));
        if (policy_owner[i])
            fill_identity(policy_owner[i]);     /* whatever the old policy wrote */
    }
    policy_active.ops.init(&policy_ctx);
    uint64_t now = read_time();
    for (uint32_t i = 0; i < SCHED_MAX_TASKS; i++)
        if (policy_owner[i] && tstate_in_queue(policy_owner[i])) {
            fill_record(policy_owner[i], policy_owner[i]->hart);
            policy_active.ops.add(&policy_ctx, (uint32_t)policy_owner[i]->hart, i);
            /* The watchdog judges the new policy from now on, not on the
             * old one's waits. */
            policy_owner[i]->queued_since = now;
            policy_owner[i]->queued_at_tick = __atomic_load_n(&policy_ticks.n, __ATOMIC_RELAXED);
        }
}

/* ---- calling the policy ---- */


/* (policy_call.h) */
void policy_broke(bool shared, const char *fmt, ...)
{
    char what[128];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    if (!shared) {
        policy_fall_back("%s", what);
        return;
    }
    uint64_t h = this_hartid();
    strlcpy(pending[h].why, what, sizeof(pending[h].why));
    pending[h].generation_plus_1 = policy_generation + 1;
}

void policy_settle(void)
{
    KASSERT(spin_holding(&sched_lock));
    uint64_t h = this_hartid();
    /* Unless another hart has replaced the policy meanwhile. */
    if (pending[h].generation_plus_1 == policy_generation + 1)
        policy_fall_back("%s", pending[h].why);
    pending[h].generation_plus_1 = 0;
}


/* ---- the operations, checked ---- */


static inline __attribute__((always_inline)) void enqueued(struct thread *t)
{
    stamp_queued(t);
    count_in(t);
}

void policy_enqueue(struct thread *t, int hart, enum policy_enqueue_reason why)
{
    enqueued(t);
    enum policy_op op = why == ENQUEUE_WAKE ? OP_WAKE : why == ENQUEUE_YIELD ? OP_YIELD : OP_ADD;
    policy_call(op, (uint32_t)hart, (uint32_t)t->task, false);
}


/* fetch answered a task that is not queued: garbage (no thread has it), or
 * a thread the kernel has out of the queue, which the report says where it
 * is (running on some hart: handed out twice).  Out of line: not on the
 * path of a fetch that is right. */
void policy_refuse_fetched(int hart, uint32_t task, const struct thread *t)
{
    if (!t)
        policy_fall_back("fetch on hart %d returned task %u, which is not in the queue", hart, task);
    else
        policy_fall_back("fetch on hart %d returned task %u, which is not in the queue "
                  "(thread %d, %s on hart %d)", hart, task, t->tid, tstate_name(t), t->hart);
}


struct thread *policy_fetch(int hart)
{
    struct thread *t;
    while (!accept_fetched(policy_call(OP_FETCH, (uint32_t)hart, 0, false), hart, &t))
        ;
    return t;
}

/* ---- a kernel yield under a shared hold (SCHED_FLAG_HART_LOCAL) ---- */

bool policy_shared_yields;

/* After every change of policy (exclusive hold). */
static void update_shared_yields(void)
{
    store_relaxed(&policy_shared_yields,
                  (policy_active.flags & SCHED_FLAG_HART_LOCAL) && !hart_local_off);
}

bool policy_none_parked(void)
{
    /* Level 0 only changes under an exclusive hold: a shared yield moves
     * only QUEUED threads, whose levels are 1 and up. */
    return policy_queued_at[0] == 0;
}

uint32_t policy_parked_count(void)
{
    KASSERT(spin_holding(&sched_lock));
    return policy_queued_at[0];     /* level 0: see policy_none_parked */
}

struct thread *policy_yield_fetch_shared(struct thread *t, int hart)
{
    KASSERT(spin_holding_shared(&sched_lock) && t->task >= 0);
    uint32_t task = (uint32_t)t->task;
    /* enqueued(), without the counts: until the answer is known, the
     * yield and the fetch may cancel out (the usual case). */
    tstate_age_shared(t);
    fill_record(t, hart);
    t->queued_since = read_time();
    t->queued_at_tick = __atomic_load_n(&policy_ticks.n, __ATOMIC_RELAXED);
    t->queued_prio = t->priority;
    yielded_on[task] = (uint8_t)(hart + 1);
    yielded_age[task] = t->age;
    yielded_epoch[task] = policy_exclusive_yields;
    tstate_yield_shared(t);                /* RUNNING -> QUEUED, published */

    uint64_t answer = policy_call(OP_YIELD_FETCH, (uint32_t)hart, task, true);
    struct thread *n = answer < SCHED_MAX_TASKS ? policy_owner[answer] : NULL;
    if (answer == POLICY_FAULTED) {
        /* (noted by call) */
    } else if (answer == SCHED_NONE) {
        policy_broke(true, "fetch on hart %d found nothing right after a yield there", hart);
    } else if (!n || !tstate_fetched_shared(n)) {
        policy_broke(true, "fetch on hart %d returned task %lu, which is not in the queue%s",
              hart, answer, n ? " (or was handed to another hart)" : "");
    } else if (yielded_age[answer] == n->age && yielded_epoch[answer] == policy_exclusive_yields &&
               yielded_on[answer] != hart + 1) {
        /* (Read after the claim: the yield's hart is written before the
         * thread is published QUEUED.) */
        int other = yielded_on[answer] - 1;
        tstate_unfetch_shared(n);
        policy_broke(true, "fetch on hart %d returned task %lu, which hart %d had yielded "
              "(SCHED_FLAG_HART_LOCAL: a hart's yield and fetch stay in its own queue)",
              hart, answer, other);
    } else {
        /* Taken.  The counts change only if the two threads' levels
         * differ. */
        if (n != t && n->queued_prio != t->queued_prio) {
            spin_lock(&counts_lock);
            count_queued(t->queued_prio, 1);
            count_queued(n->queued_prio, -1);
            spin_unlock(&counts_lock);
        }
        record_running((uint32_t)answer);
        return n;
    }
    /* Not taken: t runs on, as if it had not yielded (the policy may
     * still hold it: any hart that gets it is told it is not queued). */
    tstate_unyield_shared(t);
    policy_ctx.tasks[task].state = TASK_RUNNING;
    return NULL;
}

void policy_remove(struct thread *t)
{
    KASSERT(tstate_in_queue(t));
    /* Out first: should the call fault, the rebuilt queue leaves it out. */
    tstate_fetched(t);
    set_nqueued(policy_nqueued - 1);
    count_queued(t->queued_prio, -1);
    policy_call(OP_REMOVE, (uint32_t)this_hartid(), (uint32_t)t->task, false);
    policy_ctx.tasks[t->task].state = TASK_BLOCKED;
}

int policy_top_priority(int hart)
{
    for (;;) {
        uint64_t prio = policy_call(OP_TOP, (uint32_t)hart, 0, false);
        if (prio == POLICY_FAULTED)
            continue;
        if (prio > SCHED_PRIO_MAX)
            policy_fall_back("top_priority returned %lu, not a priority", prio);
        else if (prio == 0 && policy_nqueued > 0)
            policy_fall_back("top_priority on hart %d says nothing is queued, but %u tasks are",
                      hart, policy_nqueued);
        else if (prio != 0 && policy_nqueued == 0)
            policy_fall_back("top_priority returned %lu with nothing queued", prio);
        else
            return (int)prio;
    }
}

/* May the watchdog blame the policy for what hart c runs?  Not while the
 * hart is held by something else: a process's pin (the queue lock or
 * block_sched, bounded by reconcile.c), a reconcile wait for another
 * hart (cpu->awaiting_tid), or a rest (a process gave the hart back until
 * its next tick, whatever is queued: sched_yield_parked, sched_yield_rest).
 * A process whose threads rest every hart at every tick (h_restlie) would
 * otherwise have the policy replaced for the waits it makes. */
static bool hart_is_the_policys(const struct cpu *c)
{
    if (c->awaiting_tid || c->resting)
        return false;
    const struct proc *p = c->current->proc;
    VDSO_DATA *v = p ? shared_vdso(&p->shared) : NULL;
    return !v || !reconcile_pinned(v, c->hartid, c->current);
}

/* Every queued thread's wait starts again now. */
static void restart_stamps(void)
{
    uint64_t now = read_time(), ticks = __atomic_load_n(&policy_ticks.n, __ATOMIC_RELAXED);
    for (uint32_t i = 0; i < SCHED_MAX_TASKS; i++)
        if (policy_owner[i] && tstate_in_queue(policy_owner[i])) {
            policy_owner[i]->queued_since = now;
            policy_owner[i]->queued_at_tick = ticks;
        }
}

/* A queued thread that has waited longer than the watchdog allows while
 * some hart runs something no more urgent (or nothing) is starved. */
static void watchdog(void)
{
    static bool warned_builtin;
    uint64_t now = read_time(), ticks = __atomic_load_n(&policy_ticks.n, __ATOMIC_RELAXED);
    uint64_t watchdog_ticks = watchdog_ns / (1000000000ULL / TICK_HZ);
    for (uint32_t i = 0; i < SCHED_MAX_TASKS; i++) {
        struct thread *t = policy_owner[i];
        if (!t || !tstate_in_queue(t))
            continue;
        uint64_t waited_ns = timer_ticks_to_us(now - t->queued_since) * 1000;
        if (waited_ns < watchdog_ns || ticks - t->queued_at_tick < watchdog_ticks)
            continue;
        for (uint64_t k = 0; k < hart_count; k++) {
            struct cpu *c = &cpus[hart_ids[k]];
            if (!c->online || !c->current || !hart_is_the_policys(c))
                continue;
            int running = c->current->proc ? c->current->priority : 0;
            if (running > t->priority)
                continue;
            if (policy_active.from_blob) {
                policy_fall_back("thread %d (priority %d) has waited %lu ms while hart %lu "
                          "ran priority %d", t->tid, t->priority,
                          waited_ns / 1000000, c->hartid, running);
                return;
            }
            /* Nothing to fall back to: the built-in policy is the kernel's
             * own, and a long wait under it (a host that did not run the
             * harts, say) is no reason to stop the machine. */
            if (!warned_builtin) {
                warned_builtin = true;
                kprintf("sched: thread %d (priority %d) has waited %lu ms while hart %lu "
                        "ran priority %d, under the built-in policy (not replaced; "
                        "said once)\n", t->tid, t->priority, waited_ns / 1000000,
                        c->hartid, running);
            }
            restart_stamps();
            return;
        }
    }
}

bool policy_tick(int hart, struct thread *running)
{
    uint32_t task = running && running->task >= 0 ? (uint32_t)running->task : SCHED_NONE;
    uint64_t answer = policy_call(OP_TICK, (uint32_t)hart, task, false);
    bool resched = answer != 0 && answer != POLICY_FAULTED;
    /* count_queued's shortcut, checked once a tick rather than each time. */
    KASSERT(policy_top_level == highest_queued_level());
    __atomic_fetch_add(&policy_ticks.n, 1, __ATOMIC_RELAXED);
    /* One hart is enough to watch, ten times a second: every tenth of its
     * ticks, or the first tick to do its work after it (sched_tick may
     * leave a tick's work to a later tick, TICK_DEFER_MAX at most). */
    static uint64_t watched_at;         /* the boot hart's timer_ticks then */
    uint64_t now = this_cpu()->timer_ticks;
    if ((uint64_t)hart == boot_hartid && watchdog_ns && now - watched_at >= 10) {
        watched_at = now;
        watchdog();
    }
    return resched;
}

#ifdef KDEBUG
struct policy_view policy_debug_view(void)
{
    KASSERT(spin_holding(&sched_lock));
    return (struct policy_view){ .owner = policy_owner, .queued_at = policy_queued_at,
                                 .levels = policy_queued_levels, .top = policy_top_level,
                                 .nqueued = policy_nqueued };
}
#endif
