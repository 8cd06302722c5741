/*
 * The scheduling timeline (make trace): while tracing is on, a ring sized
 * at boot (trace=ENTRIES, default TIMELINE_DEFAULT_ENTRIES; 0: none) records
 * what each hart runs when.  The kernel records its own thread switches;
 * what processes do in user mode without it (thread switches, coroutine
 * polls) they record in rings of their own (sched_abi/utrace.h), which the
 * kernel copies in, checked, when each process exits.  SYS_trace reads it
 * out (os/uapi/timeline.h).
 *
 * Off, recording costs one load and a branch.  On, an atomic add and a few
 * stores, and no lock: a slot is claimed by the add, so harts never wait
 * for each other and nothing a process does can hold the recorder up.
 *
 * Not to be confused with kernel/trace.h: the small always-on ring of
 * user-mode-switching events that Ctrl-T prints.
 */
#ifndef KERNEL_TIMELINE_H
#define KERNEL_TIMELINE_H

#include <stdbool.h>
#include <stdint.h>

#define TIMELINE_DEFAULT_ENTRIES 8192
#define TIMELINE_MAX_ENTRIES     (1u << 18)   /* 10 MiB of events */

struct thread;
struct proc;
struct tl_status;

extern bool timeline_on;

/* Sizes the ring from the command line (at boot, before any thread). */
void timeline_init(void);

void timeline_record_run(struct thread *t, int hart, bool idle);
/* The kernel puts t on `hart` (idle: the hart's idle thread). */
static inline void timeline_run(struct thread *t, int hart, bool idle)
{
    if (__builtin_expect(__atomic_load_n(&timeline_on, __ATOMIC_RELAXED), 0))
        timeline_record_run(t, hart, idle);
}

void timeline_record_tick(struct thread *t, int hart, bool idle);
/* A timer tick on `hart`, which runs t: the first of a session records
 * what the hart runs, so that a hart that never switches has a slice too. */
static inline void timeline_tick(struct thread *t, int hart, bool idle)
{
    if (__builtin_expect(__atomic_load_n(&timeline_on, __ATOMIC_RELAXED), 0))
        timeline_record_tick(t, hart, idle);
}

/* Copies an exiting process's own ring into the timeline (its last thread,
 * before its user memory goes; no lock held). */
void timeline_harvest(struct proc *p);

/* SYS_trace's operations; 0 or -errno. */
int timeline_set(bool on);
void timeline_clear(void);
void timeline_status(struct tl_status *out);
/* Copies event number `from` (since the last clear) into *out: 1 copied,
 * 0 past the end, -ERANGE overwritten already. */
int timeline_get(uint64_t from, void *out);

#endif
