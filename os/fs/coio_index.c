/* Pending asynchronous operations by io address (fs/coio_index.h). */
#include "fs/coio_index.h"
#include "fs/coio.h"
#include "mm/kmalloc.h"
#include "kernel/panic.h"
#include "uapi/errno.h"

_Static_assert((COIO_INDEX_FIRST & (COIO_INDEX_FIRST - 1)) == 0 &&
               (COIO_INDEX_MAX & (COIO_INDEX_MAX - 1)) == 0, "powers of two");

/* io is 8-aligned (coio_new checks): its low bits say nothing.  A
 * multiplicative hash spreads neighbouring frames over the buckets. */
static uint32_t slot_of(uint64_t io, uint32_t nbuckets)
{
    return (uint32_t)(((io >> 3) * 0x9e3779b97f4a7c15ull) >> 32) & (nbuckets - 1);
}

/* Moves every chain into a table of n buckets, if one can be had. */
static void rehash(struct coio_index *ix, uint32_t n)
{
    struct coio_op **b = kmalloc(n * sizeof(*b));       /* zeroed */
    if (!b)
        return;
    for (uint32_t i = 0; i < ix->nbuckets; i++)
        for (struct coio_op *op = ix->bucket[i], *next; op; op = next) {
            next = op->hnext;
            uint32_t s = slot_of(op->io, n);
            op->hnext = b[s];
            b[s] = op;
        }
    kfree(ix->bucket);
    ix->bucket = b;
    ix->nbuckets = n;
}

int coio_index_reserve(struct coio_index *ix)
{
    if (!ix->bucket) {
        KASSERT(ix->count == 0);
        rehash(ix, COIO_INDEX_FIRST);
        return ix->bucket ? 0 : -ENOMEM;
    }
    if (ix->count + 1 > 2 * ix->nbuckets && ix->nbuckets < COIO_INDEX_MAX)
        rehash(ix, 2 * ix->nbuckets);      /* or not: longer chains */
    return 0;
}

void coio_index_add(struct coio_index *ix, struct coio_op *op)
{
    KASSERT(ix->bucket && !coio_index_find(ix, op->io));   /* none pending on io */
    uint32_t s = slot_of(op->io, ix->nbuckets);
    op->hnext = ix->bucket[s];
    ix->bucket[s] = op;
    ix->count++;
}

void coio_index_remove(struct coio_index *ix, struct coio_op *op)
{
    KASSERT(ix->count > 0);
    struct coio_op **at = &ix->bucket[slot_of(op->io, ix->nbuckets)];
    while (*at != op) {
        KASSERT(*at);                       /* it must be there */
        at = &(*at)->hnext;
    }
    *at = op->hnext;
    op->hnext = NULL;
    /* Idle: a grown table goes; the first, small one stays, so that one
     * operation at a time (the common case) allocates nothing. */
    if (--ix->count == 0 && ix->nbuckets > COIO_INDEX_FIRST)
        coio_index_release(ix);
}

void coio_index_release(struct coio_index *ix)
{
    KASSERT(ix->count == 0);
    kfree(ix->bucket);
    *ix = (struct coio_index){ 0 };
}

struct coio_op *coio_index_find(const struct coio_index *ix, uint64_t io)
{
    if (!ix->bucket)
        return NULL;
    struct coio_op *op = ix->bucket[slot_of(io, ix->nbuckets)];
    /* done only ever goes from false to true (coio_complete, under the
     * op's queue lock): a completed op stays in the chain until
     * coio_finish, beside at most one pending op on the same io. */
    while (op && (op->io != io || __atomic_load_n(&op->done, __ATOMIC_ACQUIRE)))
        op = op->hnext;
    return op;
}
