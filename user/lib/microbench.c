/*
 * The measured loops shared by the benchmark programs (<microbench.h>):
 * thread, process and coroutine switches, counted in windows with
 * rdinstret.  Each keeps its state in statics of this file: a program runs
 * one measurement at a time.
 */
#include <coroutine.h>
#include <microbench.h>
#include <stdlib.h>
#include <thread.h>
#include <unistd.h>

void mb_window_start(struct mb_window *w)
{
    w->mark = 0;
    w->best = MB_FAILED;
    w->marks = 0;
}

void mb_mark(struct mb_window *w)
{
    uint64_t now = instret();
    if (w->marks > 0 && now - w->mark < w->best)
        w->best = now - w->mark;
    w->mark = now;
    w->marks++;
}

uint64_t mb_window_best(const struct mb_window *w)
{
    return w->marks >= 2 ? w->best : MB_FAILED;
}

/* ---- two threads passing a turn ---- */

static struct {
    volatile uint32_t turn;
    uint32_t turns;          /* in all: 2 * per_window * (windows + 1) */
    uint32_t window_turns;   /* 2 * per_window */
    enum mb_yield how;
    struct mb_window w;
} pp;

static void *pp_player(void *arg)
{
    uint32_t me = (uint32_t)(uintptr_t)arg;
    for (;;) {
        uint32_t t;
        while ((t = __atomic_load_n(&pp.turn, __ATOMIC_ACQUIRE)) % 2 != me &&
               t < pp.turns) {
            if (pp.how == MB_YIELD_LIGHT)
                yield_light();
            else if (pp.how == MB_YIELD_USER)
                yield_();
            else
                syscall_raw(SYS_yield, 0, 0, 0);
        }
        if (t >= pp.turns)
            return NULL;
        /* A boundary every window_turns turns: the first at the end of
         * the warm-up window. */
        if (t % pp.window_turns == pp.window_turns - 1)
            mb_mark(&pp.w);
        __atomic_store_n(&pp.turn, t + 1, __ATOMIC_RELEASE);
    }
}

uint64_t mb_thread_pingpong(uint32_t windows, uint32_t per_window, enum mb_yield how)
{
    pp.turn = 0;
    pp.window_turns = 2 * per_window;
    pp.turns = pp.window_turns * (windows + 1);
    pp.how = how;
    mb_window_start(&pp.w);
    int a = thread_create(pp_player, (void *)0);
    if (a < 0)
        return MB_FAILED;
    int b = thread_create(pp_player, (void *)1);
    if (b < 0) {
        pp.turns = 0;               /* a returns at once */
        thread_join(a, NULL);
        return MB_FAILED;
    }
    thread_join(a, NULL);
    thread_join(b, NULL);
    return mb_window_best(&pp.w);
}

/* ---- two processes yielding ---- */

uint64_t mb_process_yield(uint32_t windows, uint32_t per_window)
{
    uint32_t calls = per_window * (windows + 1);
    int pid = fork();
    if (pid < 0)
        return MB_FAILED;
    if (pid == 0) {
        /* Keeps yielding until killed: the parent never runs out of a
         * process to switch to. */
        for (;;)
            syscall_raw(SYS_yield, 0, 0, 0);
    }
    struct mb_window w;
    mb_window_start(&w);
    for (uint32_t i = 0; i < calls; i++) {
        if (i > 0 && i % per_window == 0)    /* the first window: warm-up */
            mb_mark(&w);
        syscall_raw(SYS_yield, 0, 0, 0);
    }
    mb_mark(&w);
    kill(pid);
    waitpid(pid, NULL, 0);
    return mb_window_best(&w);
}

uint64_t mb_syscall_loop(long nr, uint32_t windows, uint32_t per_window)
{
    struct mb_window w;
    mb_window_start(&w);
    for (uint32_t k = 0; k <= windows; k++) {
        for (uint32_t i = 0; i < per_window; i++)
            syscall_raw(nr, 0, 0, 0);
        mb_mark(&w);
    }
    return mb_window_best(&w);
}

/* ---- coroutines ---- */

struct co_player {
    struct co co;
    uint32_t me, turns, window_turns;
    volatile uint32_t *turn;
    struct mb_window *w;
};

static int co_player(struct co *c)
{
    struct co_player *f = (struct co_player *)c;
    co_begin(c);
    for (;;) {
        while (*f->turn % 2 != f->me && *f->turn < f->turns)
            co_yield(c);
        if (*f->turn >= f->turns)
            co_return(c, 0);
        if (*f->turn % f->window_turns == f->window_turns - 1)
            mb_mark(f->w);
        (*f->turn)++;
    }
    co_end(c);
}

uint64_t mb_co_switch(uint32_t windows, uint32_t per_window)
{
    static volatile uint32_t turn;
    static struct co_player a, b;
    static struct mb_window w;
    turn = 0;
    mb_window_start(&w);
    uint32_t wt = 2 * per_window, turns = wt * (windows + 1);
    a = (struct co_player){ .me = 0, .turns = turns, .window_turns = wt, .turn = &turn, .w = &w };
    b = (struct co_player){ .me = 1, .turns = turns, .window_turns = wt, .turn = &turn, .w = &w };
    cid_t ia = co_spawn(co_player, &a.co, 10);
    if (ia == CO_NONE)
        return MB_FAILED;
    cid_t ib = co_spawn(co_player, &b.co, 10);
    if (ib == CO_NONE) {
        turn = turns;
        co_join(ia, 0);
        return MB_FAILED;
    }
    co_join(ia, 0);
    co_join(ib, 0);
    return mb_window_best(&w);
}

static int co_nothing(struct co *c)
{
    (void)c;
    return CO_READY;
}

uint64_t mb_co_spawn(uint32_t windows, uint32_t per_window)
{
    static struct co frame;
    struct mb_window w;
    mb_window_start(&w);
    for (uint32_t k = 0; k <= windows; k++) {
        for (uint32_t i = 0; i < per_window; i++) {
            cid_t id = co_spawn(co_nothing, &frame, 10);
            if (id == CO_NONE || co_join(id, 0) < 0)
                return MB_FAILED;
        }
        mb_mark(&w);
    }
    return mb_window_best(&w);
}

struct co_hopper {
    struct co co;
    int in, out, first;
    uint32_t rounds, per_window, r;
    long got;
    char b;
    struct mb_window *w;
};

/* The first hopper writes then waits for the answer; the other answers. */
static int co_hopper(struct co *c)
{
    struct co_hopper *f = (struct co_hopper *)c;
    co_begin(c);
    for (f->r = 0; f->r < f->rounds; f->r++) {
        if (f->first) {
            co_write(c, f->got, f->out, &f->b, 1);
            if (f->got != 1)
                co_return(c, -1);
            co_read(c, f->got, f->in, &f->b, 1);
            if (f->got != 1)
                co_return(c, -1);
            if ((f->r + 1) % f->per_window == 0)
                mb_mark(f->w);
        } else {
            co_read(c, f->got, f->in, &f->b, 1);
            if (f->got != 1)
                co_return(c, -1);
            co_write(c, f->got, f->out, &f->b, 1);
            if (f->got != 1)
                co_return(c, -1);
        }
    }
    co_end(c);
}

uint64_t mb_co_pipe(uint32_t windows, uint32_t per_window)
{
    int ab[2], ba[2];
    if (pipe(ab) < 0)
        return MB_FAILED;
    if (pipe(ba) < 0) {
        close(ab[0]);
        close(ab[1]);
        return MB_FAILED;
    }
    static struct co_hopper a, b;
    static struct mb_window w;
    mb_window_start(&w);
    uint32_t rounds = per_window * (windows + 1);
    a = (struct co_hopper){ .in = ba[0], .out = ab[1], .first = 1, .rounds = rounds,
                            .per_window = per_window, .w = &w };
    b = (struct co_hopper){ .in = ab[0], .out = ba[1], .rounds = rounds,
                            .per_window = per_window, .w = &w };
    int64_t ra = -1, rb = -1;
    cid_t ia = co_spawn(co_hopper, &a.co, 10);
    cid_t ib = ia == CO_NONE ? CO_NONE : co_spawn(co_hopper, &b.co, 10);
    if (ib != CO_NONE) {
        co_join(ia, &ra);
        co_join(ib, &rb);
    } else if (ia != CO_NONE) {
        co_cancel(ia);
    }
    close(ab[0]);
    close(ab[1]);
    close(ba[0]);
    close(ba[1]);
    return ra == 0 && rb == 0 ? mb_window_best(&w) : MB_FAILED;
}
