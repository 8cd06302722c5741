/*
 * Where the runtime's assembly (switch.S, user_schedule.S) finds things in
 * the shared region: offsets and constants written out as numbers, since
 * the assembler cannot read C structs.  runtime.c asserts every one of them
 * against sched_abi/vdso.h and sched_abi/sched_abi.h, so a change of
 * layout there fails the build instead of the switch.
 *
 * Plain #defines only: included by C and by assembly.
 */
#ifndef RUNTIME_RT_LAYOUT_H
#define RUNTIME_RT_LAYOUT_H

/* The region: VDSO_DATA at SHARED_BASE_ADDR = -1 << 38, then the records,
 * the code pages (the policy first) and SCHED_KINFO, in pages from it. */
#define RT_BASE_SHIFT       38
#define RT_TASKS_PAGES      7          /* SHARED_TASKS_ADDR */
#define RT_CODE_PAGES       263        /* SHARED_CODE_ADDR: the policy's header */
#define RT_KINFO_PAGES      283        /* SHARED_KINFO_ADDR */

/* VDSO_DATA */
#define RT_NHARTS           8
#define RT_NTASKS           12
#define RT_POLICY_FLAGS     20
#define RT_NRECORDS         52
#define RT_CURRENT          88
#define RT_QUEUE_LOCK       120
#define RT_USER_SWITCHES    128
#define RT_READY_WORD       144        /* rt_ready */
#define RT_RT_OFF           148        /* rt_off: rt_ready's doubleword's upper
                                          half (user_schedule.S reads both) */
#define RT_AGE_CLOCK        152
#define RT_SWITCHED_AT      176
#define RT_QUICK_SWITCHES   240
#define RT_SLOW_YIELDS      280
#define RT_OFF_HART         1024
#define RT_KPRIO            5120
#define RT_QUEUE            9216

/* SCHED_KINFO */
#define RT_KINFO_QUEUED_TOP 4
#define RT_KINFO_SWITCH_OFF 8          /* user_switching_off */
#define RT_KINFO_TRACE_ON   12
#define RT_KINFO_YIELD_FETCH 1024      /* rt_yield_fetch */
#define RT_KINFO_CTX        1032       /* rt_ctx, a struct sched_ctx */
#define RT_KINFO_LAST_HART  1064       /* rt_last_hart: rt_ctx.nharts - 1 */

/* TaskSched: 256 bytes (1 << 8) */
#define RT_TASK_SHIFT       8
#define RT_TASK_PRIO        4
#define RT_TASK_STATE       5
#define RT_TASK_HART        6
#define RT_TASK_FLAGS       7
#define RT_TASK_AGE         8
#define RT_TASK_SWITCHES    40
#define RT_CTX              48
#define RT_CTX_RESCUE       (RT_CTX + 15 * 8)
#define RT_CTX_S3           (RT_CTX + 6 * 8)   /* ctx[TASK_CTX_S0 + 3] */
#define RT_CTX_S4           (RT_CTX + 7 * 8)
#define RT_CTX_S5           (RT_CTX + 8 * 8)   /* ctx[TASK_CTX_S0 + 5] */
#define RT_CTX_S6           (RT_CTX + 9 * 8)
#define RT_CTX_S10          (RT_CTX + 13 * 8)
#define RT_CTX_S11          (RT_CTX + 14 * 8)

/* struct sched_ctx: tasks, queue, ntasks, nharts, serial_calls */
#define RT_SCHED_CTX_SIZE   32
#define RT_SCHED_CTX_SERIAL 24
/* struct sched_blob_header.op_offset[SCHED_OP_FETCH], [SCHED_OP_YIELD], ... */
#define RT_OP_FETCH_AT      56
#define RT_OP_YIELD_AT      64
#define RT_OP_TOP_AT        88         /* [SCHED_OP_TOP] */
#define RT_OP_YIELD_FETCH_AT 104       /* .yield_fetch_offset (2.4; 0: none) */

/* The switch's tail: the queue lock's release, in bytes after
 * rt_switch_to_next (the fence and the READY mark before it); the
 * runtime's header exports it (switch_release_offset, vdso.h), and
 * user_schedule.S checks it. */
#define RT_SWITCH_RELEASE_AT 8

/* Constants of the ABI and of runtime.c. */
#define RT_MAX_TASKS        4096       /* SCHED_MAX_TASKS */
#define RT_MAX_HARTS        8          /* SCHED_MAX_HARTS */
#define RT_PRIO_MAX         20         /* SCHED_PRIO_MAX */
#define RT_READY_MAGIC      0x52454000 /* RT_READY: its low 12 bits 0 */
#define RT_FLAG_IN_QUEUE    1          /* TASK_FLAG_IN_QUEUE */
#define RT_FLAGS_ALL        1          /* TASK_FLAGS_ALL: IN_QUEUE alone, so the
                                          fast path tests and clears the byte */
#define RT_FLAG_PER_HART    2          /* SCHED_FLAG_PER_HART */
#define RT_STATE_READY      1          /* TASK_READY (TASK_RUNNING is 2) */
#define RT_CAS_TRIES        64         /* TASK_CAS_TRIES */
#define RT_RESCUE_SCHEDULE  2          /* the rescue address's bit (rt_park's
                                          save): runtime.c */
/* The rescue word's marks of a yield's save (rt_rescue, switch.S, tells
 * them apart): user_schedule's, all fifteen registers, is its record's
 * offset among the records (me << RT_TASK_SHIFT, below 1 <<
 * RT_RECORDS_SHIFT: a value the entry's checks leave in a register, so one
 * store); user_schedule_light's (ra, sp, tp, s0..s2 only) is its record's
 * own address.  No other writer of the word uses either: rt_park's is the
 * ctx's address with RT_RESCUE_SCHEDULE, the others a buffer on a thread's
 * stack, far above the first megabyte (os/memlayout.h). */
#define RT_RECORDS_SHIFT    20         /* RT_MAX_TASKS records of 1 << RT_TASK_SHIFT */
#define RT_REST_AFTER_N     32         /* RT_REST_AFTER: runtime.c */
#define RT_QUICK_INSNS      2000       /* RT_QUICK_SWITCH_INSNS: runtime.c */

#endif
