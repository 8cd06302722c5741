/*
 * Random bytes over the child's shared pages, between its system calls:
 * its VDSO_DATA (block_sched, current, the queue and its lock, kprio...),
 * its TaskSched records, and its coroutine executor once co_setup has
 * mapped it.  The process may write all of it; the kernel must trust none
 * of it (it may end the process, never anything else).
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "fuzz.h"
#include "coro.h"               /* SHARED_EXEC_ADDR, CO_QUEUE_ADDR */
#include "vdso.h"               /* SHARED_BASE_ADDR, SHARED_TASKS_ADDR */

struct region {
    const char *name;
    uint64_t base, bytes;
};

void fuzz_scribble(struct fuzz_child *c)
{
    const struct region regions[] = {
        { "vdso", SHARED_BASE_ADDR, SHARED_VDSO_PAGES * 4096ULL },
        { "vdso-head", SHARED_BASE_ADDR, 256 },   /* the fields the kernel reads */
        { "records", SHARED_TASKS_ADDR, 4096 },   /* slot 0's page: always mapped */
        { "exec", SHARED_EXEC_ADDR, 4096 },
        { "exec-queue", CO_QUEUE_ADDR, 4096 },
    };
    int n = c->executor ? 5 : 3;
    const struct region *r = &regions[fuzz_below(&c->rng, (uint64_t)n)];
    uint64_t len = 8 * (1 + fuzz_below(&c->rng, 32));
    if (len > r->bytes)
        len = r->bytes;
    uint64_t off = fuzz_below(&c->rng, r->bytes - len + 1) & ~7ULL;
    volatile uint64_t *p = (volatile uint64_t *)(r->base + off);
    for (uint64_t i = 0; i < len / 8; i++) {
        /* Random words, and the boundary values a field may be checked
         * against. */
        uint64_t v = fuzz_next(&c->rng);
        switch (v % 8) {
        case 0: v = 0; break;
        case 1: v = ~0ULL; break;
        case 2: v = 1; break;
        case 3: v &= 0xffff; break;
        default: break;
        }
        p[i] = v;
    }
    if (c->log_fd >= 0) {
        char line[80];
        snprintf(line, sizeof line, "scribble %s+%#lx, %lu bytes\n", r->name, off, len);
        write(c->log_fd, line, strlen(line));
    }
}
