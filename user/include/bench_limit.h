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
/* " (the limit: PHRASE)" when err is a limit's, else "": to append to an
 * error line.  One static buffer: use it before the next call. */
const char *bench_limit_note(const char *call, int err);

/* A decimal argument in lo..hi, or -1. */
long bench_number(const char *s, long lo, long hi);

/* The first failure of a run: whatever thread or coroutine fails first
 * records what failed and its errno (0 if none says it); later ones are
 * dropped, so the error line names the cause, not its consequences. */
struct bench_failure {
    int failed;
    int err;
    const char *what;
};
void bench_fail(struct bench_failure *f, const char *what, int err);

#endif
