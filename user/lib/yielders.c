/*
 * Yielders (<yielders.h>): a thread per other hart that yields at the
 * caller's priority, and the caller's own loop of yields.
 */
#include <thread.h>
#include <unistd.h>
#include <yielders.h>
#include "vdso.h"

static void *yield_while_on(void *arg)
{
    const struct yielders *y = arg;
    while (y->on)
        yield();
    return 0;
}

void yielders_start(struct yielders *y)
{
    const VDSO_DATA *v = (const VDSO_DATA *)SHARED_BASE_ADDR;
    int harts = v->nharts ? (int)v->nharts : 1;
    int want = harts - 1 < YIELDERS_MAX ? harts - 1 : YIELDERS_MAX;
    y->on = 1;
    y->n = 0;
    /* (One fewer if a thread cannot be made: the test then proves less on
     * that many harts, never more.) */
    for (int i = 0; i < want; i++) {
        int tid = thread_create(yield_while_on, y);
        if (tid >= 0)
            y->tids[y->n++] = tid;
    }
}

void yielders_stop(struct yielders *y)
{
    y->on = 0;
    for (int i = 0; i < y->n; i++)
        thread_join(y->tids[i], 0);
    y->n = 0;
}

uint64_t yield_until(const volatile int *done, uint64_t bound_ns)
{
    uint64_t t0 = time(), yields = 0;
    while (!*done && time() - t0 < bound_ns) {
        yield();
        yields++;
    }
    return yields;
}
