/*
 * The executor region of a process (sched_abi/coro.h): its CO_EXEC header,
 * queue and record pages at SHARED_EXEC_ADDR, mapped by SYS_co_setup, and
 * the doorbell through which the kernel wakes the process's coroutines.
 *
 * The process can write anything in those pages.  The kernel keeps its own
 * count of the records mapped (`capacity`), checks every index against it,
 * writes only the doorbell words (and `capacity`), and reads nothing there
 * but a futex word.
 */
#ifndef SCHED_COEXEC_H
#define SCHED_COEXEC_H

#include <stdbool.h>
#include <stdint.h>
#include "kernel/spinlock.h"
#include "lib/list.h"
#include "mm/vm.h"
#include "fs/coio_index.h"
#include "coro.h"

struct proc;

/* A process's executor and its asynchronous operations (struct proc.co).
 * Lock order: co.lock, then a queue's lock (a pipe's, the timers'), then
 * the address space's (vm.lock). */
struct proc_co {
    struct spinlock lock;
    uint32_t capacity;          /* records mapped: the kernel's count */
    uint32_t pages;             /* pages mapped from SHARED_EXEC_ADDR */
    CO_EXEC *header;            /* page 0, through the direct map */
    struct list_node ops;       /* pending struct coio_op (fs/coio.h) */
    uint32_t nops;
    struct coio_index by_io;    /* the same ops, found by io address */
};

void coexec_init(struct proc *p);
/* SYS_co_setup: maps records for `want` coroutines (rounded up to a page of
 * records), the header and queue first.  Records now mapped, or -EINVAL,
 * -ENOMEM (then nothing of this call stays mapped). */
long coexec_setup(struct proc *p, uint32_t want);
/* Exit and exec: no doorbell rings any more; the pages mapped are
 * returned, for coexec_unmap once nothing can use them. */
uint32_t coexec_detach(struct proc *p);
/* Unmaps (with a TLB shootdown) and frees `pages` executor pages of pt. */
void coexec_unmap(pagetable_t pt, uint32_t pages);

/* Is [addr, addr+4) in the executor pages p has mapped? */
bool coexec_contains(struct proc *p, uint64_t addr);
/* Reads the 32-bit word at addr in p's executor pages (a futex word):
 * 0, or -EFAULT if it is not mapped there. */
int coexec_read_u32(struct proc *p, uint64_t addr, uint32_t *out);

/* Rings p's doorbell for cid: the bit of CO_INDEX(cid) in bell[], that
 * word's bit in bell_summary[], then seq (all atomic), then, if a worker
 * may be asleep on seq (CO_EXEC.sleepers), wakes one.  Nothing if the
 * index is not below the kernel's capacity for p.  True if it rang. */
bool co_doorbell(struct proc *p, uint32_t cid);
/* The same with p->co.lock held; if it sets *wake, the caller calls
 * coexec_wake_seq once the lock is released (the futex lock comes before
 * co.lock). */
bool co_doorbell_locked(struct proc *p, uint32_t cid, bool *wake);
/* co.lock held, after co_doorbell_locked rang cid: p's thread with
 * TaskSched index `task` made it ready in its own system call, so its
 * worker may run it next (CO_EXEC.woke_by; docs/coroutines.md,
 * "Affinity"). */
void co_note_waker_locked(struct proc *p, uint32_t task, uint32_t cid);
void coexec_wake_seq(struct proc *p);

#endif
