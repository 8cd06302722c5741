// help: hostile test: writes garbage over its own timeline ring (h_tracescribble MODE [SEED])
/*
 * h_tracescribble MODE [SEED]: a hostile program for `make trace`.  While
 * the kernel records a timeline, two threads switch in user mode (so the
 * runtime appends to the process's ring, sched_abi/utrace.h); then the
 * program wrecks what the kernel will read when it exits:
 *
 *   entries  pseudo-random entries: unknown kinds, harts past the machine's,
 *            times before the session and in the future, huge ids
 *   header   a head counter far past the ring, then a wrong capacity
 *   pointer  VDSO_DATA.trace_ring aimed at kernel memory (odd SEED) or at
 *            a hole in the process's memory (even SEED)
 *
 * Every mode prints "h_tracescribble: done" and exits 0: the kernel must
 * refuse the garbage (counting it as lost), keep the timeline valid and
 * disturb no other process.  Without tracing on it only yields.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <thread.h>
#include <unistd.h>
#include "vdso.h"
#include "utrace.h"

static void *yielder(void *arg)
{
    (void)arg;
    for (int i = 0; i < 200; i++)
        yield_();
    return NULL;
}

static uint64_t next(uint64_t *x)
{
    *x = *x * 6364136223846793005ULL + 1442695040888963407ULL;
    return *x;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "";
    uint64_t x = argc > 2 ? (uint64_t)atoi(argv[2]) : 4242;
    if (strcmp(mode, "entries") && strcmp(mode, "header") && strcmp(mode, "pointer")) {
        printf("usage: h_tracescribble entries|header|pointer [SEED]\n");
        return 2;
    }
    int tid = thread_create(yielder, NULL);
    yielder(NULL);
    thread_join(tid, NULL);

    VDSO_DATA *v = (VDSO_DATA *)SHARED_BASE_ADDR;
    utrace_ring *r = (utrace_ring *)(uintptr_t)v->trace_ring;
    if (!r) {
        printf("h_tracescribble: no ring (tracing off): done\n");
        return 0;
    }
    uint32_t cap = r->cap;
    if (!strcmp(mode, "entries")) {
        /* Garbage the runtime would never write, over every entry. */
        for (uint32_t i = 0; i < cap; i++) {
            utrace_entry *e = &r->e[i];
            uint64_t a = next(&x), b = next(&x);
            e->when = i % 3 == 0 ? a : i % 3 == 1 ? 1 : ~0ULL;
            e->arg = (uint32_t)b;
            e->tid = (uint32_t)(b >> 32);
            e->hart = (uint8_t)(8 + (a >> 60));
            e->kind = (uint8_t)(a >> 8);
        }
        r->head = cap * 3 + 5;             /* wrapped: every slot is read */
    } else if (!strcmp(mode, "header")) {
        r->head = ~0ULL - 3;               /* far past the ring */
        r->cap = 3;                        /* not a power of two */
    } else {
        /* Kernel memory (the direct map), or a hole in the process's
         * own: copy_from_user must refuse both.  (No yield after this:
         * the runtime would fault writing there, in user mode.) */
        v->trace_ring = x & 1 ? 0xffffffc080000000ULL : 0x3f000000ULL;
    }
    printf("h_tracescribble: %s: done\n", mode);
    return 0;
}
