/*
 * Garbage for hostile programs: a deterministic stream of 64-bit words
 * (xorshift64) to forge fields and scribble over memory the kernel must
 * not trust.  The state is the caller's, so a case's garbage depends only
 * on its seed and a failing case can be run again alike.
 */
#ifndef USER_GARBAGE_H
#define USER_GARBAGE_H

#include <stddef.h>
#include <stdint.h>

/* A seed for *state that is not 0 (xorshift's 0 stays 0 for ever). */
#define GARBAGE_SEED 0x9e3779b97f4a7c15ULL

/* The next word of the stream, advancing *state. */
uint64_t garbage_next(uint64_t *state);
/* Fills the whole 8-byte words of [at, at+bytes) with garbage_next. */
void garbage_fill(void *at, size_t bytes, uint64_t *state);

#endif
