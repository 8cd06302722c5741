/*
 * The per-process timeline ring: what a process's runtime does in user
 * mode without the kernel (a thread switch, a coroutine poll), recorded
 * for `make trace` while tracing is on (SCHED_KINFO.trace_on).
 *
 * The ring lives in the process's own memory: the C library allocates it
 * at start-up when tracing is on and stores its address in
 * VDSO_DATA.trace_ring.  The runtime appends to it; the kernel copies it
 * into its own timeline ring when the process exits (os/kernel/timeline.c),
 * through copy_from_user and with every field checked: the process may
 * have written anything there, and garbage is dropped, never followed.
 */
#ifndef SCHED_ABI_UTRACE_H
#define SCHED_ABI_UTRACE_H

#include <stdint.h>

#define UTRACE_MAGIC    0x43525455u    /* "UTRC" */
#define UTRACE_CAP      8192           /* entries a process keeps: the last
                                          ones win (a power of two) */
#define UTRACE_CAP_MAX  16384          /* the most the kernel reads */

enum utrace_kind {
    UT_SWITCH = 1,         /* thread `tid` switched to thread `arg` in user mode */
    UT_POLL_BEGIN = 2,     /* thread `tid` starts polling coroutine `arg` */
    UT_POLL_END = 3,       /* ...and is back from the poll */
};

typedef struct utrace_entry {
    uint64_t when;         /*  0: the time CSR */
    uint32_t arg;          /*  8: the thread switched to, or the coroutine's CID */
    uint32_t tid;          /* 12: the thread that recorded it (kernel tid) */
    uint8_t  hart;         /* 16: the hart, as the thread's record said */
    uint8_t  kind;         /* 17: enum utrace_kind */
    uint16_t reserved16;   /* 18 */
    uint32_t reserved32;   /* 20 */
} utrace_entry;
_Static_assert(sizeof(utrace_entry) == 24, "utrace_entry: 24 bytes");

typedef struct utrace_ring {
    uint32_t magic;        /* UTRACE_MAGIC */
    uint32_t cap;          /* entries in e[]: a power of two <= UTRACE_CAP_MAX */
    volatile uint64_t head;/* entries ever appended; entry n is e[n % cap] */
    utrace_entry e[];
} utrace_ring;
_Static_assert(sizeof(utrace_ring) == 16, "utrace_ring header: 16 bytes");

#endif
