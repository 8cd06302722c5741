/* b_conn's messages and the server's work on them (conn.h). */
#include <string.h>

#include "conn.h"

int level_prio(const struct conn_config *cfg, int level)
{
    if (!cfg->prio_mode)
        return cfg->coro ? PRIO_SERVER : cfg->top;
    int p = cfg->top - level;
    return p < 1 ? 1 : p;
}

void msg_request(struct msg *m, uint32_t conn, uint32_t seq)
{
    m->magic = MSG_REQUEST;
    m->conn = conn;
    m->seq = seq;
    m->check = 0;
    uint32_t x = conn * 2654435761u ^ seq * 40503u;
    for (size_t i = 0; i < sizeof m->body; i++) {
        x = x * 1103515245u + 12345u;
        m->body[i] = (uint8_t)(x >> 16);
    }
}

void msg_answer(const struct msg *request, struct msg *reply, int msize)
{
    /* A and B are read from the body (wrapping round it), C = A x B is
     * summed: the point is the work, not the numbers. */
    int32_t a[MSIZE_MAX * MSIZE_MAX], b[MSIZE_MAX * MSIZE_MAX];
    int n = msize * msize;
    for (int i = 0; i < n; i++) {
        a[i] = request->body[i % sizeof request->body];
        b[i] = request->body[(i * 7 + 3) % sizeof request->body];
    }
    uint32_t check = 0;
    for (int i = 0; i < msize; i++)
        for (int j = 0; j < msize; j++) {
            int32_t c = 0;
            for (int k = 0; k < msize; k++)
                c += a[i * msize + k] * b[k * msize + j];
            check = check * 31u + (uint32_t)c;
        }
    reply->magic = MSG_REPLY;
    reply->conn = request->conn;
    reply->seq = request->seq;
    reply->check = check;
    memcpy(reply->body, request->body, sizeof reply->body);
}

int msg_reply_ok(const struct msg *reply, const struct msg *request)
{
    return reply->magic == MSG_REPLY && reply->conn == request->conn &&
           reply->seq == request->seq &&
           memcmp(reply->body, request->body, sizeof reply->body) == 0;
}
