#include "mm/kmalloc.h"
#include "kernel/cacheline.h"
#include "mm/frame.h"
#include "kernel/spinlock.h"
#include "kernel/panic.h"
#include "lib/string.h"
#include "memlayout.h"
#include <stdbool.h>
#include <stdint.h>

#define SLAB_MAGIC  0x51ab51abu
#define LARGE_MAGIC 0x1a49e000u
#define NCLASSES    8                  /* 16, 32, ..., 2048 */
#define MIN_SHIFT   4
#define MAX_SMALL   (1u << (MIN_SHIFT + NCLASSES - 1))

/* At the start of every heap frame.  For a large allocation, `npages` frames
 * follow and the object starts at HEADER_SIZE. */
struct page_header {
    uint32_t magic;
    uint16_t cls;             /* slab: size class */
    uint16_t inuse;           /* slab: live objects */
    void *free;               /* slab: free slots, linked through themselves */
    struct page_header *next, *prev;   /* slab: partial list of its class */
    size_t npages;            /* large: frames in the run */
};
#define HEADER_SIZE 48        /* sizeof(struct page_header), rounded to 16 */
_Static_assert(sizeof(struct page_header) <= HEADER_SIZE, "header too big");

static struct spinlock heap_lock LINE_ALIGNED = SPINLOCK_INIT("kmalloc");   /* a line of its own to start */
static struct page_header *partial[NCLASSES];   /* slabs with a free slot */
static struct kmalloc_stats stats;

static size_t class_size(int cls) { return (size_t)1 << (cls + MIN_SHIFT); }
static size_t slots_per_slab(int cls) { return (PAGE_SIZE - HEADER_SIZE) / class_size(cls); }

static int size_class(size_t size)
{
    int cls = 0;
    while (class_size(cls) < size)
        cls++;
    return cls;
}

static void list_remove(struct page_header *p)
{
    if (p->prev) p->prev->next = p->next;
    else partial[p->cls] = p->next;
    if (p->next) p->next->prev = p->prev;
    p->next = p->prev = NULL;
}

static void list_push(struct page_header *p)
{
    p->prev = NULL;
    p->next = partial[p->cls];
    if (p->next) p->next->prev = p;
    partial[p->cls] = p;
}

static struct page_header *new_slab(int cls)
{
    struct page_header *p = frame_alloc();
    if (!p)
        return NULL;
    p->magic = SLAB_MAGIC;
    p->cls = (uint16_t)cls;
    char *slot = (char *)p + HEADER_SIZE;
    for (size_t i = 0; i < slots_per_slab(cls); i++, slot += class_size(cls)) {
        *(void **)slot = p->free;
        p->free = slot;
    }
    stats.slab_frames++;
    return p;
}

static void *alloc_large(size_t size)
{
    size_t npages = (size + HEADER_SIZE + PAGE_SIZE - 1) / PAGE_SIZE;
    struct page_header *p = frame_alloc_contig(npages);
    if (!p)
        return NULL;
    p->magic = LARGE_MAGIC;
    p->npages = npages;
    spin_lock(&heap_lock);
    stats.large_frames += npages;
    stats.bytes_in_use += npages * PAGE_SIZE - HEADER_SIZE;
    spin_unlock(&heap_lock);
    return (char *)p + HEADER_SIZE;
}

void *kmalloc(size_t size)
{
    if (size == 0)
        size = 1;
    if (size > MAX_SMALL)
        return size > SIZE_MAX - 2 * PAGE_SIZE ? NULL : alloc_large(size);
    int cls = size_class(size);

    spin_lock(&heap_lock);
    struct page_header *p = partial[cls];
    if (!p) {
        p = new_slab(cls);
        if (!p) {
            spin_unlock(&heap_lock);
            return NULL;
        }
        list_push(p);
    }
    void *obj = p->free;
    p->free = *(void **)obj;
    p->inuse++;
    if (!p->free)
        list_remove(p);               /* now full */
    stats.bytes_in_use += class_size(cls);
    spin_unlock(&heap_lock);
    memset(obj, 0, class_size(cls));
    return obj;
}

void kfree(void *ptr)
{
    if (!ptr)
        return;
    struct page_header *p = (void *)((uintptr_t)ptr & ~(uintptr_t)(PAGE_SIZE - 1));
    uintptr_t off = (uintptr_t)ptr - (uintptr_t)p;

    if (p->magic == LARGE_MAGIC && off == HEADER_SIZE) {
        size_t npages = p->npages;
        p->magic = 0;
        spin_lock(&heap_lock);
        stats.large_frames -= npages;
        stats.bytes_in_use -= npages * PAGE_SIZE - HEADER_SIZE;
        spin_unlock(&heap_lock);
        frame_free_contig(p, npages);
        return;
    }
    if (p->magic != SLAB_MAGIC || off < HEADER_SIZE ||
        (off - HEADER_SIZE) % class_size(p->cls) != 0 ||
        (off - HEADER_SIZE) / class_size(p->cls) >= slots_per_slab(p->cls))
        panic("kfree: %p was not returned by kmalloc", ptr);

    spin_lock(&heap_lock);
    for (void *f = p->free; f; f = *(void **)f)
        if (f == ptr)
            panic("kfree: double free of %p", ptr);
    bool was_full = p->free == NULL;
    *(void **)ptr = p->free;
    p->free = ptr;
    p->inuse--;
    stats.bytes_in_use -= class_size(p->cls);
    if (was_full)
        list_push(p);
    /* Give an empty slab back, unless it is the class's only partial one
     * (keeps a free/alloc pair from allocating a frame each time). */
    if (p->inuse == 0 && (partial[p->cls] != p || p->next)) {
        list_remove(p);
        p->magic = 0;
        stats.slab_frames--;
        spin_unlock(&heap_lock);
        frame_free(p);
        return;
    }
    spin_unlock(&heap_lock);
}

void kmalloc_stats(struct kmalloc_stats *out)
{
    spin_lock(&heap_lock);
    *out = stats;
    out->empty_slab_frames = 0;
    for (int cls = 0; cls < NCLASSES; cls++)
        for (struct page_header *p = partial[cls]; p; p = p->next)
            out->empty_slab_frames += p->inuse == 0;
    spin_unlock(&heap_lock);
}
