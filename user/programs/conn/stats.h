/*
 * b_conn's latency statistics: a histogram per priority level, filled by
 * any number of client coroutines at once (atomic counters), read at the
 * end.  Exact below 256 us; above, each power of two is cut in 64 buckets,
 * so a percentile is the lower bound of its bucket, within 1/64 (1.6 %)
 * below the true sample.  The mean is exact.
 */
#ifndef USER_PROGRAMS_CONN_STATS_H
#define USER_PROGRAMS_CONN_STATS_H

#include <stdint.h>

struct lat_summary {
    uint64_t count, mean, p50, p99;             /* microseconds but count */
};

/* level: 0 .. LEVELS_MAX - 1 */
void stats_record(int level, uint64_t us);
/* One level's, or every level's together (level -1). */
void stats_summary(int level, struct lat_summary *out);

#endif
