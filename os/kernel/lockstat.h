/*
 * Lock statistics: which kernel locks harts wait for, and how long.
 * Kept per kind of lock (its name), not per lock: every pipe's lock counts
 * as "pipe", so a lock that is freed leaves nothing behind to read.  Only
 * the waits are counted, where the hart spins anyway: an uncontended lock
 * pays nothing.  Read by SYS_lockstat (uapi/lockstat.h), printed by
 * `lockstat` (user/programs/lockstat.c; docs/performance.md, "Scaling over
 * harts").
 */
#ifndef KERNEL_LOCKSTAT_H
#define KERNEL_LOCKSTAT_H

#include <stdbool.h>
#include <stdint.h>
#include "uapi/lockstat.h"

/* A hart waited `ticks` (time CSR) for the lock named `name` (a string
 * that lives as long as the kernel: every lock's name is a literal). */
void lockstat_waited(const char *name, uint64_t ticks);

/* Copies every kind that waited, the longest spin first, to out (room for
 * LOCKSTAT_MAX, the table's size); returns how many.  With reset, the
 * counts start again from zero. */
int lockstat_read(struct lockstat_entry out[LOCKSTAT_MAX], bool reset);

#endif
