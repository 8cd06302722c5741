// help: benchmark: instructions of the policy's add+fetch and remove by queue length (b_policy [MAXN])
/*
 * b_policy [MAXN]: what the booted policy's operations cost as its queue
 * grows.  For n = 1, 4, 16, 64, 256, 1024, 4096 (those up to MAXN, default
 * 4096), with n tasks queued, the instructions of one add + fetch pair and
 * of one remove, averaged over ITERS of each:
 *
 *     BENCH policycost where=guest policy=NAME n=N op=add_fetch instr=I
 *     BENCH policycost where=guest policy=NAME n=N op=remove instr=I
 *     ...
 *     BENCH-DONE policycost
 *
 * The policy is called directly, in user mode, the way the runtime calls
 * it for a process's own queue: its code is the blob in the shared code
 * pages (SHARED_CODE_ADDR, mapped read + execute in every process), each
 * operation at the offset its header gives.  The table and the queue are
 * this program's own memory (from sbrk), not the shared region: the
 * process's queue there is sized for 256 threads and in use by the
 * runtime.  bench/policycost_workload.h is the workload (shared with the
 * host program bench/policycost_host.c) and says exactly what is counted.
 *
 * Run on one hart under QEMU's -icount shift=0: rdinstret then counts the
 * policy's instructions alone (each sample is the least of REPS replays,
 * so a timer tick in one is dropped) and the figures repeat exactly.
 */
#include <microbench.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "vdso.h"

#define PC_NOW() instret()
#include "../../bench/policycost_workload.h"

#define MAXN_LIMIT 4096
#define ITERS      10000
#define REPS       3

static const uint32_t SIZES[] = { 1, 4, 16, 64, 256, 1024, 4096 };

/* The booted policy's operations, at their addresses in this process. */
static int policy_ops(struct sched_ops *ops, char name[SCHED_NAME_LEN])
{
    const struct sched_blob_header *h = (const struct sched_blob_header *)SHARED_CODE_ADDR;
    if (h->magic != SCHED_ABI_MAGIC || h->abi_major != SCHED_ABI_MAJOR)
        return -1;
    for (int op = 0; op < SCHED_OP_COUNT; op++)
        if (h->op_offset[op] == 0 || h->op_offset[op] >= SCHED_BLOB_MAX)
            return -1;
    uintptr_t base = (uintptr_t)SHARED_CODE_ADDR;
    ops->init = (void (*)(const struct sched_ctx *))(base + h->op_offset[SCHED_OP_INIT]);
    ops->add = (void (*)(const struct sched_ctx *, uint32_t, uint32_t))(
        base + h->op_offset[SCHED_OP_ADD]);
    ops->fetch = (uint32_t (*)(const struct sched_ctx *, uint32_t))(
        base + h->op_offset[SCHED_OP_FETCH]);
    ops->remove = (void (*)(const struct sched_ctx *, uint32_t, uint32_t))(
        base + h->op_offset[SCHED_OP_REMOVE]);
    /* The others are not measured: no call may reach them. */
    ops->yield = ops->wake = NULL;
    ops->top_priority = NULL;
    ops->tick = NULL;
    memcpy(name, h->name, SCHED_NAME_LEN);
    name[SCHED_NAME_LEN - 1] = '\0';
    for (char *p = name; *p; p++)          /* a result line's value is one word */
        if (*p == ' ' || *p == '=')
            *p = '_';
    return 0;
}

static void *take(size_t bytes)
{
    void *p = sbrk((intptr_t)((bytes + 15) & ~(size_t)15));
    return p == (void *)-1 ? NULL : p;
}

int main(int argc, char **argv)
{
    char *end = NULL;
    long maxn = argc > 1 ? strtol(argv[1], &end, 10) : MAXN_LIMIT;
    if (argc > 2 || (argc == 2 && (*end != '\0' || maxn < 1 || maxn > MAXN_LIMIT))) {
        dprintf(2, "usage: b_policy [MAXN]: MAXN from 1 to %d (default %d); "
                   "measures n = 1, 4, 16, ... up to MAXN\n", MAXN_LIMIT, MAXN_LIMIT);
        return 2;
    }
    struct sched_ops ops;
    char name[SCHED_NAME_LEN];
    if (policy_ops(&ops, name) < 0) {
        printf("BENCH-ERROR policycost no valid policy blob at the shared code pages\n");
        printf("BENCH-DONE policycost\n");
        return 1;
    }
    struct pc_mem m = { .max_n = (uint32_t)maxn, .iters = ITERS };
    uint32_t records = m.max_n + 1;
    m.tasks = take(records * sizeof(TaskSched));
    m.queue = take(SCHED_QUEUE_BYTES(records));
    m.queued = take(records * 4);
    m.slot = take(records * 4);
    m.add_fetch = take(ITERS * 4);
    m.remove = take(ITERS * 4);
    m.empty = take(ITERS * 4);
    if (!m.tasks || !m.queue || !m.queued || !m.slot || !m.add_fetch || !m.remove ||
        !m.empty) {
        printf("BENCH-ERROR policycost no memory for %u tasks\n", records);
        printf("BENCH-DONE policycost\n");
        return 1;
    }
    int failed = 0;
    for (size_t k = 0; k < sizeof SIZES / sizeof SIZES[0] && SIZES[k] <= m.max_n; k++) {
        uint32_t n = SIZES[k];
        struct pc_sums sums;
        if (pc_measure(&ops, &m, n, REPS, &sums) < 0) {
            printf("BENCH-ERROR policycost policy=%s n=%u lost, invented or repeated a task\n",
                   name, n);
            failed = 1;
            continue;
        }
        printf("BENCH policycost where=guest policy=%s n=%u op=add_fetch instr=%lu\n", name, n,
               (unsigned long)pc_per_op(sums.add_fetch, sums.empty, ITERS));
        printf("BENCH policycost where=guest policy=%s n=%u op=remove instr=%lu\n", name, n,
               (unsigned long)pc_per_op(sums.remove, sums.empty, ITERS));
    }
    printf("BENCH-DONE policycost\n");
    return failed;
}
