// help: hostile test: forges what a user-mode switch reads (h_switchwords [SEED] [MS] [PLAYERS])
/*
 * h_switchwords [SEED] [MS] [PLAYERS]: a hostile program.  PLAYERS
 * threads (default 4; half with yield_(), half with yield_light()) yield in
 * a loop while another thread of it forges, one at a time and for MS ms
 * (default 3000), the words the runtime's fast path reads between taking
 * the queue lock and claiming the next thread (user/runtime/
 * user_schedule.S): the records' hart, flags, priority and state bytes,
 * kprio[], rt_ready and rt_off (read as one doubleword), nrecords, the
 * queue lock, the saved registers; and the records' rescue words, in every form rt_rescue
 * tells apart (a record's offset, a record's address, rt_park's mark, a
 * stack-like address, with and without the executor's bit) and forms it
 * must refuse (another record's, an unmapped record's, a kernel address,
 * 0, garbage), now and then with the queue wrecked so that the policy
 * faults and the kernel sends a thread to whatever its rescue word says.
 *
 * The process may go on, stop switching in user mode or be killed for a
 * fault of its own; the kernel (the debug kernel's invariant checks too)
 * and every other process must carry on.  If it lives, the main thread
 * prints "h_switchwords: survived ..." after MS ms and exits, ending the
 * other threads wherever they are.  Exits 2 on bad usage.
 */
#include <garbage.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <thread.h>
#include <unistd.h>
#include "vdso.h"

#define MAX_PLAYERS 16
#define KERNEL_ADDR 0xffffffe080200000ULL       /* the kernel's text */
#define UNMAPPED_SLOT 200                       /* past every mapped record */

static volatile int stop;
static volatile uint64_t yields[MAX_PLAYERS], switched[MAX_PLAYERS];
static uint64_t rng = GARBAGE_SEED;
static uint64_t forged;

static void *player(void *arg)
{
    uint32_t me = (uint32_t)(uintptr_t)arg;
    while (!stop) {
        switched[me] += (uint64_t)(me % 2 ? yield_light() : yield_());
        yields[me]++;
    }
    return NULL;
}

/* A rescue word: one of the forms rt_rescue tells apart, or one it must
 * refuse, for a record among the first `n`. */
static uint64_t rescue_word(uint32_t n)
{
    uint64_t pick = garbage_next(&rng);
    uint64_t slot = (pick >> 8) % n;
    uint64_t rec = SHARED_TASKS_ADDR + slot * sizeof(TaskSched);
    uint64_t ctx = rec + __builtin_offsetof(TaskSched, ctx);
    switch (pick % 12) {
    case 0:  return slot * sizeof(TaskSched);                  /* a full save's */
    case 1:  return rec;                                       /* a light save's */
    case 2:  return ctx | 2;                                   /* rt_park's */
    case 3:  return slot * sizeof(TaskSched) | 1;              /* with the executor's bit */
    case 4:  return rec | 1;
    case 5:  return (uint64_t)UNMAPPED_SLOT * sizeof(TaskSched); /* no record there */
    case 6:  return SHARED_TASKS_ADDR + UNMAPPED_SLOT * sizeof(TaskSched);
    case 7:  return KERNEL_ADDR;
    case 8:  return KERNEL_ADDR | 2;
    case 9:  return 0;
    case 10: return slot * sizeof(TaskSched) + 8;              /* inside a record */
    default: return garbage_next(&rng);
    }
}

/* One forgery, of the words a switch reads under the lock.  Weighted
 * towards those an honest switch survives now and then (a byte out of
 * range sends the yield to the C half), so that the process lives long
 * enough to switch with them; the ones that get it killed at once (saved
 * registers, the queue) come seldom. */
enum forgery {
    F_RESCUE, F_HART, F_FLAGS, F_PRIO, F_STATE, F_KPRIO, F_BOTH_PRIO, F_RT_OFF,
    F_RT_READY, F_LOCK, F_NRECORDS, F_QUEUE, F_CTX, F_KINDS
};
static const uint8_t weight[F_KINDS] = {
    [F_RESCUE] = 6, [F_HART] = 3, [F_FLAGS] = 3, [F_PRIO] = 3, [F_STATE] = 3, [F_KPRIO] = 3,
    [F_BOTH_PRIO] = 2, [F_RT_OFF] = 2, [F_RT_READY] = 2, [F_LOCK] = 2, [F_NRECORDS] = 1,
    [F_QUEUE] = 1, [F_CTX] = 1,
};

static enum forgery pick_forgery(uint32_t r)
{
    uint32_t total = 0;
    for (int k = 0; k < F_KINDS; k++)
        total += weight[k];
    r %= total;
    for (int k = 0; k < F_KINDS; k++) {
        if (r < weight[k])
            return (enum forgery)k;
        r -= weight[k];
    }
    return F_RESCUE;
}

static void forge_one(VDSO_DATA *v, TaskSched *tasks)
{
    uint32_t n = 16;                       /* the first TaskSched page: ours */
    uint64_t g = garbage_next(&rng);
    uint32_t slot = (uint32_t)(g >> 16) % n;
    uint8_t byte = (uint8_t)(g >> 40);
    enum forgery what = pick_forgery((uint32_t)(g >> 8) & 0xff);
    switch (what) {
    case F_RESCUE:
        __atomic_store_n(&tasks[slot].ctx[TASK_CTX_RESCUE], rescue_word(n), __ATOMIC_RELAXED);
        break;
    case F_HART:     tasks[slot].hart = byte; break;
    case F_FLAGS:    tasks[slot].flags = byte; break;
    case F_PRIO:     tasks[slot].prio = byte; break;
    case F_STATE:    tasks[slot].state = byte % 4; break;
    case F_KPRIO:    v->kprio[slot] = byte; break;
    case F_BOTH_PRIO: v->kprio[slot] = tasks[slot].prio = byte % (SCHED_PRIO_MAX + 2); break;
    case F_RT_OFF:   __atomic_store_n(&v->rt_off, byte, __ATOMIC_RELAXED); break;
    case F_RT_READY: __atomic_store_n(&v->rt_ready, byte % 2 ? RT_READY : byte, __ATOMIC_RELAXED);
                     break;
    case F_LOCK: {                         /* a holder for a moment (held for
                                              good, it only turns switching off
                                              after 5 s: h_badlock's case) */
        uint32_t held = slot + 1, none = 0;
        if (__atomic_compare_exchange_n(&v->queue_lock, &none, held, 0, __ATOMIC_RELAXED,
                                        __ATOMIC_RELAXED))
            for (int i = 0; i < 64; i++)
                __asm__ volatile("nop");
        __atomic_compare_exchange_n(&v->queue_lock, &held, 0, 0, __ATOMIC_RELAXED,
                                    __ATOMIC_RELAXED);
        break;
    }
    case F_NRECORDS: __atomic_store_n(&v->nrecords, byte % 2 ? 16 : (uint32_t)(g >> 32),
                                      __ATOMIC_RELAXED);
                     break;
    case F_QUEUE:    if (byte < 64)        /* the policy faults on it */
                         memset(&v->queue, 0x7f, sizeof(v->queue));
                     break;
    default:         tasks[slot].ctx[byte % TASK_CTX_RESCUE] = garbage_next(&rng); break;
    }
    /* rt_off set stays set only for a while: the forgeries are for the
     * switches in user mode.  (current[] is not forged here: the kernel
     * kills a process for naming a thread it does not run, at once,
     * which h_forge and h_suite shared/forge_current check.) */
    if (what != F_RT_OFF && (g >> 60) == 0)
        __atomic_store_n(&v->rt_off, 0, __ATOMIC_RELAXED);
    forged++;
}

static void *forger(void *arg)
{
    (void)arg;
    VDSO_DATA *v = (VDSO_DATA *)SHARED_BASE_ADDR;
    TaskSched *tasks = (TaskSched *)SHARED_TASKS_ADDR;
    while (!stop) {
        forge_one(v, tasks);
        if (forged % 64 == 0)
            yield();                /* the kernel's: the lock may be forged */
    }
    return NULL;
}

int main(int argc, char **argv)
{
    int seed = argc > 1 ? atoi(argv[1]) : 1;
    int ms = argc > 2 ? atoi(argv[2]) : 3000;
    int players = argc > 3 ? atoi(argv[3]) : 4;
    if (argc > 4 || ms < 1 || players < 1 || players > MAX_PLAYERS) {
        printf("usage: h_switchwords [SEED] [MS] [PLAYERS (1..%d)]\n", MAX_PLAYERS);
        return 2;
    }
    rng += (uint64_t)seed;
    printf("h_switchwords: %d players, forging for %d ms (seed %d)\n", players, ms, seed);
    for (int i = 0; i < players; i++)
        thread_create(player, (void *)(uintptr_t)i);
    thread_create(forger, NULL);
    sleep((uint64_t)ms);
    stop = 1;
    uint64_t y = 0, s = 0;
    for (int i = 0; i < players; i++) {
        y += yields[i];
        s += switched[i];
    }
    const VDSO_DATA *v = (const VDSO_DATA *)SHARED_BASE_ADDR;
    printf("h_switchwords: survived %d ms: %lu forgeries, %lu yields, %lu switched in "
           "user mode, rt_off %u\n", ms, (unsigned long)forged, (unsigned long)y,
           (unsigned long)s, v->rt_off);
    exit(0);                        /* the others, wherever they are */
}
