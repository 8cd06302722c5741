/*
 * b_conn's parts (user/programs/b_conn.c is the client and the program):
 * the configuration both processes share, the messages on a connection,
 * the server.  Linked into b_conn only (user/user.mk).
 */
#ifndef USER_PROGRAMS_CONN_H
#define USER_PROGRAMS_CONN_H

#include <stdint.h>
#include <unistd.h>                 /* PIPE_BUF_SIZE */

#define MSG_BYTES   400             /* a request and a reply (seed 000) */
#define MSIZE_MAX   32              /* matrices of up to 32 x 32 int32 */
#define LEVELS_MAX  20              /* one per priority */
#define PRIO_SERVER 10              /* coroutine server tasks without -p */

struct conn_config {
    int coro;                       /* 1: coroutine server, 0: threads */
    int conns, msize, secs, workers;
    int prio_mode, levels;          /* -p LEVELS; levels is 1 without it */
    int top;                        /* priority of level 0 */
    uint64_t period_ms;
};

/* The server's priority for the tasks of a level-`level` connection
 * (-p; without it every connection is level 0 at the default). */
int level_prio(const struct conn_config *cfg, int level);

/* A request or a reply: a header the client checks, and bytes that the
 * server makes its matrices from. */
struct msg {
    uint32_t magic;                 /* MSG_REQUEST or MSG_REPLY */
    uint32_t conn, seq;
    uint32_t check;                 /* a reply's: the product's checksum */
    uint8_t body[MSG_BYTES - 16];
};
_Static_assert(sizeof(struct msg) == MSG_BYTES, "a message is MSG_BYTES long");
_Static_assert(MSG_BYTES <= PIPE_BUF_SIZE, "a message goes into a pipe whole");

#define MSG_REQUEST 0x52455121u
#define MSG_REPLY   0x52455021u

void msg_request(struct msg *m, uint32_t conn, uint32_t seq);
/* The server's work: the product of two msize x msize matrices made from
 * the request's body, its checksum in the reply. */
void msg_answer(const struct msg *request, struct msg *reply, int msize);
/* 1 if `reply` answers `request` (its connection and sequence number). */
int msg_reply_ok(const struct msg *reply, const struct msg *request);

/* What the server tells the client once every connection is set up. */
struct server_ready {
    int64_t frames;                 /* frames its connections took */
    int32_t failed;                 /* 1: it could not set up (it says why) */
    int32_t unused;
};

/* The server process: serves every connection on req[i][0] / rep[i][1]
 * until each request pipe ends, after telling the client on `ctl` that it
 * is ready.  Returns the exit status (1 after a failure, which it prints
 * as "BENCH-ERROR <workload> server: ..."). */
int conn_server(const struct conn_config *cfg, int (*req)[2], int (*rep)[2], int ctl);
int conn_server_coro(const struct conn_config *cfg, int (*req)[2], int (*rep)[2], int ctl);
int conn_server_threads(const struct conn_config *cfg, int (*req)[2], int (*rep)[2], int ctl);

/* Shared by the two servers (server.c). */
uint64_t conn_free_frames(void);
void conn_server_fail(const char *what, int err);
int conn_server_failed(void);
void conn_server_ready(int ctl, uint64_t frames_before, int failed_setup);
const char *conn_workload(const struct conn_config *cfg);

#endif
