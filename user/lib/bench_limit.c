/* The kernel limit behind a benchmark's failed call (bench_limit.h). */
#include <bench_limit.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *bench_limit_hint(const char *call, int err)
{
    static char hint[256];
    if (err == EMFILE)
        snprintf(hint, sizeof hint, "at most %d open files per process (MAX_FDS)", MAX_FDS);
    else if (err == EAGAIN && strstr(call, "thread_create"))
        snprintf(hint, sizeof hint, "the threads per process, or in the whole system");
    else if (err == EAGAIN && (strstr(call, "read") || strstr(call, "write") ||
                               strstr(call, "sleep")))
        snprintf(hint, sizeof hint,
                 "at most %d asynchronous operations pending per process (COIO_MAX_PENDING),"
                 " or the kernel's coroutines: one per pipe with waiting operations"
                 " (KCORO_CAPACITY)", COIO_MAX_PENDING);
    else if (err == ENOMEM && strstr(call, "co_spawn"))
        snprintf(hint, sizeof hint, "the coroutines per process (CO_MAX)");
    else
        return "";
    return hint;
}

const char *bench_limit_note(const char *call, int err)
{
    static char note[300];
    const char *hint = bench_limit_hint(call, err);
    if (!*hint)
        return "";
    snprintf(note, sizeof note, " (the limit: %s)", hint);
    return note;
}

long bench_number(const char *s, long lo, long hi)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (end == s || *end != '\0' || v < lo || v > hi)
        return -1;
    return v;
}

void bench_fail(struct bench_failure *f, const char *what, int err)
{
    int none = 0;
    if (__atomic_compare_exchange_n(&f->failed, &none, 1, 0, __ATOMIC_SEQ_CST,
                                    __ATOMIC_SEQ_CST)) {
        f->what = what;
        f->err = err;
    }
}
