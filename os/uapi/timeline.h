/*
 * The scheduling timeline (make trace): what each hart ran when, as the
 * kernel records it while tracing is on, read out with SYS_trace.
 *
 * Shared by the kernel (os/kernel/timeline.c) and the user program that
 * prints it (user/programs/trace.c); bench/trace.py turns that printout
 * into Chrome trace JSON.
 */
#ifndef UAPI_TIMELINE_H
#define UAPI_TIMELINE_H

#include <stdint.h>

/* SYS_trace operations. */
#define TL_OP_OFF     0    /* stop recording */
#define TL_OP_ON      1    /* start recording (-ENOMEM if booted with trace=0) */
#define TL_OP_CLEAR   2    /* forget every event */
#define TL_OP_STATUS  3    /* fill the struct tl_status at buf */
#define TL_OP_READ    4    /* copy events [from, from + count) to buf */

#define TL_READ_MAX   256  /* events one TL_OP_READ may copy */

enum tl_kind {
    TL_RUN = 1,            /* the kernel put thread `tid` of `pid` on `hart`
                              (pid 0: the hart's idle thread) */
    TL_NAME = 2,           /* `pid` is called `name` (once per thread and
                              tracing session, before its first TL_RUN) */
    TL_USWITCH = 3,        /* from the process's ring: `tid` switched to
                              thread `arg` in user mode */
    TL_POLL_BEGIN = 4,     /* from the process's ring: `tid` polls coroutine `arg` */
    TL_POLL_END = 5,       /* ...and is back from the poll */
    TL_LOST = 6,           /* `arg` events of `pid`'s ring were overwritten
                              or refused as garbage */
};

struct tl_event {
    uint64_t when;         /* the time CSR (tl_status.timebase_hz per second) */
    int32_t  pid;
    int32_t  tid;
    uint32_t arg;
    uint8_t  hart;
    uint8_t  kind;         /* enum tl_kind */
    uint16_t reserved;
    char     name[16];     /* TL_NAME: NUL-terminated */
};
_Static_assert(sizeof(struct tl_event) == 40, "tl_event: 40 bytes");

struct tl_status {
    uint64_t recorded;     /* events recorded since the last clear; the ring
                              holds the last `capacity` of them */
    uint64_t timebase_hz;  /* time CSR ticks per second */
    uint32_t capacity;     /* the ring's size (trace=ENTRIES at boot) */
    uint32_t on;           /* recording now */
    uint32_t nharts;       /* harts online */
    uint32_t reserved;
};

#endif
