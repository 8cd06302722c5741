/*
 * b_conn's coroutine server: three coroutines per connection, on the
 * configured number of workers.  receive reads a whole request, compute
 * answers it, send writes the reply, each handing over to the next with an
 * event: one request in flight per connection (the client waits for each
 * reply), so one buffer of each kind does.
 *
 * A failure (a refused read or write) is recorded and the connection
 * turns dead: its reply pipe is closed, so its client sees end of file,
 * and the three go on passing turns without writing until the request pipe
 * ends (the client closes every request pipe when it is done).
 */
#include <coroutine.h>
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "conn.h"

struct conn {
    int in, out;                    /* request read end, reply write end */
    int msize;
    int eof, dead;
    struct co_event req_ready, reply_ready, done;
    struct msg request, reply;
};

struct stage { struct co co; struct conn *k; int got; long n; };

static void kill_conn(struct conn *k, const char *what, int err)
{
    conn_server_fail(what, err);
    if (!__atomic_exchange_n(&k->dead, 1, __ATOMIC_SEQ_CST))
        close(k->out);
}

static int receive_request(struct co *c)
{
    struct stage *f = (struct stage *)c;
    struct conn *k = f->k;
    co_begin(c);
    for (;;) {
        for (f->got = 0; f->got < (int)sizeof k->request; f->got += (int)f->n) {
            co_read(c, f->n, k->in, (uint8_t *)&k->request + f->got,
                    sizeof k->request - (size_t)f->got);
            if (f->n <= 0)
                break;
        }
        if (f->n < 0)
            kill_conn(k, "read", (int)-f->n);
        else if (f->n == 0 && f->got != 0)
            kill_conn(k, "read: a request cut short", 0);
        if (f->n <= 0) {
            k->eof = 1;
            co_event_set(&k->req_ready);
            break;
        }
        co_event_set(&k->req_ready);
        co_await_event(c, &k->done);
        co_event_reset(&k->done);
    }
    co_end(c);
}

static int compute_reply(struct co *c)
{
    struct stage *f = (struct stage *)c;
    struct conn *k = f->k;
    co_begin(c);
    for (;;) {
        co_await_event(c, &k->req_ready);
        co_event_reset(&k->req_ready);
        if (!k->eof && !__atomic_load_n(&k->dead, __ATOMIC_SEQ_CST))
            msg_answer(&k->request, &k->reply, k->msize);
        co_event_set(&k->reply_ready);
        if (k->eof)
            break;
    }
    co_end(c);
}

static int send_reply(struct co *c)
{
    struct stage *f = (struct stage *)c;
    struct conn *k = f->k;
    co_begin(c);
    for (;;) {
        co_await_event(c, &k->reply_ready);
        co_event_reset(&k->reply_ready);
        if (k->eof)
            break;
        if (!__atomic_load_n(&k->dead, __ATOMIC_SEQ_CST)) {
            co_write(c, f->n, k->out, &k->reply, sizeof k->reply);
            if (f->n != (long)sizeof k->reply)
                kill_conn(k, "write", f->n < 0 ? (int)-f->n : 0);
        }
        co_event_set(&k->done);
    }
    co_end(c);
}

static int nothing(struct co *c)
{
    (void)c;
    return CO_READY;
}

int conn_server_coro(const struct conn_config *cfg, int (*req)[2], int (*rep)[2], int ctl)
{
    if (co_workers(cfg->workers) < 0) {
        conn_server_fail("co_workers", errno);
        conn_server_ready(ctl, conn_free_frames(), conn_server_failed());
        return 1;
    }
    /* The executor's pages and the workers are the process's, not the
     * connections': start them before counting. */
    static struct co warm;
    cid_t w = co_spawn(nothing, &warm, PRIO_SERVER);
    if (w == CO_NONE) {
        conn_server_fail("co_spawn", errno);
        conn_server_ready(ctl, conn_free_frames(), conn_server_failed());
        return 1;
    }
    co_join(w, 0);

    uint64_t before = conn_free_frames();
    int n = cfg->conns;
    struct conn *conns = calloc((size_t)n, sizeof *conns);
    struct stage *st = calloc((size_t)n * 3, sizeof *st);
    cid_t *ids = calloc((size_t)n * 3, sizeof *ids);
    int spawned = 0;
    if (!conns || !st || !ids)
        conn_server_fail("malloc", ENOMEM);
    static const co_poll_fn stages[3] = { receive_request, compute_reply, send_reply };
    for (int i = 0; i < n && !conn_server_failed(); i++) {
        struct conn *k = &conns[i];
        k->in = req[i][0];
        k->out = rep[i][1];
        k->msize = cfg->msize;
        co_event_init(&k->req_ready);
        co_event_init(&k->reply_ready);
        co_event_init(&k->done);
        for (int s = 0; s < 3; s++) {
            struct stage *f = &st[i * 3 + s];
            f->k = k;
            cid_t id = co_spawn(stages[s], &f->co, level_prio(cfg, i % cfg->levels));
            if (id == CO_NONE) {
                /* The stages spawned end when the client, told, closes
                 * the requests (end of file). */
                conn_server_fail("co_spawn", errno);
                break;
            }
            ids[spawned++] = id;
        }
    }
    conn_server_ready(ctl, before, conn_server_failed());
    for (int i = 0; i < spawned; i++)
        co_join(ids[i], 0);
    for (int i = 0; i < n; i++) {
        close(req[i][0]);
        if (!conns || !__atomic_load_n(&conns[i].dead, __ATOMIC_SEQ_CST))
            close(rep[i][1]);
    }
    free(conns), free(st), free(ids);
    return conn_server_failed() ? 1 : 0;
}
