/*
 * b_conn's thread server: three threads per connection, blocking reads and
 * writes.  receive reads a whole request, compute answers it, send writes
 * the reply, each handing over to the next with a semaphore: one request
 * in flight per connection (the client waits for each reply).
 *
 * A failure is recorded and the connection turns dead, as in the
 * coroutine server (server_coro.c): its reply pipe is closed and the three
 * pass turns without writing until the request pipe ends.
 */
#include <errno.h>
#include <semaphore.h>
#include <stdlib.h>
#include <thread.h>
#include <unistd.h>

#include "conn.h"

struct conn {
    int in, out;                    /* request read end, reply write end */
    int msize;
    int eof, dead;
    sem_t req_ready, reply_ready, done;
    struct msg request, reply;
};

static void kill_conn(struct conn *k, const char *what, int err)
{
    conn_server_fail(what, err);
    if (!__atomic_exchange_n(&k->dead, 1, __ATOMIC_SEQ_CST))
        close(k->out);
}

static void *receive_requests(void *arg)
{
    struct conn *k = arg;
    for (;;) {
        size_t got = 0;
        long n = 1;
        while (got < sizeof k->request) {
            n = read(k->in, (uint8_t *)&k->request + got, sizeof k->request - got);
            if (n <= 0)
                break;
            got += (size_t)n;
        }
        if (n < 0)
            kill_conn(k, "read", errno);
        else if (n == 0 && got != 0)
            kill_conn(k, "read: a request cut short", 0);
        if (n <= 0) {
            k->eof = 1;
            sem_post(&k->req_ready);
            return 0;
        }
        sem_post(&k->req_ready);
        sem_wait(&k->done);
    }
}

static void *compute_replies(void *arg)
{
    struct conn *k = arg;
    for (;;) {
        sem_wait(&k->req_ready);
        if (!k->eof && !__atomic_load_n(&k->dead, __ATOMIC_SEQ_CST))
            msg_answer(&k->request, &k->reply, k->msize);
        sem_post(&k->reply_ready);
        if (k->eof)
            return 0;
    }
}

static void *send_replies(void *arg)
{
    struct conn *k = arg;
    for (;;) {
        sem_wait(&k->reply_ready);
        if (k->eof)
            return 0;
        if (!__atomic_load_n(&k->dead, __ATOMIC_SEQ_CST) && write(k->out, &k->reply, sizeof k->reply) != (long)sizeof k->reply)
            kill_conn(k, "write", errno);
        sem_post(&k->done);
    }
}

int conn_server_threads(const struct conn_config *cfg, int (*req)[2], int (*rep)[2], int ctl)
{
    uint64_t before = conn_free_frames();
    int n = cfg->conns;
    struct conn *conns = calloc((size_t)n, sizeof *conns);
    int *tids = calloc((size_t)n * 3, sizeof *tids);
    int made = 0;
    if (!conns || !tids)
        conn_server_fail("malloc", ENOMEM);
    static void *(*const stages[3])(void *) = { receive_requests, compute_replies,
                                                send_replies };
    for (int i = 0; i < n && !conn_server_failed(); i++) {
        struct conn *k = &conns[i];
        k->in = req[i][0];
        k->out = rep[i][1];
        k->msize = cfg->msize;
        sem_init(&k->req_ready, 0);
        sem_init(&k->reply_ready, 0);
        sem_init(&k->done, 0);
        for (int s = 0; s < 3; s++) {
            int tid = thread_create(stages[s], k);
            if (tid < 0) {
                /* The threads made end when the client, told, closes the
                 * requests (end of file). */
                conn_server_fail("thread_create", errno);
                break;
            }
            tids[made++] = tid;
            if (cfg->prio_mode && set_priority(tid, level_prio(cfg, i % cfg->levels)) < 0) {
                conn_server_fail("set_priority", errno);
                break;
            }
        }
    }
    conn_server_ready(ctl, before, conn_server_failed());
    for (int i = 0; i < made; i++)
        thread_join(tids[i], 0);
    for (int i = 0; i < n; i++) {
        close(req[i][0]);
        if (!conns || !__atomic_load_n(&conns[i].dead, __ATOMIC_SEQ_CST))
            close(rep[i][1]);
    }
    free(conns), free(tids);
    return conn_server_failed() ? 1 : 0;
}
