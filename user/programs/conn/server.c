/* b_conn's server process: what its two kinds share (conn.h). */
#include <bench_limit.h>
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "conn.h"

static struct bench_failure failure;   /* the first failure */

const char *conn_workload(const struct conn_config *cfg)
{
    return cfg->prio_mode ? "prio" : "conn";
}

uint64_t conn_free_frames(void)
{
    struct sysinfo si;
    return sysinfo(&si) < 0 ? 0 : si.free_frames;
}

/* The first failure is the one reported. */
void conn_server_fail(const char *what, int err)
{
    bench_fail(&failure, what, err);
}

int conn_server_failed(void)
{
    return __atomic_load_n(&failure.failed, __ATOMIC_SEQ_CST);
}

void conn_server_ready(int ctl, uint64_t frames_before, int failed_setup)
{
    struct server_ready r = {
        .frames = (int64_t)(frames_before - conn_free_frames()),
        .failed = failed_setup,
    };
    /* If the client is gone there is nobody to tell. */
    (void)write(ctl, &r, sizeof r);
    close(ctl);
}

int conn_server(const struct conn_config *cfg, int (*req)[2], int (*rep)[2], int ctl)
{
    if (cfg->coro)
        conn_server_coro(cfg, req, rep, ctl);
    else
        conn_server_threads(cfg, req, rep, ctl);
    if (!failure.failed)
        return 0;
    printf("BENCH-ERROR %s server: %s%s%s%s\n", conn_workload(cfg), failure.what,
           failure.err ? ": " : "", failure.err ? errname(failure.err) : "", bench_limit_note(failure.what, failure.err));
    return 1;
}
