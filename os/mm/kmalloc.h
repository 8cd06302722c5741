/*
 * The kernel heap.  Small requests (up to 2 KiB) come from slabs: a frame cut
 * into equal slots of one size class (16 B .. 2 KiB), with a header at the
 * start of the frame; a slab whose slots are all free goes back to the frame
 * allocator.  Larger requests get whole contiguous frames.  Memory is
 * returned zeroed (by kmalloc; kmalloc_unzeroed leaves that to its
 * caller).  kfree checks that it is given a live allocation and panics on
 * a bad or double free.  A small object freed waits in its hart's
 * cache (kmalloc.c) to be handed out again on that hart; kmalloc_stats gives
 * every cache back to the slabs before it counts.
 */
#ifndef MM_KMALLOC_H
#define MM_KMALLOC_H

#include <stddef.h>

void *kmalloc(size_t size);
/* The same, not zeroed: for a caller that writes all of its size bytes
 * before anything reads them (a copy of a record built on the stack,
 * coio_keep), so that the object is written once, not zeroed and then
 * overwritten.  The slot's bytes past size keep old kernel data: never
 * hand such an object, or a copy of its whole slot, to a process. */
void *kmalloc_unzeroed(size_t size);
void kfree(void *ptr);

struct kmalloc_stats {
    size_t bytes_in_use;     /* requested sizes rounded to their class */
    size_t slab_frames;      /* frames holding slabs */
    size_t large_frames;     /* frames holding large allocations */
    size_t empty_slab_frames;/* slab frames kept with no live object (at most
                                one per class): free memory in all but name */
};
void kmalloc_stats(struct kmalloc_stats *out);

#endif
