// help: hostile test: faults its own policy again and again, clearing rt_off (h_refault [N] [THREADS])
/*
 * h_refault [N] [THREADS]: a hostile program.  THREADS threads (default
 * 1, the main thread one of them) each call the scheduling policy's fetch
 * themselves, N times (default 20), with a context at an unmapped
 * address: the policy faults in user mode, and the kernel sets
 * VDSO_DATA.rt_off and sends the thread to the runtime's rt_rescue with
 * its record's rescue word.  Before each fault the thread points that word
 * at a save of its own (the form of a buffer of rt_setjmp's, which
 * rt_rescue loads and returns 2 from) and writes rt_off back to 0.
 *
 * The kernel says once per process that its policy faulted (the line ends
 * "its threads yield through the kernel from now on").  It used to decide
 * "once" by rt_off, a word this program writes: then every fault printed
 * its line again, a synchronous write to the console with interrupts off,
 * for as long as a process cared to fault.  The test counts the lines.
 *
 * Its own save, not a yield's: the rescue word a yield leaves behind names
 * the yield's save only until something else writes it, and rt_park (a
 * yield that parks) leaves its own mark there, for a save inside the
 * yield that is gone once it returns.  (The runtime never calls the policy
 * without writing the word first; only a program that calls it itself,
 * as this one does, meets that.)
 *
 * Prints, per thread, how many faults it made, how many rescues came back
 * to its save (one per fault: the policy never returns) and how many calls
 * returned, then "h_refault: done".  Exits 2 on bad usage.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <thread.h>
#include <unistd.h>
#include "../lib/uthread.h"
#include "vdso.h"

#define MAX_THREADS 8

typedef uint32_t (*fetch_fn)(const struct sched_ctx *c, uint32_t hart);

/* A context no mapping backs: the policy's first look at it faults. */
#define UNMAPPED_CTX ((const struct sched_ctx *)0x10)

/* refault_save(buf): ra, sp, tp, s0..s11 into buf in the layout of a
 * record's context (TASK_CTX_*), returning 0; rt_rescue, given buf,
 * loads them back and returns 2 from here (as from rt_setjmp). */
int refault_save(uint64_t buf[16]) __attribute__((returns_twice));
_Static_assert(TASK_CTX_RA == 0 && TASK_CTX_SP == 1 && TASK_CTX_TP == 2 && TASK_CTX_S0 == 3,
               "refault_save's layout");
__asm__(".text\n"
        ".globl refault_save\n"
        "refault_save:\n"
        "    sd ra, 0(a0)\n    sd sp, 8(a0)\n    sd tp, 16(a0)\n"
        "    sd s0, 24(a0)\n   sd s1, 32(a0)\n   sd s2, 40(a0)\n   sd s3, 48(a0)\n"
        "    sd s4, 56(a0)\n   sd s5, 64(a0)\n   sd s6, 72(a0)\n   sd s7, 80(a0)\n"
        "    sd s8, 88(a0)\n   sd s9, 96(a0)\n   sd s10, 104(a0)\n sd s11, 112(a0)\n"
        "    li a0, 0\n"
        "    ret\n");

static uint32_t faults_wanted;
/* Per thread (volatile: a rescue comes back with the registers of the
 * save, not with what was in them at the fault). */
static volatile uint32_t faults[MAX_THREADS], rescues[MAX_THREADS], returned[MAX_THREADS];

static void *faulter(void *arg)
{
    uint32_t me = (uint32_t)(uintptr_t)arg;
    VDSO_DATA *v = (VDSO_DATA *)SHARED_BASE_ADDR;
    const struct sched_blob_header *policy = (const void *)SHARED_CODE_ADDR;
    fetch_fn fetch = (fetch_fn)(SHARED_CODE_ADDR + policy->op_offset[SCHED_OP_FETCH]);
    volatile uint64_t *word =
        &((TaskSched *)SHARED_TASKS_ADDR)[uthread_self()->task].ctx[TASK_CTX_RESCUE];
    uint64_t save[16];
    while (faults[me] < faults_wanted) {
        if (refault_save(save) != 0) {          /* back from a rescue */
            rescues[me]++;
            continue;
        }
        faults[me]++;
        *word = (uint64_t)(uintptr_t)save;       /* where the rescue goes */
        __atomic_store_n(&v->rt_off, 0, __ATOMIC_RELEASE);   /* "not said yet" */
        fetch(UNMAPPED_CTX, 0);
        returned[me]++;                          /* the policy did not fault */
    }
    return NULL;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 20;
    int threads = argc > 2 ? atoi(argv[2]) : 1;
    if (argc > 3 || n < 1 || threads < 1 || threads > MAX_THREADS) {
        printf("usage: h_refault [N] [THREADS (1..%d)]\n", MAX_THREADS);
        return 2;
    }
    const VDSO_DATA *v = (const VDSO_DATA *)SHARED_BASE_ADDR;
    if (v->magic != SCHED_VDSO_MAGIC) {
        printf("h_refault: no shared region\n");
        return 1;
    }
    faults_wanted = (uint32_t)n;
    printf("h_refault: %d threads faulting the policy %d times each\n", threads, n);
    int tids[MAX_THREADS];
    for (int i = 1; i < threads; i++)
        tids[i] = thread_create(faulter, (void *)(uintptr_t)i);
    faulter((void *)0);
    for (int i = 1; i < threads; i++)
        if (tids[i] > 0)
            thread_join(tids[i], NULL);
    for (int i = 0; i < threads; i++)
        printf("h_refault: thread %d: %u faults, %u rescues, %u returns\n", i, faults[i],
               rescues[i], returned[i]);
    printf("h_refault: done\n");
    return 0;
}
