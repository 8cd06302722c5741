// help: hostile test: scribbles over its own shared pages (h_scribble [SEED])
/*
 * h_scribble [SEED]: a hostile program.  Two threads; then it writes
 * pseudo-random bytes over its own shared pages (VDSO_DATA and the
 * TaskSched page holding its two threads' records: the rest of the heap
 * is not mapped, and a write there would only end the attack with a
 * fault) and keeps yielding through the runtime.  It may die or
 * misbehave; the kernel and every other process must go on.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <thread.h>
#include <unistd.h>
#include "vdso.h"

static void *yielder(void *arg)
{
    (void)arg;
    for (int i = 0; i < 20000; i++)
        yield_();
    return NULL;
}

int main(int argc, char **argv)
{
    uint64_t x = argc > 1 ? (uint64_t)atoi(argv[1]) : 12345;
    int tid = thread_create(yielder, NULL);
    uint8_t *shared = (uint8_t *)SHARED_BASE_ADDR;
    const int pages = SHARED_VDSO_PAGES + 1;
    printf("h_scribble: scribbling over %d shared pages\n", pages);
    for (int round = 0; round < 50; round++) {
        for (int i = 0; i < 4096; i++) {
            x = x * 6364136223846793005ULL + 1442695040888963407ULL;
            shared[(x >> 20) % ((uint64_t)pages * 4096)] = (uint8_t)(x >> 56);
        }
        for (int i = 0; i < 100; i++)
            yield_();
    }
    thread_join(tid, NULL);
    printf("h_scribble: survived its own scribbling\n");
    return 0;
}
