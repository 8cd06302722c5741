/*
 * For the benchmark programs (b_*): which kernel limit an error most
 * likely means, so that "BENCH-ERROR ... EMFILE" also says what to raise.
 */
#ifndef USER_BENCH_LIMIT_H
#define USER_BENCH_LIMIT_H

/* A phrase such as "at most 16 open files per process" for err returned
 * by `call` ("pipe", "thread_create", "read", ...), or "" when err is no
 * limit's. */
const char *bench_limit_hint(const char *call, int err);

#endif
