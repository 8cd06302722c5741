// help: hostile test: faults its own policy again and again, clearing rt_off (h_refault [N] [THREADS])
/*
 * h_refault [N] [THREADS]: a hostile program.  THREADS threads (default
 * 1, the main thread one of them) each call the scheduling policy's fetch themselves, N times (default
 * 20), with a context at an unmapped address: the policy faults in user
 * mode, and the kernel rescues the thread (rt_rescue, back into its last
 * yield_(), whose save its record's rescue word names: a full save's mark,
 * the record's offset) and sets VDSO_DATA.rt_off.  Before each fault the
 * thread writes rt_off back to 0.
 *
 * The kernel says once per process that its policy faulted (the line ends
 * "its threads yield through the kernel from now on").  It used to decide
 * "once" by rt_off, a word this program writes: then every fault printed
 * its line again, a synchronous write to the console with interrupts off,
 * for as long as a process cared to fault.  The test counts the lines.
 *
 * Prints, per thread, how many faults it made and how many rescues came
 * back into its yield_() (each fault's: the policy never returns here),
 * then "h_refault: done".  Exits 2 on bad usage.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <thread.h>
#include <unistd.h>
#include "vdso.h"

#define MAX_THREADS 8

typedef uint32_t (*fetch_fn)(const struct sched_ctx *c, uint32_t hart);

/* A context no mapping backs: the policy's first look at it faults. */
#define UNMAPPED_CTX ((const struct sched_ctx *)0x10)

static uint32_t faults_wanted;
/* Per thread (volatile: a rescue comes back with the registers of the
 * yield_() call, not with what was in them at the fault). */
static volatile uint32_t faults[MAX_THREADS], rescues[MAX_THREADS], returned[MAX_THREADS];
static volatile int in_fault[MAX_THREADS];

static void *faulter(void *arg)
{
    uint32_t me = (uint32_t)(uintptr_t)arg;
    VDSO_DATA *v = (VDSO_DATA *)SHARED_BASE_ADDR;
    const struct sched_blob_header *policy = (const void *)SHARED_CODE_ADDR;
    fetch_fn fetch = (fetch_fn)(SHARED_CODE_ADDR + policy->op_offset[SCHED_OP_FETCH]);
    for (;;) {
        /* The rescue point: this call's registers go into the record (the
         * runtime's full save), and each rescue returns here, with 0. */
        yield_();
        if (in_fault[me]) {
            in_fault[me] = 0;
            rescues[me]++;
        }
        if (faults[me] >= faults_wanted)
            break;
        faults[me]++;
        __atomic_store_n(&v->rt_off, 0, __ATOMIC_RELEASE);   /* "not said yet" */
        in_fault[me] = 1;
        fetch(UNMAPPED_CTX, 0);
        in_fault[me] = 0;             /* the policy returned: no fault */
        returned[me]++;
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
    /* The main thread is thread 0: slot 0, whose full save's mark is 0
     * (the record's offset), the others' a multiple of the record's size. */
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
