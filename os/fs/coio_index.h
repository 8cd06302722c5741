/*
 * A process's pending asynchronous operations found by their io address
 * (struct coio_op.io): a hash table with chains, so that checking a new
 * submission for an io already pending (-EBUSY) and cancelling by io cost
 * O(1), not a walk over up to COIO_MAX_PENDING operations.
 *
 * It holds no memory until the first operation, which gets
 * COIO_INDEX_FIRST buckets; the table doubles while there are more than
 * two operations a bucket (up to COIO_INDEX_MAX buckets: past that the
 * chains just grow longer).  When the last operation goes, a grown table
 * is freed; the first stays (128 bytes) until the process ends, so that
 * one operation at a time allocates nothing.
 * A failed doubling is no error (longer chains); only the first table is
 * needed, and coio_index_reserve reports when it cannot be had.
 *
 * Under the process's co.lock (fs/coio.h), like the rest of proc->co.
 */
#ifndef FS_COIO_INDEX_H
#define FS_COIO_INDEX_H

#include <stdint.h>

#define COIO_INDEX_FIRST 16
#define COIO_INDEX_MAX   4096

struct coio_op;

struct coio_index {
    struct coio_op **bucket;    /* chains through coio_op.hnext; NULL: none */
    uint32_t nbuckets;          /* 0 or a power of two */
    uint32_t count;             /* operations in it */
};

/* Room for one more (call before coio_index_add, which cannot fail):
 * 0, or -ENOMEM if there is no table and none can be had. */
int coio_index_reserve(struct coio_index *ix);
void coio_index_add(struct coio_index *ix, struct coio_op *op);
void coio_index_remove(struct coio_index *ix, struct coio_op *op);
/* Frees the table (none pending): the process is ending. */
void coio_index_release(struct coio_index *ix);
/* The pending operation on io, or NULL.  A completed one (op->done) not
 * yet finished may share io with it, and is skipped. */
struct coio_op *coio_index_find(const struct coio_index *ix, uint64_t io);

#endif
