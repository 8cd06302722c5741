/*
 * The scheduling policy, as the kernel's scheduler core sees it: a ready
 * queue it can add to, pick from and remove from.  Every call is made with
 * sched_lock held and interrupts off.
 *
 * This is the built-in policy (strict priority, FIFO by age among equals);
 * the plug-in scheduler ABI (sched_abi/) replaces it with blobs.
 */
#ifndef SCHED_POLICY_H
#define SCHED_POLICY_H

#include "proc/thread.h"

void policy_init(void);
const char *policy_name(void);
/* Makes a runnable thread eligible to run. */
void policy_add(struct thread *t, int hart);
/* Removes and returns the thread `hart` should run next, or NULL. */
struct thread *policy_fetch(int hart);
/* Takes a queued thread out (priority change, kill). */
void policy_remove(struct thread *t);
/* Priority of the best queued thread for `hart`, 0 if none. */
int policy_top_priority(int hart);

#endif
