// help: benchmark: instructions per coroutine operation (b_coro MODE [N])
/*
 * b_coro MODE [N]: instructions per coroutine operation, counted with
 * rdinstret (run on one hart, under QEMU's -icount shift=0 for numbers
 * that repeat exactly), beside b_switch's thread switches.
 *
 *   switch   two coroutines of one priority pass a turn with co_yield: one
 *            switch = a return from one poll and the call of the next
 *   spawn    spawn a coroutine that returns at once, and join it
 *   pipe     two coroutines pass a byte back and forth through two pipes
 *            with co_read / co_write: one hop = a write that completes a
 *            waiting asynchronous read, and that reader's next poll
 *
 * One worker (co_workers(1)): main does the polling, in co_join.
 * Prints "b_coro: MODE: I instructions per OP (K OPs)".
 */
#include <coroutine.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static uint64_t instret(void)
{
    uint64_t v;
    __asm__ volatile("rdinstret %0" : "=r"(v));
    return v;
}

struct player { struct co co; uint32_t me, rounds, r; volatile uint32_t *turn; };

static int player(struct co *c)
{
    struct player *f = (struct player *)c;
    co_begin(c);
    for (f->r = 0; f->r < f->rounds; f->r++) {
        while (*f->turn % 2 != f->me)
            co_yield(c);
        (*f->turn)++;
    }
    co_end(c);
}

static int nothing(struct co *c)
{
    (void)c;
    return CO_READY;
}

struct hopper { struct co co; int in, out; uint32_t rounds, r; long got; char b; int first; };

static int hopper(struct co *c)
{
    struct hopper *f = (struct hopper *)c;
    co_begin(c);
    for (f->r = 0; f->r < f->rounds; f->r++) {
        if (!f->first || f->r > 0) {
            co_read(c, f->got, f->in, &f->b, 1);
            if (f->got != 1)
                co_return(c, -1);
        }
        co_write(c, f->got, f->out, &f->b, 1);
    }
    if (!f->first)
        co_return(c, 0);
    co_read(c, f->got, f->in, &f->b, 1);         /* the last answer */
    co_end(c);
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "switch";
    uint32_t n = argc > 2 ? (uint32_t)atoi(argv[2]) : 20000;
    co_workers(1);
    uint64_t start, end, ops;
    const char *what, *plural;
    if (strcmp(mode, "switch") == 0) {
        static volatile uint32_t turn;
        static struct player a, b;
        a = (struct player){ .me = 0, .rounds = n, .turn = &turn };
        b = (struct player){ .me = 1, .rounds = n, .turn = &turn };
        cid_t ia = co_spawn(player, &a.co, 10), ib = co_spawn(player, &b.co, 10);
        start = instret();
        co_join(ia, 0);
        co_join(ib, 0);
        end = instret();
        ops = 2ULL * n;
        what = "switch";
        plural = "switches";
    } else if (strcmp(mode, "spawn") == 0) {
        static struct co frame;
        start = instret();
        for (uint32_t i = 0; i < n; i++)
            co_join(co_spawn(nothing, &frame, 10), 0);
        end = instret();
        ops = n;
        what = "spawn+complete";
        plural = "spawns";
    } else if (strcmp(mode, "pipe") == 0) {
        int ab[2], ba[2];
        if (pipe(ab) < 0 || pipe(ba) < 0) {
            printf("b_coro: no pipes\n");
            return 1;
        }
        static struct hopper a, b;
        a = (struct hopper){ .in = ba[0], .out = ab[1], .rounds = n, .first = 1 };
        b = (struct hopper){ .in = ab[0], .out = ba[1], .rounds = n };
        cid_t ia = co_spawn(hopper, &a.co, 10), ib = co_spawn(hopper, &b.co, 10);
        start = instret();
        int64_t ra = -1, rb = -1;
        co_join(ia, &ra);
        co_join(ib, &rb);
        end = instret();
        if (ra != 0 || rb != 0) {
            printf("b_coro: pipe: FAIL (results %ld %ld)\n", (long)ra, (long)rb);
            return 1;
        }
        ops = 2ULL * n;
        what = "hop";
        plural = "hops";
    } else {
        printf("usage: b_coro switch|spawn|pipe [N]\n");
        return 2;
    }
    printf("b_coro: %s: %lu instructions per %s (%lu %s)\n", mode,
           (unsigned long)((end - start) / ops), what, (unsigned long)ops, plural);
    return 0;
}
