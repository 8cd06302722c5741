/*
 * The measured loops shared by the benchmark programs (<microbench.h>):
 * thread, process and coroutine switches, counted in windows with
 * rdinstret.  Each keeps its state in statics of this file: a program runs
 * one measurement at a time.
 */
#include <coroutine.h>
#include <microbench.h>
#include <stdbool.h>
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

/* pp.turn: whose turn it is, 0 or 1; PP_NOT_YET until both players exist.
 * The loop around a switch is part of every figure measured here, so it
 * is kept to what passing a turn needs (about a dozen instructions a
 * turn: docs/user-mode-switching.md, "Measured"): the kind of yield is
 * fixed at compile time in each player (pp_play is inlined with a
 * constant), a window's end is a loop bound, not a division, and a run
 * called off is looked at once, not at every turn. */
#define PP_NOT_YET 2u

static struct {
    volatile uint32_t turn;
    uint32_t windows, per_window;
    bool call_off;           /* the second player could not be made */
    struct mb_window w;
} pp;

/* Wait until it is `me`'s turn, yielding as `how` says. */
static inline __attribute__((always_inline)) void pp_wait(uint32_t me, enum mb_yield how)
{
    while (__atomic_load_n(&pp.turn, __ATOMIC_ACQUIRE) != me) {
        if (how == MB_YIELD_LIGHT)
            yield_light();
        else if (how == MB_YIELD_USER)
            yield_();
        else
            syscall_raw(SYS_yield, 0, 0, 0);
    }
}

static inline __attribute__((always_inline)) void pp_pass(uint32_t me)
{
    __atomic_store_n(&pp.turn, me ^ 1, __ATOMIC_RELEASE);
}

/* Player `me`'s part: per_window turns in each of windows + 1 windows.
 * Player 1 holds the last turn of every window, and marks it there: from
 * one mark to the next, each player had per_window turns, so the window
 * is 2 * per_window switches; the first mark ends the warm-up window. */
static inline __attribute__((always_inline)) void pp_play(uint32_t me, enum mb_yield how)
{
    pp_wait(me, how);                   /* my first turn: both players */
    if (pp.call_off)                    /* exist, or the run is off */
        return;
    uint32_t windows = pp.windows, per_window = pp.per_window;
    for (uint32_t k = 0; k <= windows; k++) {
        for (uint32_t i = 1; i < per_window; i++) {
            pp_pass(me);
            pp_wait(me, how);
        }
        if (me == 1)
            mb_mark(&pp.w);
        pp_pass(me);
        if (k < windows)
            pp_wait(me, how);           /* the next window's first turn */
    }
}

static void *pp_player_user(void *arg)
{
    pp_play((uint32_t)(uintptr_t)arg, MB_YIELD_USER);
    return NULL;
}

static void *pp_player_light(void *arg)
{
    pp_play((uint32_t)(uintptr_t)arg, MB_YIELD_LIGHT);
    return NULL;
}

static void *pp_player_syscall(void *arg)
{
    pp_play((uint32_t)(uintptr_t)arg, MB_YIELD_SYSCALL);
    return NULL;
}

uint64_t mb_thread_pingpong(uint32_t windows, uint32_t per_window, enum mb_yield how)
{
    if (per_window == 0)
        return MB_FAILED;
    void *(*player)(void *) = how == MB_YIELD_LIGHT ? pp_player_light
                            : how == MB_YIELD_USER  ? pp_player_user
                            : pp_player_syscall;
    pp.turn = PP_NOT_YET;
    pp.windows = windows;
    pp.per_window = per_window;
    pp.call_off = false;
    mb_window_start(&pp.w);
    int a = thread_create(player, (void *)0);
    if (a < 0)
        return MB_FAILED;
    int b = thread_create(player, (void *)1);
    if (b < 0)
        pp.call_off = true;             /* a returns at its first turn */
    __atomic_store_n(&pp.turn, 0, __ATOMIC_RELEASE);
    thread_join(a, NULL);
    if (b < 0)
        return MB_FAILED;
    thread_join(b, NULL);
    return mb_window_best(&pp.w);
}

/* ---- two processes yielding ---- */

uint64_t mb_process_yield(uint32_t windows, uint32_t per_window)
{
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
    for (uint32_t k = 0; k <= windows; k++) {   /* the first: warm-up */
        for (uint32_t i = 0; i < per_window; i++)
            syscall_raw(SYS_yield, 0, 0, 0);
        mb_mark(&w);
    }
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

/* The coroutines' ping-pong, with the threads' lean loop (pp_play
 * above): a window's end is a loop bound, a run called off looked at once.
 * The loop variables live in the frame: a coroutine keeps no locals
 * across co_yield. */
struct co_player {
    struct co co;
    uint32_t me, windows, per_window, k, i;
    volatile uint32_t *turn;
    const bool *call_off;
    struct mb_window *w;
};

static int co_player(struct co *c)
{
    struct co_player *f = (struct co_player *)c;
    co_begin(c);
    while (*f->turn != f->me)           /* my first turn: both players */
        co_yield(c);                    /* exist, or the run is off */
    if (*f->call_off)
        co_return(c, 0);
    for (f->k = 0; f->k <= f->windows; f->k++) {
        for (f->i = 1; f->i < f->per_window; f->i++) {
            *f->turn = f->me ^ 1;
            while (*f->turn != f->me)
                co_yield(c);
        }
        if (f->me == 1)                 /* player 1 ends every window */
            mb_mark(f->w);
        *f->turn = f->me ^ 1;
        if (f->k < f->windows)
            while (*f->turn != f->me)   /* the next window's first turn */
                co_yield(c);
    }
    co_end(c);
}

uint64_t mb_co_switch(uint32_t windows, uint32_t per_window)
{
    static volatile uint32_t turn;
    static bool call_off;
    static struct co_player a, b;
    static struct mb_window w;
    if (per_window == 0)
        return MB_FAILED;
    turn = PP_NOT_YET;
    call_off = false;
    mb_window_start(&w);
    a = (struct co_player){ .me = 0, .windows = windows, .per_window = per_window,
                            .turn = &turn, .call_off = &call_off, .w = &w };
    b = a;
    b.me = 1;
    cid_t ia = co_spawn(co_player, &a.co, 10);
    if (ia == CO_NONE)
        return MB_FAILED;
    cid_t ib = co_spawn(co_player, &b.co, 10);
    if (ib == CO_NONE)
        call_off = true;                /* a returns at its first turn */
    turn = 0;
    co_join(ia, 0);
    if (ib == CO_NONE)
        return MB_FAILED;
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
